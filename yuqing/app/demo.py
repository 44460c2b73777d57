"""`yuqing demo`: the whole loop, offline, for someone who has just cloned the repository.

Each step uses the real part (local Elasticsearch, replay site, spiders, sentiment model, alert
rules, outbox, e-mail and webhook channels); nothing is simulated and no number is printed that
did not come from the index.
The demo writes to its own indices (`<prefix>-demo-*`) and its own config under
`$YUQING_HOME/demo/`, so it never mixes with production data, and running it again updates the
same posts and re-raises no alert the rules already announced.
"""
from __future__ import annotations

import logging
import os
import sys
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import click
import yaml
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from yuqing.app import config as config_mod
from yuqing.app import wiring
from yuqing.app.common import config_option, console, err


@dataclass
class Steps:
    """What happened at each step, for the closing summary and the exit code."""

    done: list[tuple[str, str]] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def ok(self, step: str, detail: str) -> None:
        self.done.append((step, detail))
        console.print(f"[green]✓[/green] {step}: {detail}", highlight=False)

    def unavailable(self, step: str, detail: str) -> None:
        self.missing.append((step, detail))
        console.print(f"[yellow]–[/yellow] {step}: {detail}", highlight=False)

    def fail(self, step: str, detail: str) -> None:
        self.failed.append((step, detail))
        console.print(f"[red]✗[/red] {step}: {detail}", highlight=False)

    def guard(self, step: str, fn, *args):
        try:
            return fn(*args)
        except Exception as e:
            self.fail(step, f"{type(e).__name__}: {e}")
            return None


def demo_dir(cfg) -> Path:
    return cfg.home_dir / "demo"


def demo_config(cfg, replay: str | None, webhook_url: str, smtp_port: int) -> tuple[config_mod.Config, str | None]:
    """The user's config file with the demo's indices, replay site and local channels, and the
    demo console account's password (None where the config names its own users).

    Built from the raw YAML (not a dump of the parsed model) so `${VAR}` references stay
    references and no secret is ever written to the demo's file.
    """
    raw = yaml.safe_load(Path(cfg.path).read_text(encoding="utf-8")) if cfg.path and Path(cfg.path).exists() else {}
    raw = raw or {}
    for section in ("elasticsearch", "sources", "alerts", "privacy"):
        raw[section] = raw.get(section) or {}
    raw["elasticsearch"]["index_prefix"] = f"{cfg.elasticsearch.index_prefix}-demo"
    raw["privacy"]["local_key"] = True  # the demo's own opt-in to the key file ensure_key made
    raw["home"] = str(cfg.home_dir)
    if replay:
        raw["sources"]["replay"] = replay
    password = _demo_account(raw)
    raw["alerts"]["channels"] = [
        {"name": "demo-webhook", "type": "webhook", "url": webhook_url},
        {"name": "demo-mail", "type": "email", "host": "127.0.0.1", "port": smtp_port, "security": "none",
         "sender": "yuqing-demo@localhost", "to": ["brand-team@localhost"]},
    ]
    path = demo_dir(cfg) / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# written by `yuqing demo`; each run rewrites it\n"
                    + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return config_mod.load(path), password


def _demo_account(raw: dict) -> str | None:
    """Where the config names no console user, the demo's file gets one, `demo` (responder), with
    a fresh random password each run (printed once, only its argon2 hash is written), so the
    console can be opened on the demo's data straight away."""
    from yuqing.app.console.auth import hash_password

    console_raw = raw.get("console") or {}
    if console_raw.get("users"):
        return None
    password = secrets.token_urlsafe(9)
    raw["console"] = {**console_raw, "users": [{"name": "demo", "role": "responder",
                                                 "password_hash": hash_password(password)}]}
    return password


def ensure_key(cfg, steps: Steps) -> None:
    from pipelines.pseudonym import ENV, key_path, pseudo_key

    if os.environ.get(ENV):
        steps.ok("pseudonymisation key", f"from {ENV}")
        return
    existed = key_path(cfg).exists()
    pseudo_key(cfg, create=True)
    steps.ok("pseudonymisation key", f"{'using the' if existed else 'generated a'} local key file {key_path(cfg)} "
             f"(demo only: `yuqing run` needs {ENV} set in the environment)")


