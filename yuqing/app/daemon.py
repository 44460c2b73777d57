"""`yuqing run` (the daemon that keeps watching on schedule) and `yuqing status`.

The daemon holds a lock per job store, so two daemons can never run the same jobs at once. On
SIGTERM or SIGINT it stops taking new runs, forwards one SIGINT to running crawls (Scrapy then
checkpoints its JOBDIR), waits for them up to `schedule.stop_grace`, flushes the alert outbox
and exits 0; a second signal stops the children at once.
"""
from __future__ import annotations

import json
import logging
import signal
import sqlite3
import sys
import threading
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import click
from rich.table import Table

from yuqing.app.common import config_option, console, fail
from yuqing.app.job_history import DaemonLock, History, state_dir

log = logging.getLogger("yuqing.app.daemon")


def _lock(cfg) -> DaemonLock:
    return DaemonLock(state_dir(cfg) / "daemon.lock")


def _history(cfg) -> History:
    return History(state_dir(cfg) / "history.sqlite")


@click.command("run")
@config_option
@click.pass_context
def run(ctx: click.Context, cfg) -> None:
    """Run the scheduled jobs until SIGTERM/SIGINT: crawls, alert checks, spool retry, retention.

    What runs and when is the `schedule:` section of config.yaml; `yuqing status` shows the last
    result and next run of each job.
    """
    from pipelines.pseudonym import PseudoKeyError, require_pseudo_key
    from yuqing.app import scheduler as sched_mod

    try:
        require_pseudo_key(cfg)
    except PseudoKeyError as e:
        fail(str(e), 2)

    lock = _lock(cfg)
    if not lock.acquire():
        fail(f"another `yuqing run` (pid {lock.holder()}) already runs these jobs ({state_dir(cfg)})", 1)
    log_json = bool(ctx.find_root().params.get("log_json"))
    if not ctx.find_root().params.get("verbose"):
        logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per run is ours to log
    history = _history(cfg)
    stale = history.interrupt_stale()
    if stale:
        log.warning("%d job runs were cut short when the previous daemon stopped", stale)
    runner = sched_mod.Runner(cfg, history, log_json=log_json)
    sched_mod._runner = runner
    stop = threading.Event()
    signals = {"n": 0}

    def on_signal(signum, _frame):
        signals["n"] += 1
        if signals["n"] == 1:
            log.info("%s received: stopping (no new jobs; running crawls asked to checkpoint)",
                     signal.Signals(signum).name)
            runner.stopping.set()
            stop.set()
        else:
            log.warning("second signal: stopping child processes now")
            runner.kill_children()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sched = sched_mod.build_scheduler(runner)
    sched.resume()
    log.info("yuqing run: %d jobs (%s); state in %s", len(runner.jobs), ", ".join(runner.jobs), state_dir(cfg),
             extra={"yq_event": "started"})
    try:
        while not stop.wait(1.0):
            pass
    finally:
        sched.pause()
        n = runner.stop_children()
        if n:
            log.info("waiting up to %s for %d child processes to checkpoint", cfg.schedule.stop_grace, n)
        t = threading.Thread(target=sched.shutdown, kwargs={"wait": True}, daemon=True)
        t.start()
        t.join(cfg.schedule.stop_grace.total_seconds() + 5)
        if t.is_alive():
            log.warning("jobs still running after %s; stopping their child processes", cfg.schedule.stop_grace)
            runner.kill_children()
            t.join(30)
        try:
            log.info("outbox flushed: %s", runner.flush_outbox())
        except Exception as e:
            log.warning("outbox flush failed: %s: %s", type(e).__name__, e)
        lock.release()
        sched_mod._runner = None
        log.info("yuqing run stopped", extra={"yq_event": "stopped"})


def _next_runs(cfg) -> dict[str, float | None]:
    """Next-run times straight from the job store, so status never starts a scheduler."""
    path = state_dir(cfg) / "jobs.sqlite"
    if not path.exists():
        return {}
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        rows = db.execute("SELECT id, next_run_time FROM apscheduler_jobs").fetchall()
    except sqlite3.OperationalError:
        return {}
    finally:
        db.close()
    return dict(rows)


