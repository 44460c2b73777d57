"""`yuqing ingest`: JSON lines → the pipeline chain → Elasticsearch (or the spool)."""
from __future__ import annotations

import json
import sys
from typing import IO

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from pipelines.build import build_pipeline
from pipelines.spool import spool_for
from yuqing.app.config import Config
from yuqing.store import Store, StoreUnavailable

MAX_SHOWN = 20


def ingest_lines(cfg: Config, stream: IO[str], name: str, nlp: bool, console: Console, as_json: bool = False) -> int:
    pipe = build_pipeline(cfg, nlp=nlp)
    progress = Progress(TextColumn("ingesting {task.description}"), BarColumn(), TextColumn("{task.completed} lines"),
                        TimeElapsedColumn(), console=Console(stderr=True), disable=not sys.stderr.isatty())
    with progress:
        task = progress.add_task(name, total=None)
        for lineno, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as e:
                pipe.report.read += 1
                pipe.report.rejected.append((lineno, f"not valid JSON ({e.msg} at column {e.colno})"))
                continue
            pipe.feed(item, ref=lineno)
            progress.advance(task)
        report = pipe.close()
    r = report
    if as_json:
        d = r.as_dict()
        d["rejected_lines"] = [{"line": ln, "reason": why} for ln, why in r.rejected]
        d["store_errors"] = [{"id": i, "reason": why} for i, why in r.errors]
        console.print_json(json.dumps(d, ensure_ascii=False))
    else:
        console.print(f"{name}: read {r.read}, indexed {r.created}, updated {r.updated}, rejected {len(r.rejected)}"
                      + (f", duplicates {r.duplicates}" if r.duplicates else "")
                      + (f", spooled {r.spooled} (Elasticsearch unreachable; run `yuqing ingest --retry-spool`)"
                         if r.spooled else ""), highlight=False)
        for ln, why in r.rejected[:MAX_SHOWN]:
            console.print(f"  line {ln}: {why}", highlight=False, markup=False)
        if len(r.rejected) > MAX_SHOWN:
            console.print(f"  ... and {len(r.rejected) - MAX_SHOWN} more rejected lines")
        for doc_id, why in r.errors[:MAX_SHOWN]:
            console.print(f"  {doc_id}: refused by Elasticsearch: {why}", highlight=False, markup=False)
    processed = r.created + r.updated + r.spooled + r.duplicates
    if r.read == 0:
        console.print(f"{name}: no posts to ingest", highlight=False)
        return 1
    return 0 if processed else 1


def drain_spool(cfg: Config, console: Console, as_json: bool = False) -> int:
    spool = spool_for(cfg)
    backlog = spool.backlog()
    if not backlog:
        console.print("spool: empty")
        return 0
    try:
        res = spool.drain(Store(cfg.elasticsearch))
    except StoreUnavailable as e:
        console.print(f"spool: {backlog} posts still waiting: {e}", highlight=False)
        return 1
    if as_json:
        console.print_json(json.dumps(res.__dict__))
    else:
        console.print(f"spool: wrote {res.created + res.updated} posts from {res.files} files "
                      f"(new {res.created}, updated {res.updated}, refused {res.errors}, left {res.left})",
                      highlight=False)
    return 0 if res.left == 0 else 1
