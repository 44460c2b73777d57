"""`yuqing incidents list|show|ack|assign|note|respond|resolve|step|audit`: the console's actions
for scripts, with the same rules (alerts/incidents.py) and the same audit log (yuqing/app/audit.py).

`--by` names the person acting (default: the OS user name); every action, allowed or refused, is
one audit entry. Times typed (`respond --at`) are read in the configured zone unless they carry an
offset; times shown are in that zone. `--now` (hidden) fixes the clock for scripts and tests.
"""
from __future__ import annotations

import dataclasses
import getpass
import json
import os
from datetime import datetime, timezone

import click

from yuqing.app.common import config_option, console, err, fail
from yuqing.times import parse_when

STATUSES = ("open", "acknowledged", "responding", "resolved", "active", "all")


def default_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user database entry (a container): fall back to the environment
        return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


def _clock(ctx, param, value) -> datetime:
    if value is None:
        return datetime.now(timezone.utc)
    try:
        return parse_when(value, datetime.now(timezone.utc))
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


_by = click.option("--by", default=default_actor, show_default="the OS user name", help="who acts (audit log)")
_now = click.option("--now", "now", callback=_clock, hidden=True, help="the clock (ISO time), for scripts and tests")


def _service(cfg):
    from alerts.incidents import Incidents
    from yuqing.store import Store

    store = Store(cfg.elasticsearch)
    return store, Incidents(store, cfg)


def target(inc_id: str) -> str:
    """The audit log's name for an incident, as the console writes it."""
    return inc_id if inc_id.startswith("incident:") else f"incident:{inc_id}"


def _act(cfg, action: str, inc_id: str, by: str, now: datetime, fn, detail: str = "") -> None:
    """Run one action, audit it (refusals too, `via cli` in the detail), print the result or the refusal."""
    from alerts.incidents import STATUS_ZH, IncidentError
    from yuqing.app import audit
    from yuqing.store import StoreUnavailable

    store, svc = _service(cfg)
    try:
        inc = fn(svc)
    except IncidentError as e:
        audit.record(store, by, action, target(inc_id), now, ok=False, detail=f"via cli: {e}")
        fail(str(e))
    except StoreUnavailable as e:
        fail(str(e))
    except ValueError as e:  # a bad response (URL, channel) from the model's validation
        audit.record(store, by, action, target(inc_id), now, ok=False, detail=f"via cli: {e}")
        fail(str(e), 2)
    audit.record(store, by, action, target(inc_id), now, detail=f"via cli{': ' + detail if detail else ''}")
    console.print(f"{inc.id}: {STATUS_ZH[inc.status]}（{action}，{by}），版本 {inc.version}", highlight=False,
                  markup=False)


@click.group("incidents")
def incidents() -> None:
    """Incidents: what people do about alerts (acknowledge, assign, note, respond, resolve)."""


@incidents.command("list")
@click.option("--status", type=click.Choice(STATUSES), default="all", show_default=True,
              help="active: every incident not yet resolved")
@click.option("--topic", help="only this topic")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="a JSON array")
@config_option
def list_cmd(cfg, status, topic, limit, as_json) -> None:
    """The newest incidents first."""
    from yuqing.app.incidents_view import list_row

    _, svc = _service(cfg)
    found = svc.list(None if status == "all" else status, topic, limit)
    if as_json:
        click.echo(json.dumps([i.model_dump(mode="json") for i in found], ensure_ascii=False, indent=1))
        return
    if not found:
        console.print("没有事件 (no incidents)", highlight=False)
    for inc in found:
        console.print(list_row(inc, cfg.timezone), highlight=False, markup=False)


