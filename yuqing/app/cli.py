"""`yuqing`: the one console command. The shell's own subcommands (config, es, ingest, summary,
bench) are here; each stage's are in `yuqing/app/<stage>_cli.py`, registered below. Heavy imports
(torch, scrapy) stay inside the commands so `--help` is instant."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.table import Table

from yuqing.app import alerts_cli
from yuqing.app import config as config_mod
from yuqing.app import crawl_cli, daemon, dashboards_cli, demo, nlp_cli, privacy_cli
from yuqing.app.common import config_option, console, err, fail


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("-v", "--verbose", is_flag=True, help="debug logging")
@click.option("--log-json", is_flag=True, help="log one JSON object per line (for log shippers)")
def main(verbose: bool, log_json: bool) -> None:
    """yuqing (舆情): public-opinion and sentiment monitoring for Chinese social media.

    Crawl posts and reviews, score sentiment, index into Elasticsearch, and warn early on
    negative spikes by e-mail and webhooks.
    """
    from yuqing.logs import setup_logging

    setup_logging(verbose=verbose, json_lines=log_json)


# -- config ---------------------------------------------------------------------------------
@main.group("config")
def config_group() -> None:
    """Check the configuration."""


@config_group.command("check")
@click.option("--config", "config_path", envvar="YUQING_CONFIG", default=config_mod.DEFAULT_PATH, show_default=True)
def config_check(config_path: str) -> None:
    """Validate config.yaml: prints OK or every problem with its key path."""
    try:
        cfg = config_mod.load(config_path)
    except config_mod.ConfigError as e:
        err.print(str(e), highlight=False, markup=False)
        sys.exit(2)
    for w in config_mod.secret_warnings(config_path) + config_mod.config_warnings(cfg):
        err.print(f"[yellow]warning:[/yellow] {config_path}: {w}", highlight=False)
    console.print(f"OK: {config_path} ({len(cfg.topics)} topics, Elasticsearch {', '.join(cfg.elasticsearch.hosts)})",
                  highlight=False)


# -- es -------------------------------------------------------------------------------------
@main.group("es")
def es_group() -> None:
    """Run the local single-node Elasticsearch (downloaded from Maven Central)."""


def _node(cfg):
    from yuqing.es_local import LocalNode

    return LocalNode(cfg.elasticsearch, cfg.home_dir)


@es_group.command("fetch")
@config_option
def es_fetch(cfg) -> None:
    """Download and unpack Elasticsearch under $YUQING_HOME (once)."""
    from yuqing.es_local import NodeError

    try:
        home = _node(cfg).fetch(echo=lambda m: err.print(m, highlight=False))
    except NodeError as e:
        fail(str(e))
    console.print(f"Elasticsearch {cfg.elasticsearch.local.version} at {home}", highlight=False)


@es_group.command("up")
@click.option("--wait", default=120, show_default=True, help="seconds to wait for yellow health")
@config_option
def es_up(cfg, wait: int) -> None:
    """Start the local node (no-op if it is already running)."""
    from yuqing.es_local import NodeError

    try:
        msg = _node(cfg).up(echo=lambda m: err.print(m, highlight=False), wait=wait)
    except NodeError as e:
        fail(str(e))
    console.print(f"Elasticsearch {msg}", highlight=False)


@es_group.command("down")
@config_option
def es_down(cfg) -> None:
    """Stop the local node."""
    console.print(f"Elasticsearch {_node(cfg).down()}", highlight=False)


@es_group.command("status")
@click.option("--quiet", "-q", is_flag=True, help="no output; exit 0 only if the cluster is green or yellow")
@config_option
def es_status(cfg, quiet: bool) -> None:
    """Health and version of the configured cluster."""
    from yuqing.store import Store, StoreUnavailable

    try:
        h = Store(cfg.elasticsearch).health()
    except StoreUnavailable as e:
        if not quiet:
            err.print(f"[red]down:[/red] {e}", highlight=False)
        sys.exit(1)
    if not quiet:
        console.print(f"{h['status']}  Elasticsearch {h['version']}  cluster {h['cluster']}  nodes {h['nodes']}  "
                      f"({', '.join(cfg.elasticsearch.hosts)})", highlight=False)
    sys.exit(0 if h["status"] in ("green", "yellow") else 1)


@es_group.command("logs")
@click.option("-n", "lines", default=40, show_default=True)
@config_option
def es_logs(cfg, lines: int) -> None:
    """The last lines of the local node's log."""
    node = _node(cfg)
    f = node.logs / f"yuqing-local-{node.port}.log"
    if not f.exists():
        fail(f"no log yet at {f}")
    for line in f.read_text(errors="replace").splitlines()[-lines:]:
        click.echo(line)


