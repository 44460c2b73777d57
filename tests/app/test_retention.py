"""The retention job deletes old resolved incidents (retention.incidents_days) and old audit
entries (retention.audit_days) on the real node, one document at a time (no delete_by_query
here), with a fixed clock at midnight in Shanghai: an incident still open is kept however old."""
from __future__ import annotations

from datetime import timedelta as td

import pytest

from alerts.alert import Alert
from alerts.incidents import Incidents
from tests.support.alertdata import utc
from yuqing.app import audit
from yuqing.app import config as config_mod
from yuqing.app.job_history import History
from yuqing.app.scheduler import Runner

NOW = utc(2026, 11, 22, 16, 0)  # 00:00 on 23 November in Shanghai


def opened(svc: Incidents, topic: str, at):
    a = Alert(topic=topic, rule="negative_spike", severity="warning", fired_at=at, window_start=at - td(minutes=15),
              window_end=at, value=40)
    return svc.attach(a, at)


def test_old_resolved_incidents_and_old_audit_entries_go(cfg, store, tmp_path):
    svc = Incidents(store, cfg)
    old = opened(svc, "星河手机", NOW - td(days=400))
    svc.resolve(old.id, "alice", NOW - td(days=366))
    still_open = opened(svc, "青禾奶茶", NOW - td(days=400))  # never resolved: kept
    recent = opened(svc, "月光汽车", NOW - td(days=400))
    svc.resolve(recent.id, "alice", NOW - td(days=364))  # resolved within the year: kept
    audit.record(store, "alice", "resolve", f"incident:{old.id}", NOW - td(days=365, seconds=1))
    audit.record(store, "alice", "resolve", f"incident:{recent.id}", NOW - td(days=364))
    line = Runner(cfg, History(tmp_path / "h.sqlite")).retention(now=NOW)
    assert "deleted 1 incidents resolved more than 365 days ago" in line, line
    assert "deleted 1 audit entries older than 365 days" in line, line
    assert {i.id for i in svc.list()} == {still_open.id, recent.id}
    assert [e["target"] for e in audit.recent(store)] == [f"incident:{recent.id}"]
    again = Runner(cfg, History(tmp_path / "h.sqlite")).retention(now=NOW)
    assert "deleted 0 incidents" in again and "deleted 0 audit entries" in again, again


def test_shorter_periods_apply(cfg, store, tmp_path):
    raw = cfg.model_dump(mode="json", exclude={"path"})
    raw["retention"] |= {"incidents_days": 30, "audit_days": 7}
    short = config_mod.parse(raw, tmp_path / "c.yaml")
    svc = Incidents(store, short)
    inc = opened(svc, "星河手机", NOW - td(days=40))
    svc.resolve(inc.id, "alice", NOW - td(days=31))
    audit.record(store, "bob", "ack", "incident:x", NOW - td(days=8))
    line = Runner(short, History(tmp_path / "h.sqlite")).retention(now=NOW)
    assert "deleted 1 incidents resolved more than 30 days ago" in line, line
    assert "deleted 1 audit entries older than 7 days" in line, line
    assert svc.list() == [] and audit.recent(store) == []


@pytest.mark.parametrize("key", ["incidents_days", "audit_days"])
def test_a_period_below_one_day_names_the_key(tmp_path, key):
    with pytest.raises(config_mod.ConfigError) as e:
        config_mod.parse({"retention": {key: 0}}, tmp_path / "c.yaml")
    assert f"retention.{key}" in str(e.value), str(e.value)
