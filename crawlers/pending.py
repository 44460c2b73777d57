"""Posts stored incomplete, to be completed by a later run (for now: Weibo long texts).

A long Weibo post arrives cut off (`isLongText`); its full text needs a second request
(`statuses/extend`), which the platform may refuse (403, 418 when it throttles). The post is then
stored with the start of its text and `text_truncated: true`. The next scheduled crawl cannot
be relied on to meet it again: the checkpoint stops paging at the first already-seen post, and
a post deeper in the results is never revisited. So the spider notes the post here and asks for
its full text again at the start of every run until it gets it, or until the post falls behind
the crawl's look-back floor.

Kept in `$YUQING_HOME/checkpoints/<index_prefix>.pending.json`, next to the checkpoints and for
the same reasons (it belongs to the crawler's machine; readable while Elasticsearch is down). It
holds what is needed to address the post and update it in place: post id, URL (no account id in
it), publication time and topics. No author, no text: nothing personal waits here outside the
privacy stage. Saving re-reads the file under an exclusive lock, so crawls ending together merge
their changes (with `sources.defaults.backend: redis` the same JSON lives in the shared Redis,
crawlers/redis_crawl.py). Unlike a checkpoint, new entries are saved also when a crawl stops early: a
resumed crawl does not fetch the same search pages again, so it would never meet those posts.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from crawlers import statefile
from yuqing.post import parse_time

if TYPE_CHECKING:  # the root config is the shell's; this stage only reads its sections
    from yuqing.app.config import Config

KEPT = ("url", "published_at", "topics")


def pending_path(cfg: Config) -> Path:
    return cfg.home_dir / "checkpoints" / f"{cfg.elasticsearch.index_prefix}.pending.json"


class Pending:
    """One spider's incomplete posts: `add()` on a failed completion, `done()` on a good one."""

    def __init__(self, where: Path | statefile.State, spider: str):
        self.state = statefile.as_state(where)
        self.spider = spider
        # damaged: those posts stay truncated in the store, flagged and findable
        self.entries: dict[str, dict] = self.state.read().get(spider, {})
        self.added: dict[str, dict] = {}
        self.removed: set[str] = set()

    def due(self, floor: datetime | None) -> tuple[list[tuple[str, dict]], list[str]]:
        """(entries to retry, ids dropped because they are older than the floor)."""
        keep, expired = [], []
        for post_id, e in self.entries.items():
            try:
                when = parse_time(e.get("published_at"))
            except ValueError:
                expired.append(post_id)
                continue
            if floor is not None and when < floor:
                expired.append(post_id)
            else:
                keep.append((post_id, e))
        for post_id in expired:
            self.done(post_id)
        return keep, expired

    def __contains__(self, post_id: str) -> bool:
        return post_id in self.added or (post_id in self.entries and post_id not in self.removed)

    def add(self, post: dict) -> None:
        entry = {k: post.get(k) for k in KEPT}
        when = entry["published_at"]
        entry["published_at"] = when.isoformat() if isinstance(when, datetime) else when
        self.added[post["post_id"]] = entry
        self.removed.discard(post["post_id"])

    def done(self, post_id: str) -> None:
        self.added.pop(post_id, None)
        self.removed.add(post_id)

    def save(self, removals: bool = True) -> None:
        """Write this run's changes. `removals=False` (a run that did not finish) keeps the posts
        it completed pending too: an extra request next time costs less than a post left cut off
        because its completion never reached the store."""
        if not removals:
            self.removed = set()
        if not self.added and not self.removed:
            return
        def merge(current: dict) -> None:
            mine = current.setdefault(self.spider, {})
            for post_id in self.removed:
                mine.pop(post_id, None)
            mine.update(self.added)
            if not mine:
                current.pop(self.spider)

        current = self.state.update(merge)
        self.entries, self.added, self.removed = current.get(self.spider, {}), {}, set()
