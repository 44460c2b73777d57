"""The web console's pages: what each page shows (pages.py) and how (templates/). The server,
accounts and security are the shell's (yuqing/app/console); charts are dashboards/charts.py's,
drawn as the report draws them (inline PNG)."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

TEMPLATES = Path(__file__).with_name("templates")
KIND_ZH = {"alert": "预警", "status": "状态", "assign": "指派", "note": "备注", "response": "回应", "playbook": "预案"}


def local_time(value, tz: str, fmt: str = "%m-%d %H:%M") -> str:
    """An ISO string or an aware datetime, as a person in `tz` reads it."""
    if not value:
        return ""
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(ZoneInfo(tz)).strftime(fmt)


def template_filters(tz: str) -> dict:
    from alerts.incidents import STATUS_ZH
    from dashboards.effect import event_line
    from dashboards.report import RULE_ZH
    from dashboards.summary import SEVERITY_ZH, platform_name

    return {"localtime": lambda v, fmt="%m-%d %H:%M": local_time(v, tz, fmt),
            "status_zh": lambda s: STATUS_ZH.get(s, s), "severity_zh": lambda s: SEVERITY_ZH.get(s, s),
            "rule_zh": lambda s: RULE_ZH.get(s, s), "kind_zh": lambda s: KIND_ZH.get(s, s),
            "platform_zh": platform_name, "pct": lambda v: f"{100 * float(v or 0):.0f}%", "event_line": event_line}
