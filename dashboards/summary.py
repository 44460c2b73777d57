"""The one-sentence Chinese summary per topic that opens each section of a report.

Readers skim: the sentence carries what changed (volume against the previous period, negative
share), where it comes from (main platform), what people say (keywords) and whether anything
fired. Only facts from the numbers, no model, so it can be trusted and tested.
"""
from __future__ import annotations

PLATFORM_ZH = {"weibo": "微博", "bilibili": "哔哩哔哩", "tieba": "百度贴吧", "news": "新闻", "jd": "京东",
               "douyin": "抖音", "xiaohongshu": "小红书", "zhihu": "知乎", "wechat": "微信公众号",
               "toutiao": "今日头条", "dianping": "大众点评", "taobao": "淘宝", "kuaishou": "快手", "rss": "RSS"}
SEVERITY_ZH = {"info": "提示", "warning": "预警", "critical": "严重"}
SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}


def platform_name(p: str) -> str:
    return PLATFORM_ZH.get(p, p)


def pct(part: float, whole: float) -> float:
    return 100.0 * part / whole if whole else 0.0


def change_phrase(now: int, before: int) -> str:
    if before == 0:
        return "上期无数据" if now == 0 else "上期为 0，本期新增"
    d = pct(now - before, before)
    if abs(d) < 1:
        return "与上期持平"
    return f"环比{'上升' if d > 0 else '下降'} {abs(d):.0f}%"


def topic_sentence(topic: str, period: str, total: int, previous: int, negative: int, previous_negative: int,
                   platforms: dict[str, int], keywords: list[str], alerts: list[dict]) -> str:
    if total == 0:
        s = f"{topic}：{period}未监测到相关帖子"
        return s + (f"（上期 {previous} 条）。" if previous else "。")
    parts = [f"{topic}：{period}共 {total} 条相关帖子（{change_phrase(total, previous)}）"]
    share = pct(negative, total)
    neg = f"其中负面 {negative} 条，占 {share:.0f}%"
    if previous:
        diff = share - pct(previous_negative, previous)
        if abs(diff) >= 1:
            neg += f"，较上期{'上升' if diff > 0 else '下降'} {abs(diff):.0f} 个百分点"
    parts.append(neg)
    if platforms:
        top, n = max(platforms.items(), key=lambda kv: (kv[1], kv[0]))
        parts.append(f"声量主要来自{platform_name(top)}（{pct(n, total):.0f}%）")
    if keywords:
        parts.append("热议词：" + "、".join(keywords[:3]))
    alerts = [a for a in alerts if a.get("kind", "alert") not in ("recovery", "reminder")]  # episodes told, not repeats
    if alerts:
        worst = max(alerts, key=lambda a: SEVERITY_RANK.get(a.get("severity", "warning"), 1))
        parts.append(f"期间触发 {len(alerts)} 次预警（最高级别：{SEVERITY_ZH.get(worst.get('severity'), '预警')}）")
    else:
        parts.append("期间无预警")
    return "；".join(parts) + "。"
