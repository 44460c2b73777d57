"""Every topic's and rule's verdict of a cycle from a constant number of requests (issue 17).

Topics without overrides under `alerts.topics` share one set of rules, so they share their
windows: one `needs(now)` per rule, one multi-search for all of them (yuqing/post_batch.py), and
one `judge` per rule over all their counts at once (numpy arrays indexed by topic). A topic with
overrides is a group of its own. `alerts backtest` gets its verdicts from the same `judge` over
one topic's counts at every instant instead (alerts/backtest.py).
"""
from __future__ import annotations

from datetime import datetime

from alerts.rules import build_rules
from alerts.rules.base import Finding, Rule, measure
from yuqing.store import StoreError, StoreUnavailable

Verdict = Finding | StoreError | None  # fired, failed to measure, quiet


def groups(cfg, topics: list[str], only: list[str] | None) -> list[tuple[list[str], list[Rule]]]:
    """(topics, their rules): one group for every topic on the defaults, one per overridden topic."""
    plain = [t for t in topics if not cfg.alerts.topics.get(t)]
    out = [(plain, build_rules(cfg, plain[0], only))] if plain else []
    return out + [([t], build_rules(cfg, t, only)) for t in topics if cfg.alerts.topics.get(t)]


def judge_now(store, now: datetime, grouped: list[tuple[list[str], list[Rule]]]) -> dict[str, list[tuple[Rule, Verdict]]]:
    """Per topic, each of its rules (in RULES order) with its verdict at `now`."""
    try:
        views = measure(store, [(ts, [n for r in rs for n in r.needs(now)]) for ts, rs in grouped])
    except StoreUnavailable:
        raise
    except StoreError as e:  # the whole multi-search refused: every rule reports it (engine logs)
        return {t: [(r, e) for r in rs] for ts, rs in grouped for t in ts}
    out: dict[str, list[tuple[Rule, Verdict]]] = {}
    for (ts, rs), view in zip(grouped, views):
        for r in rs:
            try:
                found: dict[int, Finding] | StoreError = r.judge(view, now)
            except StoreUnavailable:
                raise
            except StoreError as e:  # one series refused: the rules reading it
                found = e
            for i, t in enumerate(ts):
                out.setdefault(t, []).append((r, found if isinstance(found, StoreError) else found.get(i)))
    return out
