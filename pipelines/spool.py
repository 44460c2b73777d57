"""A durable queue on disk for posts Elasticsearch could not take.

Each batch is one JSON-lines file written atomically (tmp + rename), so a crash while spooling
never leaves half a file. Draining writes a file's posts and deletes the file only when every
post in it was confirmed; writes are idempotent, so a retry after a partial drain duplicates
nothing.
"""
from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from yuqing.post import Post


def _count_lines(files: list[Path]) -> int:
    n = 0
    for f in files:
        with f.open("rb") as fh:
            n += sum(1 for _ in fh)
    return n


@dataclass
class DrainResult:
    files: int = 0
    created: int = 0
    updated: int = 0
    errors: int = 0
    left: int = 0


class Spool:
    def __init__(self, directory: Path):
        self.dir = Path(directory)

    def put(self, posts: list[Post]) -> Path | None:
        if not posts:
            return None
        self.dir.mkdir(parents=True, exist_ok=True)
        name = f"posts-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
        tmp = self.dir / (name + ".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            for p in posts:
                f.write(json.dumps(p.to_doc(), ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        final = self.dir / name
        tmp.rename(final)
        return final

    def files(self) -> list[Path]:
        if not self.dir.exists():
            return []
        return sorted(self.dir.glob("posts-*.jsonl"))

    def backlog(self) -> int:
        return _count_lines(self.files())

    def drain(self, store) -> DrainResult:
        """Write spooled posts to the store. Stops at the first file the store cannot take."""
        from yuqing.store import StoreUnavailable

        res = DrainResult()
        files = self.files()
        for i, f in enumerate(files):
            posts = [Post.model_validate_json(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
            try:
                r = store.upsert(posts)
            except StoreUnavailable:
                res.left = _count_lines(files[i:])
                raise
            res.created += r.created
            res.updated += r.updated
            res.errors += len(r.errors)
            if r.unwritten:
                # Keep only what is still owed, then stop: the node is going away.
                self.put(r.unwritten)
                f.unlink()
                res.left = len(r.unwritten) + _count_lines(files[i + 1:])
                return res
            if r.errors:
                # Documents the server refused (mapping errors) will not succeed on retry:
                # keep them aside for a person instead of looping on them.
                bad = self.dir / "rejected"
                bad.mkdir(exist_ok=True)
                f.rename(bad / f.name)
            else:
                f.unlink()
            res.files += 1
        return res


def spool_for(cfg) -> Spool:
    """The spool of a deployment: one folder per index prefix under $YUQING_HOME/spool."""
    return Spool(cfg.home_dir / "spool" / cfg.elasticsearch.index_prefix)