@incidents.command("show")
@click.argument("inc_id")
@click.option("--json", "as_json", is_flag=True, help="the incident, its overdue steps and effect report as JSON")
@_now
@config_option
def show(cfg, inc_id, as_json, now) -> None:
    """One incident: playbook with due times, responses, notes, timeline and the response's effect."""
    from dashboards.effect import effect_lines, incident_effect
    from yuqing.app.incidents_view import show_lines

    store, svc = _service(cfg)
    inc = svc.get(inc_id)
    if inc is None:
        fail(f"没有编号为 {inc_id} 的事件 (no incident {inc_id}); see `yuqing incidents list`")
    eff = incident_effect(store, inc, now, cfg.alerts.incidents.effect_window)
    url = inc.url(cfg.alerts.incidents.console_url)
    if as_json:
        out = inc.model_dump(mode="json") | {"url": url, "overdue": [s.do for s in inc.overdue(now)],
                                             "effect": dataclasses.asdict(eff) if eff else None}
        click.echo(json.dumps(out, ensure_ascii=False, indent=1, default=str))
        return
    for line in show_lines(inc, now, cfg.timezone, url, effect_lines(eff, cfg.timezone) if eff else None):
        console.print(line, highlight=False, markup=False)


def _action(name: str, *params):
    """An incident action's command: INC_ID, then `params` (click decorators, in order), --by,
    --now and --config, as every action takes them."""
    def deco(f):
        for d in (config_option, _now, _by, *reversed(params), click.argument("inc_id")):
            f = d(f)
        return incidents.command(name)(f)
    return deco


@_action("ack")
def ack(cfg, inc_id, by, now) -> None:
    """Acknowledge: someone is on it (open → acknowledged)."""
    _act(cfg, "ack", inc_id, by, now, lambda s: s.ack(inc_id, by, now))


@_action("assign", click.argument("owner"))
def assign(cfg, inc_id, owner, by, now) -> None:
    """Make OWNER responsible for the incident."""
    _act(cfg, "assign", inc_id, by, now, lambda s: s.assign(inc_id, owner, by, now), detail=f"owner={owner}")


@_action("note", click.argument("text"))
def note(cfg, inc_id, text, by, now) -> None:
    """Add a note to the incident's timeline."""
    _act(cfg, "note", inc_id, by, now, lambda s: s.note(inc_id, text, by, now), detail=text[:200])


@_action("respond",
         click.option("--url", help="the official post's URL"),
         click.option("--text", "text", required=True, help="what the response said"),
         click.option("--channel", required=True, help="where: weibo, wechat, douyin, 官网 ..."),
         click.option("--at", "at", help="when it went out (default: now; ISO time in the configured zone)"))
def respond(cfg, inc_id, url, text, channel, at, by, now) -> None:
    """Record the brand's response (→ responding); `show` then reports its effect."""
    from alerts.incidents import Response

    try:
        when = parse_when(at, now, cfg.timezone) if at else now
    except ValueError as e:
        fail(f"--at: {e}", 2)

    def fn(s):
        return s.respond(inc_id, Response(url=url, at=when, text=text, channel=channel, by=by), by, now)
    _act(cfg, "respond", inc_id, by, now, fn, detail=f"{channel} {url or ''}".strip())


@_action("resolve")
def resolve(cfg, inc_id, by, now) -> None:
    """Resolve the incident (a new alert within alerts.incidents.grace reopens it)."""
    _act(cfg, "resolve", inc_id, by, now, lambda s: s.resolve(inc_id, by, now))


@_action("step", click.argument("number", type=int))
def step(cfg, inc_id, number, by, now) -> None:
    """Mark playbook step NUMBER (as `show` numbers them) done."""
    _act(cfg, "step", inc_id, by, now, lambda s: s.done_step(inc_id, number, by, now), detail=f"step={number}")


@incidents.command("audit")
@click.option("--limit", default=50, show_default=True)
@click.option("--target", "target_id", help="only entries about this incident id")
@click.option("--json", "as_json", is_flag=True, help="a JSON array")
@config_option
def audit_cmd(cfg, limit, target_id, as_json) -> None:
    """The audit log (CLI and console actions, refusals included), newest first."""
    from yuqing.app import audit
    from yuqing.app.incidents_view import when
    from yuqing.store import Store

    rows = audit.recent(Store(cfg.elasticsearch), limit, target=target(target_id) if target_id else None)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for r in rows:
        mark = "✓" if r.get("ok") else "✗"
        console.print(f"{when(datetime.fromisoformat(r['at']), cfg.timezone)}  {mark} {r['who']:<12} {r['action']:<18} "
                      f"{r['target']}  {r.get('detail', '')}", highlight=False, markup=False)
    if not rows:
        err.print("审计日志为空 (the audit log is empty)", highlight=False)
