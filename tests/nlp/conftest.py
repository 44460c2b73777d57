"""Fixtures of the sentiment-model tests: the model built once per session into its own home,
offline (anything that tried a model hub would fail)."""
from __future__ import annotations

import pytest

from nlp.sentiment import Scorer
from yuqing.app import config as config_mod


@pytest.fixture(scope="session")
def nlp_cfg(tmp_path_factory):
    home = tmp_path_factory.mktemp("nlp-home")
    return config_mod.parse({"home": str(home), "nlp": {"batch_size": 16}}, home / "config.yaml")


@pytest.fixture(scope="session")
def scorer(nlp_cfg, monkeypatch_session):
    # Anything that tried a model hub would fail: these make transformers/huggingface_hub refuse.
    monkeypatch_session.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch_session.setenv("TRANSFORMERS_OFFLINE", "1")
    return Scorer.load(nlp_cfg)


@pytest.fixture(scope="session")
def monkeypatch_session():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()
