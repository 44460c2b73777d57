"""`yuqing incidents …` as a real subprocess on the real node: the same rules as the service, JSON
for scripts, playbook due times in the configured zone, and every action (refusals too) in the
audit log."""
from __future__ import annotations

import json
from datetime import timedelta as td

import pytest
import yaml

from alerts.alert import Alert
from alerts.incidents import Incidents
from tests.conftest import ROOT, make_cfg, write_cfg
from tests.support.alertdata import burst, ingest, utc
from yuqing.app import audit
from yuqing.store import Store

T = "星河手机"
NOW = utc(2026, 11, 22, 12, 0)  # 20:00 in Shanghai


@pytest.fixture
def env(es_node, tmp_path, cli):
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))["alerts"]
    raw["playbooks"] = {"negative_spike": {"critical": {
        "steps": [{"do": "致电公关负责人", "due": "15m", "who": "王经理"},
                  {"do": "首次公开回应", "due": "1h", "on_response": True}],
        "replies": ["关于{topic}的说明"]}}}
    cfg = make_cfg(es_node, tmp_path, alerts=raw)
    cfg_file = write_cfg(cfg, tmp_path / "config.yaml")
    store = Store(cfg.elasticsearch)
    svc = Incidents(store, cfg)
    inc = svc.attach(Alert(topic=T, rule="negative_spike", severity="critical", fired_at=NOW,
                           window_start=NOW - td(minutes=15), window_end=NOW, value=40), NOW)

    def run(*args):
        return cli("incidents", *args, "--config", str(cfg_file))
    yield cfg, store, svc, inc, run
    store.drop_all()


def at(dt) -> str:
    return dt.isoformat()


def test_actions_follow_the_rules_and_are_audit_logged(env):
    cfg, store, svc, inc, run = env
    r = run("ack", inc.id, "--by", "alice", "--now", at(NOW + td(minutes=5)))
    assert r.returncode == 0, r.stderr
    assert "已确认" in r.stdout
    r = run("ack", inc.id, "--by", "bob", "--now", at(NOW + td(minutes=6)))
    assert r.returncode == 1 and "不能确认" in r.stderr and "ack needs one of: open" in r.stderr
    assert run("assign", inc.id, "王经理", "--by", "alice", "--now", at(NOW + td(minutes=7))).returncode == 0
    assert run("note", inc.id, "客服已开始回访", "--by", "alice", "--now", at(NOW + td(minutes=8))).returncode == 0
    r = run("respond", inc.id, "--url", "ftp://x", "--text", "说明", "--channel", "weibo", "--by", "alice",
            "--now", at(NOW + td(minutes=9)))
    assert r.returncode == 2 and "http" in r.stderr
    r = run("respond", inc.id, "--text", "说明", "--channel", "weibo", "--at", "2026-11-22 19:00", "--by", "alice",
            "--now", at(NOW + td(minutes=10)))  # 19:00 in Shanghai: before the incident opened
    assert r.returncode == 1 and "早于事件开启时间 2026-11-22 20:00" in r.stderr
    r = run("respond", inc.id, "--url", "https://weibo.com/brand/1", "--text", "致歉并说明处理方案",
            "--channel", "weibo", "--at", "2026-11-22 20:40", "--by", "alice", "--now", at(NOW + td(minutes=45)))
    assert r.returncode == 0, r.stderr
    got = svc.get(inc.id)
    assert got.status == "responding" and got.owner == "王经理" and got.notes[0].text == "客服已开始回访"
    assert got.responses[0].at == NOW + td(minutes=40)  # read in Asia/Shanghai
    assert run("resolve", inc.id, "--by", "alice", "--now", at(NOW + td(hours=3))).returncode == 0
    assert run("resolve", inc.id, "--by", "bob", "--now", at(NOW + td(hours=3, minutes=1))).returncode == 1
    assert run("ack", "nope-1", "--by", "eve", "--now", at(NOW + td(hours=3, minutes=2))).returncode == 1

    log = audit.recent(store, 50)
    rows = [(e["who"], e["action"], e["target"], e["ok"]) for e in reversed(log)]
    i = f"incident:{inc.id}"  # the console's names for actions and targets
    assert rows == [("alice", "ack", i, True), ("bob", "ack", i, False), ("alice", "assign", i, True),
                    ("alice", "note", i, True), ("alice", "respond", i, False), ("alice", "respond", i, False),
                    ("alice", "respond", i, True), ("alice", "resolve", i, True), ("bob", "resolve", i, False),
                    ("eve", "ack", "incident:nope-1", False)]
    assert "不能确认" in log[-2]["detail"] and log[-1]["at"] == at(NOW + td(minutes=5))
    assert all(e["detail"].startswith("via cli") for e in log)
    r = run("audit", "--json", "--target", inc.id)
    assert r.returncode == 0 and len(json.loads(r.stdout)) == 9


def test_list_and_show_for_people_and_scripts(env):
    cfg, store, svc, inc, run = env
    ingest(cfg, store, burst(T, NOW - td(hours=6), NOW, 6) + burst(T, NOW, NOW + td(hours=6), 60))
    r = run("list", "--json")
    assert r.returncode == 0, r.stderr
    [row] = json.loads(r.stdout)
    assert row["id"] == inc.id and row["status"] == "open" and row["topic"] == T
    assert inc.id in run("list", "--status", "active").stdout
    assert "没有事件" in run("list", "--status", "resolved").stdout
    r = run("show", inc.id, "--now", at(NOW + td(minutes=20)))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    # steps with due times in Asia/Shanghai, the first one overdue at 20:20
    assert "1. 致电公关负责人（王经理）  截止 2026-11-22 20:15  ⚠ 已逾期 5 分钟" in out
    assert "2. 首次公开回应  截止 2026-11-22 21:00  剩余 40 分钟" in out
    assert f"关于{T}的说明" in out and f"http://127.0.0.1:8765/incidents/{inc.id}" in out
    assert "回应效果" not in out  # no response yet
    run("respond", inc.id, "--text", "致歉", "--channel", "weibo", "--at", at(NOW), "--by", "alice",
        "--now", at(NOW + td(minutes=30)))
    r = run("show", inc.id, "--now", at(NOW + td(hours=6)))
    assert "首次公开回应  截止 2026-11-22 21:00  ✓ 已完成" in r.stdout
    assert "回应效果（回应时间 2026-11-22 20:00，前后各 6 小时）" in r.stdout and "⚠ 升级" in r.stdout
    r = run("show", inc.id, "--json", "--now", at(NOW + td(hours=6)))
    data = json.loads(r.stdout)
    assert data["overdue"] == ["致电公关负责人"] and data["effect"]["escalation"] is True
    assert data["effect"]["total"]["after"]["posts"] == 60 and data["effect"]["total"]["before"]["posts"] == 6
    assert run("show", "nope-1").returncode == 1


def test_the_demo_summary_names_the_incident_and_the_console_link(env, capsys):
    from yuqing.app.demo_summary import print_incidents

    cfg, store, svc, inc, run = env
    print_incidents(cfg, store, NOW + td(minutes=20))
    out = capsys.readouterr().out
    assert f"打开控制台: yuqing serve --config {cfg.path} → http://127.0.0.1:8765/incidents/{inc.id}" in out
    assert "预案步骤逾期 1 个" in out and f"yuqing incidents show {inc.id}" in out
