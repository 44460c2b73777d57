"""The web console under test: a config with three accounts (one per role), the real app served
by waitress on a free loopback port in a thread, and an HTTP client that reads CSRF tokens from
the pages as a browser would."""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import datetime
from types import SimpleNamespace

import requests

from tests.conftest import make_cfg
from yuqing.app.console.auth import hash_password

# name -> (role, password); the passwords are the tests' own (author-written)
ACCOUNTS = {"lin": ("viewer", "viewer-pass-1"), "zhou": ("responder", "responder-pass-1"),
            "admin": ("admin", "admin-pass-123")}
_hashes: dict[str, str] = {}


def console_cfg(es_url: str, tmp_path, topics: list[dict] | None = None, **console):
    for name, (_, pw) in ACCOUNTS.items():
        if name not in _hashes:
            _hashes[name] = hash_password(pw)
    users = [{"name": n, "role": r, "password_hash": _hashes[n]} for n, (r, _) in ACCOUNTS.items()]
    extra = {"topics": topics} if topics is not None else {}
    return make_cfg(es_url, tmp_path, console={"users": users, **console}, **extra)


_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Client:
    """One browser: a cookie jar, and the CSRF token of the last page read."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()
        self.token = ""

    def get(self, path: str, **kw) -> requests.Response:
        r = self.http.get(self.base + path, timeout=60, **kw)
        m = _TOKEN.search(r.text)
        if m:
            self.token = m.group(1)
        return r

    def post(self, path: str, data: dict | None = None, csrf: bool = True, **kw) -> requests.Response:
        data = dict(data or {})
        if csrf:
            data["csrf_token"] = self.token
        return self.http.post(self.base + path, data=data, timeout=60, allow_redirects=False, **kw)

    def login(self, name: str, password: str | None = None) -> requests.Response:
        self.get("/login")
        return self.post("/login", {"username": name, "password": password or ACCOUNTS[name][1]})


def audit_entries(store, **match) -> list[dict]:
    from yuqing.app import audit

    return [e for e in audit.recent(store, 500) if all(e.get(k) == v for k, v in match.items())]


def fixed_clock(at: datetime):
    return lambda: at


@contextmanager
def serving_incident(es_url: str, tmp_path, now: datetime, opened: datetime, severity: str, value: float):
    """The console served over a store that holds one incident (星河手机, negative_spike, opened
    at `opened`); the console's clock stands at `now`. Drops the test's indices afterwards."""
    from alerts.alert import Alert
    from alerts.incidents import Incidents
    from yuqing.app.console.app import create_app
    from yuqing.app.console.server import Background
    from yuqing.store import Store

    cfg = console_cfg(es_url, tmp_path)
    store = Store(cfg.elasticsearch)
    incidents = Incidents(store, cfg)
    inc = incidents.attach(Alert(topic="星河手机", rule="negative_spike", severity=severity, title="星河手机 负面激增",
                                 fired_at=opened, window_start=opened, window_end=opened, value=value), opened)
    try:
        with Background(create_app(cfg, store, fixed_clock(now))) as server:
            yield SimpleNamespace(url=server.url, store=store, incidents=incidents, inc=inc)
    finally:
        store.drop_all()
