"""Distant sentiment labels from the emoticons on a deployment's own collected posts.

The shipped model learnt from shopping reviews only, and no labelled Chinese post or news text
can be had from the package registries (README, "Training data beyond reviews"). A deployment
that collects posts holds the signal that exists instead: the platform emoticons people add to
what they write. A post whose bracket emoticons all lean one way ([怒] [吐] against [赞] [哈哈])
gets that label (Go, Bhayani & Huang 2009 did this with ":)" and ":(" on tweets; Zhao et al. 2012
with Weibo's emoticons). The emoticons' classes are the project's own DUTIR table
(`nlp/data/emotions.tsv`): 乐 好 positive; 怒 哀 恶 惧 negative; 惊 neither.

What keeps it honest:
- every emoticon is removed from the text kept, so a model trained on it learns the words around
  the emoticon, not the emoticon (which it would then need in order to be right); the text kept is
  the cleaned one the model reads when scoring (nlp/text.py: no @handles or links, simplified);
- posts with emoticons of both leanings, or only ambiguous ones, get no label; AMBIGUOUS names
  those used ironically more often than not on Weibo and Douyin ([笑cry] under a complaint, [允悲]);
- copies and near-copies (reposts, copied complaints) count once (`data.dedupe`'s rule);
- no text whose normalised form is in an evaluation set (the held-out reviews, the author-written
  posts) is kept;
- a fixed share, chosen by a hash of the normalised text, is the `eval` part: never trained on,
  it measures agreement with the emoticons on the deployment's own kind of text (`yuqing model
  eval --distant`). Agreement with emoticons is not accuracy: the labels are noisy and say
  nothing about posts without emoticons; the README says so next to every figure.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from nlp import data
from nlp.emotions import DATA
from nlp.text import clean

POSITIVE = frozenset("乐 好".split())
NEGATIVE = frozenset("怒 哀 恶 惧".split())
AMBIGUOUS = frozenset("笑cry 笑哭 允悲 骷髅 微笑 doge 二哈 摊手 吃瓜 滑稽 奸笑 旺柴 汗".split())
EVAL_SHARE = 0.2      # of the labelled texts, by hash: kept for evaluation, never trained on
MIN_CHARS = 6         # letters and digits left once the emoticons are gone
_EMOTICON = re.compile(r"\[([^\[\]\s]{1,8})\]")
HEADER = "# label<TAB>part<TAB>text: distant labels from emoticons (nlp/distant.py); not gold labels\n"


class DistantError(ValueError):
    pass


def leanings(path: Path = DATA / "emotions.tsv") -> dict[str, int]:
    """emoticon name -> 1 (positive) or 0 (negative), from the emoticon rows of the emotion table."""
    out: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, cls = line.partition("\t")
        m = _EMOTICON.fullmatch(word.strip())
        if not m or m.group(1) in AMBIGUOUS:
            continue
        if cls.strip() in POSITIVE:
            out[m.group(1).lower()] = 1
        elif cls.strip() in NEGATIVE:
            out[m.group(1).lower()] = 0
    return out


@dataclass
class Labeler:
    lean: dict[str, int] = field(default_factory=leanings)

    def label(self, text: str | None) -> tuple[int | None, str, str]:
        """(label or None, the text without emoticons, why not when None)."""
        text = text or ""
        names = [m.group(1).lower() for m in _EMOTICON.finditer(text)]
        bare = re.sub(r"\s{2,}", " ", _EMOTICON.sub(" ", text)).strip()
        votes = {self.lean[n] for n in names if n in self.lean}
        if not names:
            return None, bare, "no emoticon"
        if not votes:  # ambiguous ones do not vote: "[笑cry][怒]" is negative, "[笑cry]" nothing
            return None, bare, ("only ambiguous emoticons" if any(n in AMBIGUOUS for n in names)
                                else "no emoticon with a leaning")
        if len(votes) > 1:
            return None, bare, "emoticons of both leanings"
        if sum(c.isalnum() for c in bare) < MIN_CHARS:
            return None, bare, f"under {MIN_CHARS} characters without emoticons"
        return votes.pop(), bare, ""


def part_of(core: str) -> str:
    """'eval' or 'train', fixed by the normalised text: a text keeps its part across harvests."""
    h = int.from_bytes(hashlib.sha256(core.encode("utf-8")).digest()[:8], "big")
    return "eval" if h / 2**64 < EVAL_SHARE else "train"


def held_out_cores() -> set[str]:
    """Normalised texts of every evaluation set: the held-out reviews (everything past the train
    cut, a superset of validation and test) and the author-written posts. A harvested text equal
    to one of them is dropped."""
    return {data.normalise(t) for t in data.held_out_reviews()} | {
        data.normalise(t) for _, _, t in data.eval_posts()}


@dataclass
class Harvest:
    rows: list[tuple[int, str, str]]          # (label, part, text)
    seen: int = 0
    skipped: Counter = field(default_factory=Counter)

    def count(self, part: str | None = None, label: int | None = None) -> int:
        return sum((part is None or p == part) and (label is None or y == label) for y, p, _ in self.rows)


def harvest(texts: Iterable[str | None], labeler: Labeler | None = None,
            exclude: set[str] | None = None) -> Harvest:
    labeler = labeler or Labeler()
    exclude = held_out_cores() if exclude is None else exclude
    out = Harvest([])
    found: list[tuple[str, int]] = []
    for text in texts:
        out.seen += 1
        y, bare, why = labeler.label(text)
        if y is None:
            out.skipped[why] += 1
        elif data.normalise(bare) in exclude:
            out.skipped["in an evaluation set"] += 1
        else:
            found.append((clean(bare).text, y))  # what the model reads when it scores: no @handles, no links
    kept, copies, conflicts = data.dedupe(found)
    out.skipped["copy or near-copy"] += copies
    out.skipped["copies with both labels"] += conflicts
    out.rows = [(found[i][1], part_of(data.normalise(found[i][0])), found[i][0]) for i in kept]
    return out


def write(path: Path, rows: list[tuple[int, str, str]]) -> None:
    lines = [f"{data.LABELS[2] if y else data.LABELS[0]}\t{p}\t{t.replace(chr(9), ' ').replace(chr(10), ' ')}"
             for y, p, t in rows]
    path.write_text(HEADER + "\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")


def read(path: Path, part: str) -> list[tuple[str, int]]:
    """(text, label) of one part of a harvested file; a malformed line is an error naming it."""
    if part not in ("train", "eval"):
        raise DistantError(f"part must be train or eval, not {part!r}")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise DistantError(f"cannot read the distant-label file {path}: {e.strerror or e}") from None
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 3 or cols[0] not in ("negative", "positive") or cols[1] not in ("train", "eval"):
            raise DistantError(f"{path}:{n}: expected 'negative|positive<TAB>train|eval<TAB>text' "
                               "(written by `yuqing model harvest`)")
        if cols[1] == part:
            out.append((cols[2], int(cols[0] == "positive")))
    return out
