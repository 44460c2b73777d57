"""`alerts backtest` from histograms (issue 17): each topic's posts are fetched once per range
as date histograms, on a grid fine enough that every window a rule reads at every step starts
and ends on it. Each rule's `judge` (the live engine's own) then runs once over the counts of
every instant at once (numpy arrays indexed by instant, read from prefix sums), and the engine
steps its clock over the instants with those verdicts: noise control, merging and messages are
`Engine._run`'s, so a backtest raises what live checks at those instants would have raised.

Only rules that fire read the store again (examples, keywords, aspects for the alert text), and
`source_down` reads the crawl runs of the whole range once as well.
"""
from __future__ import annotations

import math
from bisect import bisect_left
from datetime import datetime, timedelta
from typing import Iterator

from alerts.alert import Alert
from alerts.rules import build_rules
from alerts.rules.base import View, align
from yuqing.post_batch import histograms
from yuqing.store import StoreError, StoreUnavailable


def grid_step(t0: datetime, step: timedelta, needs: list) -> timedelta:
    """The coarsest grid through t0 on which every window at t0, t0 + step, ... starts and ends:
    the greatest common divisor of the step and of each window edge's distance from t0."""
    g = int(step.total_seconds())
    for _, start, end in needs:
        for t in (start, end):
            g = math.gcd(g, abs(int((t - t0).total_seconds())))
    return timedelta(seconds=max(g, 1))


def judge_range(store, topic: str, rules: list, t0: datetime, n: int, step: timedelta) -> list[dict]:
    """Per rule, its findings at t0 + k * step for k < n (`{k: Finding}`), from one topic's
    histograms fetched once (or the StoreError that refused them)."""
    needs = [x for r in rules for x in r.needs(t0)]
    if not needs:
        return [{} for _ in rules]
    g = grid_step(t0, step, needs)
    origin = min(s for _, s, _ in needs)
    grid = histograms(store, topic, list(dict.fromkeys(x[0] for x in needs)), origin,
                      max(t0 + (n - 1) * step, t0 + g), g)
    view = View(lambda s, a, b: grid.get(s, a, b, step, n), n, step)
    out = []
    for r in rules:
        try:
            out.append(r.judge(view, t0))
        except StoreUnavailable:
            raise
        except StoreError as e:
            out.append(e)
    return out


def backtest(engine, t0: datetime, t1: datetime, step: timedelta, topics: list[str] | None = None,
             rules: list[str] | None = None) -> Iterator[tuple[datetime, list[Alert]]]:
    """(instant, messages raised) at t0, t0 + step, ... <= t1 where anything happens, as
    `engine.run_once` at each instant would give them (give the engine a MemoryState and no
    outbox). An instant where no rule fires and nothing is active changes nothing, so the noise
    control is only run at the others (and at every instant when crawl sources are judged too)."""
    t0 = align(t0)
    if int(step.total_seconds()) != step.total_seconds() or step <= timedelta(0):
        raise ValueError(f"the backtest step must be whole seconds, not {step}")
    n = int((t1 - t0) / step) + 1
    names = topics or engine.cfg.topic_names()
    built = {t: build_rules(engine.cfg, t, rules) for t in names}
    found = {t: judge_range(engine.store, t, rs, t0, n, step) for t, rs in built.items()}
    busy: dict[int, set[str]] = {}  # instant -> topics with a finding (or a failure) then
    for tp, per in found.items():
        for f in per:
            for k in (range(n) if isinstance(f, StoreError) else f):
                busy.setdefault(k, set()).add(tp)
    order = sorted(busy)
    sources = engine.source_history(t0, t0 + (n - 1) * step) if not topics and (not rules or "source_down" in rules) \
        else None
    k = 0
    while k < n:
        firing = engine.state.active_topics() & built.keys()  # a MemoryState; crawl sources are not topics
        if sources is None and not firing:
            i = bisect_left(order, k)
            if i == len(order):
                return
            k = order[i]
        # Topics quiet at k with nothing firing are left out: noise control would change nothing.
        verdicts = {tp: [(r, f if isinstance(f, StoreError) else f.get(k)) for r, f in zip(built[tp], found[tp])]
                    for tp in busy.get(k, set()) | firing}
        yield t0 + k * step, engine._run(t0 + k * step, topics, rules, verdicts=verdicts, sources=sources)
        k += 1
