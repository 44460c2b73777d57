"""`yuqing score`: one output line per input line, in order; bad lines become error objects."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from nlp.analyse import Analyser
from nlp.score_stream import score_lines
from nlp.sentiment import load_scorer
from tests.conftest import ROOT, write_cfg
from yuqing.app import config as config_mod

GOOD = [
    {"id": 1, "text": "这手机太烂了，用了三天就死机，客服也不理人[怒]"},
    {"id": 2, "text": "质量非常好，物流也快，很满意[赞]", "title": None},
    {"id": 3, "text": "", "title": "青禾奶茶发布新品"},
    {"id": 4, "text": "😂😂😂"},
]
BAD = [
    (b"not json\n", "not valid JSON"),
    (b"[1, 2]\n", "expected a JSON object"),
    (b'{"title": "no text"}\n', 'needs a string field "text"'),
    (b'{"text": 42}\n', '"text" must be a string'),
    (b"\n", "empty line"),
    (b'{"text": "\xff\xfe"}\n', "not UTF-8"),
]


def lines() -> list[bytes]:
    good = [json.dumps(o, ensure_ascii=False).encode("utf-8") + b"\n" for o in GOOD]
    # interleave: good, bad, good, bad, ...
    out: list[bytes] = []
    for i in range(max(len(good), len(BAD))):
        if i < len(good):
            out.append(good[i])
        if i < len(BAD):
            out.append(BAD[i][0])
    return out


@pytest.fixture(scope="module")
def project_cfg(tmp_path_factory):
    home = tmp_path_factory.mktemp("score-home")
    raw = config_mod.load(ROOT / "config.yaml").model_dump(mode="json", exclude={"path"})
    raw["home"] = str(home)
    return config_mod.parse(raw, home / "config.yaml")


class BrokenModel:
    """Stands in for a model that fails mid-run (out of memory, a bad device)."""

    def predict(self, texts):
        raise RuntimeError("CUDA out of memory")


def test_a_failing_model_yields_one_error_per_line_and_nothing_is_skipped(project_cfg):
    out = io.BytesIO()
    counts = score_lines(lines(), Analyser.from_config(project_cfg), BrokenModel(), out, batch_size=3)
    got = [json.loads(x) for x in out.getvalue().decode("utf-8").splitlines()]
    assert len(got) == len(lines()) == counts.errors and counts.scored == 0
    assert [g["line"] for g in got] == list(range(1, len(got) + 1))
    reasons = [g["error"] for g in got]
    assert sum("CUDA out of memory" in r for r in reasons) == len(GOOD)
    for raw, why in BAD:
        assert any(why in r for r in reasons), why


@pytest.fixture(scope="module")
def model_cfg(project_cfg):
    """The real model, built once into this module's home; a model that cannot be loaded fails
    the tests that need it, saying why (the model ships: it is never skipped)."""
    scorer, problem = load_scorer(project_cfg)
    assert scorer is not None, f"the shipped sentiment model did not load: {problem}"
    return project_cfg


def test_score_command_keeps_order_and_reports_bad_lines(model_cfg, tmp_path):
    cfg_file = write_cfg(model_cfg, tmp_path / "config.yaml")
    env = {**os.environ, "YUQING_CONFIG": str(cfg_file), "YUQING_HOME": str(model_cfg.home_dir)}
    data = b"".join(lines())
    r = subprocess.run([sys.executable, "-m", "yuqing.app", "score", "--batch", "4"], input=data, capture_output=True,
                       env=env, cwd=str(ROOT), timeout=600)
    out = [json.loads(x) for x in r.stdout.decode("utf-8").splitlines()]
    assert len(out) == len(lines()), r.stderr.decode()
    assert r.returncode == 1 and f"{len(BAD)} of {len(lines())} lines" in r.stderr.decode()
    scored = [o for o in out if "error" not in o]
    errors = [o for o in out if "error" in o]
    assert [o["id"] for o in scored] == [o["id"] for o in GOOD]  # same objects, same order
    assert [e["error"].split(" (")[0] for e in errors] == [
        "not valid JSON", "expected a JSON object, got list", 'needs a string field "text"',
        '"text" must be a string, got int', "empty line", "not UTF-8"]
    for o in scored:
        assert -1 <= o["sentiment"] <= 1 and 0 <= o["sentiment_confidence"] <= 1
        assert o["sentiment_label"] in ("negative", "neutral", "positive")
        assert isinstance(o["tokens"], list) and isinstance(o["keywords"], list)
    by_id = {o["id"]: o for o in scored}
    assert by_id[1]["sentiment_label"] == "negative" and "死机" in by_id[1]["tokens"]
    assert by_id[2]["sentiment_label"] == "positive"
    assert by_id[4]["tokens"] == [] and by_id[4]["keywords"] == []


def test_all_good_lines_exit_zero(model_cfg, tmp_path):
    cfg_file = write_cfg(model_cfg, tmp_path / "config.yaml")
    env = {**os.environ, "YUQING_CONFIG": str(cfg_file), "YUQING_HOME": str(model_cfg.home_dir)}
    data = "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in ["太差了，再也不买了", "还行吧", "非常满意"])
    r = subprocess.run([sys.executable, "-m", "yuqing.app", "score"], input=data.encode("utf-8"), capture_output=True,
                       env=env, cwd=str(ROOT), timeout=600)
    assert r.returncode == 0, r.stderr.decode()
    out = [json.loads(x) for x in r.stdout.decode("utf-8").splitlines()]
    assert [o["text"] for o in out] == ["太差了，再也不买了", "还行吧", "非常满意"]
    assert out[0]["sentiment_label"] == "negative"


def test_enrich_scores_new_posts_and_keeps_imported_sentiment_unless_rescore(model_cfg):
    from datetime import datetime, timezone

    from pipelines.chain import Report
    from pipelines.enrich import Enrich
    from yuqing.post import Post

    t = datetime(2026, 11, 1, tzinfo=timezone.utc)

    def posts():
        return [Post(platform="weibo", post_id="1", text="质量太差了，再也不买了", published_at=t),
                Post(platform="weibo", post_id="2", text="质量太差了，退货", published_at=t,
                     sentiment=0.9, sentiment_label="positive", sentiment_confidence=0.95)]

    e = Enrich.from_config(model_cfg, store=None)
    e.store_lookup = False
    fresh, imported = e.process_batch(posts(), Report())
    assert fresh.sentiment_label == "negative" and fresh.sentiment < 0
    assert (imported.sentiment, imported.sentiment_label) == (0.9, "positive")  # an import keeps its label
    again = Enrich(model_cfg.model_copy(update={"nlp": model_cfg.nlp.model_copy(update={"rescore": True})}),
                   e.analyser, e.scorer)
    _, rescored = again.process_batch(posts(), Report())
    assert rescored.sentiment_label == "negative"
