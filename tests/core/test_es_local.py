"""`yuqing es ...` as a user runs it: status with version, idempotent up, clear one-line errors."""
from __future__ import annotations

import socket
import subprocess
import sys

import yaml

from tests.conftest import ROOT


def run(cfg_path, *args):
    return subprocess.run([sys.executable, "-m", "yuqing.app", "es", *args, "--config", str(cfg_path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=180)


def test_status_reports_health_and_version(es_node):
    r = run(ROOT / "config.yaml", "status")
    assert r.returncode == 0, r.stderr
    status, _, rest = r.stdout.partition("  ")
    assert status in ("green", "yellow")
    assert "Elasticsearch 8.19.21" in rest


def test_up_on_a_running_node_says_so(es_node):
    r = run(ROOT / "config.yaml", "up")
    assert r.returncode == 0
    assert "already running" in r.stdout


def variant(tmp_path, **local):
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    raw["elasticsearch"]["local"].update(local)
    raw["elasticsearch"]["hosts"] = [f"http://127.0.0.1:{raw['elasticsearch']['local']['port']}"]
    raw["home"] = str(tmp_path / "home")
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True))
    return p


def test_port_in_use_is_a_clear_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = run(variant(tmp_path, port=port), "up")
    assert r.returncode == 1
    assert f"port {port} on 127.0.0.1 is in use by another program" in r.stderr
    assert "Traceback" not in r.stderr


def test_download_failure_is_a_clear_error(tmp_path):
    r = run(variant(tmp_path, version="8.19.9999", port=9277), "up")
    assert r.returncode == 1
    assert "download of Elasticsearch 8.19.9999 failed" in r.stderr
    assert "Traceback" not in r.stderr


def test_status_when_down_exits_non_zero(tmp_path):
    r = run(variant(tmp_path, port=9278), "status")
    assert r.returncode == 1
    assert "unreachable" in r.stderr


def test_no_java_is_a_clear_error(tmp_path):
    r = run(variant(tmp_path, port=9279, java_home="/nonexistent"), "up")
    assert r.returncode == 1
    assert "no Java 17+ found at elasticsearch.local.java_home (/nonexistent)" in r.stderr
    assert "Traceback" not in r.stderr


def test_missing_maven_is_a_clear_error(tmp_path):
    p = variant(tmp_path, port=9276)
    r = subprocess.run([sys.executable, "-m", "yuqing.app", "es", "up", "--config", str(p)], capture_output=True,
                       text=True, cwd=ROOT, timeout=60, env={"PATH": "/usr/sbin:/sbin", "HOME": str(tmp_path)})
    assert r.returncode == 1
    assert "mvn not found" in r.stderr and "Traceback" not in r.stderr
