"""`alerts backtest` from histograms (issue 17): each topic's posts are fetched once per range
as date histograms, on a grid fine enough that every window a rule reads at every step starts
and ends on it; then the engine steps its clock over the range and the rules judge counts read
from prefix sums in memory. The judging, noise control and merging are the live engine's own
code (`Engine._run` with these counts instead of a multi-search per step), so a backtest raises
what live checks at those instants would have raised.

Only rules that fire read the store again (examples, keywords, aspects for the alert text), and
`source_down` reads the crawl runs of the whole range once as well.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Iterator

from alerts.alert import Alert
from alerts.rules import build_rules
from alerts.rules.base import View, align
from yuqing.post_batch import Grid, histograms


def grid_step(t0: datetime, step: timedelta, needs: list) -> timedelta:
    """The coarsest grid through t0 on which every window at t0, t0 + step, ... starts and ends:
    the greatest common divisor of the step and of each window edge's distance from t0."""
    g = int(step.total_seconds())
    for _, start, end in needs:
        for t in (start, end):
            g = math.gcd(g, abs(int((t - t0).total_seconds())))
    return timedelta(seconds=max(g, 1))


class History:
    """Counts for `Engine._run` read from per-topic grids instead of the node."""

    def __init__(self, store, rules: dict[str, list], t0: datetime, t_last: datetime, step: timedelta):
        self.grids: dict[str, Grid] = {}
        for topic, rs in rules.items():
            needs = [n for r in rs for n in r.needs(t0)]
            if not needs:
                continue
            g = grid_step(t0, step, needs)
            origin = min(s for _, s, _ in needs)
            series = list(dict.fromkeys(n[0] for n in needs))
            self.grids[topic] = histograms(store, topic, series, origin, max(t_last, t0 + g), g)

    def __call__(self, now: datetime, needs: dict[str, list]):
        def view(topic: str) -> View:
            grid = self.grids[topic]
            return View(lambda s, a, b: grid.get(s, a, b), topic)
        return view


def backtest(engine, t0: datetime, t1: datetime, step: timedelta, topics: list[str] | None = None,
             rules: list[str] | None = None) -> Iterator[tuple[datetime, list[Alert]]]:
    """(instant, messages raised) at t0, t0 + step, ... <= t1, as `engine.run_once` at each instant
    would give them (give the engine a MemoryState and no outbox)."""
    t0 = align(t0)
    if int(step.total_seconds()) != step.total_seconds() or step <= timedelta(0):
        raise ValueError(f"the backtest step must be whole seconds, not {step}")
    steps = int((t1 - t0) / step)
    t_last = t0 + steps * step
    names = topics or engine.cfg.topic_names()
    history = History(engine.store, {t: build_rules(engine.cfg, t, rules) for t in names}, t0, t_last, step)
    sources = engine.source_history(t0, t_last) if not topics else None
    t = t0
    while t <= t_last:
        yield t, engine._run(t, topics, rules, counts=history, sources=sources)
        t += step
