"""`hold_back` (alerts/noise.py) case by case: what an active, already-told source rule holds back
on the same topic, and what it never does."""
from __future__ import annotations

from datetime import datetime, timezone

from alerts.alert import Alert
from alerts.noise import hold_back

NOW = datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc)  # midnight Shanghai, New Year's Day
SRC = ["negative_surprise"]


def note(kind: str = "alert", severity: str = "warning") -> Alert:
    return Alert(kind=kind, topic="星河手机", rule="negative_spike", severity=severity, title="t",
                 fired_at=NOW, window_start=NOW, window_end=NOW, value=12, threshold=10)


def source(severity: str = "warning", active: bool = True) -> dict:
    return {"negative_surprise": {"active": active, "notified_severity": severity}}


def test_a_new_alert_no_more_severe_than_the_told_source_is_held_and_marked():
    out, state = hold_back(note(severity="warning"), {"active": True}, None, SRC, source("warning"))
    assert out is None and state == {"active": True, "inhibited_by": "negative_surprise"}
    out, _ = hold_back(note(severity="info"), {"active": True}, None, SRC, source("critical"))
    assert out is None


def test_what_is_not_held():
    n = note(severity="critical")
    assert hold_back(n, {"active": True}, None, SRC, source("warning")) == (n, {"active": True})  # more severe
    n = note()
    assert hold_back(n, {"active": True}, None, SRC, source(active=False))[0] is n  # source quiet
    assert hold_back(n, {"active": True}, None, [], source())[0] is n  # no inhibit configured
    told = {"active": True, "notified_severity": "warning"}  # an episode already told goes on
    r = note(kind="reminder")
    assert hold_back(r, told, told, SRC, source("critical"))[0] is r


def test_a_held_episode_recovers_silently_and_is_told_as_new_once_it_outgrows_its_source():
    held = {"active": True, "inhibited_by": "negative_surprise"}
    assert hold_back(note(kind="recovery", severity="info"), {"active": False}, held, SRC, source())[0] is None
    esc = note(kind="escalation", severity="critical")
    out, state = hold_back(esc, {**held, "notified_severity": "critical"}, held, SRC, source("warning"))
    assert out is esc and out.kind == "alert" and "inhibited_by" not in state
    assert out.id == note(kind="alert", severity="critical").make_id()
