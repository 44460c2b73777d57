"""`yuqing bench --stage alerts` (issue 17): one alert cycle over 1,000 topics × the default rules
on 30 days of synthetic posts (about 1.05 M, bulk-loaded once into the prefix `bench-alertscale`
and reused while complete; `--clean` drops them after the run), against the per-topic path, and
the histogram backtest of 30 days × all per-topic rules × 10 topics at 1-minute steps.

- batched cycle: `Engine.run_once` as the scheduler calls it (live state in Elasticsearch,
  silences, one multi-search for every topic and rule, noise control, and the alert text of the
  few rules that fire), five cycles 30 s apart; the median and the requests each sent;
- per-topic path: every rule evaluated one topic at a time (`Rule.evaluate(store, topic, now)`:
  one request per topic × rule, as the engine did before), on PER_TOPIC_SAMPLE topics and
  scaled linearly to all of them (said so in the figures);
- backtest: `alerts.backtest.backtest` with a MemoryState, topics of every size.

The posts are author-written and synthetic: topic sizes follow a Zipf-like law (the biggest
brand has ~21 k posts a month, the smallest ~270), a daily rhythm (quiet nights), 25 % negative,
a few complaints naming sensitive terms, follower counts from a Pareto law; three topics get a
burst of negative posts in the last 15 minutes, so a cycle also dresses a few alerts.
"""
from __future__ import annotations

import os
import random
import statistics
import time
from datetime import datetime, timedelta, timezone

import numpy as np
from rich.console import Console

from bench.harness import stage
from yuqing.app.config import Config
from yuqing.config import Topic

PREFIX = "bench-alertscale"
TOPICS = 1000
POSTS = 1_050_000
DAYS = 30
END = datetime(2026, 11, 30, 4, 0, tzinfo=timezone.utc)  # fixed, so the loaded posts can be reused
BURSTS = (0, 17, 400)  # topics with a negative burst in the last 15 minutes
PER_TOPIC_SAMPLE = 100
BACKTEST_TOPICS = (0, 3, 10, 30, 100, 200, 400, 600, 800, 999)
PHRASES = {"negative": ["售后一直推脱，准备投诉", "质量太差要求退款", "发热严重客服不理人", "收到的像是假货",
                        "排队两小时态度极差", "屏幕坏点换货太慢"],
           "positive": ["续航很顶很满意", "客服态度很好", "性价比很高", "物流超快"],
           "neutral": ["新款什么时候降价", "发布会下周三", "和上一代有什么区别", "门店可以体验"]}


def topic_names() -> list[str]:
    return [f"基准品牌{i:04d}" for i in range(TOPICS)]


def _docs(names: list[str], rng: np.random.Generator):
    """The synthetic posts as index actions (generated in blocks, deterministic)."""
    w = 1.0 / (np.arange(TOPICS) + 8) ** 0.9
    w /= w.sum()
    hour_w = np.array([2, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 9, 9, 9, 9, 9, 9, 9, 10, 10, 10, 9, 7, 4], float)
    hour_w /= hour_w.sum()
    start = END - timedelta(days=DAYS)
    labels = np.array(["negative", "neutral", "positive"])
    block = 50_000
    for b in range(0, POSTS, block):
        n = min(block, POSTS - b)
        topic = rng.choice(TOPICS, n, p=w)
        secs = rng.integers(0, DAYS, n) * 86400 + rng.choice(24, n, p=hour_w) * 3600 + rng.integers(0, 3600, n)
        label = labels[rng.choice(3, n, p=[0.25, 0.45, 0.30])]
        followers = (rng.pareto(1.2, n) * 50).astype(int)
        counters = np.stack([rng.integers(0, 4, n), rng.integers(0, 300, n), rng.integers(0, 50, n),
                             rng.integers(0, 30, n)], axis=1).tolist()
        for i in range(n):
            yield _doc(b + i, names[topic[i]], start + timedelta(seconds=int(secs[i])), str(label[i]),
                       int(followers[i]), counters[i])
    for t in BURSTS:  # 40 negative posts in the last 15 minutes
        for i in range(40):
            yield _doc(POSTS + t * 100 + i, names[t], END - timedelta(seconds=15 * 60 - 22 * i), "negative", 100,
                       [i, 5, 1, 0])


def _doc(i: int, topic: str, at: datetime, label: str, followers: int, counters: list[int]) -> dict:
    phrase, likes, comments, reposts = counters
    body = PHRASES[label][phrase % len(PHRASES[label])]
    return {"_id": f"bench:{i}", "_month": at.strftime("%Y.%m"), "_source": {
        "platform": "weibo", "post_id": str(i), "text": f"{topic} {body} #{i % 997}", "author_id": f"u{i % 50021}",
        "author_followers": followers, "published_at": at.isoformat(), "likes": likes, "comments": comments,
        "reposts": reposts, "topics": [topic], "sentiment_label": label,
        "sentiment": -0.8 if label == "negative" else 0.0}}