def ensure_es(cfg, steps: Steps) -> bool:
    from yuqing.store import Store, StoreUnavailable

    try:
        h = Store(cfg.elasticsearch).health()
        steps.ok("Elasticsearch", f"{h['status']}, version {h['version']} at {', '.join(cfg.elasticsearch.hosts)}")
        return True
    except StoreUnavailable:
        pass
    from yuqing.es_local import LocalNode, NodeError

    node = LocalNode(cfg.elasticsearch, cfg.home_dir)
    if node.url not in [h.rstrip("/") for h in cfg.elasticsearch.hosts]:
        steps.fail("Elasticsearch", f"{', '.join(cfg.elasticsearch.hosts)} is unreachable and is not the local node")
        return False
    try:
        with console.status("starting the local Elasticsearch node ..."):
            msg = node.up(echo=lambda m: err.print(m, highlight=False))
    except NodeError as e:
        steps.fail("Elasticsearch", str(e))
        return False
    steps.ok("Elasticsearch", msg)
    return True


def ensure_model(cfg, steps: Steps) -> None:
    from nlp import modelfiles

    try:
        manifest = modelfiles.read_manifest()
        d = modelfiles.model_dir(cfg, manifest)
        if not modelfiles.is_ready(d, manifest):
            with console.status(f"building the sentiment model in {d} (first run only) ..."):
                modelfiles.build(d)
        steps.ok("sentiment model", str(d))
    except Exception as e:
        steps.fail("sentiment model", f"{type(e).__name__}: {e}")


def _watch_count(store, label: str, work):
    """Run `work()` in a thread while a progress line shows how many posts the index holds."""
    result: dict = {}

    def target():
        try:
            result["value"] = work()
        except BaseException as e:  # re-raised below, in this thread
            result["error"] = e

    t = threading.Thread(target=target, daemon=True)
    progress = Progress(SpinnerColumn(), TextColumn(label), BarColumn(bar_width=None), TextColumn("{task.fields[n]} posts indexed"),
                        TimeElapsedColumn(), console=console, transient=True)
    with progress:
        task = progress.add_task(label, total=None, n=0)
        t.start()
        while t.is_alive():
            t.join(1.0)
            try:
                store.refresh()
                progress.update(task, n=store.count())
            except Exception:
                pass
    if "error" in result:
        raise result["error"]
    return result.get("value")


def crawl(dcfg, replay: str | None, store, steps: Steps, now: datetime) -> None:
    """Crawl every configured demo source from the replay site; a browser platform without a
    browser on this machine is named as not available, and the rest is crawled."""
    from crawlers.browser import not_available
    from crawlers.checkpoints import checkpoint_path
    from crawlers.pending import pending_path
    from crawlers.run import configured
    from yuqing.app.crawl_child import run_child

    # The replay site's post times are relative to its clock, so a re-run must fetch every post again
    # (updating each stored one in place) rather than stop at the last run's checkpoint: otherwise the
    # older posts keep the last run's times and the picture, and so the alerts, would shift a little.
    for f in (checkpoint_path(dcfg), pending_path(dcfg)):
        f.unlink(missing_ok=True)
    spiders = configured(dcfg)
    for name, why in not_available(dcfg, spiders).items():
        steps.unavailable(f"crawl {name}", why)
        spiders.remove(name)
    if not spiders:
        steps.fail("crawl", "no source is configured in `sources:` (see config.yaml)")
        return
    rc, rows = _watch_count(store, f"crawling {', '.join(spiders)} from the replay site",
                            lambda: run_child(dcfg.path, spiders, replay=replay, zero_delay=True, timeout=600, now=now.isoformat(),
                                              log_level="ERROR"))
    for r in rows:
        fails = ", ".join(f"{k} {v}" for k, v in r.get("failures", {}).items())
        line = (f"{r['spider']}: {r['pages']} pages, {r['items']} items (new {r['new']}, updated {r['updated']})"
                + (f", failures: {fails}" if fails else ""))
        (steps.ok if r.get("ok") else steps.fail)("crawl", line)
    if not rows:
        steps.fail("crawl", f"the crawl child exited {rc} without a summary")


