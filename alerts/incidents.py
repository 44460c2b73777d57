"""Incidents: what people do about alerts (issue #16, plan 8.3.2 and 8.3.4).

An alert opens an incident for its topic, or joins the topic's incident that is still open. The
status runs open → acknowledged → responding → resolved; a new alert within `alerts.incidents.grace`
of resolving reopens the incident instead of opening another. An incident keeps its owner, notes,
the events of its alerts, the brand's responses, a playbook (steps with due times, reply templates,
from `alerts.playbooks[rule][severity]`) and a timeline of everything that happened to it.

Every change is read → change → conditional write (alerts/incident_docs.py); on a version conflict
the change is applied again to what the other writer left, and the rules (which transitions are
legal) are checked against that fresh state, so concurrent writers never lose a change and never
make an illegal transition. The clock is always a parameter.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Callable, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator

from alerts.alert import SEVERITY_RANK, SEVERITY_ZH, Alert
from alerts.incident_docs import IncidentDocs, incident_id
from alerts.text import KIND_TAG, RULE_ZH

Status = Literal["open", "acknowledged", "responding", "resolved"]
STATUS_ZH = {"open": "待处理", "acknowledged": "已确认", "responding": "回应中", "resolved": "已解决"}
EntryKind = Literal["alert", "status", "assign", "note", "response", "playbook"]
ACTION_ZH = {"ack": "确认", "respond": "记录回应", "resolve": "标记解决"}
# Which statuses each status-changing action may start from (notes, assignment: any status).
ALLOWED = {"ack": ("open",), "respond": ("open", "acknowledged", "responding"),
           "resolve": ("open", "acknowledged", "responding")}
RETRIES = 8  # conditional writes lost to other writers before giving up
FUTURE_SKEW = timedelta(minutes=5)  # a response "at" this far ahead of the clock is still accepted


class IncidentError(Exception):
    """An action the rules refuse (an illegal transition, an unknown id); the message says why in
    Chinese and English."""


class TimelineEntry(BaseModel):
    at: datetime
    kind: EntryKind
    by: str = ""
    text: str = ""


class Note(BaseModel):
    at: datetime
    by: str
    text: str = Field(min_length=1, max_length=4000)


class Response(BaseModel):
    """The brand's response: the official post's URL, when it went out, what it said, where."""

    url: str | None = None
    at: datetime
    text: str = Field("", max_length=4000)
    channel: str = Field(min_length=1, max_length=64)  # weibo, wechat, 官网 ...
    by: str = ""

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v and not v.startswith(("http://", "https://")):
            raise ValueError(f"回应链接必须以 http:// 或 https:// 开头 (the response URL must be http(s)): {v!r}")
        return v or None


class Step(BaseModel):
    do: str
    due_at: datetime
    who: str | None = None
    on_response: bool = False
    source: str = ""  # "negative_spike/critical": the playbook it came from
    done: bool = False
    done_at: datetime | None = None
    done_by: str | None = None
    reminded_at: datetime | None = None  # when alerts/overdue.py told someone it is late (once)

    def overdue(self, now: datetime) -> bool:
        return not self.done and now > self.due_at


class IncidentPlaybook(BaseModel):
    steps: list[Step] = []
    replies: list[str] = []
    sources: list[str] = []  # the playbooks attached ("rule/severity"), each once


class Incident(BaseModel):
    id: str
    seq: int
    topic: str
    title: str
    severity: str = "warning"
    status: Status = "open"
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    owner: str | None = None
    alert_ids: list[str] = []
    rules: list[str] = []
    events: list[dict] = []
    playbook: IncidentPlaybook = IncidentPlaybook()
    notes: list[Note] = []
    responses: list[Response] = []
    timeline: list[TimelineEntry] = []
    version: int = 0  # +1 per write; a console form may send it back to refuse a stale change

    def log(self, at: datetime, kind: str, text: str, by: str = "") -> None:
        self.timeline.append(TimelineEntry(at=at, kind=kind, by=by, text=text))

    def url(self, console_url: str) -> str:
        return f"{console_url.rstrip('/')}/incidents/{self.id}"

    def overdue(self, now: datetime) -> list[Step]:
        return [s for s in self.playbook.steps if s.overdue(now)]


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("the clock must be timezone-aware")
    return now.astimezone(timezone.utc)


def _event_key(e: dict) -> str:
    return str(e.get("id") or json.dumps(e, sort_keys=True, ensure_ascii=False, default=str))


class Incidents:
    """The incidents of one store. `cfg` is the root config or its `alerts` section."""

    def __init__(self, store, cfg):
        self.store = store
        self.acfg = getattr(cfg, "alerts", cfg)
        self.icfg = self.acfg.incidents
        self.tz = getattr(cfg, "timezone", "Asia/Shanghai")  # for times in messages people read
        self.docs = IncidentDocs(store)

    # -- alerts open and join incidents ---------------------------------------------------
    def attach(self, alert: Alert, now: datetime) -> Incident | None:
        """Open an incident for `alert` or join its topic's unresolved one (reopening one resolved
        within the grace period). None when incidents are off, the rule opens none (source_down),
        or a recovery finds no incident to join. Attaching the same alert twice changes nothing."""
        now = _utc(now)
        if not self.icfg.enabled or alert.rule in self.icfg.skip_rules:
            return None
        for _ in range(RETRIES):
            latest = self.docs.latest(alert.topic)
            inc = Incident.model_validate(dict(latest)) if latest is not None else None
            if inc is not None and alert.id in inc.alert_ids:
                return inc
            if inc is not None and self._joins(inc, alert, now):
                self._join(inc, alert, now)
                if self._write(inc, latest, now):
                    return inc
                continue
            if alert.kind == "recovery":
                return None  # a recovery opens nothing
            inc = self._new(alert, (inc.seq if inc else 0) + 1, now)
            if self.docs.create(inc.id, inc.model_dump(mode="json")) is not None:
                return inc
            # another evaluator opened this topic's next incident a moment ago: join that one
        raise IncidentError(f"专题 {alert.topic} 的事件被频繁并发修改，请重试 "
                            f"(too many concurrent writers on the incident of {alert.topic}; retry)")

    def _joins(self, inc: Incident, alert: Alert, now: datetime) -> bool:
        if inc.status != "resolved":
            return True
        return alert.kind != "recovery" and inc.resolved_at is not None and now - inc.resolved_at <= self.icfg.grace

    def _new(self, alert: Alert, seq: int, now: datetime) -> Incident:
        inc = Incident(id=incident_id(alert.topic, seq), seq=seq, topic=alert.topic,
                       title=f"{alert.topic} {RULE_ZH.get(alert.rule, alert.rule)}", severity=alert.severity,
                       opened_at=now, updated_at=now)
        inc.log(now, "status", f"事件打开：{alert.title or inc.title}", "system")
        self._join(inc, alert, now)
        return inc

    def _join(self, inc: Incident, alert: Alert, now: datetime) -> None:
        if inc.status == "resolved":
            inc.status, inc.resolved_at = "open", None
            inc.log(now, "status", "宽限期内再次告警，事件重新打开（已解决 → 待处理）", "system")
        inc.alert_ids.append(alert.id)
        for a in [alert, *alert.related]:
            if a.rule not in inc.rules:
                inc.rules.append(a.rule)
            if SEVERITY_RANK.get(a.severity, 0) > SEVERITY_RANK.get(inc.severity, 0) and a.kind != "recovery":
                inc.severity = a.severity
        seen = {_event_key(e) for e in inc.events}
        for e in getattr(alert, "events", None) or []:
            if _event_key(e) not in seen:
                inc.events.append(dict(e))
                seen.add(_event_key(e))
        tag = "、".join(x for x in (KIND_TAG.get(alert.kind), SEVERITY_ZH.get(alert.severity)) if x)
        inc.log(now, "alert", f"{alert.title or alert.rule}（{tag}，当前值 {alert.value:g}） #{alert.id}", "system")
        for a in [alert, *alert.related]:
            if a.kind != "recovery":
                self._add_playbook(inc, a.rule, a.severity, now)

    def _add_playbook(self, inc: Incident, rule: str, severity: str, now: datetime) -> None:
        """Attach `alerts.playbooks[rule][severity]` once; due times count from now (the opening,
        or the later alert that escalated the incident to this severity)."""
        pb = self.acfg.playbooks.get(rule, {}).get(severity)
        source = f"{rule}/{severity}"
        if pb is None or source in inc.playbook.sources:
            return
        inc.playbook.sources.append(source)
        for s in pb.steps:
            inc.playbook.steps.append(Step(do=s.do, due_at=now + s.due, who=s.who, on_response=s.on_response,
                                           source=source))
        inc.playbook.replies += [r.replace("{topic}", inc.topic) for r in pb.replies
                                 if r.replace("{topic}", inc.topic) not in inc.playbook.replies]
        inc.log(now, "playbook", f"附加预案 {source}：{len(pb.steps)} 个步骤，{len(pb.replies)} 条回应模板", "system")

    # -- reading -------------------------------------------------------------------------
    def get(self, inc_id: str) -> Incident | None:
        doc = self.docs.get(inc_id)
        return Incident.model_validate(dict(doc)) if doc is not None else None

    def list(self, status: str | list[str] | None = None, topic: str | None = None, limit: int = 50,
             since: datetime | None = None) -> list[Incident]:
        """Newest first. `status` is one status, a list, or "active" (every unresolved one)."""
        if status == "active":
            status = ["open", "acknowledged", "responding"]
        elif isinstance(status, str):
            status = [status]
        return [Incident.model_validate(dict(d)) for d in self.docs.search(status, topic, since, limit)]

    # -- people's actions ----------------------------------------------------------------
    def ack(self, inc_id: str, by: str, now: datetime, version: int | None = None) -> Incident:
        return self._change(inc_id, now, version, lambda inc, t: self._status(inc, "ack", "acknowledged", by, t))

    def assign(self, inc_id: str, owner: str, by: str, now: datetime, version: int | None = None) -> Incident:
        owner = owner.strip()
        if not owner:
            raise IncidentError("负责人不能为空 (the owner must not be empty)")

        def fn(inc: Incident, t: datetime) -> None:
            before = inc.owner
            inc.owner = owner
            inc.log(t, "assign", f"负责人：{before or '（无）'} → {owner}", by)
        return self._change(inc_id, now, version, fn)

    def note(self, inc_id: str, text: str, by: str, now: datetime, version: int | None = None) -> Incident:
        if not text.strip():
            raise IncidentError("备注不能为空 (a note must not be empty)")

        def fn(inc: Incident, t: datetime) -> None:
            inc.notes.append(Note(at=t, by=by, text=text.strip()))
            inc.log(t, "note", text.strip(), by)
        return self._change(inc_id, now, version, fn)

    def respond(self, inc_id: str, response: Response, by: str, now: datetime,
                version: int | None = None) -> Incident:
        """Record the brand's response and move to responding; steps marked `on_response` are done."""
        def fn(inc: Incident, t: datetime) -> None:
            r = response.model_copy(update={"by": response.by or by})
            self._check_time(inc, r.at, t)
            if inc.status != "responding":
                self._status(inc, "respond", "responding", by, t)
            inc.responses.append(r)
            inc.log(t, "response", f"{r.channel} 回应：{r.text[:200]}{' ' + r.url if r.url else ''}", by)
            for s in inc.playbook.steps:
                if s.on_response and not s.done:
                    s.done, s.done_at, s.done_by = True, r.at, by
        return self._change(inc_id, now, version, fn)

    def resolve(self, inc_id: str, by: str, now: datetime, version: int | None = None) -> Incident:
        def fn(inc: Incident, t: datetime) -> None:
            self._status(inc, "resolve", "resolved", by, t)
            inc.resolved_at = t
        return self._change(inc_id, now, version, fn)

    def done_step(self, inc_id: str, number: int, by: str, now: datetime, version: int | None = None) -> Incident:
        """Mark playbook step `number` (1-based, as `incidents show` numbers them) done."""
        def fn(inc: Incident, t: datetime) -> None:
            if not 1 <= number <= len(inc.playbook.steps):
                raise IncidentError(f"事件 {inc.id} 没有第 {number} 步（共 {len(inc.playbook.steps)} 步） "
                                    f"(incident {inc.id} has no step {number})")
            s = inc.playbook.steps[number - 1]
            if s.done:
                raise IncidentError(f"第 {number} 步已完成 (step {number} is already done)")
            s.done, s.done_at, s.done_by = True, t, by
            inc.log(t, "playbook", f"完成步骤 {number}：{s.do}", by)
        return self._change(inc_id, now, version, fn)

    def mark_reminded(self, inc_id: str, number: int, now: datetime, text: str) -> bool:
        """Record that overdue step `number` was told (alerts/overdue.py), with a timeline entry.
        False, and nothing written, when another process recorded it first."""
        def fn(inc: Incident, t: datetime) -> bool:
            s = inc.playbook.steps[number - 1]
            if s.reminded_at is not None:
                return False
            s.reminded_at = t
            inc.log(t, "playbook", text, "system")
            return True
        return self._change(inc_id, now, None, fn) is not None

    def _check_time(self, inc: Incident, at: datetime, now: datetime) -> None:
        """A response cannot predate its incident, nor lie in the future (5 minutes of clock skew)."""
        zone = ZoneInfo(self.tz)
        if at < inc.opened_at:
            raise IncidentError(f"回应时间 {at.astimezone(zone):%Y-%m-%d %H:%M} 早于事件开启时间 "
                                f"{inc.opened_at.astimezone(zone):%Y-%m-%d %H:%M} (a response cannot predate its incident)")
        if at > now + FUTURE_SKEW:
            raise IncidentError(f"回应时间 {at.astimezone(zone):%Y-%m-%d %H:%M} 晚于现在 "
                                f"(a response cannot be in the future)")

    # -- the one write path ----------------------------------------------------------------
    @staticmethod
    def _status(inc: Incident, action: str, to: str, by: str, now: datetime) -> None:
        if inc.status not in ALLOWED[action]:
            raise IncidentError(
                f"事件 {inc.id} 当前为「{STATUS_ZH[inc.status]}」，不能{ACTION_ZH[action]}；"
                f"允许的状态：{'、'.join(STATUS_ZH[s] for s in ALLOWED[action])} "
                f"(incident {inc.id} is {inc.status}; {action} needs one of: {', '.join(ALLOWED[action])})")
        inc.log(now, "status", f"{STATUS_ZH[inc.status]} → {STATUS_ZH[to]}", by)
        inc.status = to

    def _change(self, inc_id: str, now: datetime, version: int | None,
                fn: Callable[[Incident, datetime], bool | None]) -> Incident | None:
        """Read, apply `fn` (which may refuse with IncidentError), write if nobody wrote in between;
        otherwise read again and re-apply, so a concurrent change is never lost. `fn` returning
        False means the change is already there (another writer made it): nothing is written and
        None is returned, so an idempotent action needs no exception to say so."""
        now = _utc(now)
        for _ in range(RETRIES):
            doc = self.docs.get(inc_id)
            if doc is None:
                raise IncidentError(f"没有编号为 {inc_id} 的事件 (no incident {inc_id}); "
                                    f"用 `yuqing incidents list` 查看 (see `yuqing incidents list`)")
            inc = Incident.model_validate(dict(doc))
            if version is not None and inc.version != version:
                raise IncidentError(f"事件 {inc_id} 已被他人修改（版本 {inc.version}，你看到的是 {version}），请刷新后重试 "
                                    f"(incident {inc_id} changed since you read it; reload and retry)")
            if fn(inc, now) is False:
                return None
            if self._write(inc, doc, now):
                return inc
        raise IncidentError(f"事件 {inc_id} 被频繁并发修改，请重试 (too many concurrent writers on {inc_id}; retry)")

    def _write(self, inc: Incident, expect, now: datetime) -> bool:
        inc.updated_at = max(now, inc.updated_at)
        inc.version += 1
        return self.docs.write(inc.id, inc.model_dump(mode="json"), expect=expect) is not None
