"""Issue 17: a cycle of the alert engine costs a constant number of requests, whatever the number
of topics, and the histogram backtest raises exactly what the live engine raises when stepped
over the same instants (tests/support/crisis.py, the shipped default rules, a crawl source going
down and back up)."""
from __future__ import annotations

from datetime import timedelta as td

from alerts.backtest import backtest, grid_step
from alerts.engine import Engine, as_line, flatten
from alerts.rules import build_rules
from alerts.state import MemoryState
from bench.alerts_scale import Requests
from crawlers.runlog import add_runs, run_doc
from tests.conftest import make_cfg
from tests.support import crisis
from tests.support.alertdata import every, ingest, utc
from yuqing.store import Store

NOW = utc(2026, 11, 20, 6, 0)


def test_one_cycle_costs_the_same_requests_for_3_topics_as_for_30(es_node, tmp_path):
    names = [f"品牌{i:02d}号" for i in range(30)]
    cfg = make_cfg(es_node, tmp_path, topics=[{"name": n, "keywords": [n]} for n in names])
    store = Store(cfg.elasticsearch)
    try:
        items = []
        for n in names:  # quiet chatter over eight days: nothing fires
            items += every(n, NOW - td(days=8), NOW, td(hours=5)) + every(n, NOW - td(days=8), NOW, td(hours=2), "neutral")
        ingest(cfg, store, items)
        eng = Engine(cfg, store, outbox=None)
        assert eng.run_once(NOW - td(minutes=1), topics=names) == []  # creates the state index once
        seen = Requests(store)
        counts = {}
        for k in (3, 30):
            before = seen.n
            assert eng.run_once(NOW, topics=names[:k]) == []
            counts[k] = seen.n - before
        assert counts[3] == counts[30] <= 4, counts  # silences, rule states, one multi-search
    finally:
        store.drop_all()


def crawl(spider: str, at, **counts) -> dict:
    row = {"spider": spider, "requests": 3, "pages": 3, "items": 0, "new": 0, "updated": 0, "spooled": 0,
           "rejected": 0, "seen": 0, "failures": {}, "finish_reason": "finished", **counts}
    return run_doc(row, at - td(minutes=2), at)


def test_histogram_backtest_raises_what_the_live_engine_raises(es_node, tmp_path):
    cfg = make_cfg(es_node, tmp_path, topics=crisis.TOPICS)
    store = Store(cfg.elasticsearch)
    try:
        ingest(cfg, store, crisis.posts())
        burst = crisis.BURST_START.astimezone(NOW.tzinfo)
        add_runs(store, [crawl("weibo", burst - td(minutes=30), items=5, new=5)]
                 + [crawl("weibo", burst + td(minutes=m), failures={"login_page": 2}) for m in (10, 30, 50)]
                 + [crawl("weibo", burst + td(minutes=70), items=4, new=4)])
        store.refresh(store.crawls_index)
        night = crisis.NIGHT_POSTS[0].astimezone(NOW.tzinfo)
        ranges = [(night - td(minutes=17), night + td(minutes=45)), (burst - td(minutes=20), burst + td(hours=3))]
        live, hist = [], []
        for t0, t1 in ranges:
            eng = Engine(cfg, store, state=MemoryState(), outbox=None)
            t = t0
            while t <= t1:
                live += [as_line(a) for a in flatten(eng.run_once(t))]
                t += td(minutes=1)
            eng = Engine(cfg, store, state=MemoryState(), outbox=None, dress=False)  # as `alerts backtest`
            hist += [as_line(a) for _, msgs in backtest(eng, t0, t1, td(minutes=1)) for a in flatten(msgs)]
        rules = {(x["topic"], x["rule"], x["kind"]) for x in live}
        assert {(crisis.BURST, "negative_surprise", "alert"), ("weibo", "source_down", "alert"),
                ("weibo", "source_down", "recovery")} <= rules, rules
        assert hist == live
    finally:
        store.drop_all()


def test_the_grid_is_as_coarse_as_every_window_allows(cfg):
    rules = build_rules(cfg, "x")
    needs = [n for r in rules for n in r.needs(NOW)]
    # The surprise band's padding ((1 h - 15 min) / 2 = 22.5 min) puts window edges on half minutes.
    assert grid_step(NOW, td(minutes=1), needs) == td(seconds=30)
    assert grid_step(NOW, td(minutes=15), [n for r in rules if r.name != "negative_surprise" for n in r.needs(NOW)]) \
        == td(minutes=15)
