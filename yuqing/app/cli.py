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
from yuqing.app import incidents_cli, serve_cli
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
    """Run the local single-node Elasticsearch (downloaded from Maven Central), or with --nodes N
    a loopback cluster of N nodes (ports from elasticsearch.local.cluster_port)."""


def _node(cfg):
    from yuqing.es_local import LocalNode

    return LocalNode(cfg.elasticsearch, cfg.home_dir)


def _cluster(cfg, nodes: int | None):
    from yuqing.es_cluster import LocalCluster
    from yuqing.es_local import NodeError

    try:
        return LocalCluster(cfg.elasticsearch, cfg.home_dir, nodes)
    except NodeError as e:
        fail(str(e), 2)


_nodes_option = click.option("--nodes", type=int, default=None,
                             help="the loopback cluster of N nodes instead of the single node")


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
@click.option("--wait", default=None, type=int, help="seconds to wait for yellow health  [default: 120, "
              "180 with --nodes]")
@_nodes_option
@config_option
def es_up(cfg, wait: int | None, nodes: int | None) -> None:
    """Start the local node, or with --nodes N a loopback cluster (no-op if it is already running)."""
    from yuqing.es_local import NodeError

    echo = lambda m: err.print(m, highlight=False)  # noqa: E731
    try:
        if nodes is None:
            msg = _node(cfg).up(echo=echo, wait=wait or 120)
        else:
            cluster = _cluster(cfg, nodes)
            msg = cluster.up(echo=echo, wait=wait or 180)
            hosts = ", ".join(f'"{h}"' for h in cluster.hosts)
            if set(cfg.elasticsearch.hosts) != set(cluster.hosts):
                err.print(f"to use it, set in config.yaml: elasticsearch.hosts: [{hosts}] and replicas: 1",
                          highlight=False)
    except NodeError as e:
        fail(str(e))
    console.print(f"Elasticsearch {msg}", highlight=False)


@es_group.command("down")
@_nodes_option
@config_option
def es_down(cfg, nodes: int | None) -> None:
    """Stop the local node (with --nodes: every node of the loopback cluster)."""
    target = _node(cfg) if nodes is None else _cluster(cfg, nodes)
    console.print(f"Elasticsearch {target.down()}", highlight=False)


@es_group.command("status")
@click.option("--quiet", "-q", is_flag=True, help="no output; exit 0 only if the cluster is green or yellow")
@_nodes_option
@config_option
def es_status(cfg, quiet: bool, nodes: int | None) -> None:
    """Health and version of the configured cluster (with --nodes: of the loopback cluster, node by node)."""
    from yuqing.store import Store, StoreUnavailable

    es_cfg = cfg.elasticsearch
    if nodes is not None:
        cluster = _cluster(cfg, nodes)
        es_cfg = es_cfg.model_copy(update={"hosts": cluster.hosts, "max_retries": 1, "request_timeout": 5})
        if not quiet:
            for line in cluster.status_lines():
                console.print(line, highlight=False)
    try:
        h = Store(es_cfg).health()
    except StoreUnavailable as e:
        if not quiet:
            err.print(f"[red]down:[/red] {e}", highlight=False)
        sys.exit(1)
    if not quiet:
        console.print(f"{h['status']}  Elasticsearch {h['version']}  cluster {h['cluster']}  nodes {h['nodes']}  "
                      f"({', '.join(es_cfg.hosts)})", highlight=False)
    sys.exit(0 if h["status"] in ("green", "yellow") else 1)


@es_group.command("logs")
@click.option("-n", "lines", default=40, show_default=True)
@_nodes_option
@config_option
def es_logs(cfg, lines: int, nodes: int | None) -> None:
    """The last lines of the local node's log (with --nodes: of each node of the loopback cluster)."""
    members = [_node(cfg)] if nodes is None else _cluster(cfg, nodes).nodes
    files = [node.logs / f"{node.cluster_name}.log" for node in members]
    if not any(f.exists() for f in files):
        fail(f"no log yet at {files[0] if len(files) == 1 else files[0].parent.parent.parent}")
    for node, f in zip(members, files):
        if len(members) > 1:
            click.echo(f"==> {node.url}: {f}" + ("" if f.exists() else " (no log yet)"))
        if f.exists():
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
@click.option("--clean", is_flag=True, help="drop the data a stage keeps for reuse (alerts: its 1 M posts) afterwards")
@config_option
def bench(cfg, as_json: bool, stages: tuple[str, ...], posts: int, clean: bool) -> None:
    """Measure stage throughputs against the configured cluster (see bench/)."""
    from bench.run import run

    report = run(cfg, stages=list(stages), n_posts=posts, console=err, clean=clean)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))


# Each stage's subcommands, wired here by plain imports: a broken import is an error, not a
# subcommand that silently disappears.
for _command in (crawl_cli.crawl, crawl_cli.replay_site, nlp_cli.model, nlp_cli.score, nlp_cli.keywords,
                 alerts_cli.alerts, daemon.run, daemon.status, demo.demo, privacy_cli.privacy,
                 dashboards_cli.kibana, dashboards_cli.report, incidents_cli.incidents, serve_cli.serve):
    main.add_command(_command)