def load(store, console: Console) -> dict:
    """Bulk-load the posts unless the prefix already holds all of them."""
    expected = POSTS + 40 * len(BURSTS)
    store.refresh()
    have = store.count()
    if have == expected:
        console.print(f"  reusing {have} posts under {PREFIX}")
        return {"posts": have, "load_s": None}
    store.drop_all()
    store.setup()
    t0 = time.perf_counter()
    acts = ({"_index": f"{store.posts_alias}-{d['_month']}", "_id": d["_id"], "_source": d["_source"]}
            for d in _docs(topic_names(), np.random.default_rng(17)))
    bad = sum(1 for ok, _, _ in store.bulk(acts, chunk=5000) if not ok)
    store.refresh()
    n = store.count()
    took = time.perf_counter() - t0
    console.print(f"  loaded {n} posts in {took:.0f} s ({bad} refused)")
    if n != expected:
        raise SystemExit(f"bench alerts: {n} posts loaded, {expected} expected")
    return {"posts": n, "load_s": round(took, 1)}


class Requests:
    """HTTP requests the store's client sends (the figure that must not grow with topics)."""

    def __init__(self, store):
        self.n = 0
        tr = store.es.transport
        inner = tr.perform_request

        def counted(*a, **kw):
            self.n += 1
            return inner(*a, **kw)
        tr.perform_request = counted


def batched(cfg, store, console: Console, at: datetime, cycles: int = 5) -> dict:
    from alerts.engine import Engine, flatten

    for name in (store.state_index, store.alerts_index):  # fresh live state: the first cycle announces
        store.es.indices.delete(index=name, ignore_unavailable=True)
    eng = Engine(cfg, store, outbox=None)
    reqs = Requests(store)
    took, sent, raised = [], [], []
    for c in range(cycles):
        before = reqs.n
        t0 = time.perf_counter()
        msgs = eng.run_once(at + timedelta(seconds=30 * c))
        took.append(time.perf_counter() - t0)
        sent.append(reqs.n - before)
        raised.append(len(flatten(msgs)))
        console.print(f"  batched cycle {c + 1}: {took[-1]:.2f} s, {sent[-1]} requests, {raised[-1]} alerts")
    return {"cycle_median_s": round(statistics.median(took), 3), "cycle_max_s": round(max(took), 3),
            "requests_per_cycle": sent, "alerts_per_cycle": raised}


def per_topic(cfg, store, console: Console, at: datetime) -> dict:
    """Every rule one topic at a time, on a sample of topics, scaled to all of them."""
    from alerts.rules import build_rules

    names = topic_names()
    sample = names[::TOPICS // PER_TOPIC_SAMPLE][:PER_TOPIC_SAMPLE]
    reqs = Requests(store)
    t0 = time.perf_counter()
    for topic in sample:
        for rule in build_rules(cfg, topic):
            rule.evaluate(store, topic, at)
    took = time.perf_counter() - t0
    console.print(f"  per-topic path: {took:.2f} s for {len(sample)} topics, {reqs.n} requests")
    return {"per_topic_sample": len(sample), "per_topic_sample_s": round(took, 2),
            "per_topic_requests_sample": reqs.n, "per_topic_cycle_s_scaled": round(took * TOPICS / len(sample), 1)}


def backtest_figure(cfg, store, console: Console, at: datetime) -> dict:
    from alerts.backtest import backtest
    from alerts.engine import Engine, flatten
    from alerts.state import MemoryState

    names = [topic_names()[i] for i in BACKTEST_TOPICS]
    eng = Engine(cfg, store, state=MemoryState(), outbox=None, dress=False)  # as `alerts backtest`
    t0 = time.perf_counter()
    n = sum(len(flatten(msgs)) for _, msgs in backtest(eng, at - timedelta(days=DAYS), at, timedelta(minutes=1),
                                                         topics=names))
    took = time.perf_counter() - t0
    console.print(f"  backtest: {took:.2f} s, {n} alerts")
    return {"backtest_topics": len(names), "backtest_steps": DAYS * 1440 + 1, "backtest_s": round(took, 2),
            "backtest_alerts": n}


@stage("alerts")
def bench_alerts(cfg: Config, console: Console, clean: bool = False, **_) -> dict:
    from yuqing.store import Store

    es = cfg.elasticsearch.model_copy(update={"index_prefix": PREFIX})
    topics = [Topic(name=n, keywords=[n]) for n in topic_names()]
    alerts = cfg.alerts.model_copy(update={"topics": {}, "channels": []})
    c = cfg.model_copy(update={"elasticsearch": es, "topics": topics, "alerts": alerts})
    store = Store(es)
    # A clock a few minutes past the posts' end, new at every run: the node's request cache must
    # not answer a cycle from an earlier run (the bursts stay in the 15-minute windows).
    at = END + timedelta(seconds=random.randrange(30, 240))
    out = {"topics": TOPICS, "load_avg_1m": round(os.getloadavg()[0], 2), "clock": at.isoformat()}
    try:
        out |= load(store, console)
        out |= batched(c, store, console, at)
        out |= per_topic(c, store, console, at)
        out["ratio_per_topic_over_batched"] = round(out["per_topic_cycle_s_scaled"] / out["cycle_median_s"], 1)
        out |= backtest_figure(c, store, console, at)
    finally:
        if clean:
            store.drop_all()
    out["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
    out |= {"goal_cycle_s": 2, "goal_backtest_s": 10}
    return out
