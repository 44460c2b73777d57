"""The crawler's small JSON state (checkpoints, pending completions): one interface, `State`,
with `read()` and `update(change)`, kept in a file under $YUQING_HOME (`FileState`, this module)
or, with `sources.defaults.backend: redis`, in the Redis the crawl workers share
(`crawlers.redis_crawl.RedisState`).

Several crawls may end at once, so a write re-reads the file under an exclusive lock, merges,
and replaces it atomically; a damaged file is set aside for a person and read as empty, which
costs at most one fuller crawl (writes to the store are idempotent).
"""
from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Protocol


def read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        path.replace(path.with_suffix(".damaged"))
        return {}
    return data if isinstance(data, dict) else {}


@contextmanager
def update(path: Path) -> Iterator[dict]:
    """Yields the file's current content to change in place; written back when the block ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = read(path)
        yield current
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(current, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(path)


class State(Protocol):
    def read(self) -> dict: ...

    def update(self, change: Callable[[dict], None]) -> dict:
        """Apply `change` to the current content atomically (no other writer in between); returns it."""
        ...


class FileState:
    def __init__(self, path: Path):
        self.path = path

    def read(self) -> dict:
        return read(self.path)

    def update(self, change: Callable[[dict], None]) -> dict:
        with update(self.path) as current:
            change(current)
        return current


def as_state(where: Path | State) -> State:
    return FileState(where) if isinstance(where, Path) else where
