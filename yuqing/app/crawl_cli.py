"""`yuqing crawl` and `yuqing replay-site` (registered by yuqing/app/cli.py)."""
from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timedelta, timezone

import click

from yuqing.app.common import config_option, console, err, fail


@click.command("crawl")
@click.argument("spiders", nargs=-1)
@click.option("--topic", help="only this topic (or several, comma-separated)")
@click.option("--since", help="only posts newer than this: 6h, 3d or a date such as 2026-11-20")
@click.option("--replay", "replay", help="crawl the replay site at this URL instead of the platforms")
@click.option("--at", "at", help="crawl as if now were this ISO time (the replay site's clock; for replays and tests)")
@click.option("--no-nlp", is_flag=True, help="store without sentiment scoring")
@click.option("--log-level", default="WARNING", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), help="Scrapy's log level")
@click.option("--json", "as_json", is_flag=True, help="print the summary as JSON")
@config_option
def crawl(cfg, spiders: tuple[str, ...], topic: str | None, since: str | None, replay: str | None, at: str | None,
          no_nlp: bool, log_level: str, as_json: bool) -> None:
    """Crawl SPIDERS (default: every configured one) into Elasticsearch.

    Runs in a child process, so the scheduler can call it again and again. Ends with a summary
    per spider; exits 1 when a spider produced failures and nothing else (no item, not even an
    already-known post), 2 on bad arguments.
    """
    from crawlers.run import configured
    from crawlers.runlog import record
    from crawlers.spiders import SPIDERS
    from yuqing.app.crawl_child import run_child
    from yuqing.post import parse_time
    from yuqing.times import parse_when

    unknown = [s for s in spiders if s not in SPIDERS]
    if unknown:
        fail(f"unknown spider(s) {', '.join(unknown)}; known: {', '.join(SPIDERS)}", 2)
    if topic:
        missing = set(topic.split(",")) - set(cfg.topic_names())
        if missing:
            fail(f"unknown topic(s) {', '.join(sorted(missing))}; configured: {', '.join(cfg.topic_names())}", 2)
    try:
        now = parse_time(at) if at else datetime.now(timezone.utc)
    except ValueError:
        fail(f"--at {at!r}: write an ISO time such as 2026-11-20T14:00+08:00", 2)
    try:
        if since:
            parse_when(since, now)
    except ValueError as e:
        fail(f"--since {e}", 2)
    if not cfg.topics:
        fail("no topics configured: add some under `topics:` in the config", 2)
    ready = configured(cfg)
    for name in spiders:
        if name not in ready:
            err.print(f"[yellow]warning:[/yellow] {name}: disabled or nothing to crawl under sources.{name}",
                      highlight=False)
    names = list(spiders) or ready
    if not names:
        fail("no spider is enabled and configured under `sources:`", 2)
    from pipelines.pseudonym import PseudoKeyError, pipeline_key

    try:
        pipeline_key(cfg)
    except PseudoKeyError as e:
        fail(str(e), 2)
    t0 = time.monotonic()
    code, rows = run_child(cfg.path, names, topic=topic, since=since, nlp=not no_nlp, replay=replay,
                           log_level=log_level, now=now.isoformat() if at else None)
    problem = record(cfg, rows, now, now + timedelta(seconds=time.monotonic() - t0))  # on the crawl's clock
    if problem:
        err.print(f"[yellow]warning:[/yellow] {problem}", highlight=False)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print_summary(rows)
    print_problems(rows)
    if not rows:
        fail(f"the crawl process ended with code {code} before writing a summary (see the log above)")
    sys.exit(0 if code == 0 else 1)


def print_summary(rows: list[dict]) -> None:
    cols = ("spider", "requests", "items", "new", "updated", "spooled", "rejected", "failed", "finish")
    table = [cols] + [(r["spider"], r["requests"], r["items"], r["new"], r["updated"], r["spooled"], r["rejected"],
                       sum(r["failures"].values()), "error" if r.get("error") else r["finish_reason"]) for r in rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(cols))]
    for k, row in enumerate(table):
        cells = [str(v).ljust(w) if i in (0, 8) else str(v).rjust(w) for i, (v, w) in enumerate(zip(row, widths))]
        console.print("  ".join(cells).rstrip(), highlight=False, markup=False, style="bold" if k == 0 else None)
    for r in rows:
        if r["failures"]:
            console.print(f"{r['spider']} failures: " + ", ".join(f"{k} {v}" for k, v in r["failures"].items()),
                          highlight=False)


def print_problems(rows: list[dict]) -> None:
    for r in rows:
        if not r["ok"]:
            err.print(f"[red]{r['spider']}: failures only: no items and nothing else found[/red]" if not r.get("error")
                      else f"[red]{r['spider']}: {r['error']}[/red]", highlight=False)
        if r["spooled"]:
            err.print(f"{r['spider']}: {r['spooled']} posts spooled (Elasticsearch unreachable); "
                      "run `yuqing ingest --retry-spool`", highlight=False)


@click.command("replay-site")
@click.option("--port", default=8770, show_default=True, help="port on 127.0.0.1 (0: any free port)")
@click.option("--at", "at", help="the site's clock (ISO time; default: when it starts): post times are relative to it")
def replay_site(port: int, at: str | None) -> None:
    """Serve recorded platform responses on 127.0.0.1 for demos and tests.

    Point the crawlers at it with `sources.replay: http://127.0.0.1:PORT` in the config, or
    `yuqing crawl --replay http://127.0.0.1:PORT`.
    """
    from crawlers.replay.server import ReplaySite, make_server
    from yuqing.post import parse_time

    try:
        site = ReplaySite(now=parse_time(at) if at else None)
    except ValueError:
        fail(f"--at {at!r}: write an ISO time such as 2026-11-20T14:00+08:00", 2)
    try:
        server = make_server("127.0.0.1", port, site)
    except OSError as e:
        fail(f"cannot listen on 127.0.0.1:{port}: {e.strerror}", 2)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    click.echo(f"replay site on {url} (Ctrl-C to stop)", err=True)
    click.echo(url)
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
