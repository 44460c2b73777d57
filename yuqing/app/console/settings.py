"""The `console:` section of config.yaml: where the console listens, who may log in, how often
a wrong password may be tried. Passwords are argon2 hashes made by `yuqing serve hash-password`;
a plaintext password in the file is refused (and never echoed back)."""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from yuqing.config import Strict

SECRET_ENV = "YUQING_CONSOLE_SECRET"
SECRET_FILE = "console.key"
ROLES = ("viewer", "responder", "admin")
_LIMIT = re.compile(r"^\d+\s*(/|per)\s*\d*\s*(second|minute|hour|day)s?$")


class ConsoleUser(Strict):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[\w.@-]+$")
    role: Literal["viewer", "responder", "admin"] = "viewer"
    password_hash: str

    @field_validator("password_hash")
    @classmethod
    def _argon2(cls, v: str) -> str:
        if not v.startswith("$argon2"):
            raise ValueError("is not an argon2 hash (a plaintext password is never accepted); run "
                             "`yuqing serve hash-password` and paste the line it prints")
        return v


class ConsoleConfig(Strict):
    host: str = "127.0.0.1"  # only this machine; put a TLS reverse proxy in front to open it wider
    port: int = Field(8765, ge=1, le=65535)
    users: list[ConsoleUser] = []
    login_limit: str = "5/minute"  # wrong passwords per client address; the next one is refused (429)
    https: bool = False  # reached over https (a reverse proxy): session cookies get the Secure flag
    session_hours: int = Field(12, ge=1, le=24 * 30)

    @field_validator("login_limit")
    @classmethod
    def _limit(cls, v: str) -> str:
        if not _LIMIT.match(v.strip()):
            raise ValueError("is not a rate such as 5/minute or 20/hour")
        return v.strip()

    @field_validator("users")
    @classmethod
    def _unique(cls, v: list[ConsoleUser]) -> list[ConsoleUser]:
        names = [u.name for u in v]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"user {dup[0]!r} is listed twice; keep one entry per name")
        return v


def session_secret(home: Path) -> str:
    """YUQING_CONSOLE_SECRET, else a key file generated once under YUQING_HOME (mode 600), so
    sessions survive a restart without a secret in the config file."""
    value = os.environ.get(SECRET_ENV, "").strip()
    if value:
        if len(value) < 16:
            raise ValueError(f"{SECRET_ENV} is too short ({len(value)} characters, need at least 16)")
        return value
    path = home / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it a moment ago
            pass
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(secrets.token_hex(32))
    return path.read_text(encoding="utf-8").strip()
