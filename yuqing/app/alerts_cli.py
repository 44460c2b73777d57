"""`yuqing alerts …`: check now, backtest over history, silence a topic, list what was raised.

Times typed by people are read in the configured zone (Asia/Shanghai) unless they carry an
offset; everything shown is in that zone too. The delivery half adds `test-channel` here.
"""
from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone

import click

from alerts.config import RULE_NAMES
from yuqing.app import wiring
from yuqing.app.common import config_option, console, err, fail, parse_when
# Delivery half: `alerts test-channel NAME`, `alerts outbox`.
from yuqing.app.delivery_cli import outbox_cmd, test_channel  # noqa: E402
from yuqing.app.events_cli import events_cmd
from yuqing.times import parse_duration


def _duration(ctx, param, value):
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


def _store(cfg):
    from yuqing.store import Store

    return Store(cfg.elasticsearch)


def _check_topic(cfg, topic):
    if topic and topic not in cfg.topic_names():
        fail(f"unknown topic {topic!r}; configured topics: {', '.join(cfg.topic_names()) or '(none)'}", 2)


def _check_silence_target(cfg, topic):
    """A topic, or a crawl source (spider name): `source_down` alerts are per source, and a source
    known to be down for a while (a login being renewed) must be silenceable too."""
    from crawlers.spiders import SPIDERS

    if topic not in cfg.topic_names() and topic not in SPIDERS:
        fail(f"unknown topic or source {topic!r}; configured topics: {', '.join(cfg.topic_names()) or '(none)'}; "
             f"sources: {', '.join(SPIDERS)}", 2)


@click.group("alerts")
def alerts() -> None:
    """Early warning: evaluate rules, replay them over history, silence topics."""


@alerts.command("check")
@click.option("--topic", help="only this topic")
@click.option("--rule", "rules", multiple=True, type=click.Choice(RULE_NAMES), help="only these rules")
@click.option("--at", "at", help="evaluate as if it were this time (default: now)")
@click.option("--no-deliver", is_flag=True, help="queue alerts in the outbox but do not send them now")
@click.option("--json", "as_json", is_flag=True, help="one JSON line per alert")
@config_option
def check(cfg, topic, rules, at, no_deliver, as_json) -> None:
    """Evaluate every rule once now; print (and queue for delivery) the alerts raised."""
    from alerts.engine import as_line, flatten
    from alerts.text import local
    from yuqing.store import StoreUnavailable

    _check_topic(cfg, topic)
    if not cfg.alerts.enabled:
        fail("alerts are disabled in the config (alerts.enabled: false); `alerts backtest` still works", 2)
    now = parse_when(at, cfg.timezone) if at else None
    try:
        eng = wiring.engine(cfg, _store(cfg))
        raised = eng.run_once(now, topics=[topic] if topic else None, rules=list(rules) or None)
        delivered = [] if no_deliver else eng.deliver()
    except StoreUnavailable as e:
        fail(str(e))
    if as_json:
        for a in flatten(raised):
            click.echo(json.dumps(as_line(a), ensure_ascii=False))
        return
    if not raised:
        console.print("no alerts", highlight=False)
    for m in raised:
        console.print(f"{local(m.fired_at, cfg.timezone):%Y-%m-%d %H:%M:%S}  {m.severity:<8} {m.kind:<10} "
                      f"{m.title}", highlight=False, markup=False)
        console.print(f"    {m.summary}", highlight=False, markup=False)
        if m.kibana_url:
            console.print(f"    {m.kibana_url}", highlight=False, markup=False)
    if delivered:
        console.print(f"delivered {len(delivered)}", highlight=False)


