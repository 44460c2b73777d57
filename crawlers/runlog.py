"""Record each finished crawl in Elasticsearch, one document per spider (its summary row), so
source health can be judged across runs (alerts rule `source_down`). Called by `yuqing crawl`,
which the scheduler runs too. A node that is down loses only this record, never the crawl."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from yuqing.prune import before, delete_matching
from yuqing.store import Store, StoreError

CRAWLS_MAPPING = {"dynamic": False, "properties": {
    "spider": {"type": "keyword"}, "started_at": {"type": "date"}, "finished_at": {"type": "date"},
    "yielded": {"type": "boolean"}, "new": {"type": "integer"}, "updated": {"type": "integer"},
    "items": {"type": "integer"}, "seen": {"type": "integer"}, "failures_total": {"type": "integer"},
    "finish_reason": {"type": "keyword"}}}


def run_doc(row: dict, started: datetime, finished: datetime) -> dict:
    """The summary row (crawlers.run.summarise) as a run document; `yielded`: a new or updated post."""
    keep = ("spider", "requests", "pages", "items", "new", "updated", "spooled", "rejected", "seen",
            "failures", "finish_reason", "error", "ok")
    doc = {k: row[k] for k in keep if k in row}
    doc.update(started_at=started.astimezone(timezone.utc).isoformat(),
               finished_at=finished.astimezone(timezone.utc).isoformat(),
               failures_total=sum((row.get("failures") or {}).values()),
               yielded=bool(row.get("new", 0) + row.get("updated", 0) + row.get("spooled", 0)))
    return doc


def record(cfg, rows: list[dict], started: datetime, finished: datetime) -> str | None:
    """Write the runs; returns why not (for a warning) or None."""
    if not rows:
        return None
    try:
        add_runs(Store(cfg.elasticsearch), [run_doc(r, started, finished) for r in rows])
    except StoreError as e:
        return f"crawl runs not recorded in Elasticsearch ({e}); source health misses this run"
    return None


def add_runs(store: Store, docs: list[dict]) -> None:
    """Write run documents to `<prefix>-crawls` (searchable on return); StoreError if refused."""
    store.ensure_index(store.crawls_index, CRAWLS_MAPPING)
    refused = [info.get("error") for ok, _, info in store.bulk(
        {"_op_type": "index", "_index": store.crawls_index, "_source": d} for d in docs) if not ok]
    store.refresh(store.crawls_index)
    if refused:
        raise StoreError(f"crawl runs refused by {store.crawls_index}: {refused[0]}")


def prune_runs(store: Store, keep: timedelta, now: datetime) -> int:
    """Delete run documents that finished more than `keep` before `now` (the index is one, not
    monthly, so whole indices cannot be dropped: yuqing/prune.py). Returns how many went;
    StoreError if some were refused."""
    return delete_matching(store, store.crawls_index, before("finished_at", now - keep), "old crawl runs")
