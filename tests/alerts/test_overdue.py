"""Overdue playbook steps remind someone exactly once (alerts/overdue.py), through the scheduler's
alerts job on the real node, delivered by the outbox to real HTTP receivers: not before the step
is due, once when it is late, never again (a later cycle, a restarted daemon, a crash between
queueing and recording), never for a step done in time or a resolved incident, and only to the
channels that take the incident's severity."""
from __future__ import annotations

import json
from datetime import timedelta as td

import pytest

from alerts.alert import Alert
from alerts.incidents import Incidents
from alerts.outbox import Outbox
from alerts.overdue import remind_overdue, reminder
from tests.conftest import make_cfg
from tests.support.alertdata import utc
from yuqing.app.incidents_view import step_lines
from yuqing.app.job_history import History
from yuqing.app.scheduler import Runner
from yuqing.store import Store

T = "星河手机"
OPEN = utc(2026, 11, 22, 15, 50)  # 23:50 in Shanghai: the first step falls due after midnight there
CONSOLE = "http://console.example:8765"
PLAYBOOKS = {"negative_spike": {
    "critical": {"steps": [{"do": "致电公关负责人", "due": "15m", "who": "王经理"},
                           {"do": "首次公开回应", "due": "1h", "on_response": True}]},
    "warning": {"steps": [{"do": "确认负责人", "due": "30m"}]}}}


@pytest.fixture
def world(es_node, tmp_path, hook):
    """A config whose alerts go to a webhook (every severity) and a DingTalk robot (critical only)."""
    chans = [{"name": "ops", "type": "webhook", "url": hook.url("/hook")},
             {"name": "ding", "type": "dingtalk", "url": hook.url("/ding"), "min_severity": "critical"}]
    cfg = make_cfg(es_node, tmp_path, alerts={"channels": chans, "playbooks": PLAYBOOKS,
                                              "incidents": {"console_url": CONSOLE}})
    store = Store(cfg.elasticsearch)
    yield cfg, store
    store.drop_all()


def opened(cfg, store, severity: str = "critical", topic: str = T):
    a = Alert(topic=topic, rule="negative_spike", severity=severity, fired_at=OPEN, window_start=OPEN - td(minutes=15),
              window_end=OPEN, value=40, title=f"【{severity}】{topic}")
    return Incidents(store, cfg).attach(a, OPEN)


def daemon(cfg, tmp_path) -> Runner:
    """A freshly started daemon: its own Runner, store client, engine and outbox."""
    return Runner(cfg, History(tmp_path / "history.sqlite"))


def bodies(hook, path: str) -> list[dict]:
    return [json.loads(r.body) for r in hook.requests if r.path == path]


def test_an_overdue_step_is_told_once_across_cycles_and_restarts(world, hook, tmp_path):
    cfg, store = world
    inc = opened(cfg, store)
    run = daemon(cfg, tmp_path)
    assert "overdue" not in run.alerts(now=OPEN + td(minutes=10)) and hook.requests == []  # due at +15 min
    line = run.alerts(now=OPEN + td(minutes=20))
    assert "1 overdue steps reminded" in line and "sent 2" in line, line
    [msg] = [b["alert"] for b in bodies(hook, "/hook")]
    link = f"{CONSOLE}/incidents/{inc.id}"
    assert msg["kind"] == "overdue" and msg["severity"] == "critical" and msg["incident_url"] == link
    assert f"{T} 处置超时：致电公关负责人" in msg["title"]
    assert msg["step"] == {"number": 1, "do": "致电公关负责人", "who": "王经理",
                           "due_at": (OPEN + td(minutes=15)).isoformat().replace("+00:00", "Z"), "late_s": 300}
    assert "11月23日 00:05" in msg["summary"] and "已超时 5 分钟" in msg["summary"]  # due time read in Shanghai
    [req] = [r for r in hook.requests if r.path == "/hook"]
    assert req.headers["X-Yuqing-Delivery"] == f"{inc.id}/step/1/overdue:ops"
    [ding] = bodies(hook, "/ding")
    text = ding["markdown"]["text"]
    assert "处置超时：致电公关负责人" in text and "王经理" in text and "已超时" in text and link in text
    told = Incidents(store, cfg).get(inc.id)
    assert told.playbook.steps[0].reminded_at == OPEN + td(minutes=20)
    assert "已逾期 10 分钟（2026-11-23 00:10 已提醒）" in step_lines(told, OPEN + td(minutes=25), cfg.timezone)[0]
    assert any("超时提醒" in t.text and "ops、ding" in t.text for t in Incidents(store, cfg).get(inc.id).timeline)
    # Later cycles, and a daemon started afresh, tell nobody again.
    run.alerts(now=OPEN + td(minutes=25))
    daemon(cfg, tmp_path).alerts(now=OPEN + td(minutes=30))
    assert len(hook.requests) == 2
    # Step 2 (due at +1 h), done at +40 min, is never told, even long after its due time.
    Incidents(store, cfg).done_step(inc.id, 2, "alice", OPEN + td(minutes=40))
    daemon(cfg, tmp_path).alerts(now=OPEN + td(hours=3))
    assert len(hook.requests) == 2


