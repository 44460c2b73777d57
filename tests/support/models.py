"""Reuse the model folder already built under $YUQING_HOME in a test's private home.

Building the model from the wheels (tests/nlp/test_sentiment.py checks that) takes minutes on a
busy 2-core box; tests that only need a scorer link `<home>/models` to the built one instead.
"""
from __future__ import annotations

import os
from pathlib import Path


def share_models(home: Path) -> Path:
    built = Path(os.environ.get("YUQING_HOME") or Path.home() / ".cache" / "yuqing") / "models"
    home.mkdir(parents=True, exist_ok=True)
    if built.is_dir() and not (home / "models").exists():
        (home / "models").symlink_to(built, target_is_directory=True)
    return home
