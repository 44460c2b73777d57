"""A 3-node loopback cluster (`yuqing es up --nodes 3`, `replicas: 1`) loses its elected master
(SIGKILL to the node's whole process group: a crash, not a shutdown) in the middle of a
100,000-post ingest through the real pipeline chain (NLP off).

The client lists every node (`elasticsearch.hosts`), so it fails over; every post is there
afterwards and nothing was spooled. While the cluster is yellow (the lost copies are not
re-allocated for a minute: `index.unassigned.node_left.delayed_timeout`), the alert engine
evaluates a known negative spike and raises it. Only with every node down do posts go to the
spool. The cluster runs in the test's own YUQING_HOME on free ports; the Elasticsearch
distribution is the real $YUQING_HOME's (linked, so nothing is downloaded or unpacked again).
All nodes are stopped at the end, whatever happened.
"""
from __future__ import annotations

import json
import random
import shutil
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta as td, timezone
from pathlib import Path

import pytest
import yaml

from alerts.engine import Engine
from bench.synth import posts as synth_posts
from pipelines.build import build_pipeline, spool_for
from tests.conftest import ROOT, make_cfg
from tests.support.alertdata import burst, every, ingest, utc
from yuqing.app import config as config_mod
from yuqing.es_cluster import LocalCluster
from yuqing.es_local import LocalNode
from yuqing.store import Store

N_POSTS = 100_000
CHUNK = 5_000  # synthetic posts are made chunk by chunk (seeds 11, 12, ...): 100,000 at once is ~0.5 GB
KILL_AT = 50_000
T = "星河手机"
NOW = utc(2026, 11, 20, 6, 0)  # the alert scenario; the bulk posts are from June 2026, far from it
BULK_END = datetime(2026, 6, 28, tzinfo=timezone.utc)


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_base(n: int = 3) -> int:
    """A first HTTP port with n free HTTP ports and their n transport ports (+100) free too."""
    rnd = random.Random()
    for _ in range(500):
        base = rnd.randrange(20000, 40000)
        if all(_free(base + i) and _free(base + 100 + i) for i in range(n)):
            return base
    raise RuntimeError("no free ports for a 3-node cluster on 127.0.0.1")


@pytest.fixture
def cluster():
    real = config_mod.load(ROOT / "config.yaml")  # the real $YUQING_HOME: its download is shared
    shared = LocalNode(real.elasticsearch, real.home_dir)
    shared.fetch(echo=lambda m: None)  # a no-op where any earlier test or `yuqing es up` ran
    # Not pytest's tmp_path: another pytest session on the machine resets /tmp/pytest-of-<user>
    # to mode 700, which locks the nodes' user out of their folders mid-start.
    tmp = Path(tempfile.mkdtemp(prefix="yuqing-cluster-test-"))
    home = tmp / "home"
    (home / "es").mkdir(parents=True)
    (home / "es" / shared.home.name).symlink_to(shared.home)
    es = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))["elasticsearch"]
    base = free_base()
    es.update(hosts=[f"http://127.0.0.1:{base + i}" for i in range(3)], replicas=1, shards=3, index_prefix="cluster",
              request_timeout=30, max_retries=5)
    es["local"]["cluster_port"] = base  # three shards: the killed node surely held some of the posts
    # volume_spike off: the scenario's one expected alert is the negative spike (as in test_alert_rules).
    # Pseudonymising 100,000 authors costs ~30 s of CPU on 2 cores and proves nothing here (its
    # own tests do); PII masking stays on.
    cfg = make_cfg("http://unused:9200", tmp, elasticsearch=es, privacy={"local_key": True, "pseudonymise": False},
                   alerts={"recover_after": "10m", "rules": {"volume_spike": {"enabled": False}}})
    nodes = LocalCluster(cfg.elasticsearch, cfg.home_dir, nodes=3)
    try:
        nodes.up(echo=lambda m: None, wait=400)
        yield cfg, nodes
    finally:
        nodes.down()
        shutil.rmtree(tmp, ignore_errors=True)


def health(node: LocalNode, params: str = "") -> dict:
    try:
        with urllib.request.urlopen(f"{node.url}/_cluster/health?{params}", timeout=90) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:  # 408: a wait_for_* that timed out still says where it stands
        return json.loads(e.read())


def scenario() -> list[dict]:
    """Three days of steady chatter about T, then 30 negative posts in ten minutes."""
    start, end = NOW - td(days=3), NOW + td(hours=2)
    return (every(T, start, end, td(minutes=7.5)) + every(T, start, end, td(minutes=3.75), "neutral")
            + burst(T, NOW - td(minutes=10), NOW, 30))


def kill_master_then_check_alerts(cfg, nodes: LocalCluster, pipe, seen: dict) -> None:
    """Runs beside the ingest: at KILL_AT stored posts, kill the master; once the survivors agree
    it is gone, evaluate the alerts and note the cluster's status before and after."""
    try:
        while pipe.report.created + pipe.report.updated < KILL_AT:
            time.sleep(0.05)
        victim = nodes.master()
        survivors = [n for n in nodes.nodes if n is not victim]
        seen["before_kill"] = health(victim, "wait_for_status=green&timeout=60s")["status"]
        seen["victim"], seen["pid"] = victim, victim.kill()
        seen["stored_at_kill"] = pipe.report.created + pipe.report.updated
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            h = health(survivors[0], "wait_for_nodes=2&timeout=5s")
            if h["number_of_nodes"] == 2 and h["status"] != "red":
                break
        seen["health_before_alerts"] = h
        seen["alerts"] = Engine(cfg, Store(cfg.elasticsearch), outbox=None).run_once(NOW, topics=[T])
        seen["health_after_alerts"] = health(survivors[1])
        seen["new_master"] = nodes.master()
    except Exception as e:  # reported by the test's thread
        seen["error"] = e


