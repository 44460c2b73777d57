"""What each console page shows, as plain values for the templates. Reads go through the store
(and the alerts stage's documents); nothing here knows about HTTP, sessions or accounts."""
from __future__ import annotations

import dataclasses
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from alerts.events import find_events
from alerts.state_docs import StateDocs
from alerts.voices import key_voices
from dashboards import charts, effect
from dashboards.console import local_time
from dashboards.queries import ReportQueries
from dashboards.report import alert_rows, data_uri
from dashboards.summary import pct

# pyplot keeps global state: the server's threads draw one chart at a time.
_DRAW = threading.Lock()
DONE_ZH = {"ack": "已确认此事件", "assign": "已指派负责人", "note": "已添加备注", "respond": "已记录回应",
           "resolve": "已标记为解决", "step": "已完成该步骤"}


def as_dict(x: Any) -> dict:
    """A model, a dataclass or a dict, as a dict (the templates read keys)."""
    if isinstance(x, dict):
        return x
    if hasattr(x, "model_dump"):
        return x.model_dump(mode="json")
    if dataclasses.is_dataclass(x):
        return dataclasses.asdict(x)
    return dict(vars(x))


def overview(store, topics: list[str], now: datetime, tz: str, open_incidents: list) -> dict:
    """Per topic: posts and negative share over the last 24 h and the day before; the sentiment
    trend of all topics together; open incidents; the alerts of the last 24 h."""
    from zoneinfo import ZoneInfo

    end = now.astimezone(timezone.utc)
    start, prev = end - timedelta(days=1), end - timedelta(days=2)
    q = ReportQueries(store)
    rows = []
    for t in topics:
        cur = q.period_stats(t, start, end, interval="1h", tz=tz, keywords=5)
        before = q.period_stats(t, prev, start, interval="1h", tz=tz, keywords=5)
        neg = cur["labels"].get("negative", 0)
        rows.append({"name": t, "total": cur["total"], "previous": before["total"], "negative": neg,
                     "negative_share": pct(neg, cur["total"]), "keywords": list(cur["keywords"])[:5]})
    overall = q.period_stats(topics or None, start, end, interval="1h", tz=tz, keywords=1)
    trend = share = ""
    if overall["total"]:
        with _DRAW:
            trend = data_uri(charts.volume_chart(overall["timeline"], timedelta(hours=1), tz, title="近24小时声量趋势（按情感）"))
            share = data_uri(charts.negative_share_chart(charts.regroup(overall["timeline"], 3), timedelta(hours=3),
                                                         tz))
    alerts = StateDocs(store).alerts(since=start, until=end + timedelta(seconds=1), size=30)[::-1]
    return {"now_label": local_time(now, tz, "%Y-%m-%d %H:%M"), "topic_rows": rows, "trend_png": trend,
            "share_png": share, "open_incidents": open_incidents,
            "alerts": alert_rows(alerts, ZoneInfo(tz))[::-1]}


def incident(store, inc, now: datetime, tz: str, window: timedelta) -> dict:
    """The incident page: its record as dicts, and the effect of each recorded response (the
    before/after comparison of dashboards/effect.py with its chart)."""
    effects = [response_effect(store, inc, r, now, tz, window) for r in sorted(inc.responses, key=lambda r: r.at)]
    return {"inc": inc, "events": [as_dict(e) for e in inc.events or []],
            "timeline": [as_dict(t) for t in inc.timeline or []], "notes": [as_dict(n) for n in inc.notes or []],
            "responses": [as_dict(r) for r in inc.responses or []], "playbook": as_dict(inc.playbook) if inc.playbook else None,
            "effects": effects, "overdue": [i for i, s in enumerate(inc.playbook.steps) if s.overdue(now)]}


def response_effect(store, inc, response, now: datetime, tz: str, window: timedelta) -> dict:
    """One response's before/after report (per platform, and the incident's lead event alone) and its chart."""
    rep = effect.effect_report(store, inc.topic, response.at, now, window, event=effect.lead_event(inc))
    with _DRAW:
        png = effect.effect_chart(rep, tz)
    return {"response": as_dict(response), "report": rep, "rows": [rep.total, *rep.platforms], "png": data_uri(png)}


def effects(store, incidents: list, now: datetime, tz: str, window: timedelta) -> list[dict]:
    return [{"inc": inc, **response_effect(store, inc, r, now, tz, window)}
            for inc in incidents for r in sorted(inc.responses, key=lambda r: r.at)]


def topic_events(store, topic: str, start: datetime, end: datetime, tz: str) -> dict:
    """The topic's events in the window (alerts/events.py) with the key voices of the topic."""
    events = find_events(store, topic, start, end, limit=10)
    voices = key_voices(store, topic, start, end, n=10)
    return {"events": events, "voices": [as_dict(v) for v in voices],
            "window": f"{local_time(start, tz, '%m-%d %H:%M')} 至 {local_time(end, tz, '%m-%d %H:%M')}"}


def audit_rows(rows: list[dict], tz: str) -> list[dict]:
    return [{**r, "time": local_time(r.get("at"), tz, "%Y-%m-%d %H:%M:%S")} for r in rows]
