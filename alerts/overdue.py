"""Overdue playbook steps remind someone, exactly once.

An incident's playbook steps fall due some time after it opened (alerts/incidents.py); a step past
due used to be only shown (`incidents show`, the console), which helps nobody who is not looking.
Each alerts cycle (the scheduler's `alerts` job) now also looks at the incidents not yet resolved
and tells the channels about every step that is not done, past its due time and not yet told: one
message per step, kind "overdue", through the outbox like an alert, so the channels' `topics` and
`min_severity` apply (it carries the incident's severity) and a channel that is down gets it when
it answers again.

Exactly once, across restarts and between two daemons: the message's id is
`<incident id>/step/<n>/overdue` (steps are only ever appended, so n is stable), and it is
enqueued *before* the step's `reminded_at` is written (the incident's conditional write, with a
timeline entry). The outbox creates one record per id and channel, so a crash between the two
only enqueues again on the next cycle, which creates nothing, and then records; a step once
recorded is never looked at again. Recording first would lose the reminder in that crash instead.
"""
from __future__ import annotations

import logging
from datetime import datetime

from alerts.alert import SEVERITY_ZH, Alert, OverdueStep
from alerts.incidents import Incident, IncidentError, Incidents, Step
from alerts.text import local, span_zh
from yuqing.store import StoreError, StoreUnavailable

log = logging.getLogger(__name__)
MAX_ACTIVE = 1000  # unresolved incidents looked at per cycle (newest first); a team works a handful


def reminder_id(inc_id: str, number: int) -> str:
    """The idempotency key: the outbox records `<this>:<channel>` once."""
    return f"{inc_id}/step/{number}/overdue"


def due_steps(inc: Incident, now: datetime) -> list[tuple[int, Step]]:
    """(number, step) of the steps to remind about at `now`: overdue and never reminded."""
    if inc.status == "resolved":
        return []
    return [(n, s) for n, s in enumerate(inc.playbook.steps, 1) if s.overdue(now) and s.reminded_at is None]


def reminder(inc: Incident, number: int, step: Step, now: datetime, cfg) -> Alert:
    """The message: the incident's severity and console link, the step, whom it is for (the step's
    `who` and the incident's owner), how late it is."""
    who = "、".join(dict.fromkeys(x for x in (step.who, inc.owner) if x))
    late = now - step.due_at
    due = local(step.due_at, cfg.timezone)
    rule = step.source.partition("/")[0] or (inc.rules[0] if inc.rules else "playbook")
    return Alert(
        id=reminder_id(inc.id, number), kind="overdue", topic=inc.topic, rule=rule, severity=inc.severity,
        title=f"【{SEVERITY_ZH.get(inc.severity, inc.severity)}·超时】{inc.topic} 处置超时：{step.do}",
        summary=f"事件 {inc.id}（{inc.title}）第 {number} 步「{step.do}」应于 {due:%m月%d日 %H:%M} 前完成，"
                f"已超时 {span_zh(late)}；负责：{who or '未指定'}。",
        fired_at=now, window_start=step.due_at, window_end=now, value=round(late.total_seconds() / 60),
        incident_id=inc.id, incident_url=inc.url(cfg.alerts.incidents.console_url),
        step=OverdueStep(number=number, do=step.do, who=who, due_at=step.due_at, late_s=int(late.total_seconds())))


def remind_overdue(cfg, store, outbox, now: datetime) -> list[Alert]:
    """Queue one reminder per overdue, unreminded step of every unresolved incident at `now`;
    returns those this call recorded. Nothing without an outbox, or with incidents or
    `alerts.incidents.remind_overdue` off."""
    icfg = cfg.alerts.incidents
    if outbox is None or not icfg.enabled or not icfg.remind_overdue:
        return []
    incidents = Incidents(store, cfg)
    told = []
    for inc in incidents.list("active", limit=MAX_ACTIVE):
        for number, step in due_steps(inc, now):
            msg = reminder(inc, number, step, now, cfg)
            if _tell(incidents, outbox, msg, now):
                told.append(msg)
    return told


def _tell(incidents: Incidents, outbox, msg: Alert, now: datetime) -> bool:
    """Enqueue, then record on the incident. One incident that cannot be written must not hold the
    others back: it is logged and tried again next cycle (the enqueue then creates nothing)."""
    channels = [ch.name for ch in outbox.channels_for(msg)]
    try:
        outbox.enqueue([msg], now)
        return incidents.mark_reminded(msg.incident_id, msg.step.number, now, _timeline(msg, channels))
    except StoreUnavailable:
        raise
    except (StoreError, IncidentError) as e:
        log.error("%s: reminder of step %d not recorded (%s); trying again next cycle",
                  msg.incident_id, msg.step.number, e)
        return False


def _timeline(msg: Alert, channels: list[str]) -> str:
    s = msg.step
    to = f"交给渠道 {'、'.join(channels)}" if channels else "没有渠道接收（见 alerts.channels 的 topics / min_severity）"
    return (f"超时提醒：第 {s.number} 步「{s.do}」已超时 {span_zh(msg.fired_at - s.due_at)}，"
            f"提醒 {s.who or '（未指定负责人）'}；{to}")
