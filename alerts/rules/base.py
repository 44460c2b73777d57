"""The rule contract: `evaluate(store, topic, now) -> list[Alert]`, in parts so the engine
measures every topic of a cycle at once (issue 17):

- `needs(now)`: the counts the rule reads, as (Series, start, end) windows;
- `judge(counts, now) -> {case: Finding}`: a pure verdict over a `View` of counts for many
  cases at once (numpy arrays: the topics of a cycle live, or one topic's instants in a
  backtest), the same code either way;
- `bare(topic, now, finding)`: the alert as noise control judges it, with no request;
- `finish(store, topic, now, finding) -> Alert | None`: examples, keywords, link and text of an
  alert to be told (only then is the store read again).

The engine fills the counts of all topics with one multi-search (yuqing/post_batch.py
`window_table`); `alerts backtest` fills them from histograms fetched once (`histograms`). A
rule is configured once (its section of `alerts.rules`, merged with the topic's overrides) and
keeps nothing between calls.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import numpy as np

from alerts import text
from alerts.alert import Alert, AlertPost
from alerts.config import RuleBase
from yuqing.post_batch import Series, window_table


@dataclass(frozen=True)
class Context:
    """Settings every rule shares (from `alerts:` and the top-level time zone)."""

    tz: str = "Asia/Shanghai"
    dedup: bool = True
    kibana_url: str | None = None
    kibana_data_view: str | None = None
    top_posts: int = 5
    top_aspects: int = 3  # aspects named in "主要负面方面" (0: none)


def context_from(cfg) -> Context:
    a = cfg.alerts
    return Context(tz=cfg.timezone, dedup=a.dedup, kibana_url=a.kibana_url, kibana_data_view=a.kibana_data_view,
                   top_posts=a.top_posts)


def to_alert_post(doc: dict, limit: int = 140) -> AlertPost:
    body = (doc.get("text") or doc.get("title") or "").strip().replace("\n", " ")
    return AlertPost(platform=doc.get("platform", "?"), post_id=str(doc.get("post_id", "?")), url=doc.get("url"),
                     excerpt=body[:limit] + ("…" if len(body) > limit else ""), author_name=doc.get("author_name"),
                     published_at=doc.get("published_at"), likes=int(doc.get("likes") or 0),
                     comments=int(doc.get("comments") or 0), reposts=int(doc.get("reposts") or 0),
                     sentiment=doc.get("sentiment"))


Need = tuple[Series, datetime, datetime]


class View:
    """Counts of `n` cases at once: the topics of a cycle that share a configuration (live), or
    one topic at `n` instants `step` apart (a backtest). `row`/`count` give one array per window
    (index k: case k); a case's window is the asked one moved by `shift(k)`."""

    def __init__(self, get, n: int, step: timedelta = timedelta(0)):
        self._get, self.n, self.step = get, n, step

    def row(self, series: Series, start: datetime, end: datetime) -> dict[str, np.ndarray]:
        return self._get(series, start, end)

    def count(self, series: Series, start: datetime, end: datetime) -> np.ndarray:
        return self._get(series, start, end)["count"]

    def shift(self, k: int) -> timedelta:
        return k * self.step

    def findings(self, mask: np.ndarray, make) -> dict[int, "Finding"]:
        """`make(k)` for each case where `mask` holds, its windows moved to that case."""
        out = {}
        for k in np.flatnonzero(mask):
            f = make(int(k))
            if f is not None:
                out[int(k)] = f.moved(self.shift(int(k)))
        return out


def measure(store, groups: list[tuple[list[str], list[Need]]]) -> list[View]:
    """One View per group (topics sharing their rules' configuration and so their needs), all
    measured in one multi-search."""
    asks: dict[Series, tuple[list[str], list]] = {}
    for topics, needs in groups:
        for series, start, end in needs:
            ts, ws = asks.setdefault(series, ([], []))
            ts += topics
            ws.append((start, end))
    table = window_table(store, asks)
    views = []
    for topics, needs in groups:
        rows = {s: table.rows(s, topics) for s in {n[0] for n in needs}}
        views.append(View(lambda s, a, b, rows=rows: table.get(s, rows[s], a, b), len(topics)))
    return views


@dataclass
class Finding:
    """A rule's verdict before the alert is dressed: the window, the figures, and what its
    summary adds (`extra`, rule-specific)."""

    start: datetime
    end: datetime
    value: float
    threshold: float
    baseline: float | None = None
    severity: str | None = None
    extra: dict = field(default_factory=dict)

    def moved(self, by: timedelta) -> "Finding":
        if by:
            self.start, self.end = self.start + by, self.end + by
        return self


