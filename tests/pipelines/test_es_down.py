"""Elasticsearch stops in the middle of an ingest: nothing is lost, nothing duplicated.

This test runs its own disposable node on another port (the shared one keeps serving the other
tests), stops it while `yuqing ingest` is reading stdin, and writes the spool after restarting it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import pytest
import yaml

from bench.synth import posts as synth_posts
from tests.conftest import ROOT
from yuqing.app import config as config_mod
from yuqing.es_local import LocalNode
from yuqing.store import Store

PORT = 9251


@pytest.fixture
def spare(tmp_path):
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    raw["elasticsearch"]["hosts"] = [f"http://127.0.0.1:{PORT}"]
    raw["elasticsearch"]["local"]["port"] = PORT
    raw["elasticsearch"]["bulk_chunk"] = 50
    raw["elasticsearch"]["max_retries"] = 1
    raw["elasticsearch"]["request_timeout"] = 5
    raw["elasticsearch"]["index_prefix"] = f"t{uuid.uuid4().hex[:10]}"
    cfg = config_mod.parse(raw)  # home: the real YUQING_HOME, so the download is shared
    path = tmp_path / "spare.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    node = LocalNode(cfg.elasticsearch, cfg.home_dir)
    node.down()
    node.up(echo=lambda m: None)
    yield cfg, path, node
    try:
        Store(cfg.elasticsearch).drop_all()
    finally:
        node.down()
        import shutil

        shutil.rmtree(cfg.home_dir / "spool" / cfg.elasticsearch.index_prefix, ignore_errors=True)


def wait_for(pred, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.2)
    return False


def test_node_stopped_mid_ingest_then_spool_written(spare):
    cfg, path, node = spare
    store = Store(cfg.elasticsearch)
    posts = synth_posts(1200, seed=11)
    rows = [json.dumps(p.to_doc(), ensure_ascii=False) + "\n" for p in posts]
    env = {**os.environ, "YUQING_CONFIG": str(path), "YUQING_PSEUDO_KEY": "test-key-0123456789abcdef"}
    proc = subprocess.Popen([sys.executable, "-m", "yuqing.app", "ingest", "-", "--no-nlp"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    first, rest = rows[:500], rows[500:]
    proc.stdin.writelines(first)
    proc.stdin.flush()

    def some_indexed():
        try:
            store.refresh()
            return store.count() >= 400
        except Exception:
            return False

    assert wait_for(some_indexed), "the first half never reached Elasticsearch"
    assert "stopped" in node.down()
    proc.stdin.writelines(rest)
    proc.stdin.close()
    proc.stdin = None  # closed by hand: communicate() must not flush it
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "spooled" in out and "--retry-spool" in out
    indexed = int(out.split("indexed ")[1].split(",")[0])
    spooled = int(out.split("spooled ")[1].split(" ")[0])
    assert indexed >= 400 and spooled >= 700
    assert indexed + spooled >= 1200  # a batch in flight at the stop may be both indexed and spooled

    # Node back: the spool drains, and the final count is exactly the input.
    node.up(echo=lambda m: None)
    r = subprocess.run([sys.executable, "-m", "yuqing.app", "ingest", "--retry-spool"], capture_output=True, text=True,
                       env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "left 0" in r.stdout
    store.refresh()
    assert store.count() == 1200
    r = subprocess.run([sys.executable, "-m", "yuqing.app", "ingest", "--retry-spool"], capture_output=True, text=True,
                       env=env, cwd=ROOT, timeout=60)
    assert "spool: empty" in r.stdout
