"""The console's refusals against a real waitress server and the real node: a viewer who acts
gets 403, a form without its CSRF token is refused, the sixth wrong password in a minute is
refused even when right, the session cookie is HttpOnly and SameSite; each refusal is in the
audit log (`<prefix>-audit`). `yuqing serve` binds 127.0.0.1 unless told otherwise."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from alerts.incidents import Incidents
from tests.conftest import ROOT, write_cfg
from tests.support.console import Client, audit_entries, console_cfg, fixed_clock, serving_incident
from yuqing.app.console.app import create_app
from yuqing.app.console.server import Background
from yuqing.app.console.settings import ConsoleConfig
from yuqing.store import Store

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def served(es_node, tmp_path):
    with serving_incident(es_node, tmp_path, NOW, NOW, "critical", 30) as s:
        yield s


def test_viewer_action_is_403_and_audited(served):
    s = served
    store, inc = s.store, s.inc
    viewer = Client(s.url)
    assert viewer.login("lin").status_code == 302
    page = viewer.get(f"/incidents/{inc.id}")
    assert page.status_code == 200 and inc.title in page.text
    assert 'id="ack"' not in page.text  # a viewer is not offered the actions
    for action in ("ack", "resolve", "note"):
        r = viewer.post(f"/incidents/{inc.id}/{action}", {"text": "x"})
        assert r.status_code == 403, (action, r.status_code)
    assert s.incidents.get(inc.id).status == "open"  # nothing changed
    refused = audit_entries(store, who="lin", ok=False)
    assert {e["action"] for e in refused} == {"ack", "resolve", "note"}
    assert all("viewer" in e["detail"] and e["target"] == f"/incidents/{inc.id}/{e['action']}" for e in refused)
    admin = Client(s.url)
    admin.login("admin")
    assert viewer.get("/audit").status_code == 403
    log = admin.get("/audit")
    assert log.status_code == 200 and "lin" in log.text and "拒绝" in log.text


def test_form_without_csrf_token_is_refused_and_audited(served):
    s = served
    store, inc = s.store, s.inc
    c = Client(s.url)
    assert c.login("zhou").status_code == 302
    r = c.post(f"/incidents/{inc.id}/ack", csrf=False)
    assert r.status_code == 400 and "CSRF" in r.text
    r = c.post(f"/incidents/{inc.id}/ack", {"csrf_token": "forged"}, csrf=False)
    assert r.status_code == 400
    assert s.incidents.get(inc.id).status == "open"
    entries = audit_entries(store, action="csrf", ok=False)
    assert len(entries) == 2 and all(e["who"] == "zhou" for e in entries)
    # with the token the same request goes through, and is audited as done
    c.get(f"/incidents/{inc.id}")
    assert c.post(f"/incidents/{inc.id}/ack").status_code == 302
    assert s.incidents.get(inc.id).status == "acknowledged"
    assert audit_entries(store, action="ack", ok=True, who="zhou")


def test_sixth_wrong_password_in_a_minute_is_refused(served):
    s = served
    store = s.store
    c = Client(s.url)
    for _ in range(5):
        assert c.login("zhou", "wrong password").status_code == 401
    r = c.login("zhou")  # the right password, but after five wrong ones
    assert r.status_code == 429
    assert "yuqing_console" not in r.cookies and "user" not in r.text
    assert c.get("/").url.endswith("/login?next=/")  # still not logged in
    wrong = audit_entries(store, action="login", ok=False)
    assert len(wrong) == 6 and sum("rate limited" in e["detail"] for e in wrong) == 1


def test_session_cookie_is_httponly_and_samesite(served):
    s = served
    c = Client(s.url)
    r = c.login("zhou")
    assert r.status_code == 302
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("yuqing_console=")
    assert "HttpOnly" in cookie and re.search(r"SameSite=(Lax|Strict)", cookie)
    assert "Secure" not in cookie  # plain http on loopback; console.https: true adds it
    page = c.get("/")
    assert page.status_code == 200 and "zhou" in page.text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert c.post("/logout").status_code == 302
    assert c.get("/").url.endswith("/login?next=/")


def test_serve_binds_loopback_by_default(es_node, tmp_path):
    assert ConsoleConfig().host == "127.0.0.1"
    cfg = console_cfg(es_node, tmp_path)
    path = write_cfg(cfg, tmp_path / "config.yaml")
    env = {**os.environ, "YUQING_CONFIG": str(path), "YUQING_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen([sys.executable, "-m", "yuqing.app", "serve", "--port", "0"], cwd=str(ROOT), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()
        m = re.search(r"http://([\d.]+):(\d+)/", line)
        assert m and m.group(1) == "127.0.0.1", line
        conns = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout
        assert f"127.0.0.1:{m.group(2)} " in conns and f"0.0.0.0:{m.group(2)} " not in conns
        assert Client(f"http://127.0.0.1:{m.group(2)}").get("/login").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_plaintext_password_in_config_is_refused(es_node, tmp_path):
    from yuqing.app.config import ConfigError

    with pytest.raises(ConfigError) as e:
        console_cfg(es_node, tmp_path, users=[{"name": "x", "role": "admin", "password_hash": "hunter2-secret"}])
    msg = str(e.value)
    assert "console.users.0.password_hash" in msg and "yuqing serve hash-password" in msg
    assert "hunter2" not in msg


def test_hash_password_makes_a_hash_that_logs_in(tmp_path):
    from argon2 import PasswordHasher

    def run(password: str):
        return subprocess.run([sys.executable, "-m", "yuqing.app", "serve", "hash-password", "--password-stdin"],
                              input=password + "\n", capture_output=True, text=True, cwd=str(tmp_path), timeout=120,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})

    r = run("a long enough pass")
    assert r.returncode == 0, r.stderr
    h = r.stdout.strip()
    assert h.startswith("$argon2id$") and "a long enough pass" not in r.stdout
    assert PasswordHasher().verify(h, "a long enough pass")
    short = run("short")
    assert short.returncode == 2 and "8 characters" in short.stderr


def test_without_elasticsearch_a_login_fails_closed(es_node, tmp_path):
    """No audit entry can be written, so nobody is let in: a clear 503 page, no session."""
    cfg = console_cfg(es_node, tmp_path)
    down = cfg.elasticsearch.model_copy(update={"hosts": ["http://127.0.0.1:9"], "max_retries": 0,
                                                "request_timeout": 5})
    store = Store(down)
    with Background(create_app(cfg, store, fixed_clock(NOW), incidents=Incidents(store, cfg))) as server:
        c = Client(server.url)
        r = c.login("zhou")
        assert r.status_code == 503 and "Elasticsearch 不可用" in r.text
        assert c.get("/").url.endswith("/login?next=/")  # not logged in
