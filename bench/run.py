"""`yuqing bench`: every stage module imported plainly (each registers itself in
`bench.harness.STAGES`), then the stages asked for run one after the other into one report."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from bench import alerts, alerts_scale, crawl, events, nlp, segment, simhash
from bench.harness import STAGES
from yuqing.app.config import Config

MODULES = (alerts, alerts_scale, crawl, events, nlp, segment, simhash)  # importing them registers their stages


def run(cfg: Config, stages: list[str], n_posts: int, console: Console, **opts) -> dict:
    names = stages or list(STAGES)
    unknown = [s for s in names if s not in STAGES]
    if unknown:
        raise SystemExit(f"unknown bench stage(s) {', '.join(unknown)}; known: {', '.join(STAGES)}")
    report: dict = {}
    for name in names:
        console.print(f"bench: {name} ...")
        report[name] = STAGES[name](cfg, console, n_posts=n_posts, **opts)
    t = Table(title="yuqing bench")
    t.add_column("stage")
    t.add_column("figures")
    for name, figs in report.items():
        t.add_row(name, ", ".join(f"{k}={v}" for k, v in figs.items()))
    console.print(t)
    return report
