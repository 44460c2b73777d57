"""The outbox against the real Elasticsearch node and real receivers on loopback: exactly once
through outages and restarts, back-off, give-up after max age (visible), claim races.
Time moves by passing `now`, never by sleeping."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from alerts.alert import Alert, AlertPost
from alerts.outbox import Outbox
from tests.conftest import make_cfg
from tests.support.loopback import HttpReceiver, SmtpServer, free_port, make_cert
from yuqing.app import wiring
from yuqing.store import Store

T0 = datetime(2026, 11, 25, 6, 0, tzinfo=timezone.utc)
DELIVERY = {"initial_backoff_s": 10, "backoff_factor": 2, "max_backoff_s": 40, "max_age_s": 3600, "lease_s": 60}
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def alert(window_min: int = 0, **kw) -> Alert:
    ws = T0 + timedelta(minutes=window_min)
    base = dict(topic="星河手机", rule="negative_spike", severity="critical", title="【严重】星河手机 负面声量激增",
                fired_at=ws + timedelta(minutes=15), window_start=ws, window_end=ws + timedelta(minutes=15),
                value=40, baseline=5, ratio=8.0,
                top_posts=[AlertPost(platform="weibo", post_id="1", excerpt="<script>x</script> @all")])
    base.update(kw)
    return Alert(**base)


def outbox_cfg(es_node, tmp_path, channels, prefix=None, recipients=None):
    cfg = make_cfg(es_node, tmp_path, alerts={"channels": channels, "delivery": DELIVERY},
                   topics=[{"name": "星河手机", "keywords": ["星河"], "recipients": recipients or []}])
    if prefix:
        cfg.elasticsearch.index_prefix = prefix
    return cfg


@pytest.fixture
def rcv():
    r = HttpReceiver(reply=b"{}").start()
    yield r
    try:
        r.stop()
    except Exception:
        pass


@pytest.fixture
def hook(es_node, tmp_path, rcv):
    """(cfg, store, receiver) with one signed webhook channel."""
    cfg = outbox_cfg(es_node, tmp_path, [{"name": "hook", "type": "webhook", "url": rcv.url(), "secret": "k",
                                          "timeout": 3}])
    store = Store(cfg.elasticsearch)
    yield cfg, store, rcv
    store.drop_all()
    store.es.indices.delete(index=f"{cfg.elasticsearch.index_prefix}-outbox", ignore_unavailable=True)


def test_enqueue_is_idempotent(hook):
    cfg, store, rcv = hook
    ob = Outbox(cfg, store)
    a = alert()
    assert [d.channel for d in ob.enqueue([a], now=T0)] == ["hook"]
    assert ob.enqueue([a], now=T0) == []
    assert Outbox(cfg, Store(cfg.elasticsearch)).enqueue([a], now=T0) == []
    assert ob.docs.counts() == {"pending": 1}


def test_channel_down_then_back_delivers_exactly_once(hook):
    cfg, store, rcv = hook
    port = rcv.port
    rcv.stop()  # the receiver is down when the spike comes
    ob = Outbox(cfg, store)
    a = alert()
    ob.enqueue([a], now=T0)
    r1 = ob.deliver_pending(now=T0)
    assert [(d.status, d.attempts) for d in r1] == [("pending", 1)]
    assert r1[0].next_attempt_at == T0 + timedelta(seconds=10) and "unreachable" in r1[0].last_error
    assert ob.deliver_pending(now=T0 + timedelta(seconds=5)) == []  # not due yet
    r2 = ob.deliver_pending(now=T0 + timedelta(seconds=10))
    assert r2[0].attempts == 2 and r2[0].next_attempt_at == T0 + timedelta(seconds=30)  # back-off doubled

    back = HttpReceiver(reply=b"{}", port=port).start()  # it comes back on the same address
    try:
        r3 = ob.deliver_pending(now=T0 + timedelta(seconds=30))
        assert [(d.status, d.attempts) for d in r3] == [("sent", 3)]
        for later in (60, 3600, 86400 * 3):
            assert ob.deliver_pending(now=T0 + timedelta(seconds=later)) == []
        assert Outbox(cfg, Store(cfg.elasticsearch)).deliver_pending(now=T0 + timedelta(days=2)) == []
        assert len(back.requests) == 1
        assert back.requests[0].headers["X-Yuqing-Delivery"] == f"{a.id}:hook"
        got = ob.get(a.id, "hook")
        assert got.status == "sent" and got.sent_at == T0 + timedelta(seconds=30)
    finally:
        back.stop()


def test_restart_does_not_resend(hook):
    cfg, store, rcv = hook
    a, b = alert(), alert(window_min=15)
    first = Outbox(cfg, store)
    first.enqueue([a, b], now=T0)
    assert sorted(d.status for d in first.deliver_pending(now=T0)) == ["sent", "sent"]
    # A new process: new Store, new Outbox; the engine hands over the same alerts again.
    again = Outbox(cfg, Store(cfg.elasticsearch))
    assert again.enqueue([a, b], now=T0 + timedelta(minutes=1)) == []
    assert again.deliver_pending(now=T0 + timedelta(minutes=2)) == []
    assert len(rcv.requests) == 2
    assert {json.loads(r.body)["alert"]["id"] for r in rcv.requests} == {a.id, b.id}


def test_crash_mid_send_waits_for_the_lease(hook):
    cfg, store, rcv = hook
    ob = Outbox(cfg, store)
    a = alert()
    ob.enqueue([a], now=T0)
    # A sender claims the record and dies before sending (or before recording the result).
    rec = ob.docs.due(T0, 10)[0]
    claimed = dict(rec) | {"status": "sending", "attempts": 1,
                           "lease_until": (T0 + timedelta(seconds=60)).isoformat()}
    assert ob.docs.put(rec, claimed) is not None
    other = Outbox(cfg, Store(cfg.elasticsearch))
    assert other.deliver_pending(now=T0 + timedelta(seconds=30)) == []  # claim still held
    assert rcv.requests == []
    done = other.deliver_pending(now=T0 + timedelta(seconds=61))
    assert [(d.status, d.attempts) for d in done] == [("sent", 2)]
    assert len(rcv.requests) == 1


def test_lost_claim_race_sends_nothing(hook):
    cfg, store, rcv = hook
    one, two = Outbox(cfg, store), Outbox(cfg, Store(cfg.elasticsearch))
    one.enqueue([alert()], now=T0)
    stale = one.docs.due(T0, 10)[0]  # process one read it ...
    assert [d.status for d in two.deliver_pending(now=T0)] == ["sent"]  # ... process two sent it
    assert one._deliver_one(stale, T0) is None  # one's conditional claim fails: no second send
    assert len(rcv.requests) == 1


def test_gives_up_after_max_age_and_shows_it(hook, tmp_path):
    cfg, store, rcv = hook
    rcv.status, rcv.reply = 503, b"maintenance"
    ob = Outbox(cfg, store)
    a = alert()
    ob.enqueue([a], now=T0)
    t = T0
    while True:
        out = ob.deliver_pending(now=t)
        if out and out[0].status == "failed":
            break
        assert t < T0 + timedelta(hours=2), "never gave up"
        t += timedelta(seconds=700)  # past every back-off (max 40 s): each pass is one attempt
    failed = out[0]
    assert "gave up" in failed.last_error and "HTTP 503" in failed.last_error
    n = len(rcv.requests)
    assert n >= 3
    rcv.status, rcv.reply = 200, b"{}"
    assert ob.deliver_pending(now=t + timedelta(days=1)) == []  # failed is final, not retried
    assert len(rcv.requests) == n
    s = ob.summary()
    assert s["counts"] == {"failed": 1} and s["failed"][0].alert_id == a.id
    # Someone fixes the receiver and requeues: delivered once, and only once.
    assert ob.retry_failed(now=t + timedelta(days=1)) == 1
    assert [d.status for d in ob.deliver_pending(now=t + timedelta(days=1))] == ["sent"]
    assert ob.retry_failed(now=t + timedelta(days=2)) == 0
    assert ob.deliver_pending(now=t + timedelta(days=3)) == []
    assert len(rcv.requests) == n + 1


def test_late_first_attempt_still_sends(hook):
    cfg, store, rcv = hook
    ob = Outbox(cfg, store)
    ob.enqueue([alert()], now=T0)  # queued, then the daemon was down for longer than max age
    assert [d.status for d in ob.deliver_pending(now=T0 + timedelta(hours=5))] == ["sent"]
    assert len(rcv.requests) == 1


def test_permanent_rejection_fails_at_once(hook):
    cfg, store, rcv = hook
    rcv.status, rcv.reply = 400, b"bad payload"
    ob = Outbox(cfg, store)
    ob.enqueue([alert()], now=T0)
    out = ob.deliver_pending(now=T0)
    assert [(d.status, d.attempts) for d in out] == [("failed", 1)] and "400" in out[0].last_error
    assert ob.deliver_pending(now=T0 + timedelta(hours=1)) == []


def test_channels_are_independent_and_filtered(es_node, tmp_path, rcv):
    down_port = free_port()
    cfg = outbox_cfg(es_node, tmp_path, [
        {"name": "up", "type": "slack", "url": rcv.url("/slack")},
        {"name": "down", "type": "dingtalk", "url": f"http://127.0.0.1:{down_port}/robot/send?access_token=t",
         "timeout": 2},
        {"name": "other-topic", "type": "slack", "url": rcv.url("/x"), "topics": ["青禾奶茶"]},
        {"name": "critical-only", "type": "slack", "url": rcv.url("/crit"), "min_severity": "critical"},
        {"name": "off", "type": "slack", "url": rcv.url("/off"), "enabled": False}])
    store = Store(cfg.elasticsearch)
    try:
        ob = Outbox(cfg, store)
        made = ob.enqueue([alert(severity="warning")], now=T0)
        assert sorted(d.channel for d in made) == ["down", "up"]
        out = {d.channel: d.status for d in ob.deliver_pending(now=T0)}
        assert out == {"up": "sent", "down": "pending"}
        assert [r.path for r in rcv.requests] == ["/slack"]
        recovery = alert(kind="recovery", severity="info")
        assert sorted(d.channel for d in ob.enqueue([recovery], now=T0)) == ["critical-only", "down", "up"]
    finally:
        store.drop_all()
        store.es.indices.delete(index=f"{cfg.elasticsearch.index_prefix}-outbox", ignore_unavailable=True)


def test_email_outage_keeps_chart_and_sends_once(es_node, tmp_path):
    crt, key = make_cert(tmp_path)
    port = free_port()
    cfg = outbox_cfg(es_node, tmp_path, [{"name": "mail", "type": "email", "host": "127.0.0.1", "port": port,
                                          "username": "bot", "password": "pw", "sender": "y@example.test",
                                          "ca_certs": str(crt), "timeout": 3}], recipients=["pr@example.test"])
    store = Store(cfg.elasticsearch)
    try:
        Outbox(cfg, store).enqueue([alert(chart_png=PNG)], now=T0)
        assert [d.status for d in Outbox(cfg, store).deliver_pending(now=T0)] == ["pending"]  # no server yet
        srv = SmtpServer(crt, key, "starttls", "bot", "pw", port=port)
        try:
            fresh = wiring.outbox(cfg, Store(cfg.elasticsearch))  # as after a restart; the shell gives it the chart
            assert [d.status for d in fresh.deliver_pending(now=T0 + timedelta(minutes=1))] == ["sent"]
            assert fresh.deliver_pending(now=T0 + timedelta(hours=1)) == []
            assert len(srv.messages) == 1
            rcpts, msg = srv.messages[0]
            assert rcpts == ["pr@example.test"]
            assert [p.get_content() for p in msg.walk() if p.get_content_type() == "image/png"] == [PNG]
            # Without a chart of its own, an e-mailed alert gets the topic's trend drawn at enqueue.
            fresh.enqueue([alert(window_min=60)], now=T0)
            assert [d.status for d in fresh.deliver_pending(now=T0 + timedelta(minutes=2))] == ["sent"]
            drawn = [p.get_content() for p in srv.messages[1][1].walk() if p.get_content_type() == "image/png"]
            assert len(drawn) == 1 and drawn[0].startswith(b"\x89PNG") and drawn[0] != PNG
        finally:
            srv.stop()
    finally:
        store.drop_all()
        store.es.indices.delete(index=f"{cfg.elasticsearch.index_prefix}-outbox", ignore_unavailable=True)


def test_cli_test_channel_and_outbox(cli, tmp_path, rcv, es_node, monkeypatch):
    cfg_path = tmp_path / "delivery.yaml"
    raw = {"elasticsearch": {"hosts": [es_node], "index_prefix": f"tcli{tmp_path.name[-8:].lower().replace('_', '')}"},
           "topics": [{"name": "星河手机", "keywords": ["星河"]}],
           "alerts": {"channels": [{"name": "hook", "type": "webhook", "url": rcv.url(),
                                    "secret": "${TEST_HOOK_SECRET}"}]}}
    cfg_path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    env = {"YUQING_CONFIG": str(cfg_path), "TEST_HOOK_SECRET": "hush-hush"}
    r = cli("alerts", "test-channel", "hook", env=env)
    assert r.returncode == 0, r.stderr
    assert "sent: hook" in r.stdout and "hush-hush" not in r.stdout + r.stderr
    assert len(rcv.requests) == 1 and rcv.requests[0].headers["X-Yuqing-Signature"].startswith("sha256=")
    assert "测试" in json.loads(rcv.requests[0].body)["alert"]["title"]
    r = cli("alerts", "test-channel", "nope", env=env)
    assert r.returncode == 2 and "hook" in r.stderr
    rcv.status = 503
    r = cli("alerts", "test-channel", "hook", env=env)
    assert r.returncode == 1 and "503" in r.stderr and "hush-hush" not in r.stderr
    r = cli("alerts", "outbox", env=env)
    assert r.returncode == 0, r.stderr
    assert "待发送 pending: 0" in r.stdout
    # A failed delivery shows (exit 1) until someone requeues it.
    monkeypatch.setenv("TEST_HOOK_SECRET", "hush-hush")
    from yuqing.app import config as config_mod

    cfg = config_mod.load(cfg_path)
    rcv.status = 400
    ob = Outbox(cfg, Store(cfg.elasticsearch))
    try:
        ob.enqueue([alert()])
        assert [d.status for d in ob.deliver_pending()] == ["failed"]
        r = cli("alerts", "outbox", env=env)
        assert r.returncode == 1 and "失败 failed: 1" in r.stdout and "HTTP 400" in r.stdout
        rcv.status = 200
        r = cli("alerts", "outbox", "--retry-failed", env=env)
        assert "requeued 1" in r.stdout and "待发送 pending: 1" in r.stdout and r.returncode == 0
        assert [d.status for d in ob.deliver_pending()] == ["sent"]
    finally:
        ob.store.drop_all()


def test_secrets_never_reach_the_log(es_node, tmp_path, caplog):
    import logging

    down = free_port()
    cfg = outbox_cfg(es_node, tmp_path, [
        {"name": "ding", "type": "dingtalk", "url": f"http://127.0.0.1:{down}/robot/send?access_token=TOKEN123",
         "secret": "SECRET456", "timeout": 2},
        {"name": "wx", "type": "wecom", "url": f"http://127.0.0.1:{down}/cgi-bin/webhook/send?key=KEY789"}])
    store = Store(cfg.elasticsearch)
    rcv = HttpReceiver(reply=b'{"errcode":0}').start()
    try:
        caplog.set_level(logging.DEBUG)
        ob = Outbox(cfg, store)
        ob.enqueue([alert()], now=T0)
        assert {d.status for d in ob.deliver_pending(now=T0)} == {"pending"}
        # Same channels, receiver up: httpx logs the request line at INFO.
        cfg.alerts.channels[0].url = rcv.url("/robot/send?access_token=TOKEN123")
        cfg.alerts.channels[1].url = rcv.url("/cgi-bin/webhook/send?key=KEY789")
        ob2 = Outbox(cfg, store)
        assert {d.status for d in ob2.deliver_pending(now=T0 + timedelta(minutes=5))} == {"sent"}
        stored = json.dumps([dict(r) for r in ob2.docs.search()], ensure_ascii=False)
        for secret in ("TOKEN123", "SECRET456", "KEY789"):
            assert secret not in caplog.text and secret not in stored
        assert "HTTP Request" in caplog.text  # the log line exists, without the secret part
    finally:
        rcv.stop()
        store.drop_all()
