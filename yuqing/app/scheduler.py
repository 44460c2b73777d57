"""The jobs `yuqing run` schedules, and the APScheduler set-up that runs them.

Jobs are stored in SQLite (SQLAlchemyJobStore) so next-run times and missed runs survive a
restart; `coalesce` + `max_instances=1` mean a slow crawl never overlaps itself and a daemon
that was down runs each job once, not once per missed slot. The stored job only names
`run_job(<name>)`: what a name does comes from the config at start, so editing config.yaml and
restarting is enough, and pickled state never holds a config or a secret.

Crawls and command jobs run as `python -m yuqing.app ...` child processes in their own session:
Scrapy's Twisted reactor cannot restart in one process, a crashing crawl cannot take the daemon
down, and a terminal's Ctrl-C does not reach the child twice (a second SIGINT makes Scrapy quit
without checkpointing); the daemon forwards exactly one SIGINT when it stops.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from alerts.incident_docs import IncidentDocs
from alerts.overdue import remind_overdue
from crawlers.runlog import prune_runs
from yuqing.app import audit, wiring
from yuqing.app.config import Config
from yuqing.app.job_history import History, state_dir
from yuqing.app.schedule_config import When
from yuqing.times import format_duration

log = logging.getLogger("yuqing.app.scheduler")
_runner: "Runner | None" = None


def run_job(name: str) -> None:
    """What every stored job calls; referenced by name so the pickled job holds nothing else."""
    if _runner is None:
        log.error("job %s fired outside a running daemon", name)
        return
    _runner.run(name)


class Outcome(Exception):
    """A job's non-ok result with its summary (status: error, timeout, unavailable, interrupted)."""

    def __init__(self, status: str, summary: str):
        super().__init__(summary)
        self.status, self.summary = status, summary


