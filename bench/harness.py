"""`yuqing bench`: one harness, one report keyed by stage.

Each stage is a function `(cfg, console, **opts) -> dict` registered in STAGES with `@stage`;
it returns its figures and ratios. The stages live in their own modules, which `bench.run`
imports plainly (so a broken one fails at once, and a test imports them all).
Numbers are measured on the machine at hand against the configured Elasticsearch; tests never
time anything.
"""
from __future__ import annotations

import time
import uuid
from typing import Callable

from rich.console import Console

from yuqing.app.config import Config

STAGES: dict[str, Callable[..., dict]] = {}


def stage(name: str):
    def deco(f):
        STAGES[name] = f
        return f
    return deco


@stage("index")
def bench_index(cfg: Config, console: Console, n_posts: int = 20000, rounds: int = 3, **_) -> dict:
    """yuqing's writer (existence lookup + create/update, spool guard) against a raw
    `helpers.bulk` of the same documents into identically templated monthly indices on the same
    node, in one run. Rounds alternate between the two paths (the machine is shared, so noise is
    real); each path's median round is reported."""
    import statistics

    from elasticsearch import helpers

    from bench.synth import posts as synth_posts
    from yuqing.store import Store

    posts = synth_posts(n_posts)
    chunk = cfg.elasticsearch.bulk_chunk
    run_id = uuid.uuid4().hex[:6]
    t_ours: list[float] = []
    t_raw: list[float] = []
    t_update: list[float] = []
    stored = 0
    for r in range(rounds):
        ours = Store(cfg.elasticsearch.model_copy(update={"index_prefix": f"bench-{run_id}-{r}-yq"}))
        raw = Store(cfg.elasticsearch.model_copy(update={"index_prefix": f"bench-{run_id}-{r}-raw"}))
        raw.setup()
        try:
            def write_ours():
                t0 = time.perf_counter()
                for i in range(0, len(posts), chunk):
                    ours.upsert(posts[i:i + chunk])
                t_ours.append(time.perf_counter() - t0)

            def write_raw():
                t0 = time.perf_counter()
                helpers.bulk(raw.es, ({"_index": raw.index_for(p), "_id": p.doc_id, "_source": p.to_doc()}
                                      for p in posts), chunk_size=chunk)
                t_raw.append(time.perf_counter() - t0)

            for write in ((write_ours, write_raw) if r % 2 == 0 else (write_raw, write_ours)):
                write()
            ours.refresh()
            t0 = time.perf_counter()  # re-ingest: every post is an update now (the idempotent path)
            for i in range(0, len(posts), chunk):
                ours.upsert(posts[i:i + chunk])
            t_update.append(time.perf_counter() - t0)
            ours.refresh()
            stored = ours.count()
        finally:
            ours.drop_all()
            raw.drop_all()
    n = len(posts)
    ours_s, raw_s, upd_s = (statistics.median(x) for x in (t_ours, t_raw, t_update))
    return {"posts": n, "rounds": rounds, "yuqing_docs_per_s": round(n / ours_s), "raw_bulk_docs_per_s": round(n / raw_s),
            "ratio": round(raw_s / ours_s, 3), "reingest_docs_per_s": round(n / upd_s),
            "stored_after_reingest": stored, "goal_ratio": 0.8}
