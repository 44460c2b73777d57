"""Record each finished crawl in Elasticsearch, one document per spider (its summary row), so
source health can be judged across runs (alerts rule `source_down`). Called by `yuqing crawl`,
which the scheduler runs too. A node that is down loses only this record, never the crawl."""
from __future__ import annotations

from datetime import datetime, timezone


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
    from elasticsearch import ApiError, ConnectionError as ESConnectionError, TransportError

    from yuqing.store import Store

    if not rows:
        return None
    try:
        Store(cfg.elasticsearch).crawl_runs_add([run_doc(r, started, finished) for r in rows])
    except (ESConnectionError, TransportError, ApiError, ValueError) as e:
        return f"crawl runs not recorded in Elasticsearch ({type(e).__name__}: {e}); source health misses this run"
    return None
