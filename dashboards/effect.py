"""The effect of a response (plan ch. 7.2): the windows before and after the brand responded,
compared per platform, and a flag when the topic is still growing after the response.

Before is [t − L, t), after is [t, t + L) with t the response time and L `alerts.incidents.
effect_window` (6 h); while the after window has not yet run its course both are cut to the time
that has passed, so they stay equal in length. Per platform and overall: volume (posts, near
copies once), negative posts and their share (with a Wilson interval: these are small samples),
mean sentiment, reach (the authors' followers summed: how many people the posts could reach) and
engagement. The trajectory is the topic's hourly posts (all, negative) over both windows.

The topic mixes the story the alert was about with everything else said of the brand, so the
incident's lead event (the top event of its first alert, alerts/events.py) is also compared on its
own (`Effect.event`): the posts of the same windows are clustered again from the event's start, the
cluster that holds most of the posts the alert saw first (`post_ids` of its brief) is the story,
and its posts (near copies once, as in the table) before and after are compared with the same
growth test. A team then sees "the topic is still growing, but the battery story is fading" or
the reverse.

"Still growing after the response" (an escalation) is judged for all posts and for negative posts:
  • rising: the after window's second half has at least `margin` more posts than its first half,
    and at least `min_posts` more; or
  • higher and not falling: the after window has `margin` more posts than the before window (and
    `min_posts` more), and its second half is no smaller than its first.
A response given on the way down (after < before, second half < first half) is never flagged.
One request with aggregations answers it all (through the store's generic search).
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from nlp.stats import wilson

MARGIN = 0.2  # 20 % more counts as growth
MIN_POSTS = 3  # and at least this many more posts (3 → 4 is noise)
NAMES = ("before", "after", "early", "late")


@dataclass
class Side:
    """One window's figures (one platform, or all)."""

    posts: int = 0
    negative: int = 0
    mean_sentiment: float | None = None
    reach: int = 0
    engagement: int = 0

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.posts if self.posts else None

    def share_interval(self) -> tuple[float, float] | None:
        return wilson(self.negative, self.posts) if self.posts else None


@dataclass
class Compared:
    platform: str  # "全部" for the total
    before: Side
    after: Side
    early: Side  # the after window's halves
    late: Side
    growing: list[str] = field(default_factory=list)  # why it counts as still growing (Chinese)


@dataclass
class Effect:
    topic: str
    response_at: datetime
    length: timedelta  # of each window
    complete: bool  # False while the after window is still running
    total: Compared
    platforms: list[Compared]
    trajectory: list[tuple[datetime, int, int]]  # (hour, posts, negative posts)
    escalation: bool
    reasons: list[str]
    event: "EventEffect | None" = None  # the incident's lead event alone, when one was given


@dataclass
class EventEffect:
    title: str
    compared: Compared | None  # None: the story was not found again among the windows' posts


def _growth(what: str, before: int, after: int, early: int, late: int, margin: float, min_posts: int) -> list[str]:
    out = []
    if late >= early * (1 + margin) and late - early >= min_posts:
        out.append(f"回应后{what}仍在上升（后半段 {late} 条，前半段 {early} 条）")
    elif after >= before * (1 + margin) and after - before >= min_posts and late >= early:
        out.append(f"回应后{what}高于回应前且未回落（{before} → {after} 条）")
    return out


def _side(b: dict) -> Side:
    return Side(posts=int(b.get("doc_count", 0)), negative=int(b.get("neg", {}).get("doc_count", 0)),
                mean_sentiment=b.get("sent", {}).get("value"), reach=int(b.get("reach", {}).get("value") or 0),
                engagement=int(sum(b.get(f, {}).get("value") or 0 for f in ("likes", "comments", "reposts"))))


def _compare(platform: str, buckets: dict, margin: float, min_posts: int) -> Compared:
    s = {n: _side(buckets.get(n, {})) for n in NAMES}
    c = Compared(platform, s["before"], s["after"], s["early"], s["late"])
    c.growing = (_growth("声量", c.before.posts, c.after.posts, c.early.posts, c.late.posts, margin, min_posts)
                 + _growth("负面声量", c.before.negative, c.after.negative, c.early.negative, c.late.negative,
                           margin, min_posts))
    return c


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat()


