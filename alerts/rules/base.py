"""The rule contract: `evaluate(store, topic, now) -> list[Alert]`.

A rule is configured once (its section of `alerts.rules`, merged with the topic's overrides)
and keeps nothing between calls: everything it compares against is read from the store at
`now`, so a restart loses nothing and `alerts backtest` replays history with the same code.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from alerts import text
from alerts.alert import Alert, AlertPost
from alerts.config import RuleBase


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


class Rule:
    name = "rule"
    unit = "条负面帖子"  # how the value reads in a summary
    negative_only = True

    def __init__(self, params: RuleBase, ctx: Context | None = None):
        self.p = params
        self.ctx = ctx or Context()

    def evaluate(self, store, topic: str, now: datetime) -> list[Alert]:
        raise NotImplementedError

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
