"""`yuqing bench`: one harness, one report keyed by stage.

Each stage is a function `(cfg, console, **opts) -> dict` registered in STAGES; it returns its
figures and ratios. Later stages (crawl, NLP, alert latency) register themselves the same way.
Numbers are measured on the machine at hand against the configured Elasticsearch; tests never
time anything.
"""
from __future__ import annotations

import importlib
import time
import uuid
from typing import Callable

from rich.console import Console
from rich.table import Table

from yuqing.config import Config

STAGES: dict[str, Callable[..., dict]] = {}


def stage(name: str):
    def deco(f):
        STAGES[name] = f
        return f
    return deco


@stage("index")
def bench_index(cfg: Config, console: Console, n_posts: int = 20000, **_) -> dict:
    """yuqing's writer (existence lookup + create/update + spool guard) against a raw
    `helpers.bulk` of the same documents, into fresh indices on the same node, in one run."""
    from elasticsearch import helpers

    from bench.synth import posts as synth_posts
    from yuqing.store import Store

    posts = synth_posts(n_posts)
    run_id = uuid.uuid4().hex[:6]
    ours = Store(cfg.elasticsearch.model_copy(update={"index_prefix": f"bench-{run_id}-yq"}))
    raw_index = f"bench-{run_id}-raw"
    es = ours.es
    chunk = cfg.elasticsearch.bulk_chunk
    try:
        # Warm-up on both paths so JIT and index creation do not count.
        ours.upsert(posts[:chunk])
        helpers.bulk(es, ({"_index": raw_index, "_id": p.doc_id, "_source": p.to_doc()} for p in posts[:chunk]),
                     chunk_size=chunk)
        body = posts[chunk:]
        t0 = time.perf_counter()
        for i in range(0, len(body), chunk):
            ours.upsert(body[i:i + chunk])
        t_ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        helpers.bulk(es, ({"_index": raw_index, "_id": p.doc_id, "_source": p.to_doc()} for p in body),
                     chunk_size=chunk)
        t_raw = time.perf_counter() - t0
        # Re-ingest: every post is an update now (the idempotent path).
        t0 = time.perf_counter()
        ours.refresh()
        for i in range(0, len(body), chunk):
            ours.upsert(body[i:i + chunk])
        t_update = time.perf_counter() - t0
        ours.refresh()
        stored = ours.count()
    finally:
        ours.drop_all()
        es.indices.delete(index=raw_index, ignore_unavailable=True)
    n = len(body)
    return {"posts": n, "yuqing_docs_per_s": round(n / t_ours), "raw_bulk_docs_per_s": round(n / t_raw),
            "ratio": round((n / t_ours) / (n / t_raw), 3), "reingest_docs_per_s": round(n / t_update),
            "stored": stored, "goal_ratio": 0.8}


def _load_plugins() -> None:
    for mod in ("bench.crawl", "bench.nlp", "bench.alerts"):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name != mod:
                raise


def run(cfg: Config, stages: list[str], n_posts: int, console: Console) -> dict:
    _load_plugins()
    names = stages or list(STAGES)
    unknown = [s for s in names if s not in STAGES]
    if unknown:
        raise SystemExit(f"unknown bench stage(s) {', '.join(unknown)}; known: {', '.join(STAGES)}")
    report: dict = {}
    for name in names:
        console.print(f"bench: {name} ...")
        report[name] = STAGES[name](cfg, console, n_posts=n_posts)
    t = Table(title="yuqing bench")
    t.add_column("stage")
    t.add_column("figures")
    for name, figs in report.items():
        t.add_row(name, ", ".join(f"{k}={v}" for k, v in figs.items()))
    console.print(t)
    return report