# -- ingest ---------------------------------------------------------------------------------
@main.command("ingest")
@click.argument("source", required=False, type=click.Path(allow_dash=True))
@click.option("--retry-spool", is_flag=True, help="write posts spooled while Elasticsearch was down")
@click.option("--no-nlp", is_flag=True, help="store without sentiment scoring")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@config_option
def ingest(cfg, source: str | None, retry_spool: bool, no_nlp: bool, as_json: bool) -> None:
    """Ingest posts from a JSON-lines FILE (or - for stdin) through the same pipeline as crawls.

    Each line is one post in yuqing's schema. Bad lines are reported with their line number and
    skipped; posts Elasticsearch cannot take are spooled under $YUQING_HOME and written later by
    `yuqing ingest --retry-spool`.
    """
    from yuqing.app.ingest import drain_spool, ingest_lines

    if retry_spool:
        code = drain_spool(cfg, console, as_json)
        if not source:
            sys.exit(code)
    if not source:
        fail("give a FILE (or - for stdin), or --retry-spool", 2)
    if source == "-":
        stream = sys.stdin
    else:
        p = Path(source)
        if not p.exists():
            fail(f"{source}: no such file", 2)
        stream = p.open(encoding="utf-8", errors="replace")
    from pipelines.pseudonym import PseudoKeyError

    try:
        code = ingest_lines(cfg, stream, name=source, nlp=not no_nlp, console=console, as_json=as_json)
    except PseudoKeyError as e:
        fail(str(e), 2)
    sys.exit(code)


# -- summary (interim main job until `yuqing demo` lands) --------------------------------------
@main.command("summary")
@config_option
def summary(cfg) -> None:
    """Counts of indexed posts per platform and per sentiment label."""
    from yuqing.store import Store, StoreUnavailable

    store = Store(cfg.elasticsearch)
    try:
        store.refresh()
        total = store.count()
        b = store.breakdown("platform", "sentiment_label")
    except StoreUnavailable as e:
        fail(str(e))
    print_breakdown(total, b)


def print_breakdown(total: int, b: dict[str, dict[str, int]]) -> None:
    console.print(f"[bold]{total}[/bold] posts indexed")
    for field, title in (("platform", "平台 platform"), ("sentiment_label", "情感 sentiment")):
        t = Table(title=title, show_header=True)
        t.add_column(field)
        t.add_column("posts", justify="right")
        for k, v in b.get(field, {}).items():
            t.add_row(str(k), str(v))
        console.print(t)


@main.command("bench")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object keyed by stage")
@click.option("--stage", "stages", multiple=True, help="run only these stages")
@click.option("--posts", default=20000, show_default=True, help="synthetic posts for the indexing stage")
@config_option
def bench(cfg, as_json: bool, stages: tuple[str, ...], posts: int) -> None:
    """Measure stage throughputs against the configured cluster (see bench/)."""
    from bench.harness import run

    report = run(cfg, stages=list(stages), n_posts=posts, console=err)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))


# Each stage's subcommands, wired here by plain imports: a broken import is an error, not a
# subcommand that silently disappears.
for _command in (crawl_cli.crawl, crawl_cli.replay_site, nlp_cli.model, nlp_cli.score, nlp_cli.keywords,
                 alerts_cli.alerts, daemon.run, daemon.status, demo.demo, privacy_cli.privacy,
                 dashboards_cli.kibana, dashboards_cli.report):
    main.add_command(_command)
