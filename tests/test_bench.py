"""`yuqing bench` starts: every stage module imports (a broken import once hid every stage), and
one cheap stage runs end to end through the CLI. Figures are never asserted on time."""
from __future__ import annotations

import json


def test_every_stage_registers():
    from bench.run import STAGES

    assert set(STAGES) == {"index", "crawl", "nlp", "alerts", "alert_latency", "segment", "simhash", "events", "nlp-cost"}


def test_bench_runs_a_stage_through_the_cli(cli):
    r = cli("bench", "--stage", "simhash", "--posts", "400", "--json")
    assert r.returncode == 0, r.stderr[-2000:]
    report = json.loads(r.stdout[r.stdout.index("{"):])
    assert set(report) == {"simhash"} and report["simhash"], report
    bad = cli("bench", "--stage", "nosuch")
    assert bad.returncode != 0 and "unknown bench stage(s) nosuch" in bad.stderr + bad.stdout
