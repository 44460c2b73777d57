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


def test_the_source_holds_at_the_most_it_told_in_its_episode():
    """The source told critical, then reminded at warning: the team has heard critical, so a
    critical spike is still held; the state of an episode that escalated keeps its peak."""
    from datetime import timedelta

    from alerts.config import AlertsConfig
    from alerts.noise import decide

    calmer = {"negative_surprise": {"active": True, "notified_severity": "warning", "peak_severity": "critical"}}
    assert hold_back(note(severity="critical"), {"active": True}, None, SRC, calmer)[0] is None
    acfg = AlertsConfig()

    def fired(sev: str, v: float) -> Alert:
        return Alert(kind="alert", topic="星河手机", rule="negative_surprise", severity=sev, title="t",
                     fired_at=NOW, window_start=NOW, window_end=NOW, value=v, threshold=4)

    _, s1 = decide(None, fired("warning", 6), NOW, acfg, "星河手机", "negative_surprise", "Asia/Shanghai")
    _, s2 = decide(s1, fired("critical", 30), NOW + timedelta(minutes=5), acfg, "星河手机", "negative_surprise",
                   "Asia/Shanghai")
    later = NOW + timedelta(minutes=5) + acfg.realert
    n3, s3 = decide(s2, fired("warning", 8), later, acfg, "星河手机", "negative_surprise", "Asia/Shanghai")
    assert (s1["peak_severity"], s2["peak_severity"]) == ("warning", "critical")
    assert n3.kind == "reminder" and s3["notified_severity"] == "warning" and s3["peak_severity"] == "critical"