@alerts.command("backtest")
@click.option("--since", required=True, help="start (ISO time in the configured zone, or now-7d)")
@click.option("--until", default="now", show_default=True, help="end")
@click.option("--topic", help="only this topic")
@click.option("--rule", "rules", multiple=True, type=click.Choice(RULE_NAMES), help="only these rules")
@click.option("--step", default="1m", show_default=True, callback=_duration, help="evaluation step")
@config_option
def backtest(cfg, since, until, topic, rules, step) -> None:
    """Replay the rules over indexed history as if live, at every STEP; print the alerts that
    would have fired as JSON lines, then (on stderr) one line per episode: topic, rule, start,
    first alert and its severity, peak, recovery. Sends nothing and leaves live alert state alone."""
    from alerts.backtest import backtest as run_backtest
    from alerts.engine import Engine, as_line, flatten
    from alerts.episodes import episodes
    from alerts.state import MemoryState
    from yuqing.store import StoreUnavailable

    _check_topic(cfg, topic)
    t0, t1 = parse_when(since, cfg.timezone), parse_when(until, cfg.timezone)
    if t1 <= t0:
        fail(f"--until ({until}) must be after --since ({since})", 2)
    if step <= timedelta(0):
        fail("--step must be positive", 2)
    steps = int((t1 - t0) / step) + 1
    if steps > 200_000:
        fail(f"{steps} steps is too many; use a larger --step or a shorter range", 2)
    eng = Engine(cfg, _store(cfg), state=MemoryState(), outbox=None, dress=False)  # lines need no examples
    raised = []
    try:  # histograms fetched once, the rules judged in memory at each step (alerts/backtest.py)
        for _, msgs in run_backtest(eng, t0, t1, step, topics=[topic] if topic else None, rules=list(rules) or None):
            for a in flatten(msgs):
                click.echo(json.dumps(as_line(a), ensure_ascii=False))
                raised.append(a)
    except StoreUnavailable as e:
        fail(str(e))
    except ValueError as e:
        fail(str(e), 2)
    eps = episodes(raised)
    err.print(f"backtest: {steps} steps from {t0.isoformat()} to {t1.isoformat()}, {len(raised)} alerts, "
              f"{len(eps)} episodes", highlight=False)
    for ep in eps:
        err.print(ep.line(cfg.timezone), highlight=False, markup=False)


@alerts.command("silence")
@click.option("--topic", required=True, help="a topic, or a crawl source (spider name) for its source_down alerts")
@click.option("--for", "for_", required=True, callback=_duration, help="how long, e.g. 30m, 2h, 1d")
@click.option("--note", default="", help="why (shown in `alerts list`)")
@config_option
def silence(cfg, topic, for_, note) -> None:
    """Hold every alert for a topic (or a source's source_down) for a while; a spike or outage
    still running when it ends is reported then."""
    from alerts.state import EsState
    from alerts.text import local

    _check_silence_target(cfg, topic)
    if for_ <= timedelta(0):
        fail("--for must be positive", 2)
    now = datetime.now(timezone.utc)
    until = now + for_
    EsState(_store(cfg)).silence(topic, until, note, now)
    console.print(f"{topic}: silenced until {local(until, cfg.timezone):%Y-%m-%d %H:%M:%S}", highlight=False)


@alerts.command("unsilence")
@click.option("--topic", required=True)
@config_option
def unsilence(cfg, topic) -> None:
    """End a silence early."""
    from alerts.state import EsState

    ok = EsState(_store(cfg)).unsilence(topic)
    console.print(f"{topic}: " + ("silence ended" if ok else "was not silenced"), highlight=False)


@alerts.command("list")
@click.option("--topic")
@click.option("--since", default="now-7d", show_default=True)
@click.option("-n", "size", default=30, show_default=True)
@config_option
def list_(cfg, topic, since, size) -> None:
    """Active silences and the alerts raised recently."""
    from alerts.state import EsState
    from alerts.text import local

    st = EsState(_store(cfg))
    now = datetime.now(timezone.utc)
    for s in st.silences(now):
        until = datetime.fromisoformat(s["until"])
        console.print(f"silenced  {s['topic']} until {local(until, cfg.timezone):%Y-%m-%d %H:%M}  {s.get('note', '')}",
                      highlight=False, markup=False)
    rows = st.history(topic=topic, since=parse_when(since, cfg.timezone), size=size)
    if not rows:
        console.print("no alerts recorded", highlight=False)
    for d in rows:
        when = local(datetime.fromisoformat(d["fired_at"]), cfg.timezone)
        console.print(f"{when:%Y-%m-%d %H:%M:%S}  {d['severity']:<8} {d['kind']:<10} {d['title']}",
                      highlight=False, markup=False)
    sys.stdout.flush()



alerts.add_command(test_channel)
alerts.add_command(outbox_cmd)
alerts.add_command(events_cmd)  # yuqing/app/events_cli.py
