"""Keyed pseudonyms for authors (假名化), and the key they depend on.

A plain hash of an author id can be reversed by hashing every id a platform has, so the
pseudonym is HMAC-SHA256 under a secret key. The same author on the same platform always gets
the same pseudonym while the key is unchanged, so per-author rules (influencers) and erasure
still work; without the key nobody can link a pseudonym back to the account.

The key comes from YUQING_PSEUDO_KEY. The daemon refuses to start without it (`require_pseudo_key`),
and a crawl or an ingest refuses to store posts without it (`pipeline_key`), because a key
generated on the fly would pseudonymise the same author differently from the daemon, split every
author into two and hide posts from erasure. Only a config that opts in with `privacy.local_key`
(the demo writes it into its own config, the tests into theirs) gets a local key file, generated
once under YUQING_HOME (mode 600) and announced in the log.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the root config is the shell's; this stage only reads its sections
    from yuqing.app.config import Config


log = logging.getLogger(__name__)

ENV = "YUQING_PSEUDO_KEY"
KEY_FILE = "pseudo.key"
MIN_KEY_CHARS = 16
PREFIX = "ps_"
PSEUDONYM = re.compile(r"^ps_[0-9a-f]{32}$")
_announced: set[str] = set()


class PseudoKeyError(Exception):
    """No usable pseudonymisation key; the message says how to provide one."""


def _hint() -> str:
    return (f"export {ENV}=$(python -c 'import secrets; print(secrets.token_hex(32))') and keep it safe: "
            "every stored author pseudonym depends on it")


def key_path(cfg: Config) -> Path:
    return cfg.home_dir / KEY_FILE


def _check(key: str, where: str) -> bytes:
    key = key.strip()
    if len(key) < MIN_KEY_CHARS:
        raise PseudoKeyError(f"{where} is too short ({len(key)} characters, need at least {MIN_KEY_CHARS}); "
                             + _hint())
    return key.encode("utf-8")


def require_pseudo_key(cfg: Config) -> bytes | None:
    """For `yuqing run`: the key from the environment, or PseudoKeyError. None if pseudonymisation is off."""
    if not cfg.privacy.pseudonymise:
        return None
    value = os.environ.get(ENV)
    if not value:
        raise PseudoKeyError(f"{ENV} is not set; the daemon will not store posts without a stable "
                             f"pseudonymisation key. " + _hint())
    return _check(value, ENV)


def pipeline_key(cfg: Config) -> bytes | None:
    """For everything that stores posts (crawl, ingest): the key from YUQING_PSEUDO_KEY, the
    local key file only where `privacy.local_key` opts in, else PseudoKeyError in one line.
    None if pseudonymisation is off."""
    if not cfg.privacy.pseudonymise:
        return None
    if os.environ.get(ENV) or cfg.privacy.local_key:
        return pseudo_key(cfg)
    path = key_path(cfg)
    keep = (f"; to keep the pseudonyms already made with the local key file, export {ENV}=$(cat {path})"
            if path.exists() else "")
    raise PseudoKeyError(f"{ENV} is not set; posts are not stored without the stable pseudonymisation key "
                         f"the daemon uses: " + _hint() + keep)


def pseudo_key(cfg: Config, create: bool = True) -> bytes:
    """The key from YUQING_PSEUDO_KEY, else the local key file (generated when `create`).

    The pipeline goes through `pipeline_key`, which allows the file only for the demo and tests.
    Erase and export pass create=False: a fresh key would match nobody and report a false zero.
    """
    value = os.environ.get(ENV)
    if value:
        return _check(value, ENV)
    path = key_path(cfg)
    if not path.exists():
        if not create:
            raise PseudoKeyError(f"{ENV} is not set and there is no local key file at {path}; "
                                 "use the key the posts were stored with. " + _hint())
        _create(path)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        log.warning("pseudonymisation key file %s is readable by others (mode %o); run chmod 600 %s",
                    path, mode, path)
    key = _check(path.read_text(encoding="utf-8"), str(path))
    if str(path) not in _announced:
        _announced.add(str(path))
        log.debug("author pseudonyms use the local key file %s (set %s in production)", path, ENV)
    return key


def _create(path: Path) -> None:
    """Write a new random key atomically; if another process won the race, keep theirs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(secrets.token_hex(32) + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            return
    finally:
        tmp.unlink(missing_ok=True)
    _announced.add(str(path))
    log.warning("%s is not set: generated a local pseudonymisation key at %s (mode 600), for the demo and "
                "tests only; a real crawl, ingest and `yuqing run` need %s. Erasure needs the same key.",
                ENV, path, ENV)


class Pseudonymiser:
    """Maps (platform, raw id) to a stable pseudonym under one key."""

    def __init__(self, key: bytes):
        self._key = key

    def _mac(self, kind: str, platform: str, value: str) -> str:
        msg = f"{kind}\x1f{platform}\x1f{value}".encode("utf-8")
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()[:32]

    def author_id(self, platform: str, raw: str) -> str:
        """Scoped by platform: the same id string on two platforms is two different people."""
        return PREFIX + self._mac("id", platform, normalise_id(raw))

    def author_name(self, platform: str, raw: str) -> str:
        """Readable in reports (网友 + 8 hex), but with no link to the display name."""
        return "网友" + self._mac("name", platform, raw.strip())[:8]


def normalise_id(raw: object) -> str:
    """The same normalisation the Post schema applies, so a CLI argument matches a stored id."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return str(int(raw))
    return str(raw).strip()


def is_pseudonym(value: str | None) -> bool:
    return bool(value) and bool(PSEUDONYM.match(value))  # type: ignore[arg-type]