def evaluate_and_deliver(dcfg, store, steps: Steps, now: datetime) -> list:
    engine = wiring.engine(dcfg, store)
    store.refresh()
    raised = engine.run_once(now)
    steps.ok("alerts", f"{len(raised)} alerts raised this run" if raised else "no alert raised this run")
    for inc_id in dict.fromkeys(m.incident_id for m in raised if m.incident_id):
        steps.ok("incident", f"{inc_id} (yuqing incidents show {inc_id})")
    # The outbox retries with back-off; give the local receivers a few passes to answer.
    sent = failed = 0
    for _ in range(10):
        for d in engine.deliver(datetime.now(timezone.utc)):
            sent += d.status == "sent"
            failed += d.status == "failed"
        counts = engine.outbox.summary()["counts"]
        if not counts.get("pending") and not counts.get("sending"):
            break
        time.sleep(1)
    pending = engine.outbox.summary()["counts"].get("pending", 0)
    (steps.ok if not failed else steps.fail)("delivery", f"sent {sent}, failed {failed}, still pending {pending}")
    return raised


def report(dcfg, store, steps: Steps, now: datetime) -> Path | None:
    from dashboards.report import build_report, render_html  # matplotlib: not for --help

    out = demo_dir(dcfg) / "report.html"
    data = build_report(store, dcfg.topic_names(), now, days=1, tz=dcfg.timezone)
    out.write_text(render_html(data), encoding="utf-8")
    steps.ok("report", f"file://{out}")
    return out


def run_demo(cfg) -> Steps:
    from crawlers.replay.server import ReplaySite, serve_in_thread
    from yuqing.app.demo_receivers import MaildirReceiver, WebhookReceiver
    from yuqing.app.demo_summary import print_summary
    from yuqing.store import Store

    steps = Steps()
    t0 = time.monotonic()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every connection
    ensure_key(cfg, steps)
    if not ensure_es(cfg, steps):
        return steps
    home = demo_dir(cfg)
    hook = WebhookReceiver(home / "webhook")
    mail = MaildirReceiver(home / "maildir")
    steps.ok("receivers", f"webhook {hook.url}, SMTP 127.0.0.1:{mail.port} → Maildir {mail.dir}")
    server = None
    try:
        # One clock for the whole demo: the replay site's post times, the crawl, the alert check and
        # the report all read this minute, so a second run sees exactly the same picture (posts are
        # upserted with times relative to it) and announces nothing new, however long a crawl takes.
        now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
        server, replay = serve_in_thread(0, ReplaySite(now=now))
        steps.ok("replay site", replay)
        dcfg, password = demo_config(cfg, replay, hook.url, mail.port)
        store = Store(dcfg.elasticsearch)
        ensure_model(dcfg, steps)
        # One step's failure is reported and the rest still run, as in the daemon.
        steps.guard("crawl", crawl, dcfg, replay, store, steps, now)
        steps.guard("alerts", evaluate_and_deliver, dcfg, store, steps, now)
        steps.guard("report", report, dcfg, store, steps, now)
        steps.guard("summary", print_summary, dcfg, store, hook, mail, time.monotonic() - t0)
        login = f" and log in as demo / {password}" if password else " (log in as one of console.users)"
        steps.ok("console", f"yuqing serve --config {dcfg.path}, then open http://{dcfg.console.host}:{dcfg.console.port}/"
                 + login)
    finally:
        if server is not None:
            server.shutdown()
        hook.stop()
        mail.stop()
    return steps


@click.command("demo")
@config_option
def demo(cfg) -> None:
    """The whole loop offline: local Elasticsearch, replay site, crawl, score, index, alert,
    deliver to a local webhook and Maildir, and a summary of what was found."""
    steps = run_demo(cfg)
    if steps.missing:
        console.print("not available on this machine: " + "; ".join(s for s, _ in steps.missing), highlight=False)
    sys.exit(1 if steps.failed else 0)
