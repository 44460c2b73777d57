"""`yuqing report`: the daily/weekly opinion report (舆情日报/周报) as one self-contained HTML file.

For teams without Kibana: it must open from an e-mail attachment on a phone, offline, so charts
are inline PNG (data: URIs), styles are inline and nothing is fetched from the network.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from alerts.events import find_events, key_voices
from alerts.state_docs import StateDocs
from dashboards import charts
from dashboards.queries import ReportQueries
from dashboards.summary import SEVERITY_ZH, pct, platform_name, topic_sentence

KIND_ZH = {"alert": "预警", "escalation": "升级", "reminder": "持续提醒", "recovery": "恢复"}
RULE_ZH = {"negative_spike": "负面激增", "negative_surprise": "负面异常", "negative_ratio": "负面占比过高",
           "volume_spike": "声量激增", "keyword": "敏感词", "influencer": "大V发声",
           "source_down": "数据源中断"}
TEMPLATES = Path(__file__).with_name("templates")


@dataclass
class TopicSection:
    name: str
    total: int
    previous: int
    labels: dict[str, int]
    platforms: dict[str, int]
    keywords: list[tuple[str, int]]
    rising: list[tuple[str, int, int]]  # (keyword, now, before)
    top_negative: list[dict]
    top_positive: list[dict]
    alerts: list[dict]
    summary: str
    volume_png: str = ""
    negative_aspects: dict[str, int] = field(default_factory=dict)  # aspect -> posts negative about it
    aspect_negative_posts: int = 0  # posts negative about any aspect
    emotions: dict[str, int] = field(default_factory=dict)  # DUTIR class -> posts expressing it
    aspects_png: str = ""
    events: list[dict] = field(default_factory=list)  # the period's top events (alerts/events.py)
    voices: list[dict] = field(default_factory=list)  # key voices (意见领袖), pseudonymised below the threshold

    @property
    def negative(self) -> int:
        return self.labels.get("negative", 0)

    @property
    def negative_share(self) -> float:
        return pct(self.negative, self.total)

    @property
    def anger_share(self) -> float:
        return pct(self.emotions.get("怒", 0), self.total)

    @property
    def disgust_share(self) -> float:
        return pct(self.emotions.get("恶", 0), self.total)


@dataclass
class ReportData:
    title: str
    period_label: str
    generated_label: str
    tz: str
    total: int
    previous: int
    labels: dict[str, int]
    platforms: list[tuple[str, int, float]]  # (display name, posts, share %)
    topics: list[TopicSection]
    alerts: list[dict]
    charts: dict[str, str] = field(default_factory=dict)  # name -> data URI

    @property
    def fired(self) -> int:
        """Alerts raised in the period (recoveries are listed, not counted)."""
        return sum(not a["recovery"] for a in self.alerts)


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def rising_keywords(now: dict[str, int], before: dict[str, int], n: int = 5) -> list[tuple[str, int, int]]:
    """Keywords that grew most against the previous period; new ones (before = 0) count as +100% each post."""
    grown = [(k, c, before.get(k, 0)) for k, c in now.items() if c >= 2 and c > before.get(k, 0)]
    grown.sort(key=lambda t: ((t[1] - t[2]) / max(t[2], 1), t[1], t[0]), reverse=True)
    return grown[:n]


def alert_rows(alerts: list[dict], zone: ZoneInfo) -> list[dict]:
    """Alerts as people read them, each with a status: still open, or recovered by a later
    `recovery` alert for the same topic and rule."""
    rows = []
    for i, a in enumerate(alerts):
        fired = datetime.fromisoformat(str(a["fired_at"]).replace("Z", "+00:00"))
        kind = a.get("kind", "alert")
        if a.get("status"):
            status = str(a["status"])
        elif kind == "recovery":
            status = "已恢复"
        elif any(b.get("kind") == "recovery" and b.get("topic") == a.get("topic") and b.get("rule") == a.get("rule")
                 for b in alerts[i + 1:]):
            status = "已恢复"
        else:
            status = "未恢复"
        rows.append({"time": fired.astimezone(zone).strftime("%m-%d %H:%M"), "topic": a.get("topic", ""),
                     "severity": a.get("severity", "warning"),
                     "severity_zh": SEVERITY_ZH.get(a.get("severity", ""), a.get("severity", "")),
                     "kind_zh": KIND_ZH.get(kind, kind), "rule_zh": RULE_ZH.get(a.get("rule", ""), a.get("rule", "")),
                     "title": a.get("title") or f"{a.get('topic', '')} {RULE_ZH.get(a.get('rule', ''), '')}",
                     "summary": a.get("summary", ""), "status": status, "value": a.get("value"),
                     "baseline": a.get("baseline"), "recovery": kind == "recovery"})
    return rows


def post_row(p: dict, zone: ZoneInfo) -> dict:
    t = datetime.fromisoformat(str(p["published_at"]).replace("Z", "+00:00")).astimezone(zone)
    title, body = (p.get("title") or "").strip(), (p.get("text") or "").strip()
    text = body if not title or body.startswith(title) else f"{title} {body}"
    return {"platform": platform_name(p.get("platform", "")), "author": p.get("author_name") or "匿名",
            "time": t.strftime("%m-%d %H:%M"), "text": text[:140] + ("…" if len(text) > 140 else ""),
            "url": p["url"] if str(p.get("url") or "").startswith(("http://", "https://")) else None,
            "likes": int(p.get("likes") or 0), "comments": int(p.get("comments") or 0),
            "reposts": int(p.get("reposts") or 0), "engagement": int(p.get("engagement") or 0)}


def event_rows(events, zone: ZoneInfo) -> list[dict]:
    def t(iso: str) -> str:
        return datetime.fromisoformat(iso).astimezone(zone).strftime("%m-%d %H:%M")

    return [{"title": e.title, "posts": e.posts, "negative_share": e.negative_share * 100,
             "keywords": e.keywords, "platforms": "、".join(f"{platform_name(k)} {v}" for k, v in e.platforms.items()),
             "first": t(e.first_post["at"]), "peak": f"{t(e.peak['at'])}（{e.peak['count']} 帖/小时）",
             "url": e.first_post["url"] if str(e.first_post.get("url") or "").startswith(("http://", "https://")) else None,
             "reach": e.reach} for e in events]


def build_report(store, topics: list[str], now: datetime, days: int = 1, tz: str = "Asia/Shanghai",
                 n_posts: int = 5, n_events: int = 5, n_voices: int = 5) -> ReportData:
    zone = ZoneInfo(tz)
    end = now.astimezone(timezone.utc)
    start = end - timedelta(days=days)
    prev_start = start - timedelta(days=days)
    interval, width = ("1h", timedelta(hours=1)) if days <= 1 else ("1d", timedelta(days=1))
    period = "近24小时" if days <= 1 else f"近{days}天"
    store.refresh()

    scope = topics or None  # no topics configured: report on every post
    q = ReportQueries(store)
    overall = q.period_stats(scope, start, end, interval=interval, tz=tz)
    overall_prev = q.period_stats(scope, prev_start, start, interval=interval, tz=tz)
    all_alerts = StateDocs(store).alerts(since=start, until=end, topics=scope, size=200)[::-1]  # oldest first
    sections = []
    for t in topics:
        cur = q.period_stats(t, start, end, interval=interval, tz=tz)
        prev = q.period_stats(t, prev_start, start, interval=interval, tz=tz)
        kws = sorted(cur["keywords"].items(), key=lambda kv: (-kv[1], kv[0]))
        before = q.term_doc_counts(t, prev_start, start, cur["keyword_field"], [k for k, _ in kws])
        t_alerts = [a for a in all_alerts if a.get("topic") == t]
        rows = alert_rows(t_alerts, zone)
        sec = TopicSection(
            name=t, total=cur["total"], previous=prev["total"], labels=cur["labels"], platforms=cur["platforms"],
            keywords=kws[:15], rising=rising_keywords(dict(kws), before),
            top_negative=[post_row(p, zone) for p in store.posts.top_posts(t, start, end, n_posts, negative_only=False, label="negative")],
            top_positive=[post_row(p, zone) for p in store.posts.top_posts(t, start, end, n_posts, negative_only=False, label="positive")],
            alerts=rows, negative_aspects=cur["negative_aspects"],
            aspect_negative_posts=cur["aspect_negative_posts"], emotions=cur["emotions"],
            summary=topic_sentence(t, period, cur["total"], prev["total"], cur["labels"].get("negative", 0),
                                   prev["labels"].get("negative", 0), cur["platforms"], [k for k, _ in kws],
                                   t_alerts))
        if cur["total"]:
            sec.events = event_rows(find_events(store, t, start, end, limit=n_events), zone)
            sec.voices = [v.model_dump() | {"platform": platform_name(v.platform)}
                          for v in key_voices(store, t, start, end, n=n_voices)]
            sec.volume_png = data_uri(charts.volume_chart(cur["timeline"], width, tz, title=f"{t} 声量趋势"))
        if sec.negative_aspects:
            sec.aspects_png = data_uri(charts.aspect_chart(sec.negative_aspects, sec.aspect_negative_posts))
        sections.append(sec)

    total = overall["total"]
    data = ReportData(
        title=("舆情日报" if days <= 1 else "舆情周报"),
        period_label=f"{start.astimezone(zone):%Y-%m-%d %H:%M} 至 {end.astimezone(zone):%Y-%m-%d %H:%M}（北京时间）"
        if tz == "Asia/Shanghai" else f"{start.astimezone(zone):%Y-%m-%d %H:%M} 至 {end.astimezone(zone):%Y-%m-%d %H:%M}（{tz}）",
        generated_label=f"{datetime.now(timezone.utc).astimezone(zone):%Y-%m-%d %H:%M}",
        tz=tz, total=total, previous=overall_prev["total"], labels=overall["labels"],
        platforms=[(platform_name(k), v, pct(v, total)) for k, v in
                   sorted(overall["platforms"].items(), key=lambda kv: (-kv[1], kv[0]))],
        topics=sections, alerts=alert_rows(all_alerts, zone))
    if total:
        data.charts["volume"] = data_uri(charts.volume_chart(overall["timeline"], width, tz))
        k = 3 if days <= 1 else 1
        data.charts["negative_share"] = data_uri(charts.negative_share_chart(
            charts.regroup(overall["timeline"], k), width * k, tz))
        data.charts["platforms"] = data_uri(charts.platform_chart(
            overall["platforms"], {k: platform_name(k) for k in overall["platforms"]}))
    return data


def render_html(data: ReportData) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    env.filters["pct"] = lambda v: f"{v:.0f}%"
    return env.get_template("report.html.j2").render(r=data, pct=pct)
