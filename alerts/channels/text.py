"""Turning an Alert into text people read, safely.

Post text is written by strangers, so every chat format gets it through an escaper that leaves
nothing for the receiver to interpret: no links, images, headings, HTML tags, entities or
@-mentions (DingTalk/WeCom/Feishu markdown, Slack mrkdwn). Times are shown in the configured
zone (Asia/Shanghai by default), never in UTC.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from alerts.alert import SEVERITY_ZH, Alert
from alerts.text import span_zh

KIND_ZH = {"alert": "预警", "escalation": "升级", "reminder": "持续提醒", "recovery": "恢复", "overdue": "处置超时"}
RULE_ZH = {"negative_spike": "负面声量激增", "negative_surprise": "负面声量异常", "negative_ratio": "负面占比过高",
           "volume_spike": "声量激增", "keyword": "敏感词", "influencer": "大V负面",
           "source_down": "数据源采集中断"}
EXCERPT = 140

# Markdown / HTML metacharacters → full-width look-alikes: readable in Chinese text, inert everywhere.
_FULLWIDTH = str.maketrans({
    "[": "［", "]": "］", "(": "（", ")": "）", "*": "＊", "_": "＿", "`": "｀", "#": "＃", ">": "＞",
    "<": "＜", "~": "～", "!": "！", "|": "｜", "&": "＆", "@": "＠", "\\": "＼", "$": "＄", "{": "｛", "}": "｝",
    "+": "＋", "=": "＝",
})
_WS = re.compile(r"\s+")


def one_line(text: str | None, limit: int = EXCERPT) -> str:
    s = _WS.sub(" ", text or "").strip()
    return s if len(s) <= limit else s[: limit - 1] + "…"


def md_escape(text: str | None, limit: int = EXCERPT) -> str:
    """For DingTalk, WeCom and Feishu markdown, whose parsers document no escape character:
    one line (no heading/list/quote at a line start), metacharacters made full-width."""
    return one_line(text, limit).translate(_FULLWIDTH)


def slack_escape(text: str | None, limit: int = EXCERPT) -> str:
    """Slack: `&`, `<`, `>` must be entities (api.slack.com/reference/surfaces/formatting#escaping);
    that alone disables <!channel>, <@U…> and <url|label>. `@` is made full-width as well."""
    s = one_line(text, limit).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return s.replace("@", "＠")


def safe_url(url: str | None) -> str | None:
    """Only http(s) links leave the system, percent-encoded so `)`, spaces or `|` cannot end a
    markdown link early or smuggle a second one."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return quote(url.strip(), safe=":/?&=%#,;~-._+")


def local_time(dt: datetime | None, tz: str) -> str:
    if dt is None:
        return "-"
    return dt.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def num(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.2f}"


def heading(alert: Alert) -> str:
    """A title even when the rule left it empty: 【严重·预警】星河手机 负面声量激增."""
    if alert.title:
        return alert.title
    return f"【{SEVERITY_ZH[alert.severity]}·{KIND_ZH.get(alert.kind, alert.kind)}】{alert.topic} {RULE_ZH.get(alert.rule, alert.rule)}"


def facts(alert: Alert, tz: str) -> list[tuple[str, str]]:
    """The label/value pairs every format shows, in one order (values not yet escaped)."""
    if alert.step is not None:
        return step_facts(alert, tz)
    rows = [("专题", alert.topic), ("规则", RULE_ZH.get(alert.rule, alert.rule)),
            ("级别", SEVERITY_ZH[alert.severity]),
            ("时间窗", f"{local_time(alert.window_start, tz)} – {local_time(alert.window_end, tz)} ({tz})"),
            ("当前值", num(alert.value))]
    if alert.baseline is not None:
        rows.append(("基线", num(alert.baseline)))
    if alert.ratio is not None:
        rows.append(("倍数", f"{alert.ratio:.1f}×"))
    if alert.top_keywords:
        rows.append(("关键词", "、".join(alert.top_keywords[:10])))
    for r in alert.related:
        rows.append(("同时触发", f"{RULE_ZH.get(r.rule, r.rule)}（{SEVERITY_ZH[r.severity]}，当前值 {num(r.value)}）"))
    return rows


def step_facts(alert: Alert, tz: str) -> list[tuple[str, str]]:
    """An overdue playbook step's reminder (alerts/overdue.py): which step, for whom, how late."""
    s = alert.step
    return [("专题", alert.topic), ("事件", alert.incident_id or "-"), ("级别", SEVERITY_ZH[alert.severity]),
            ("步骤", f"{s.number}. {s.do}"), ("负责", s.who or "未指定"),
            ("截止", f"{local_time(s.due_at, tz)} ({tz})"), ("已超时", span_zh(timedelta(seconds=s.late_s)))]


def chat_markdown(alert: Alert, tz: str, posts: int = 3) -> str:
    """Body shared by DingTalk, WeCom and Feishu (their markdown subsets all know **bold**,
    [label](url) and '- ' lists). Only our own labels and vetted URLs carry markup."""
    lines = [f"**{md_escape(heading(alert), 200)}**", ""]
    if alert.summary:
        lines += [md_escape(alert.summary, 400), ""]
    lines += [f"- **{k}**：{md_escape(v, 200)}" for k, v in facts(alert, tz)]
    shown = alert.top_posts[:posts]
    if shown:
        lines += ["", "**代表性负面帖子**"]
        for i, p in enumerate(shown, 1):
            link = safe_url(p.url)
            tail = f" [原帖]({link})" if link else ""
            lines.append(f"{i}. {md_escape(p.excerpt)}（{md_escape(p.platform, 20)}，互动 {p.engagement}）{tail}")
    kib = safe_url(alert.kibana_url)
    if kib:
        lines += ["", f"[在 Kibana 中查看]({kib})"]
    inc = safe_url(alert.incident_url)
    if inc:
        lines += ["", f"[在控制台处理事件 {md_escape(alert.incident_id or '', 40)}]({inc})"]
    lines += ["", f"触发时间：{local_time(alert.fired_at, tz)}"]
    return "\n".join(lines)
