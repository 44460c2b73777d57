"""`yuqing kibana …` and `yuqing report`: the two ways people look at the data."""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click

from yuqing.app.common import config_option, console, err, fail


@click.group("kibana")
def kibana() -> None:
    """Kibana saved objects: data views, Lens panels and the 舆情总览 dashboards."""


@kibana.command("import")
@click.option("--url", required=True, envvar="YUQING_KIBANA_URL", help="Kibana base URL, e.g. http://kibana:5601")
@click.option("--space", default=None, help="Kibana space id (default space if omitted)")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False),
              help="import this NDJSON instead of building it for the configured index prefix and topics")
@config_option
def kibana_import(cfg, url: str, space: str | None, path: str | None) -> None:
    """Import the dashboards (overwrites yuqing's own objects; others are untouched).

    Credentials come from the environment: YUQING_KIBANA_API_KEY, or YUQING_KIBANA_USER and
    YUQING_KIBANA_PASSWORD.
    """
    from dashboards.kibana import ImportFailed, import_ndjson
    from dashboards.kibana_objects import build, to_ndjson

    if path:
        ndjson = Path(path).read_text(encoding="utf-8")
    else:
        ndjson = to_ndjson(build(cfg.elasticsearch.index_prefix, cfg.topic_names()))
    try:
        res = import_ndjson(url, ndjson, space=space)
    except ImportFailed as e:
        err.print(f"[red]error:[/red] {e.summary}", highlight=False)
        for p in e.problems:
            err.print(f"  - {p}", highlight=False, markup=False)
        sys.exit(1)
    console.print(f"imported {res.imported} saved objects into {url}" + (f" (space {space})" if space else ""),
                  highlight=False)
    for kind, oid, title in res.objects:
        if kind == "dashboard":
            console.print(f"  dashboard {title}: {url.rstrip('/')}{f'/s/{space}' if space else ''}"
                          f"/app/dashboards#/view/{oid}", highlight=False)


@kibana.command("export")
@click.option("--out", type=click.Path(dir_okay=False), default="-", show_default=True)
@config_option
def kibana_export(cfg, out: str) -> None:
    """Write the NDJSON for the configured prefix and topics (for Kibana's own import UI)."""
    from dashboards.kibana_objects import build, to_ndjson

    text = to_ndjson(build(cfg.elasticsearch.index_prefix, cfg.topic_names()))
    if out == "-":
        click.echo(text, nl=False)
    else:
        Path(out).write_text(text, encoding="utf-8")
        err.print(f"wrote {out}", highlight=False)


@click.command("report")
@click.option("--since", default="1d", show_default=True,
              help="the period before --now, in whole days: 1d (daily report), 7d (weekly), 30d ...")
@click.option("--topic", "topics", multiple=True, help="only this topic (repeatable); default: every configured topic")
@click.option("--out", type=click.Path(dir_okay=False), default="report.html", show_default=True)
@click.option("--now", "now_s", default=None, help="end of the period (ISO time or now-1d; default: now) — for re-runs")
@click.option("--mail", "mail", is_flag=True, help="also e-mail it (first enabled e-mail channel in alerts.channels)")
@click.option("--channel", default=None, help="with --mail: the e-mail channel to send through")
@config_option
def report(cfg, since: str, topics: tuple[str, ...], out: str, now_s: str | None, mail: bool,
           channel: str | None) -> None:
    """A self-contained HTML opinion report (舆情日报/周报): charts, top posts, keywords, alerts.

    For a daily e-mail, schedule it in config.yaml, e.g. schedule.commands:
    [{name: daily-report, cron: "0 8 * * *", args: [report, --since, 1d, --mail]}].
    """
    from dashboards.report import build_report, render_html
    from yuqing.store import Store, StoreUnavailable
    from yuqing.times import parse_duration, parse_when

    try:
        period = parse_duration(since)
        now = parse_when(now_s or "now", datetime.now(timezone.utc), cfg.timezone)
    except ValueError as e:
        fail(f"{'--now' if now_s and 'not a time' in str(e) else '--since'} {e}", 2)
    if period < timedelta(days=1) or period % timedelta(days=1):
        fail(f"--since {since!r}: a report covers whole days, e.g. 1d or 7d", 2)
    wanted = list(topics) or cfg.topic_names()
    unknown = [t for t in wanted if t not in cfg.topic_names()]
    if unknown:
        fail(f"unknown topic {', '.join(unknown)}; configured: {', '.join(cfg.topic_names()) or '(none)'}", 2)
    try:
        data = build_report(Store(cfg.elasticsearch), wanted, now, days=period.days, tz=cfg.timezone)
    except StoreUnavailable as e:
        fail(str(e))
    html = render_html(data)
    Path(out).write_text(html, encoding="utf-8")
    console.print(f"wrote {out}: {data.total} posts, {data.fired} alerts, {len(data.topics)} topics "
                  f"({data.period_label})", highlight=False)
    if mail:
        from dashboards.mail import MailError, send_report

        try:
            sent = send_report(cfg, data, html, channel)
        except MailError as e:
            fail(str(e))
        console.print(f"mailed to {', '.join(sent)}", highlight=False)