def test_a_crash_between_queueing_and_recording_does_not_resend(world, hook, tmp_path):
    """The reminder was queued and even sent, then the daemon died before `reminded_at` was written:
    the next daemon queues it again under the same id, which the outbox already holds."""
    cfg, store = world
    inc = opened(cfg, store)
    at = OPEN + td(minutes=20)
    outbox = Outbox(cfg, store)
    outbox.enqueue([reminder(inc, 1, inc.playbook.steps[0], at, cfg)], at)
    outbox.deliver_pending(at)
    assert len(bodies(hook, "/hook")) == 1
    daemon(cfg, tmp_path).alerts(now=at + td(minutes=1))
    assert len(bodies(hook, "/hook")) == 1 and len(bodies(hook, "/ding")) == 1
    assert Incidents(store, cfg).get(inc.id).playbook.steps[0].reminded_at == at + td(minutes=1)


def test_a_resolved_incident_is_never_told(world, hook, tmp_path):
    cfg, store = world
    inc = opened(cfg, store)
    Incidents(store, cfg).resolve(inc.id, "alice", OPEN + td(minutes=5))
    daemon(cfg, tmp_path).alerts(now=OPEN + td(hours=2))
    assert hook.requests == []
    assert all(s.reminded_at is None for s in Incidents(store, cfg).get(inc.id).playbook.steps)


def test_channels_take_reminders_by_the_incidents_severity(world, hook, tmp_path):
    """A warning incident's reminder reaches the webhook only: DingTalk takes critical ones."""
    cfg, store = world
    inc = opened(cfg, store, severity="warning")
    Incidents(store, cfg).assign(inc.id, "李主管", "alice", OPEN + td(minutes=1))
    daemon(cfg, tmp_path).alerts(now=OPEN + td(minutes=45))
    [msg] = [b["alert"] for b in bodies(hook, "/hook")]
    assert msg["severity"] == "warning" and msg["step"]["who"] == "李主管" and msg["step"]["late_s"] == 900
    assert bodies(hook, "/ding") == []
    last = Incidents(store, cfg).get(inc.id).timeline[-1]
    assert last.kind == "playbook" and "交给渠道 ops" in last.text and "ding" not in last.text


def test_the_switch_turns_reminders_off(es_node, tmp_path, hook):
    cfg = make_cfg(es_node, tmp_path, alerts={"channels": [{"name": "ops", "type": "webhook", "url": hook.url()}],
                                              "playbooks": PLAYBOOKS, "incidents": {"remind_overdue": False}})
    store = Store(cfg.elasticsearch)
    try:
        opened(cfg, store)
        assert remind_overdue(cfg, store, Outbox(cfg, store), OPEN + td(hours=2)) == []
        daemon(cfg, tmp_path).alerts(now=OPEN + td(hours=2))
        assert hook.requests == []
    finally:
        store.drop_all()