def effect_report(store, topic: str, response_at: datetime, now: datetime, window: timedelta = timedelta(hours=6),
                  margin: float = MARGIN, min_posts: int = MIN_POSTS, dedup: bool = True,
                  event: dict | None = None) -> Effect:
    """Before/after the response at `response_at`, as seen at `now` (both UTC-aware); `event`: an
    incident's lead event as its alert carried it (`Event.brief()`), compared on its own too."""
    t = response_at.astimezone(timezone.utc)
    length = max(min(window, now.astimezone(timezone.utc) - t), timedelta(0))
    half = length / 2
    windows = {"before": (t - length, t), "after": (t, t + length), "early": (t, t + half), "late": (t + half, t + length)}
    sub = {"neg": {"filter": {"term": {"sentiment_label": "negative"}}}, "sent": {"avg": {"field": "sentiment"}},
           "reach": {"sum": {"field": "author_followers"}},
           **{f: {"sum": {"field": f}} for f in ("likes", "comments", "reposts")}}
    split = {"filters": {"filters": {n: {"range": {"published_at": {"gte": _iso(s), "lt": _iso(e)}}}
                                     for n, (s, e) in windows.items()}}, "aggs": sub}
    q = store.posts.query(store.posts.filters(topic, t - length, t + length), dedup)
    aggs = {"w": split, "p": {"terms": {"field": "platform", "size": 50}, "aggs": {"w": split}}}
    if length > timedelta(0):
        aggs["h"] = {"date_histogram": {"field": "published_at", "fixed_interval": "1h", "min_doc_count": 0,
                                        "extended_bounds": {"min": _iso(t - length), "max": _iso(t + length)}},
                     "aggs": {"neg": sub["neg"]}}
    r = store.search(store.posts_pattern, size=0, query=q, aggs=aggs).get("aggregations", {})
    total = _compare("全部", r.get("w", {}).get("buckets", {}), margin, min_posts)
    platforms = [_compare(b["key"], b["w"]["buckets"], margin, min_posts) for b in r.get("p", {}).get("buckets", [])]
    trajectory = [(datetime.fromtimestamp(b["key"] / 1000, tz=timezone.utc), b["doc_count"], b["neg"]["doc_count"])
                  for b in r.get("h", {}).get("buckets", []) if b["key"] < (t + length).timestamp() * 1000]
    reasons = list(total.growing) + [f"{p.platform}：{g}" for p in platforms for g in p.growing]
    return Effect(topic=topic, response_at=t, length=length, complete=length >= window, total=total,
                  platforms=platforms, trajectory=trajectory, escalation=bool(total.growing), reasons=reasons,
                  event=event_effect(store, topic, event, windows, margin, min_posts) if event else None)


def event_effect(store, topic: str, event: dict, windows: dict[str, tuple[datetime, datetime]],
                 margin: float = MARGIN, min_posts: int = MIN_POSTS) -> EventEffect | None:
    """The story of `event` alone in the before/after windows (None for an event recorded before
    events carried their post ids)."""
    from alerts.events import cluster, fetch_posts

    known, start = set(event.get("post_ids") or ()), event.get("start")
    if not known or not start:
        return None
    lo = min(datetime.fromisoformat(start), windows["before"][0])
    docs, _ = fetch_posts(store, topic, lo, windows["after"][1])
    # the story now: the cluster holding most of the posts the alert saw first (ties: the larger)
    overlap = [(len(known & set(e.all_ids())), e.posts, e) for e in cluster(topic, docs)]
    best = max(overlap, key=lambda x: x[:2], default=(0, 0, None))
    story = best[2] if best[0] else None
    if story is None:
        return EventEffect(event.get("title") or event.get("id", ""), None)
    mine = set(story.all_ids())
    sides = {}
    for name, (s, e) in windows.items():
        posts = [d for d in docs if d["doc_id"] in mine and not d.get("dup_of")  # near copies once, as above
                 and s <= datetime.fromisoformat(d["published_at"]) < e]
        scores = [d["sentiment"] for d in posts if d.get("sentiment") is not None]
        sides[name] = Side(posts=len(posts), negative=sum(d.get("sentiment_label") == "negative" for d in posts),
                           mean_sentiment=sum(scores) / len(scores) if scores else None)
    c = Compared(event.get("title") or story.title, sides["before"], sides["after"], sides["early"], sides["late"])
    c.growing = (_growth("事件声量", c.before.posts, c.after.posts, c.early.posts, c.late.posts, margin, min_posts)
                 + _growth("事件负面声量", c.before.negative, c.after.negative, c.early.negative, c.late.negative,
                           margin, min_posts))
    return EventEffect(c.platform, c)


