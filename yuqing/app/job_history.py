"""Job run history in a SQLite file beside APScheduler's job store.

History lives on local disk, not in Elasticsearch, because the runs a person most needs to see
are the ones that failed while Elasticsearch was down. One row per run: written when the run
starts (so a crash leaves a visible `running` row, marked `interrupted` by the next daemon) and
completed when it ends. A file lock keeps one daemon per job store, so no job can run twice at
once across processes either.
"""
from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from yuqing.app.config import Config
from yuqing.logs import redact

SCHEMA = """
CREATE TABLE IF NOT EXISTS job_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job TEXT NOT NULL,
    started REAL NOT NULL,
    ended REAL,
    status TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    daemon_pid INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS job_runs_job ON job_runs (job, started);
"""
KEEP_PER_JOB = 500


def state_dir(cfg: Config) -> Path:
    """Per index prefix, so two configs (or tests) sharing a home never share schedules."""
    return cfg.home_dir / "scheduler" / cfg.elasticsearch.index_prefix


@dataclass
class Run:
    id: int
    job: str
    started: float
    ended: float | None
    status: str  # running | ok | error | timeout | interrupted | unavailable
    summary: str
    daemon_pid: int


class History:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        return db

    def start(self, job: str) -> int:
        with self._lock, self._connect() as db:
            cur = db.execute("INSERT INTO job_runs (job, started, status, daemon_pid) VALUES (?, ?, 'running', ?)",
                             (job, time.time(), os.getpid()))
            return int(cur.lastrowid)

    def finish(self, run_id: int, status: str, summary: str) -> None:
        with self._lock, self._connect() as db:
            db.execute("UPDATE job_runs SET ended = ?, status = ?, summary = ? WHERE id = ?",
                       (time.time(), status, redact(summary)[:2000], run_id))
            job = db.execute("SELECT job FROM job_runs WHERE id = ?", (run_id,)).fetchone()["job"]
            db.execute("DELETE FROM job_runs WHERE job = ? AND id NOT IN "
                       "(SELECT id FROM job_runs WHERE job = ? ORDER BY id DESC LIMIT ?)", (job, job, KEEP_PER_JOB))

    def interrupt_stale(self) -> int:
        """Runs left `running` by a daemon that died; only called while holding the daemon lock."""
        with self._lock, self._connect() as db:
            cur = db.execute("UPDATE job_runs SET status = 'interrupted', ended = ?, "
                             "summary = 'the daemon stopped before this run ended' WHERE status = 'running'",
                             (time.time(),))
            return cur.rowcount

    def runs(self, job: str | None = None, limit: int = 10000) -> list[Run]:
        q = "SELECT * FROM job_runs" + (" WHERE job = ?" if job else "") + " ORDER BY id LIMIT ?"
        with self._connect() as db:
            rows = db.execute(q, ((job,) if job else ()) + (limit,)).fetchall()
        return [Run(**dict(r)) for r in rows]

    def last(self) -> dict[str, Run]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM job_runs WHERE id IN (SELECT MAX(id) FROM job_runs GROUP BY job)").fetchall()
        return {r["job"]: Run(**dict(r)) for r in rows}

    def last_finished(self) -> dict[str, Run]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM job_runs WHERE id IN (SELECT MAX(id) FROM job_runs "
                              "WHERE status != 'running' GROUP BY job)").fetchall()
        return {r["job"]: Run(**dict(r)) for r in rows}


class DaemonLock:
    """An flock on a file: held for the daemon's lifetime, released by the kernel if it dies."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def holder(self) -> int | None:
        """The pid of the running daemon, or None when no daemon holds the lock."""
        if not self.path.exists():
            return None
        fd = os.open(self.path, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                raw = self.path.read_text().strip()
                return int(raw) if raw.isdigit() else -1
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)