def collect_status(cfg) -> dict:
    """Everything `yuqing status` shows, as plain data (also for --json and tests)."""
    from alerts.outbox import Outbox
    from alerts.state_docs import StateDocs
    from pipelines.spool import spool_for
    from yuqing.store import Store

    out: dict = {"daemon_pid": _lock(cfg).holder(), "jobs": {}, "spool_backlog": spool_for(cfg).backlog()}
    nexts = _next_runs(cfg)
    last = _history(cfg).last_finished() if (state_dir(cfg) / "history.sqlite").exists() else {}
    for name in sorted(set(nexts) | set(last)):
        r = last.get(name)
        out["jobs"][name] = {
            "next_run": nexts.get(name),
            "last": None if r is None else {"status": r.status, "started": r.started, "ended": r.ended,
                                             "summary": r.summary},
        }
    store = Store(cfg.elasticsearch)
    try:
        out["elasticsearch"] = store.health()
    except Exception as e:
        out["elasticsearch"] = {"status": "unreachable", "error": str(e)}
        return out
    try:
        out["outbox"] = dict(Outbox(cfg, store).summary()["counts"])
    except Exception as e:
        out["outbox"] = {"error": f"{type(e).__name__}: {e}"}
    alerts: dict = {}
    for topic in cfg.topic_names():
        try:
            found = StateDocs(store).alerts(topic=topic, size=1)
        except Exception as e:
            alerts[topic] = {"error": f"{type(e).__name__}: {e}"}
            continue
        alerts[topic] = found[0] if found else None
    out["last_alert"] = alerts
    return out


def _when(ts, tz: ZoneInfo) -> str:
    if ts is None:
        return "-"
    if isinstance(ts, str):
        ts = datetime.fromisoformat(ts).timestamp()
    return datetime.fromtimestamp(float(ts), timezone.utc).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def _short(text: str, limit: int = 240) -> str:
    """The table shows the start of a summary; `--json` and the job's log file have all of it."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@config_option
def status(cfg, as_json: bool) -> None:
    """Jobs (last result, next run), Elasticsearch health, spool and outbox backlog, last alerts."""
    s = collect_status(cfg)
    if as_json:
        click.echo(json.dumps(s, ensure_ascii=False, default=str))
        return
    tz = ZoneInfo(cfg.timezone)
    pid = s["daemon_pid"]
    console.print(f"daemon: {'running (pid %s)' % pid if pid else 'not running'}   times in {cfg.timezone}",
                  highlight=False)
    t = Table(title="jobs")
    for col in ("job", "last run", "result", "summary", "next run"):
        t.add_column(col, overflow="fold")
    for name, j in s["jobs"].items():
        last = j["last"] or {}
        style = {"ok": "green", "error": "red", "timeout": "red", "interrupted": "yellow"}.get(last.get("status"), "")
        t.add_row(name, _when(last.get("started"), tz), f"[{style}]{last.get('status', '-')}[/]" if style
                  else last.get("status", "-"), _short(last.get("summary", "")), _when(j["next_run"], tz))
    if not s["jobs"]:
        console.print("no jobs yet: start the daemon with `yuqing run`")
    else:
        console.print(t)
    es = s["elasticsearch"]
    console.print(f"Elasticsearch: {es.get('status')}" + (f" ({es['error']})" if es.get("error") else
                  f" {es.get('version', '')}, cluster {es.get('cluster', '')}"), highlight=False)
    console.print(f"spool backlog: {s['spool_backlog']} posts", highlight=False)
    if "outbox" in s:
        ob = s["outbox"]
        shown = ("not installed" if ob is None else ob["error"] if "error" in ob else
                 ", ".join(f"{k} {v}" for k, v in sorted(ob.items())) or "empty")
        console.print(f"outbox: {shown}", highlight=False)
    for topic, a in (s.get("last_alert") or {}).items():
        if not a:
            console.print(f"last alert {topic}: none", highlight=False)
        elif "error" in a:
            console.print(f"last alert {topic}: unknown ({a['error']})", highlight=False)
        else:
            console.print(f"last alert {topic}: {_when(a.get('fired_at'), tz)} {a.get('severity', '')} "
                          f"{a.get('title') or a.get('rule', '')}", highlight=False, markup=False)
    if es.get("status") == "unreachable":
        sys.exit(1)
