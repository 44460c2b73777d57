"""Keywords per post: TF-IDF over the post's own tokens.

This is jieba.analyse's TF-IDF (same formula, same default IDF table, same median for unknown
words, same "at least two characters" rule), but run on the tokens the project segmenter already
produced: jieba.analyse would segment every post a second time with jieba's global dictionary,
which neither knows the brand words nor runs at rjieba's speed.

The default IDF comes from jieba's general corpus, where words like 客服 or 发货 are rare and so
crowd every e-commerce post's keywords. `yuqing keywords fit` refits IDF on the indexed posts and
saves it under `$YUQING_HOME/nlp/idf.txt`; it is used as soon as it exists.
"""
from __future__ import annotations

import heapq
import logging
import math
import os
from collections import Counter
from pathlib import Path
from typing import Iterable

log = logging.getLogger(__name__)

MIN_DOCS = 1000  # below this, document frequencies say more about chance than about the corpus


def idf_path(cfg) -> Path:
    return cfg.home_dir / "nlp" / "idf.txt"


def default_idf_path() -> Path:
    import jieba.analyse

    return Path(jieba.analyse.__file__).parent / "idf.txt"


def read_idf(path: Path) -> dict[str, float]:
    idf: dict[str, float] = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            parts = line.split()
            if not parts or line.startswith("#"):
                continue
            try:
                idf[parts[0]] = float(parts[1])
            except (IndexError, ValueError):
                raise ValueError(f"{path}:{n}: expected 'word idf', got {line.strip()!r}") from None
    if not idf:
        raise ValueError(f"{path}: no entries")
    return idf


class Keywords:
    def __init__(self, idf: dict[str, float], top: int = 8, source: str = ""):
        self.idf = idf
        self.median = sorted(idf.values())[len(idf) // 2]
        self.top = top
        self.source = source

    @classmethod
    def load(cls, cfg) -> "Keywords":
        fitted = idf_path(cfg)
        path = fitted if fitted.exists() else default_idf_path()
        try:
            idf = read_idf(path)
        except ValueError as e:
            if path != fitted:
                raise
            log.warning("%s; using jieba's default IDF (refit with `yuqing keywords fit`)", e)
            path = default_idf_path()
            idf = read_idf(path)
        return cls(idf, cfg.nlp.keywords, str(path))

    def extract(self, tokens: list[str], top: int | None = None) -> list[str]:
        """The `top` tokens by tf × idf; ties keep first-seen order (nlargest is stable)."""
        top = self.top if top is None else top
        words = [t for t in tokens if len(t) >= 2]
        if not words or top <= 0:
            return []
        tf = Counter(words)
        idf, med = self.idf, self.median
        return heapq.nlargest(top, tf, key=lambda w: tf[w] * idf.get(w, med))


def fit_idf(token_lists: Iterable[list[str]], path: Path, min_docs: int = MIN_DOCS) -> tuple[int, int]:
    """Document frequencies → `word ln(N/df)` lines, written atomically (a half-written file is
    never read). Returns (documents, words). Refuses a corpus smaller than `min_docs`."""
    df: Counter[str] = Counter()
    n = 0
    for tokens in token_lists:
        n += 1
        df.update({t for t in tokens if len(t) >= 2})
    if n < min_docs:
        raise ValueError(f"only {n} posts with tokens; at least {min_docs} are needed to fit IDF "
                         f"(jieba's default IDF stays in use)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"# fitted on {n} posts\n")
        for w, c in df.most_common():
            f.write(f"{w} {math.log(n / c):.6f}\n")
    os.replace(tmp, path)
    return n, len(df)
