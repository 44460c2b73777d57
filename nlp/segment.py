"""Word segmentation with the project's vocabulary: jieba as the reference, rjieba when it agrees.

Brand and topic names ("星河X5", "青禾奶茶") must come out as one token or tag clouds, keywords
and alert terms fall apart, so the dictionary is built from the config's topics (name, keywords,
brands), the shipped e-commerce/internet terms (`data/*.dict`) and any extra files listed in
`nlp.user_dicts`. Text is lower-cased before segmentation and the dictionary is lower-cased too,
so "iPhone" and "IPHONE" meet the same entry.

jieba (pure Python) runs at ~1 MB/s; rjieba (jieba-rs, the same algorithm and default
dictionary, in Rust) at >20 MB/s. rjieba has no `load_userdict`, but it has `add_word`, so both
engines receive the same words with the same explicit frequencies. With `segmenter: auto` the
fast engine is used only after checking, at start-up, that it keeps every dictionary word whole;
otherwise jieba is used and the words it would split are logged. tests/nlp/test_text.py compares the
two engines on sentences built around every dictionary word.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from nlp.text import DATA

log = logging.getLogger(__name__)

# High enough that a brand name wins over the split a general dictionary would prefer in context
# (e.g. 青禾 + 奶茶 vs 青 + 禾奶 + 茶), low enough not to swallow neighbouring words; checked by
# tests/nlp/test_text.py on sentences around every dictionary word.
DEFAULT_FREQ = 20000
# jieba only looks words up inside runs of these characters; a dictionary word with anything else
# (a space, "·") can never match, so it is split at those characters instead.
_JIEBA_WORD = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+")
_WORDY = re.compile(r"\w")
_NUMBER = re.compile(r"[\d.,%‰+\-:/]+")  # 12%, 3.5, 10:30, 2024-11: figures, not topics


class SegmenterError(Exception):
    """A dictionary file is unreadable or malformed, or a requested engine cannot be used."""


@dataclass(frozen=True)
class Entry:
    freq: int
    tag: str


def read_dict(path: Path) -> dict[str, Entry]:
    """jieba user-dictionary format: `word [freq] [tag]` per line, `#` comments."""
    out: dict[str, Entry] = {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise SegmenterError(f"cannot read dictionary {path}: {e}") from None
    for n, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        word, freq, tag = parts[0], DEFAULT_FREQ, "n"
        rest = parts[1:]
        if rest and rest[0].isdigit():
            freq = int(rest.pop(0))
        if rest:
            tag = rest.pop(0)
        if rest:
            raise SegmenterError(f"{path}:{n}: expected 'word [freq] [tag]', got {line!r}")
        out[word.lower()] = Entry(freq, tag)
    return out


def read_stopwords(path: Path = DATA / "stopwords.txt") -> frozenset[str]:
    words = (w.strip().lower() for w in path.read_text(encoding="utf-8").splitlines())
    return frozenset(w for w in words if w and not w.startswith("#"))


def config_words(cfg) -> dict[str, Entry]:
    """Topic names, keywords and brands from the config, split where jieba would split them."""
    out: dict[str, Entry] = {}
    for t in cfg.topics:
        for w, tag in [(t.name, "nz"), *((k, "nz") for k in t.keywords), *((b, "nz") for b in t.brands)]:
            for piece in _JIEBA_WORD.findall(w.lower()):
                if len(piece) > 1:
                    out[piece] = Entry(DEFAULT_FREQ, tag)
    return out


def project_words(cfg=None, extra_files: Iterable[str | Path] = ()) -> dict[str, Entry]:
    words: dict[str, Entry] = {}
    for f in sorted(DATA.glob("*.dict")):
        words.update(read_dict(f))
    for f in extra_files:
        words.update(read_dict(Path(f).expanduser()))
    if cfg is not None:
        words.update(config_words(cfg))
    return {w: e for w, e in words.items() if _JIEBA_WORD.fullmatch(w)}


class JiebaEngine:
    name = "jieba"

    def __init__(self, words: dict[str, Entry]):
        import jieba

        jieba.setLogLevel(logging.WARNING)
        self.tk = jieba.Tokenizer()
        for w, e in words.items():
            self.tk.add_word(w, e.freq, e.tag)

    def cut(self, text: str) -> list[str]:
        return self.tk.lcut(text)


class RjiebaEngine:
    name = "rjieba"

    def __init__(self, words: dict[str, Entry]):
        import rjieba

        self.tk = rjieba.Jieba()
        for w, e in words.items():
            self.tk.add_word(w, e.freq, e.tag)

    def cut(self, text: str) -> list[str]:
        return self.tk.cut(text)


def splits_words(engine, words: Iterable[str]) -> list[str]:
    """Dictionary words the engine does not return as one token when they stand alone."""
    return [w for w in words if engine.cut(w) != [w]]


class Segmenter:
    def __init__(self, words: dict[str, Entry], stopwords: frozenset[str] | None = None, engine: str = "auto"):
        self.words = words
        self.stopwords = read_stopwords() if stopwords is None else stopwords
        self.engine = self._engine(engine)

    def _engine(self, choice: str):
        if choice == "jieba":
            return JiebaEngine(self.words)
        if choice not in ("auto", "rjieba"):
            raise SegmenterError(f"unknown segmenter {choice!r}; use auto, jieba or rjieba")
        try:
            fast = RjiebaEngine(self.words)
        except ImportError as e:
            if choice == "rjieba":
                raise SegmenterError(f"segmenter rjieba is not installed ({e})") from None
            log.warning("rjieba not installed (%s); segmenting with jieba (~1 MB/s)", e)
            return JiebaEngine(self.words)
        bad = splits_words(fast, self.words)
        if bad:
            msg = f"rjieba splits {len(bad)} dictionary words (e.g. {', '.join(bad[:5])})"
            if choice == "rjieba":
                raise SegmenterError(msg)
            log.warning("%s; segmenting with jieba instead", msg)
            return JiebaEngine(self.words)
        return fast

    @classmethod
    def from_config(cls, cfg) -> "Segmenter":
        return cls(project_words(cfg, cfg.nlp.user_dicts), engine=cfg.nlp.segmenter)

    def cut(self, text: str) -> list[str]:
        """Every token, whitespace and punctuation included (what the engine returns)."""
        return self.engine.cut(text.lower()) if text else []

    def tokens(self, text: str) -> list[str]:
        """Tokens for tag clouds and keywords: no stop-words, punctuation, spaces or bare figures
        (12, 12%, 3.5; a number counts only when the dictionary knows it, like 618 or 12315)."""
        return self.keep(self.cut(text))

    def keep(self, cut: list[str]) -> list[str]:
        """`tokens` of words already cut (the analyser cuts once for tokens and emotions)."""
        out = []
        stop, words = self.stopwords, self.words
        for t in cut:
            if t in stop:
                continue
            if not t.isalnum():  # fast path for plain words; mixed tokens like "c++" get a closer look
                if not _WORDY.search(t) or (_NUMBER.fullmatch(t) and t not in words):
                    continue
            elif t.isdigit() and t not in words:
                continue
            if len(t) == 1 and t.isascii():
                continue
            out.append(t)
        return out
