"""The console's pages and actions. Reads are for every logged-in role; the incident actions
need a responder; the audit log needs an admin. Each action is audit-logged with its outcome,
and an illegal one (acknowledging twice, a stale edit, a response dated before its incident) is
refused with its reason shown on the page: nothing is lost, nothing half-written."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from pydantic import ValidationError

from alerts.incidents import IncidentError, Response
from dashboards.console import pages as views
from yuqing.app import audit as audit_log
from yuqing.app.console.auth import ROLE_ZH, audit, current_user, require

pages = Blueprint("pages", __name__)
STATUSES = ("open", "acknowledged", "responding", "resolved")


@dataclass
class Context:
    cfg: Any
    store: Any
    clock: Callable[[], datetime]
    incidents: Any

    @property
    def tz(self) -> str:
        return self.cfg.timezone


def ctx() -> Context:
    return current_app.extensions["yuqing.console"]


@pages.app_context_processor
def _globals() -> dict:
    user = current_user()
    return {"user": user, "role_zh": ROLE_ZH.get(user.role, "") if user else "",
            "topics": ctx().cfg.topic_names()}


@pages.get("/")
@require("viewer")
def overview():
    c = ctx()
    now = c.clock()
    open_incidents = c.incidents.list(status="active")
    data = views.overview(c.store, c.cfg.topic_names(), now, c.tz, open_incidents)
    return render_template("overview.html", **data)


@pages.get("/incidents")
@require("viewer")
def incident_list():
    c = ctx()
    status = request.args.get("status") or None
    topic = request.args.get("topic") or None
    if status and status not in STATUSES:
        abort(404)
    items = c.incidents.list(status=status, topic=topic)
    return render_template("incidents.html", incidents=items, status=status, topic=topic, statuses=STATUSES)


def _incident(incident_id: str):
    inc = ctx().incidents.get(incident_id)
    if inc is None:
        abort(404)
    return inc


@pages.get("/incidents/<incident_id>")
@require("viewer")
def incident(incident_id: str):
    c = ctx()
    inc = _incident(incident_id)
    data = views.incident(c.store, inc, c.clock(), c.tz, c.cfg.alerts.incidents.effect_window)
    user = current_user()
    return render_template("incident.html", **data, can_act=user.can("responder"),
                           owners=[u.name for u in c.cfg.console.users if u.role != "viewer"])


def _version() -> int | None:
    """The incident version the form was drawn from: a change made meanwhile by someone else
    is refused (the other session is told) rather than silently overwritten."""
    v = request.form.get("version", "")
    return int(v) if v.isdigit() else None


def _act(incident_id: str, action: str, do: Callable[[Any, str, datetime, int | None], Any], detail: str = ""):
    """Run one incident action as the current user, audit it with its outcome, and go back to
    the incident with a message (the reason when the incidents module refused it)."""
    c = ctx()
    _incident(incident_id)
    user = current_user()
    try:
        do(c.incidents, user.name, c.clock(), _version())
    except IncidentError as e:
        return _refuse(incident_id, f"{e}", action)
    audit(action, f"incident:{incident_id}", detail=detail)
    flash(views.DONE_ZH.get(action, "已完成"), "ok")
    return redirect(url_for("pages.incident", incident_id=incident_id))


def _refuse(incident_id: str, message: str, action: str | None = None):
    """Back to the incident with why nothing was done (audited when the action got that far)."""
    if action:
        audit(action, f"incident:{incident_id}", ok=False, detail=message)
    flash(f"未执行：{message}", "error")
    return redirect(url_for("pages.incident", incident_id=incident_id))


def _text(name: str, limit: int = 4000) -> str:
    value = (request.form.get(name) or "").strip()
    if len(value) > limit:
        abort(400)
    return value


@pages.post("/incidents/<incident_id>/ack")
@require("responder")
def ack(incident_id: str):
    return _act(incident_id, "ack", lambda inc, by, now, v: inc.ack(incident_id, by, now, v))


@pages.post("/incidents/<incident_id>/assign")
@require("responder")
def assign(incident_id: str):
    owner = _text("owner", 64) or current_user().name
    if current_app.extensions["yuqing.users"].get(owner) is None:
        return _refuse(incident_id, f"没有用户 {owner}")
    return _act(incident_id, "assign", lambda inc, by, now, v: inc.assign(incident_id, owner, by, now, v), f"owner {owner}")


@pages.post("/incidents/<incident_id>/note")
@require("responder")
def note(incident_id: str):
    text = _text("text")
    if not text:
        return _refuse(incident_id, "备注不能为空")
    return _act(incident_id, "note", lambda inc, by, now, v: inc.note(incident_id, text, by, now, v), text[:200])


@pages.post("/incidents/<incident_id>/respond")
@require("responder")
def respond(incident_id: str):
    c = ctx()
    try:
        at = _local_time(request.form.get("at", ""), c.tz) or c.clock()
    except ValueError:
        return _refuse(incident_id, "回应时间格式应为 YYYY-MM-DDTHH:MM", "respond")
    try:  # the time rules (not before the incident, not in the future) are the service's: _act reports them
        resp = Response(at=at, channel=_text("channel", 100) or "官方微博", text=_text("text"),
                        url=_text("url", 2000) or None, by=current_user().name)
    except ValidationError as e:
        problem = "; ".join(err["msg"].removeprefix("Value error, ") for err in e.errors())
        return _refuse(incident_id, problem, "respond")
    return _act(incident_id, "respond", lambda inc, by, now, v: inc.respond(incident_id, resp, by, now, v),
                f"{resp.channel} {at.isoformat()} {resp.url or ''}")


@pages.post("/incidents/<incident_id>/resolve")
@require("responder")
def resolve(incident_id: str):
    return _act(incident_id, "resolve", lambda inc, by, now, v: inc.resolve(incident_id, by, now, v))


@pages.post("/incidents/<incident_id>/steps/<int:number>/done")
@require("responder")
def done_step(incident_id: str, number: int):
    """Mark playbook step `number` (1-based, as the page numbers them) done."""
    return _act(incident_id, "step", lambda inc, by, now, v: inc.done_step(incident_id, number, by, now, v),
                f"step {number}")


def _local_time(value: str, tz: str) -> datetime | None:
    """A datetime-local form value, read in the console's time zone; '' is None."""
    value = value.strip()
    if not value:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)


@pages.get("/topics/<topic>/events")
@require("viewer")
def topic_events(topic: str):
    c = ctx()
    if topic not in c.cfg.topic_names():
        abort(404)
    hours = min(max(request.args.get("hours", 24, type=int), 1), 24 * 30)
    end = c.clock()
    data = views.topic_events(c.store, topic, end - timedelta(hours=hours), end, c.tz)
    return render_template("events.html", topic=topic, hours=hours, **data)


@pages.get("/effect")
@require("viewer")
def effect():
    """Every incident with a recorded response, newest first, each with its before/after chart."""
    c = ctx()
    items = [i for i in c.incidents.list(limit=100) if i.responses]
    return render_template("effect.html", rows=views.effects(c.store, items, c.clock(), c.tz, c.cfg.alerts.incidents.effect_window))


@pages.get("/audit")
@require("admin")
def audit_page():
    c = ctx()
    target = request.args.get("target") or None
    rows = audit_log.recent(c.store, limit=200, target=target)
    return render_template("audit.html", rows=views.audit_rows(rows, c.tz), target=target)