def test_losing_the_master_mid_ingest_loses_nothing_and_alerts_keep_running(cluster):
    cfg, nodes = cluster
    store = Store(cfg.elasticsearch)
    assert store.health()["nodes"] == 3 and cfg.elasticsearch.hosts == nodes.hosts
    alert_posts = scenario()
    ingest(cfg, store, alert_posts)

    pipe = build_pipeline(cfg, store=store, nlp=False)
    seen: dict = {}
    killer = threading.Thread(target=kill_master_then_check_alerts, args=(cfg, nodes, pipe, seen), daemon=True)
    killer.start()
    for k in range(N_POSTS // CHUNK):
        for p in synth_posts(CHUNK, seed=11 + k, days=20, now=BULK_END):
            pipe.feed(p)
    report = pipe.close()
    killer.join(timeout=120)
    assert not killer.is_alive() and "error" not in seen, repr(seen.get("error"))

    # The master died mid-ingest, a survivor took over, the cluster stayed writable.
    assert seen["before_kill"] == "green" and seen["pid"]
    assert KILL_AT <= seen["stored_at_kill"] < N_POSTS - 10_000  # midway, with writes still to come
    assert seen["new_master"] in nodes.nodes and seen["new_master"] is not seen["victim"]
    assert not seen["victim"].port_busy()
    # Every post is there; the spool was never used.
    assert (report.read, report.created + report.updated, report.spooled) == (N_POSTS, N_POSTS, 0)
    assert report.errors == [] and report.rejected == []
    assert spool_for(cfg).backlog() == 0
    store.refresh()
    assert store.count() == N_POSTS + len(alert_posts)
    assert store.count({"range": {"published_at": {"lt": "2026-07-01"}}}) == N_POSTS
    # Alerts evaluated while yellow (two nodes, replicas of the lost node's shards unassigned).
    for key in ("health_before_alerts", "health_after_alerts"):
        h = seen[key]
        assert (h["status"], h["number_of_nodes"]) == ("yellow", 2), (key, h)
        assert h["unassigned_shards"] > 0
    raised = seen["alerts"]
    assert [(a.kind, a.rule, a.severity) for a in raised] == [("alert", "negative_spike", "critical")]

    # No node answers: now, and only now, posts go to the spool.
    nodes.down()
    offline = build_pipeline(cfg, store=Store(cfg.elasticsearch.model_copy(update={"max_retries": 1})), nlp=False)
    for p in synth_posts(300, seed=99, days=5, now=BULK_END):
        offline.feed(p)
    rep = offline.close()
    assert (rep.created, rep.spooled) == (0, 300)
    assert spool_for(cfg).backlog() == 300


# -- the command, without starting anything ------------------------------------------------------
def cli(tmp_path, *args: str, cluster_port: int = 29220):
    import subprocess
    import sys

    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    raw["elasticsearch"]["local"]["cluster_port"] = cluster_port
    raw["home"] = str(tmp_path / "home")
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "yuqing.app", "es", *args, "--config", str(p)], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def test_initial_masters_only_until_the_cluster_has_formed(tmp_path):
    cfg = make_cfg("http://127.0.0.1:9220", tmp_path)  # the default ports; nothing starts
    nodes = LocalCluster(cfg.elasticsearch, cfg.home_dir, nodes=3)

    def settings(node: LocalNode) -> dict:
        node.conf.mkdir(parents=True, exist_ok=True)
        node._write_config()
        return yaml.safe_load((node.conf / "elasticsearch.yml").read_text())

    nodes.prepare()
    first = [settings(n) for n in nodes.nodes]
    assert [s["http.port"] for s in first] == [9220, 9221, 9222]
    assert [s["transport.port"] for s in first] == [9320, 9321, 9322]
    assert len({s["path.data"] for s in first}) == 3
    assert all(s["cluster.name"] == "yuqing-cluster-9220" and "discovery.type" not in s for s in first)
    assert all(s["discovery.seed_hosts"] == ["127.0.0.1:9320", "127.0.0.1:9321", "127.0.0.1:9322"] for s in first)
    assert all(s["cluster.initial_master_nodes"] == [n.name for n in nodes.nodes] for s in first)

    nodes.marker.write_text(json.dumps({"nodes": 3}))  # what up() writes once all three answer
    nodes.prepare()
    assert all("cluster.initial_master_nodes" not in settings(n) for n in nodes.nodes)
    assert LocalNode(cfg.elasticsearch, cfg.home_dir).cluster_name == "yuqing-local-9200"


def test_cluster_commands_refuse_clearly(tmp_path):
    r = cli(tmp_path, "up", "--nodes", "1")
    assert r.returncode == 2 and "a cluster needs 2 nodes or more" in r.stderr and "Traceback" not in r.stderr
    marker = tmp_path / "home" / "es" / "cluster-29220" / "formed.json"
    marker.parent.mkdir(parents=True)
    marker.write_text(json.dumps({"nodes": 3}))
    r = cli(tmp_path, "up", "--nodes", "5")
    assert r.returncode == 1 and "was formed with 3 nodes: start it with --nodes 3" in r.stderr
    r = cli(tmp_path, "status", "--nodes", "3")
    assert r.returncode == 1
    assert r.stdout.splitlines() == [f"http://127.0.0.1:{29220 + i}  down" for i in range(3)]
    assert "unreachable" in r.stderr
    r = cli(tmp_path, "down", "--nodes", "3")
    assert r.returncode == 0 and r.stdout.count("not running") == 3
