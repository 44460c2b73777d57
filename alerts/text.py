"""What people read in an alert: Chinese titles and summaries in the configured time zone,
severity by how far past the threshold, and a Kibana Discover link to the posts behind it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import quote
from zoneinfo import ZoneInfo

from alerts.alert import SEVERITY_ZH, Alert, Severity

RULE_ZH = {
    "negative_spike": "负面声量激增",
    "negative_surprise": "负面声量异常",
    "negative_ratio": "负面占比过高",
    "volume_spike": "声量激增（热点形成）",
    "keyword": "负面敏感词",
    "influencer": "大V/高互动负面帖",
    "source_down": "数据源采集中断",
}
KIND_TAG = {"alert": None, "escalation": "升级", "reminder": "持续", "recovery": "恢复", "overdue": "超时"}


def severity_for(value: float, threshold: float, warning_at: float, critical_at: float) -> Severity:
    """info just past the threshold, warning at warning_at x, critical at critical_at x."""
    if threshold <= 0:
        return "critical"
    x = value / threshold
    if x >= critical_at:
        return "critical"
    if x >= warning_at:
        return "warning"
    return "info"


def local(dt: datetime, tz: str) -> datetime:
    return dt.astimezone(ZoneInfo(tz))


def span_zh(d: timedelta) -> str:
    """"25 分钟", "2 小时 5 分钟": how late a step is, how long until it is due."""
    m = int(d.total_seconds() // 60)
    if m < 60:
        return f"{m} 分钟"
    h, m = divmod(m, 60)
    return f"{h} 小时" + (f" {m} 分钟" if m else "")


def window_zh(start: datetime, end: datetime, tz: str) -> str:
    s, e = local(start, tz), local(end, tz)
    fmt_end = "%H:%M" if s.date() == e.date() else "%m月%d日 %H:%M"
    zone = "北京时间" if tz in ("Asia/Shanghai", "Asia/Chongqing", "PRC") else tz
    return f"{s:%m月%d日 %H:%M}–{e.strftime(fmt_end)}（{zone}）"


def title(alert: Alert) -> str:
    tag = KIND_TAG.get(alert.kind) or SEVERITY_ZH[alert.severity]
    what = RULE_ZH.get(alert.rule, alert.rule)
    if alert.kind == "recovery":
        return f"【{tag}】{alert.topic} {what}已恢复正常"
    if alert.kind == "reminder":
        return f"【{tag}·{SEVERITY_ZH[alert.severity]}】{alert.topic} {what}仍在持续"
    return f"【{tag}】{alert.topic} {what}"


def _num(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.2f}"


def summary(alert: Alert, tz: str, unit: str = "条负面帖子") -> str:
    when = window_zh(alert.window_start, alert.window_end, tz)
    if alert.kind == "recovery":
        return f"{alert.topic} 在 {when} 已回落到正常水平（当前 {_num(alert.value)}，基线 {_num(alert.baseline)}）。"
    s = f"{when}，{alert.topic} 出现 {_num(alert.value)} {unit}"
    if alert.baseline is not None:
        s += f"，基线 {_num(alert.baseline)}"
    if alert.ratio is not None:
        s += f"，为基线的 {alert.ratio:.1f} 倍"
    if alert.threshold is not None:
        s += f"（阈值 {_num(alert.threshold)}）"
    s += "。"
    if alert.kind == "escalation":
        s += "较上次通知明显恶化。"
    return s


def measure_zh(match: dict[str, str]) -> str:
    """What a narrowed measure counted: "（对售后负面）", "（带怒情绪）"."""
    parts = ([f"对{match['negative_aspects']}负面"] if "negative_aspects" in match else []) + \
        ([f"带{match['emotions']}情绪"] if "emotions" in match else [])
    return f"（{'、'.join(parts)}）" if parts else ""


def aspects_zh(shares: dict[str, float]) -> str:
    """"主要负面方面：售后 48 %、质量 31 %。" (empty when no post named an aspect negatively)."""
    if not shares:
        return ""
    return "主要负面方面：" + "、".join(f"{k} {v:.0%}".replace("%", " %") for k, v in shares.items()) + "。"


def events_zh(events: list[dict]) -> str:
    """"主要事件：X5电池鼓包（63 帖，负面 91%）；售后拒保（20 帖，负面 95%）。" (empty without events)."""
    if not events:
        return ""
    return "主要事件：" + "；".join(e["summary"] for e in events) + "。"


def kibana_url(base: str | None, data_view: str | None, topic: str, start: datetime, end: datetime,
               negative_only: bool = True) -> str | None:
    """A Discover link filtered to the topic and window (times in UTC, Kibana shows them locally)."""
    if not base:
        return None

    def t(dt: datetime) -> str:
        return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    kql = f'topics:"{topic}"' + (" and sentiment_label:negative" if negative_only else "")
    rison_q = kql.replace("!", "!!").replace("'", "!'")
    g = f"(time:(from:'{t(start)}',to:'{t(end)}'))"
    a = f"(query:(language:kuery,query:'{rison_q}')" + (f",dataSource:(dataViewId:'{data_view}',type:dataView)"
                                                         if data_view else "") + ")"
    return f"{base.rstrip('/')}/app/discover#/?_g={quote(g, safe=':(),')}&_a={quote(a, safe=':(),')}"