def incident_effect(store, incident, now: datetime, window: timedelta = timedelta(hours=6)) -> Effect | None:
    """The effect of the incident's first response (None before any response), with its lead event's."""
    if not incident.responses:
        return None
    first = min(incident.responses, key=lambda r: r.at)
    return effect_report(store, incident.topic, first.at, now, window, event=lead_event(incident))


def lead_event(incident) -> dict | None:
    """The story the incident is about: the top event of its first alert (events are appended)."""
    return (incident.events or [None])[0]


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:+.2f}"


def effect_lines(e: Effect, tz: str) -> list[str]:
    """The report as Chinese text lines (the CLI's `incidents show`; the console renders `Effect`)."""
    zone = ZoneInfo(tz)
    hours = e.length.total_seconds() / 3600
    head = (f"回应效果（回应时间 {e.response_at.astimezone(zone):%Y-%m-%d %H:%M}，前后各 {hours:g} 小时"
            f"{'' if e.complete else '，回应后窗口尚未走完'}）")
    lines = [head, "平台        声量(前→后)    负面占比(前→后)    平均情感(前→后)    覆盖(前→后)"]
    for c in [e.total, *e.platforms]:
        lines.append(f"{c.platform:<10}  {c.before.posts:>4} → {c.after.posts:<4}    "
                     f"{_pct(c.before.negative_share):>4} → {_pct(c.after.negative_share):<4}      "
                     f"{_num(c.before.mean_sentiment):>5} → {_num(c.after.mean_sentiment):<5}      "
                     f"{c.before.reach} → {c.after.reach}")
    ci = [c.share_interval() for c in (e.total.before, e.total.after)]
    if all(ci):
        lines.append("全部负面占比 95% 区间（Wilson）：回应前 " + "，回应后 ".join(
            f"{100 * lo:.0f}–{100 * hi:.0f}%" for lo, hi in ci))
    if e.trajectory:
        lines.append("逐小时（全部/负面）：" + "  ".join(f"{t.astimezone(zone):%H}时 {n}/{neg}" for t, n, neg in e.trajectory))
    if e.event is not None:
        lines.append(event_line(e.event))
    if e.escalation:
        lines.append("⚠ 升级：回应后仍在增长 —— " + "；".join(e.reasons))
    else:
        lines.append("回应后未见继续增长" + ("（" + "；".join(e.reasons) + "）" if e.reasons else ""))
    return lines


def event_line(ev: EventEffect) -> str:
    """"主要事件「…」：12 → 3 帖，负面占比 92% → 67%，回应后未见继续增长"."""
    c = ev.compared
    if c is None:
        return f"主要事件「{ev.title}」：回应前后的帖子里没有再找到这个事件"
    trend = ("⚠ " + "；".join(c.growing)) if c.growing else "回应后未见继续增长"
    return (f"主要事件「{ev.title}」：{c.before.posts} → {c.after.posts} 帖，负面占比 "
            f"{_pct(c.before.negative_share)} → {_pct(c.after.negative_share)}，{trend}")


def effect_chart(e: Effect, tz: str = "Asia/Shanghai") -> bytes:
    """PNG: hourly posts and negative posts over both windows, the response marked."""
    from dashboards.charts import COLORS, _figure, _png, _time_axis  # matplotlib: only when drawn

    zone = ZoneInfo(tz)
    fig, ax = _figure(w=6.4, h=2.8)
    xs = [t for t, _, _ in e.trajectory]
    ax.bar(xs, [n for _, n, _ in e.trajectory], width=timedelta(hours=1) * 0.85, align="edge", color="#9aa5b1",
           label="全部帖子")
    ax.bar(xs, [neg for _, _, neg in e.trajectory], width=timedelta(hours=1) * 0.85, align="edge",
           color=COLORS["negative"], label="负面帖子")
    ax.axvline(e.response_at, color="#2e9d5b", linewidth=2, label="品牌回应")
    if xs:
        _time_axis(ax, zone, xs[-1] - xs[0] + timedelta(hours=1))
    ax.yaxis.get_major_locator().set_params(integer=True)
    flag = "（回应后仍在增长）" if e.escalation else ""
    ax.set_title(f"{e.topic} 回应前后声量{flag}", loc="left", fontsize=10,
                 color=COLORS["negative"] if e.escalation else "#222222")
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    return _png(fig)


def data_uri(png: bytes) -> str:
    """For an <img src=…> in the console page (no second request, no file on disk)."""
    return "data:image/png;base64," + base64.b64encode(png).decode()