class Runner:
    """Runs one job by name, records it in the history, and tracks child processes."""

    def __init__(self, cfg: Config, history: History, log_json: bool = False):
        self.cfg = cfg
        self.history = history
        self.log_json = log_json
        self.stopping = threading.Event()
        self.logs_dir = state_dir(cfg) / "logs"
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self._children: dict[int, subprocess.Popen] = {}
        self._interrupted: set[int] = set()  # children we sent SIGINT because the daemon stops
        self._lock = threading.Lock()
        self._store = None
        self.jobs: dict[str, tuple[When, Callable[[], str], timedelta | None]] = {}
        self._define()

    # -- job table ------------------------------------------------------------------------
    def _define(self) -> None:
        s = self.cfg.schedule
        for c in s.crawls:
            args = ["crawl", *c.spiders, *(["--topic", ",".join(c.topics)] if c.topics else [])]
            self.jobs[f"crawl:{c.name}"] = (c, self._crawl(args, c.timeout, f"crawl-{c.name}"), c.timeout)
        for c in s.commands:
            self.jobs[f"command:{c.name}"] = (c, self._command(c.args, c.timeout, f"command-{c.name}"), c.timeout)
        alerts = s.alerts
        if alerts.every is None and alerts.cron is None:
            alerts = alerts.model_copy(update={"every": self.cfg.alerts.interval})
        alerts = alerts.model_copy(update={"enabled": alerts.enabled and self.cfg.alerts.enabled})
        self.jobs["alerts"] = (alerts, self.alerts, None)
        self.jobs["spool"] = (s.spool, self.spool, None)
        self.jobs["retention"] = (s.retention, self.retention, None)
        self.jobs["nlp_refresh"] = (s.nlp_refresh, self.nlp_refresh, None)
        self.jobs = {k: v for k, v in self.jobs.items() if v[0].enabled}

    def trigger(self, when: When):
        tz = self.cfg.timezone
        if when.cron:
            return CronTrigger.from_crontab(when.cron, timezone=tz)
        return IntervalTrigger(seconds=when.every.total_seconds(), timezone=tz)

    # -- running --------------------------------------------------------------------------
    def run(self, name: str) -> None:
        spec = self.jobs.get(name)
        if spec is None:
            log.warning("job %s is in the job store but not in the config; skipped", name)
            return
        if self.stopping.is_set():
            return
        run_id = self.history.start(name)
        t0 = time.monotonic()
        log.info("job %s started", name, extra={"yq_job": name, "yq_event": "start"})
        try:
            status, summary = "ok", spec[1]()
        except Outcome as o:
            status, summary = o.status, o.summary
        except Exception as e:  # one job's failure never stops the daemon
            status, summary = "error", f"{type(e).__name__}: {e}"
            log.debug("job %s failed", name, exc_info=True)
        self.history.finish(run_id, status, summary)
        level = logging.INFO if status in ("ok", "unavailable") else logging.WARNING
        log.log(level, "job %s %s in %.1fs: %s", name, status, time.monotonic() - t0, summary,
                extra={"yq_job": name, "yq_event": "end", "yq_status": status})

    @property
    def store(self):
        if self._store is None:
            from yuqing.store import Store

            self._store = Store(self.cfg.elasticsearch)
        return self._store

    # -- child processes ------------------------------------------------------------------
    def _crawl(self, args: list[str], timeout, log_name: str) -> Callable[[], str]:
        def job() -> str:
            summary = self.child([*args, "--json"], timeout, log_name, summarise=_crawl_summary)
            if self.stopping.is_set() and ", shutdown" in summary:
                # Scrapy stopped early on our SIGINT and kept its JOBDIR: the next run resumes it.
                raise Outcome("interrupted", summary)
            return summary
        return job

    def _command(self, args: list[str], timeout, log_name: str) -> Callable[[], str]:
        return lambda: self.child(args, timeout, log_name)

    def child(self, args: list[str], timeout: timedelta | None, log_name: str,
              summarise: Callable[[str], str | None] | None = None) -> str:
        """Run `yuqing ARGS` in a child process. Its stdout goes to `<job>.out` (read back by
        `summarise` for the run's summary) and its log to `<job>.log`; both are kept for a person."""
        if self.stopping.is_set():
            raise Outcome("interrupted", "not started: the daemon is stopping")
        cmd = [sys.executable, "-m", "yuqing.app", *(["--log-json"] if self.log_json else []), *args]
        env = {**os.environ, "YUQING_HOME": str(self.cfg.home_dir)}
        if self.cfg.path:
            env["YUQING_CONFIG"] = str(Path(self.cfg.path).resolve())
        out_path, log_path = self.logs_dir / f"{log_name}.out", self.logs_dir / f"{log_name}.log"
        timed_out = False
        with out_path.open("wb") as out, log_path.open("wb") as errs:
            with self._lock:  # atomically with stop_children: a child starts and is signalled, or never starts
                if self.stopping.is_set():
                    raise Outcome("interrupted", "not started: the daemon is stopping")
                p = subprocess.Popen(cmd, stdout=out, stderr=errs, stdin=subprocess.DEVNULL, env=env,
                                     start_new_session=True)
                self._children[p.pid] = p
            try:
                try:
                    rc = p.wait(timeout.total_seconds() if timeout else None)
                except subprocess.TimeoutExpired:
                    timed_out = True
                    rc = self._interrupt(p, self.cfg.schedule.stop_grace.total_seconds())
            finally:
                with self._lock:
                    self._children.pop(p.pid, None)
                    interrupted = p.pid in self._interrupted
                    self._interrupted.discard(p.pid)
        told = None
        if summarise is not None:
            try:
                told = summarise(out_path.read_text(encoding="utf-8", errors="replace"))
            except (ValueError, KeyError, TypeError):
                told = None
        tail = told or _tail(out_path) or _tail(log_path)
        if rc != 0 and not told:
            tail = " | ".join(filter(None, [_tail(log_path), _tail(out_path, 1)]))
        where = f" (log: {log_path})"
        if timed_out:
            raise Outcome("timeout", f"stopped after {format_duration(timeout)}: {tail}{where}")
        if (interrupted and (rc != 0 or not told)) or (self.stopping.is_set() and rc != 0):
            # A child that exits 0 on SIGINT (a server) was still stopped early; a parsed summary
            # with exit 0 says itself whether the work finished.
            raise Outcome("interrupted", f"stopped with the daemon (exit {rc}): {tail}{where}")
        if rc != 0:
            raise Outcome("error", f"exit {rc}: {tail}{where}")
        return tail or "done"

    @staticmethod
    def _signal(p: subprocess.Popen, sig: int) -> None:
        """Signal the child's whole process group (it leads its own session), so a grandchild
        such as `yuqing crawl`'s Scrapy process gets it too, as with Ctrl-C in a terminal."""
        try:
            os.killpg(p.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _interrupt(self, p: subprocess.Popen, grace: float) -> int:
        """One SIGINT (Scrapy checkpoints its JOBDIR and exits), then SIGKILL after `grace`."""
        self._signal(p, signal.SIGINT)
        try:
            return p.wait(grace)
        except subprocess.TimeoutExpired:
            self._signal(p, signal.SIGKILL)
            return p.wait()

    def stop_children(self) -> int:
        """Ask every running child to stop; the job threads wait for them and record the result."""
        with self._lock:
            children = list(self._children.values())
            self._interrupted.update(self._children)
        for p in children:
            self._signal(p, signal.SIGINT)
        return len(children)

    def kill_children(self) -> None:
        with self._lock:
            children = list(self._children.values())
        for p in children:
            self._signal(p, signal.SIGKILL)

    # -- in-process jobs ------------------------------------------------------------------
    def alerts(self, now: datetime | None = None) -> str:
        """Evaluate, remind about overdue playbook steps (alerts/overdue.py), deliver; `now`: tests."""
        engine = wiring.engine(self.cfg, self.store)
        at = now or datetime.now(timezone.utc)
        raised = engine.run_once(at)
        late = remind_overdue(self.cfg, self.store, engine.outbox, at)
        out = f"{len(raised)} alerts raised" + (": " + "; ".join(_title(a) for a in raised[:5]) if raised else "")
        out += f", {len(late)} overdue steps reminded" if late else ""
        # a fresh clock, not `at`: what this cycle queued is due from its enqueue time, after `at`
        return out + ", " + _deliveries(engine.deliver(now or datetime.now(timezone.utc)))

    def flush_outbox(self) -> str:
        return _deliveries(wiring.outbox(self.cfg, self.store).deliver_pending(datetime.now(timezone.utc)))

    def spool(self) -> str:
        from pipelines.spool import spool_for
        from yuqing.store import StoreUnavailable

        sp = spool_for(self.cfg)
        backlog = sp.backlog()
        if not backlog:
            return "spool empty"
        try:
            r = sp.drain(self.store)
        except StoreUnavailable as e:
            raise Outcome("error", f"{backlog} posts still spooled: {e}")
        msg = f"wrote {r.created + r.updated} of {backlog} spooled posts, refused {r.errors}, left {r.left}"
        if r.left:
            raise Outcome("error", msg)
        return msg

    def retention(self, now: datetime | None = None) -> str:
        r = self.cfg.retention
        now = now or datetime.now(timezone.utc)
        dropped = self.store.delete_older_than(r.days, now=now)
        runs = prune_runs(self.store, timedelta(days=r.crawl_runs_days), now)
        incidents = IncidentDocs(self.store).prune_resolved(now - timedelta(days=r.incidents_days))
        entries = audit.prune(self.store, now - timedelta(days=r.audit_days))
        return (f"dropped {len(dropped)} indices older than {r.days} days" + (f": {', '.join(dropped)}" if dropped else "")
                + f"; deleted {runs} crawl runs older than {r.crawl_runs_days} days"
                + f"; deleted {incidents} incidents resolved more than {r.incidents_days} days ago"
                + f"; deleted {entries} audit entries older than {r.audit_days} days")

    def nlp_refresh(self) -> str:
        return self.child(["keywords", "fit"], self.cfg.schedule.nlp_refresh.timeout or timedelta(hours=1),
                          "nlp-refresh")


def _deliveries(ds: list) -> str:
    if not ds:
        return "nothing due in the outbox"
    by: dict[str, int] = {}
    for d in ds:
        by[d.status] = by.get(d.status, 0) + 1
    return "deliveries " + ", ".join(f"{k} {v}" for k, v in sorted(by.items()))


def _crawl_summary(text: str) -> str | None:
    """One line per spider from `yuqing crawl --json`."""
    start = text.find("[")
    if start < 0:
        return None
    rows = json.loads(text[start:])
    out = []
    for r in rows:
        fails = ", ".join(f"{k} {v}" for k, v in (r.get("failures") or {}).items())
        out.append(f"{r['spider']}: {r['items']} items (new {r['new']}, updated {r['updated']}, "
                   f"spooled {r.get('spooled', 0)}), {r.get('error') or r.get('finish_reason')}"
                   + (f", failures {fails}" if fails else ""))
    return "; ".join(out) or None


def _title(a) -> str:
    return str(getattr(a, "title", "") or getattr(a, "id", a))


def _tail(path: Path, lines: int = 3) -> str:
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 4096))
            text = f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    kept = [ln.strip() for ln in text.splitlines() if ln.strip()][-lines:]
    return " | ".join(kept)


