"""The console in headless Chromium (issue #16's browser test): the crisis replay's burst opens an
incident through the real engine; a responder logs in, finds it with its events, acknowledges,
assigns and notes it, records a response and sees the effect chart. Every step is audited."""
from __future__ import annotations

import pytest

from tests.support import console_scenario as scenario
from tests.support import crisis
from tests.support.console import audit_entries
from yuqing.store import Store


@pytest.fixture
def world(es_node, tmp_path):
    cfg = scenario.scenario_cfg(es_node, tmp_path)
    store = Store(cfg.elasticsearch)
    inc = scenario.spike_incident(cfg, store)
    with scenario.serve(cfg, store) as server:
        yield server, store, inc
    store.drop_all()


def test_a_responder_works_the_spike_incident_in_the_browser(world):
    server, store, inc = world
    seen = scenario.work_incident(server.url, inc.id)
    assert "/login" in seen["login_url"]
    assert inc.title in seen["overview"]  # the overview lists the open incident
    assert crisis.BURST in seen["incident"] and "未指派" in seen["incident"]
    assert inc.events and seen["events"] == len(inc.events)  # the events that drove the alert
    assert inc.events[0]["title"] in seen["incident"]
    steps = inc.playbook.steps
    assert steps and all(s.do in seen["playbook"] for s in steps) and "✓" not in seen["playbook"]
    assert seen["overdue"] >= 1  # three hours in, the 30-minute step is overdue
    assert seen["after_step"].count("✓") == 1 and "zhou 于" in seen["after_step"]
    # the step marked on_response is done once the response is recorded
    assert seen["playbook_after"].count("✓") == 1 + sum(s.on_response for s in steps[1:]) >= 2
    assert seen["after_ack"] == "已确认"
    assert seen["owner"] == "admin"
    assert scenario.NOTE in seen["after_respond"]
    assert seen["status"] == "回应中" and "已记录回应" in seen["after_respond"]
    assert "官方微博" in seen["after_respond"] and "11-20 15:00" in seen["after_respond"]
    assert f"主要事件「{inc.events[0]['title']}」：" in seen["after_respond"]  # the lead event's own effect
    charts = seen["charts"]
    assert len(charts) == 1 and charts[0]["done"] and charts[0]["w"] > 300 and charts[0]["h"] > 150, charts
    assert not seen["errors"], seen["errors"]
    # the topic's events page lists the window's events; the effect page shows the response
    assert seen["topic_events"] >= 1 and "关键声音" in seen["topic_events_text"]
    assert inc.title in seen["effect_page"] and seen["effect_page_charts"] == 1
    done = sorted(e["action"] for e in audit_entries(store, who="zhou", ok=True))  # one clock instant: no order
    assert done == sorted(["login", "ack", "assign", "note", "step", "respond"]), done
