"""The crawler's small JSON state files (checkpoints, pending completions) under $YUQING_HOME.

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
from typing import Iterator


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
