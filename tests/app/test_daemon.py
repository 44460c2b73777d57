"""`yuqing run` as a real subprocess against the real node: jobs run on schedule, a failing job
never stops the daemon, SIGTERM stops it cleanly, history and schedules survive a restart, and
no job ever runs twice at once."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alerts.state_docs import StateDocs
from pipelines.spool import spool_for
from tests.conftest import DATA, ROOT, make_cfg, write_cfg
from yuqing.app.job_history import History, state_dir
from yuqing.post import Post

KEY = "test-pseudo-key-0123456789abcdef"


def start(cfg_file: Path, home: Path, log: Path, key: str | None = KEY) -> subprocess.Popen:
    env = {**os.environ, "YUQING_CONFIG": str(cfg_file), "YUQING_HOME": str(home), "COLUMNS": "200"}
    env.pop("YUQING_PSEUDO_KEY", None)
    if key:
        env["YUQING_PSEUDO_KEY"] = key
    return subprocess.Popen([sys.executable, "-m", "yuqing.app", "--log-json", "run"], cwd=str(ROOT), env=env,
                            stdout=subprocess.PIPE, stderr=log.open("ab"), text=True)


def drop(store) -> None:
    """The test's indices, the outbox's included."""
    store.drop_all()
    store.es.indices.delete(index=f"{store.cfg.index_prefix}-outbox*", ignore_unavailable=True, allow_no_indices=True)


def with_webhook(cfg, url: str, tmp_path: Path):
    """The config plus one generic webhook channel to a loopback receiver, written for the daemon."""
    from yuqing.app import config as config_mod

    raw = cfg.model_dump(mode="json", exclude={"path"})
    raw["alerts"]["channels"] = [{"name": "hook", "type": "webhook", "url": url}]
    cfg = config_mod.parse(raw, tmp_path / "config.yaml")
    return cfg, write_cfg(cfg, tmp_path / "config.yaml")


def wait_for(pred, what: str, limit: float = 90):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.5)
    raise AssertionError(f"gave up waiting for {what}")


def finished(history: History, job: str) -> list:
    return [r for r in history.runs(job) if r.status != "running"]


def assert_no_overlap(history: History) -> None:
    by_job: dict[str, list] = {}
    for r in history.runs():
        by_job.setdefault(r.job, []).append(r)
    for job, runs in by_job.items():
        runs.sort(key=lambda r: r.started)
        for a, b in zip(runs, runs[1:]):
            assert a.ended is not None and b.started >= a.ended, f"{job}: run {b.id} started before run {a.id} ended"


@pytest.fixture
def daemon_cfg(es_node, tmp_path):
    cfg = make_cfg(es_node, tmp_path, schedule={
        "crawls": [],
        "commands": [{"name": "ingest", "args": ["ingest", "--no-nlp", str(DATA / "sample_posts.jsonl")], "every": "2s"},
                     {"name": "broken", "args": ["ingest", str(tmp_path / "missing.jsonl")], "every": "2s"}],
        "alerts": {"every": "2s"}, "spool": {"every": "2s"}, "retention": {"every": "3s"},
        "nlp_refresh": {"enabled": False}, "stop_grace": "20s"})
    from yuqing.store import Store

    yield cfg, write_cfg(cfg, tmp_path / "config.yaml")
    drop(Store(cfg.elasticsearch))


def test_daemon_runs_jobs_survives_restart(daemon_cfg, tmp_path):
    cfg, cfg_file = daemon_cfg
    home = tmp_path / "home"
    log = tmp_path / "daemon.log"
    # Posts left in the spool (as if Elasticsearch had been down) are written by the spool job.
    spooled = [Post.model_validate({"platform": "weibo", "post_id": f"sp{i}", "text": f"星河手机 spool {i}",
                                    "published_at": "2026-11-20T10:00:00+08:00"}) for i in range(3)]
    spool_for(cfg).put(spooled)
    # The month's index exists before two jobs write at once: creating an index while another
    # writer searches it answers 503 (a store-level race reported separately, not under test here).
    from yuqing.store import Store

    Store(cfg.elasticsearch).upsert([Post.model_validate({"platform": "weibo", "post_id": "seed", "text": "seed",
                                                          "published_at": "2026-11-20T09:00:00+08:00"})])
    history = History(state_dir(cfg) / "history.sqlite")

    p = start(cfg_file, home, log)
    try:
        wait_for(lambda: all(len(finished(history, j)) >= 2 for j in
                             ("command:ingest", "command:broken", "spool", "retention", "alerts")), "two runs of each job")
        # A second daemon on the same job store refuses to start.
        second = start(cfg_file, home, tmp_path / "second.log")
        assert second.wait(60) == 1
        assert "already runs" in (tmp_path / "second.log").read_text()
        env = {**os.environ, "YUQING_CONFIG": str(cfg_file), "YUQING_HOME": str(home)}
        st = subprocess.run([sys.executable, "-m", "yuqing.app", "status", "--json"], cwd=str(ROOT), env=env,
                            capture_output=True, text=True, timeout=120)
        assert st.returncode == 0, st.stderr
        status = json.loads(st.stdout)
        assert status["daemon_pid"] == p.pid
        assert status["elasticsearch"]["status"] in ("green", "yellow")
        assert status["spool_backlog"] == 0
        assert set(status["jobs"]) >= {"command:ingest", "command:broken", "spool", "retention", "alerts"}
        assert all(j["next_run"] for j in status["jobs"].values())
        assert status["jobs"]["command:broken"]["last"]["status"] == "error"
        assert "no such file" in status["jobs"]["command:broken"]["last"]["summary"]
    finally:
        p.send_signal(signal.SIGTERM)
        rc = p.wait(120)
    assert rc == 0, log.read_text()[-3000:]

    from yuqing.store import Store

    store = Store(cfg.elasticsearch)
    store.refresh()
    ids = {h["_id"] for h in store.es.search(index=store.posts_pattern, size=100, source=False)["hits"]["hits"]}
    assert {f"weibo:sp{i}" for i in range(3)} <= ids  # the spool job wrote them
    assert len(ids) >= 20  # the ingest job wrote the sample posts
    for job in ("command:ingest", "spool", "retention"):  # a run cut by SIGTERM is "interrupted"
        statuses = [r.status for r in finished(history, job)]
        assert "ok" in statuses and set(statuses) <= {"ok", "interrupted"}, (job, statuses)
    alert_runs = finished(history, "alerts")
    assert {r.status for r in alert_runs} <= {"ok", "unavailable"}
    before = {r.id for r in history.runs()}
    first_pid_runs = [r for r in history.runs() if r.daemon_pid == p.pid]

    # Restart: the same job store, the history kept, more runs, still no overlap.
    p2 = start(cfg_file, home, log)
    try:
        wait_for(lambda: len([r for r in finished(history, "spool") if r.daemon_pid == p2.pid]) >= 2,
                 "runs after the restart")
    finally:
        p2.send_signal(signal.SIGTERM)
        assert p2.wait(120) == 0
    runs = history.runs()
    assert before <= {r.id for r in runs}
    assert [r for r in runs if r.daemon_pid == p.pid] == first_pid_runs
    assert not [r for r in runs if r.status == "running"]
    assert_no_overlap(history)

    lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    assert any(x.get("event") == "stopped" for x in lines)
    assert any(x.get("job") == "spool" and x.get("status") == "ok" for x in lines)
    assert KEY not in log.read_text()
    for f in (state_dir(cfg) / "logs").glob("*.log"):
        assert KEY not in f.read_text(errors="replace")


def test_run_refuses_without_pseudo_key(cli, cfg, tmp_path):
    r = subprocess.run([sys.executable, "-m", "yuqing.app", "run"], cwd=str(ROOT), capture_output=True, text=True,
                       timeout=60, env={k: v for k, v in os.environ.items() if k != "YUQING_PSEUDO_KEY"}
                       | {"YUQING_CONFIG": str(write_cfg(cfg, tmp_path / "c.yaml")), "YUQING_HOME": str(tmp_path / "h")})
    assert r.returncode == 2
    assert "YUQING_PSEUDO_KEY" in r.stderr


def test_child_timeout_and_shutdown_interrupt(es_node, tmp_path):
    """A child that outlives its timeout gets SIGINT and is recorded as `timeout`; one running at
    SIGTERM gets SIGINT, is recorded as `interrupted`, and the daemon still exits 0."""
    cfg = make_cfg(es_node, tmp_path, schedule={
        "crawls": [], "commands": [{"name": "site", "args": ["replay-site", "--port", "0"], "every": "1s",
                                    "timeout": "3s"}],
        "alerts": {"enabled": False}, "spool": {"enabled": False}, "retention": {"enabled": False},
        "nlp_refresh": {"enabled": False}, "stop_grace": "20s"})
    cfg_file = write_cfg(cfg, tmp_path / "config.yaml")
    history = History(state_dir(cfg) / "history.sqlite")
    log = tmp_path / "daemon.log"
    p = start(cfg_file, tmp_path / "home", log)
    try:
        wait_for(lambda: [r for r in finished(history, "command:site") if r.status == "timeout"], "a timed-out run")
        wait_for(lambda: history.runs("command:site")[-1].status == "running", "a run in progress")
    finally:
        p.send_signal(signal.SIGTERM)
        rc = p.wait(60)
    assert rc == 0, log.read_text()[-3000:]
    runs = history.runs("command:site")
    assert runs[-1].status == "interrupted", runs[-1]
    assert all(r.status in ("timeout", "interrupted") for r in runs), [r.status for r in runs]
    assert "stopped after 3s" in [r for r in runs if r.status == "timeout"][0].summary
    assert_no_overlap(history)


def test_daemon_ingest_alert_webhook_once_across_restart(es_node, tmp_path):
    """posts → index → alert → webhook through the daemon's own jobs, and a restart neither
    repeats the alert nor its delivery. (Posts arrive by a scheduled `yuqing ingest`; the crawl
    variant of this loop runs in the demo test against the replay site.)"""
    from datetime import datetime, timedelta, timezone

    from yuqing.app.demo_receivers import WebhookReceiver
    from yuqing.store import Store

    now = datetime.now(timezone.utc)
    posts = tmp_path / "spike.jsonl"
    with posts.open("w", encoding="utf-8") as f:
        for i in range(16):
            f.write(json.dumps({"platform": "weibo", "post_id": f"spike{i}", "author_id": f"u{i}",
                                "text": f"星河手机又黑屏了，第{i}次送修，准备去12315投诉[怒]",
                                "published_at": (now - timedelta(minutes=i % 9 + 1)).isoformat(),
                                "sentiment_label": "negative", "sentiment": -0.9}, ensure_ascii=False) + "\n")
    hook = WebhookReceiver(tmp_path / "hook")
    cfg = make_cfg(es_node, tmp_path, schedule={
        "crawls": [], "commands": [{"name": "ingest", "args": ["ingest", "--no-nlp", str(posts)], "every": "2s"}],
        "alerts": {"every": "2s"}, "spool": {"enabled": False}, "retention": {"enabled": False},
        "nlp_refresh": {"enabled": False}})
    cfg, cfg_file = with_webhook(cfg, hook.url, tmp_path)
    history = History(state_dir(cfg) / "history.sqlite")
    log = tmp_path / "daemon.log"
    store = Store(cfg.elasticsearch)
    try:
        p = start(cfg_file, tmp_path / "home", log)
        try:
            wait_for(lambda: hook.received, "the alert at the webhook receiver")
        finally:
            p.send_signal(signal.SIGTERM)
            assert p.wait(120) == 0, log.read_text()[-3000:]
        p2 = start(cfg_file, tmp_path / "home", log)
        try:
            wait_for(lambda: len([r for r in finished(history, "alerts") if r.daemon_pid == p2.pid
                                  and r.status == "ok"]) >= 3, "alert checks after the restart")
        finally:
            p2.send_signal(signal.SIGTERM)
            assert p2.wait(120) == 0, log.read_text()[-3000:]
        bodies = [json.loads(f.read_text(encoding="utf-8")) for f in hook.received]
        assert len(bodies) == 1, [b["body"]["alert"]["title"] for b in bodies]
        alert = bodies[0]["body"]["alert"]
        assert alert["topic"] == "星河手机"
        assert len(StateDocs(store).alerts(topic="星河手机")) == 1
        assert_no_overlap(history)
        lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
        assert sum(x["msg"].startswith("outbox flushed") for x in lines) == 2  # once per graceful stop
    finally:
        hook.stop()
        drop(store)


def test_daemon_crawl_index_alert_webhook_across_restarts(es_node, tmp_path):
    """The acceptance loop: the daemon crawls the replay site (`yuqing crawl` in a child), posts
    are indexed, the alert job raises the demo data's spike and the outbox delivers it to a real
    webhook receiver. SIGTERM mid-crawl: one SIGINT to the crawl's process group, Scrapy stops
    gracefully and keeps its JOBDIR, the daemon exits 0. Restarted twice: the crawl resumes and
    finishes, nothing ever ran twice at once, and no alert is raised or delivered twice."""
    # long: one acceptance story across three daemon runs; its steps depend on the state the previous left
    from crawlers.replay.server import ReplaySite, serve_in_thread as serve
    from yuqing.app.demo_receivers import WebhookReceiver
    from yuqing.store import Store

    class SlowSite(ReplaySite):
        """The replay site answering like a slow platform, so a crawl can be caught mid-way; fast
        again once it has been (`delay` 0), so the resumed crawl does not wait for nothing."""

        served = 0
        delay = 0.4

        def answer(self, raw_path, *args):
            time.sleep(SlowSite.delay)
            SlowSite.served += 1
            return super().answer(raw_path, *args)

    server, url = serve(0, SlowSite())
    hook = WebhookReceiver(tmp_path / "hook")
    cfg = make_cfg(es_node, tmp_path, sources={"replay": url}, schedule={
        "crawls": [{"name": "all", "every": "2s", "timeout": "5m"}],
        "alerts": {"every": "2s"}, "spool": {"enabled": False}, "retention": {"enabled": False},
        "nlp_refresh": {"enabled": False}, "stop_grace": "60s"})
    cfg, cfg_file = with_webhook(cfg, hook.url, tmp_path)
    history = History(state_dir(cfg) / "history.sqlite")
    log = tmp_path / "daemon.log"
    store = Store(cfg.elasticsearch)
    jobs = cfg.home_dir / "jobs" / cfg.elasticsearch.index_prefix

    def crawls(pid=None, done=True):
        return [r for r in history.runs("crawl:all") if (pid is None or r.daemon_pid == pid)
                and (not done or r.status != "running")]

    try:
        p = start(cfg_file, tmp_path / "home", log)
        try:
            wait_for(lambda: SlowSite.served >= 6 and crawls(done=False) and crawls(done=False)[-1].status == "running",
                     "the first crawl under way", limit=300)
        finally:
            p.send_signal(signal.SIGTERM)
            rc = p.wait(180)
        assert rc == 0, log.read_text()[-3000:]
        first = crawls()
        assert len(first) == 1 and first[0].status == "interrupted", first
        assert ", shutdown" in first[0].summary, first[0].summary
        assert any(f.is_file() for f in jobs.rglob("*")), "the interrupted crawl left no JOBDIR to resume from"
        SlowSite.delay = 0

        p2 = start(cfg_file, tmp_path / "home", log)
        try:
            wait_for(lambda: crawls(p2.pid) and hook.received, "a finished crawl and the alert at the webhook",
                     limit=300)
        finally:
            p2.send_signal(signal.SIGTERM)
            assert p2.wait(180) == 0, log.read_text()[-3000:]
        resumed = crawls(p2.pid)[0]
        assert resumed.status == "ok" and "finished" in resumed.summary, resumed

        p3 = start(cfg_file, tmp_path / "home", log)
        try:
            wait_for(lambda: crawls(p3.pid) and len([r for r in history.runs("alerts") if r.daemon_pid == p3.pid
                                                     and r.status == "ok"]) >= 3, "a crawl and checks after restart",
                     limit=300)
        finally:
            p3.send_signal(signal.SIGTERM)
            assert p3.wait(180) == 0, log.read_text()[-3000:]

        bodies = [json.loads(f.read_text(encoding="utf-8")) for f in hook.received]
        keys = [b["headers"].get("X-Yuqing-Delivery") for b in bodies]
        assert len(keys) == len(set(keys)), keys  # every alert delivered once
        recorded = StateDocs(store).alerts(size=100)
        assert len(bodies) == len(recorded), (len(bodies), [a["title"] for a in recorded])
        assert {b["body"]["alert"]["topic"] for b in bodies} == {"星河手机"}  # 青禾奶茶 stays calm
        store.refresh()
        assert store.count({"term": {"topics": "星河手机"}}) > 0
        assert len(store.breakdown("platform")["platform"]) >= 3
        assert {r.daemon_pid for r in history.runs()} == {p.pid, p2.pid, p3.pid}
        assert_no_overlap(history)
    finally:
        server.shutdown()
        hook.stop()
        drop(store)