def jobstore_url(cfg: Config) -> str:
    return f"sqlite:///{state_dir(cfg) / 'jobs.sqlite'}"


def build_scheduler(runner: Runner) -> BackgroundScheduler:
    """A scheduler whose stored jobs match the config, started paused (the caller resumes it)."""
    cfg = runner.cfg
    state_dir(cfg).mkdir(parents=True, exist_ok=True)
    sched = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=jobstore_url(cfg))},
        executors={"default": ThreadPoolExecutor(cfg.schedule.workers)},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": int(cfg.schedule.misfire_grace.total_seconds())},
        timezone=cfg.timezone,
    )
    sched.start(paused=True)
    stored = {j.id: j for j in sched.get_jobs()}
    now = datetime.now(timezone.utc)
    for name, (when, _fn, _t) in runner.jobs.items():
        trig = runner.trigger(when)
        old = stored.pop(name, None)
        if old is not None and str(old.trigger) == str(trig):
            continue  # keep its stored next-run time, so a run missed while down still happens
        kw = {"next_run_time": now} if when.every is not None else {}  # interval jobs: first run now
        sched.add_job(run_job, trig, args=[name], id=name, name=name, replace_existing=True, **kw)
        log.info("job %s scheduled: %s", name, trig)
    for name in stored:
        sched.remove_job(name)
        log.info("job %s removed (no longer in the config)", name)
    return sched
