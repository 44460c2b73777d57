"""`yuqing alerts events`: a topic's events (事件) and key voices (意见领袖) in a period, in the
configured zone (alerts/events.py, alerts/voices.py)."""
from __future__ import annotations

import json
import sys
from datetime import datetime

import click

from yuqing.app.common import config_option, console, fail, parse_when


@click.command("events")
@click.option("--topic", required=True)
@click.option("--since", default="now-24h", show_default=True, help="start (ISO time in the configured zone, or now-1d)")
@click.option("--until", default="now", show_default=True, help="end")
@click.option("-n", "limit", default=10, show_default=True, help="events shown")
@click.option("--voices", "n_voices", default=0, show_default=True, help="also the N key voices (意见领袖)")
@click.option("--json", "as_json", is_flag=True, help="one JSON line per event (then per voice)")
@config_option
def events_cmd(cfg, topic, since, until, limit, n_voices, as_json) -> None:
    """The period's events of a topic, most posts first, and optionally its key voices."""
    from alerts.events import find_events, key_voices
    from alerts.text import local
    from yuqing.store import Store

    if topic not in cfg.topic_names():
        fail(f"unknown topic {topic!r}; configured topics: {', '.join(cfg.topic_names()) or '(none)'}", 2)
    start, end = parse_when(since, cfg.timezone), parse_when(until, cfg.timezone)
    if start >= end:
        fail(f"--since ({since}) must be before --until ({until})", 2)
    store = Store(cfg.elasticsearch)
    events = find_events(store, topic, start, end, limit=limit)
    voices = key_voices(store, topic, start, end, n=n_voices) if n_voices else []
    if as_json:
        for e in events:
            click.echo(json.dumps({"type": "event", **e.model_dump(mode="json")}, ensure_ascii=False))
        for v in voices:
            click.echo(json.dumps({"type": "voice", **v.model_dump(mode="json")}, ensure_ascii=False))
        return
    if not events:
        console.print(f"{topic}: no event of at least 2 posts in this period", highlight=False, markup=False)
    for i, e in enumerate(events, 1):
        first = local(datetime.fromisoformat(e.first_post["at"]), cfg.timezone)
        platforms = "、".join(f"{k} {v}" for k, v in e.platforms.items())
        console.print(f"{i}. {e.summary()}  首发 {first:%m-%d %H:%M}  {platforms}  关键词：{'、'.join(e.keywords)}",
                      highlight=False, markup=False)
    for v in voices:
        console.print(f"意见领袖 {v.line()} 互动 {v.engagement} · {v.posts} 帖", highlight=False, markup=False)
    sys.stdout.flush()
