"""Noise control as one pure decision per (topic, rule) and evaluation, and the merge of
several rules firing for one topic into one message.

ElastAlert users complain of repeated alerts (realert lost on restart) and of spike alerts that
fire once and never again; here the last notification is remembered in the state document and
a rule that is still firing re-notifies only when it has clearly worsened (escalation) or the
realert period is over (a reminder), and says once when it is over (recovery).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from alerts import text
from alerts.alert import SEVERITY_RANK, Alert
from alerts.config import AlertsConfig
from alerts.state import parse_dt


def decide(prev: dict | None, fired: Alert | None, now: datetime, acfg: AlertsConfig, topic: str,
           rule: str, tz: str, recover_after: timedelta | None = None) -> tuple[Alert | None, dict | None]:
    """(notification or None, new state document or None when nothing changes).
    `recover_after`: the rule's own quiet period (default `alerts.recover_after`)."""
    active = bool(prev and prev.get("active"))
    recover_after = acfg.recover_after if recover_after is None else recover_after
    if fired is None:
        if not active:
            return None, None
        last = parse_dt(prev["last_firing_at"])
        if now - last < recover_after:
            return None, None
        start = parse_dt(prev["first_fired_at"])
        note = Alert(kind="recovery", topic=topic, rule=rule, severity="info", fired_at=now, window_start=start,
                     window_end=now, value=prev.get("peak_value", prev.get("last_value", 0)),
                     baseline=prev.get("baseline"), threshold=prev.get("threshold"),
                     kibana_url=prev.get("kibana_url"))
        note.title = text.title(note)
        note.summary = (f"{topic} 的{text.RULE_ZH.get(rule, rule)}已回落到正常水平：自 "
                        f"{text.window_zh(start, last, tz)} 以来峰值 {note.value:g}，"
                        f"最近 {int(recover_after.total_seconds() // 60)} 分钟未再触发。")
        return note, {**prev, "active": False, "recovered_at": now.isoformat()}

    base = {"kind": "rule", "topic": topic, "rule": rule, "active": True, "last_firing_at": now.isoformat(),
            "last_value": fired.value, "baseline": fired.baseline, "threshold": fired.threshold,
            "kibana_url": fired.kibana_url}
    if not active:
        return fired, {**base, "first_fired_at": now.isoformat(), "peak_value": fired.value, **_told(fired, now),
                       "peak_severity": fired.severity}
    peak = max(fired.value, prev.get("peak_value") or 0)
    told_v = prev.get("notified_value") or 0
    # Compared as "how far past the threshold", so a rule that measures several windows does not
    # escalate merely because a longer window (with a bigger count) is the one reported now.
    told_x = prev.get("notified_excess") or 0
    worse_rank = SEVERITY_RANK[fired.severity] > SEVERITY_RANK.get(prev.get("notified_severity"), 0)
    if excess(fired) >= acfg.escalate_factor * told_x or (worse_rank and excess(fired) > told_x):
        fired.kind = "escalation"
        fired.id = fired.make_id()
        fired.title = text.title(fired)
        fired.summary += f" 上次通知时为 {told_v:g}。"
        return fired, {**prev, **base, "peak_value": peak, **_told(fired, now), **_peak(prev, fired)}
    if now - parse_dt(prev["notified_at"]) >= acfg.realert:
        fired.kind = "reminder"  # the same episode told again, not a new one
        fired.id = fired.make_id()
        fired.title = text.title(fired)
        fired.summary += f" 仍在持续（首次触发于 {text.local(parse_dt(prev['first_fired_at']), tz):%m月%d日 %H:%M}）。"
        return fired, {**prev, **base, "peak_value": peak, **_told(fired, now), **_peak(prev, fired)}
    return None, {**prev, **base, "peak_value": peak}


def excess(a: Alert) -> float:
    return a.value / a.threshold if a.threshold else a.value


def _told(a: Alert, now: datetime) -> dict:
    return {"notified_at": now.isoformat(), "notified_value": a.value, "notified_excess": round(excess(a), 4),
            "notified_severity": a.severity, "alert_id": a.id}


def _peak(prev: dict, fired: Alert) -> dict:
    """The highest severity told in this episode: a reminder at a lower level does not lower it."""
    told = told_peak(prev)
    return {"peak_severity": fired.severity if SEVERITY_RANK[fired.severity] >= SEVERITY_RANK.get(told, 0) else told}


def told_peak(state: dict) -> str | None:
    """State documents written before `peak_severity` existed have only the last told severity."""
    return state.get("peak_severity") or state.get("notified_severity")


def hold_back(note: Alert | None, new: dict | None, prev: dict | None, sources: list[str],
              others: dict[str, dict | None]) -> tuple[Alert | None, dict | None]:
    """Inhibition, as Alertmanager's `inhibit_rules` do it: a rule's message is held back while one
    of its `sources` (`alerts.inhibit`) has an active episode on the same topic that was told at
    the same or a higher severity (the highest it told in that episode: a later reminder at a lower
    level does not make the team unhear the critical it was told); `negative_spike` after
    `negative_surprise` says nothing the team has not just heard. The held episode's state is kept
    (marked `inhibited_by`), so its noise control goes on; its recovery is not told either (nobody
    heard it start), and if it outgrows its source it is told then, as a new alert. `others`: this
    topic's rule states by rule name."""
    if note is None:
        return note, new
    held = bool(prev and prev.get("active") and prev.get("inhibited_by"))
    if note.kind == "recovery":
        return (None, new) if held else (note, new)
    if not held and note.kind != "alert":
        return note, new  # an episode already told goes on being told (reminders, escalations)
    for source in sources:
        st = others.get(source)
        if st and st.get("active") and SEVERITY_RANK.get(told_peak(st), 0) >= SEVERITY_RANK[note.severity]:
            return None, {**(new or prev or {}), "inhibited_by": source}
    if held:  # first told now: for the team it is a new alert, whatever noise control called it
        note.kind = "alert"
        note.id = note.make_id()
        note.title = text.title(note)
        new = {k: v for k, v in (new or prev).items() if k != "inhibited_by"}
    return note, new


def merge(notes: list[Alert]) -> list[Alert]:
    """One message per topic for what fired (the worst rule leads, the others ride in `related`)
    and one for what recovered."""
    out = []
    firing = [n for n in notes if n.kind != "recovery"]
    recovered = [n for n in notes if n.kind == "recovery"]
    for group in (firing, recovered):
        if not group:
            continue
        group.sort(key=lambda a: (SEVERITY_RANK[a.severity], a.kind == "escalation", a.ratio or 0), reverse=True)
        lead, rest = group[0], group[1:]
        if rest:
            lead.related = rest
            others = "、".join(text.RULE_ZH.get(r.rule, r.rule) for r in rest)
            lead.title += f"（另有 {len(rest)} 项：{others}）"
        out.append(lead)
    return out
