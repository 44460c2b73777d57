"""Incremental crawling: the newest post time seen per (spider, query).

Kept in a JSON file under `$YUQING_HOME/checkpoints/<index_prefix>.json` rather than in
Elasticsearch: a checkpoint belongs to the crawler's machine and run history, must be readable
when the cluster is down (posts then go to the spool and must not be re-fetched forever), and
one small file per index prefix keeps separate deployments (and tests) apart. Several crawls may
end at once, so saving re-reads the file under an exclusive lock and only moves times forward.
With `sources.defaults.backend: redis` the same JSON lives in the Redis the crawl workers share
(crawlers/redis_crawl.py), merged the same way in a transaction.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from crawlers import statefile

if TYPE_CHECKING:  # the root config is the shell's; this stage only reads its sections
    from yuqing.app.config import Config


def checkpoint_path(cfg: Config) -> Path:
    return cfg.home_dir / "checkpoints" / f"{cfg.elasticsearch.index_prefix}.json"


class Checkpoints:
    def __init__(self, where: Path | statefile.State):
        self.state = statefile.as_state(where)
        self.seen: dict[str, dict[str, str]] = self.state.read()  # damaged: costs one full re-crawl
        self.advanced: dict[tuple[str, str], datetime] = {}

    def get(self, spider: str, query: str) -> datetime | None:
        v = self.seen.get(spider, {}).get(query)
        return datetime.fromisoformat(v) if v else None

    def advance(self, spider: str, query: str, newest: datetime) -> None:
        key = (spider, query)
        if key not in self.advanced or newest > self.advanced[key]:
            self.advanced[key] = newest

    def save(self) -> None:
        if not self.advanced:
            return
        def merge(current: dict) -> None:
            for (spider, query), t in self.advanced.items():
                old = current.setdefault(spider, {}).get(query)
                if not old or datetime.fromisoformat(old) < t:
                    current[spider][query] = t.isoformat()

        self.seen = self.state.update(merge)
