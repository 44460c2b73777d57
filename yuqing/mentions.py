"""@mentions (@某人) in free text, by Weibo's rules for a nickname.

A Weibo nickname is 4-30 bytes of CJK characters, letters, digits, `_` or `-`, where a CJK
character counts two bytes; a mention ends at the first character that cannot be part of a
name: whitespace, punctuation, a colon (`//@某人:` in a repost chain). The same grammar serves
the privacy stage, which pseudonymises every mention, and the config check of
`privacy.public_accounts`, which may only list names a mention can carry. Kept in the core,
with no imports, because both the config model and the pipeline stage need it.
"""
from __future__ import annotations

import re
from collections.abc import Callable

MIN_BYTES = 4
MAX_BYTES = 30
NAME_CHARS = r"\u3400-\u4dbf\u4e00-\u9fffA-Za-z0-9_\-"
# Not right after a character of an e-mail address's local part: "zhang@example.com" is no mention.
MENTION = re.compile(rf"(?<![A-Za-z0-9_.%+\-@＠])[@＠]([{NAME_CHARS}]+)")
_NAME = re.compile(rf"[{NAME_CHARS}]+")


def name_bytes(name: str) -> int:
    """Length as Weibo counts it: two for a CJK character, one for anything else."""
    return sum(1 if ord(c) < 128 else 2 for c in name)


def head(run: str) -> str:
    """The longest start of `run` that fits in a name: a mention written with no space after
    it ("@张三你好") is read the way Weibo reads it, and the name is always within this part."""
    n = 0
    for i, c in enumerate(run):
        n += name_bytes(c)
        if n > MAX_BYTES:
            return run[:i]
    return run


def is_name(name: str) -> bool:
    return bool(_NAME.fullmatch(name)) and MIN_BYTES <= name_bytes(name) <= MAX_BYTES


def replace(text: str, repl: Callable[[str], str | None]) -> tuple[str, int]:
    """Call repl(name) for each mention; a string replaces the name, None keeps it.
    Returns the new text and how many names were replaced. Runs too short to be a name stay."""
    count = 0

    def sub(m: re.Match) -> str:
        nonlocal count
        run = m.group(1)
        name = head(run)
        if name_bytes(name) < MIN_BYTES:
            return m.group(0)
        new = repl(name)
        if new is None or new == name:
            return m.group(0)
        count += 1
        return m.group(0)[0] + new + run[len(name):]

    return MENTION.sub(sub, text), count