class Rule:
    name = "rule"
    unit = "条负面帖子"  # how the value reads in a summary
    negative_only = True
    final = True  # a Finding fixes value, threshold and severity (`bare` says what noise control sees)

    def __init__(self, params: RuleBase, ctx: Context | None = None):
        self.p = params
        self.ctx = ctx or Context()

    def series(self, negative_only: bool, match: dict[str, str] | None = None, **kw) -> Series:
        return Series(negative_only=negative_only, match=tuple(sorted((match or {}).items())), dedup=self.ctx.dedup,
                      **kw)

    def needs(self, now: datetime) -> list[Need]:
        raise NotImplementedError

    def judge(self, counts: View, now: datetime) -> dict[int, Finding]:
        """The cases (of `counts`) where the rule fires at `now` (moved by each case's shift)."""
        raise NotImplementedError

    def finish(self, store, topic: str, now: datetime, f: Finding) -> Alert | None:
        return self.alert(store, topic, now, f.start, f.end, value=f.value, threshold=f.threshold,
                          baseline=f.baseline, severity=f.severity)

    def bare(self, topic: str, now: datetime, f: Finding) -> Alert:
        """The alert as noise control judges it (value, threshold, severity, window, link), before
        the store is read for examples, keywords and text: a rule still firing in its cooldown
        costs no request."""
        sev = f.severity or text.severity_for(f.value, f.threshold, self.p.warning_at, self.p.critical_at)
        a = Alert(topic=topic, rule=self.name, severity=sev, fired_at=now, window_start=f.start, window_end=f.end,
                  value=f.value, baseline=f.baseline, ratio=(f.value / f.baseline) if f.baseline else None,
                  threshold=f.threshold, kibana_url=text.kibana_url(self.ctx.kibana_url, self.ctx.kibana_data_view,
                                                                    topic, f.start, f.end, self.negative_only))
        a.title = text.title(a)
        return a

    def check(self, store, topic: str, now: datetime, f: Finding | None) -> list[Alert]:
        a = self.finish(store, topic, now, f) if f is not None else None
        return [a] if a is not None else []

    def evaluate(self, store, topic: str, now: datetime) -> list[Alert]:
        """One topic on its own (the engine measures all topics at once instead)."""
        view, = measure(store, [([topic], self.needs(now))])
        return self.check(store, topic, now, self.judge(view, now).get(0))

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        now = now.astimezone(timezone.utc)
        return now - self.p.window, now

    def alert(self, store, topic: str, now: datetime, start: datetime, end: datetime, value: float,
              threshold: float, baseline: float | None = None, posts: list[dict] | None = None,
              keywords: list[str] | None = None, severity: str | None = None) -> Alert:
        """Build a complete alert: severity (by value / threshold unless the rule measured it
        otherwise), examples, keywords, link, Chinese title and summary."""
        sev = severity or text.severity_for(value, threshold, self.p.warning_at, self.p.critical_at)
        if posts is None:
            posts = store.posts.top_posts(topic, start, end, n=self.ctx.top_posts, negative_only=self.negative_only,
                                    dedup=self.ctx.dedup) if self.ctx.top_posts else []
        if keywords is None:
            keywords = store.posts.top_keywords(topic, start, end, n=10, negative_only=self.negative_only, dedup=self.ctx.dedup)
        ratio = (value / baseline) if baseline else None
        a = Alert(topic=topic, rule=self.name, severity=sev, fired_at=now, window_start=start, window_end=end,
                  value=value, baseline=baseline, ratio=ratio, threshold=threshold,
                  top_posts=[to_alert_post(d) for d in posts[: self.ctx.top_posts]], top_keywords=keywords,
                  kibana_url=text.kibana_url(self.ctx.kibana_url, self.ctx.kibana_data_view, topic, start, end,
                                             self.negative_only))
        a.negative_aspects = self.aspect_shares(store, topic, start, end)
        a.title = text.title(a)
        a.summary = text.summary(a, self.ctx.tz, self.unit + text.measure_zh(self.match())) + \
            text.aspects_zh(a.negative_aspects)
        return a

    def aspect_shares(self, store, topic: str, start: datetime, end: datetime) -> dict[str, float]:
        """What the window's complaints are about: per aspect, the share of posts negative about
        some aspect that are negative about this one."""
        if not self.ctx.top_aspects:
            return {}
        total, top = store.posts.negative_aspects(topic, start, end, n=self.ctx.top_aspects, dedup=self.ctx.dedup)
        return {k: round(n / total, 4) for k, n in top} if total else {}

    def match(self) -> dict[str, str]:
        """Extra post filter of the rule's measure (aspect, emotion), when its config has one."""
        return self.p.match() if hasattr(self.p, "match") else {}


def align(now: datetime, step: timedelta = timedelta(seconds=1)) -> datetime:
    """Whole seconds: two evaluators at the same instant build the same alert id."""
    now = now.astimezone(timezone.utc)
    secs = int(now.timestamp() // step.total_seconds() * step.total_seconds())
    return datetime.fromtimestamp(secs, tz=timezone.utc)
