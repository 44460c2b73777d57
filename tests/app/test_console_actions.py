"""Bad input in the console gets a clear message and loses nothing (issue #16): an unknown
incident, acknowledging twice, two sessions editing at once (one wins, the other is told), a
response dated before its incident, a malformed response link. Each refusal is audited. And the
page says when an overdue step was reminded (alerts/overdue.py), so nobody reminds by hand again."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.support.console import Client, audit_entries, serving_incident

OPENED = datetime(2026, 11, 20, 6, 10, tzinfo=timezone.utc)  # 14:10 Shanghai
NOW = OPENED + timedelta(hours=2)


@pytest.fixture
def served(es_node, tmp_path):
    with serving_incident(es_node, tmp_path, NOW, OPENED, "warning", 12) as s:
        yield s.url, s.store, s.incidents, s.inc


def flash(page: str) -> str:
    start = page.find('class="flash')
    return page[start:page.find("</div>", start)] if start >= 0 else ""


def test_unknown_incident_and_acknowledging_twice(served):
    url, store, incidents, inc = served
    c = Client(url)
    c.login("zhou")
    assert c.get("/incidents/nope-404").status_code == 404
    c.get(f"/incidents/{inc.id}")
    assert c.post("/incidents/nope-404/ack").status_code == 404
    assert c.post(f"/incidents/{inc.id}/ack").status_code == 302
    page = c.get(f"/incidents/{inc.id}").text
    assert "已确认此事件" in flash(page) and 'id="ack"' not in page  # no second ack offered
    r = c.post(f"/incidents/{inc.id}/ack")  # sent anyway (an old tab): refused with the reason
    assert r.status_code == 302
    msg = flash(c.get(f"/incidents/{inc.id}").text)
    assert "未执行" in msg and "已确认" in msg
    assert incidents.get(inc.id).status == "acknowledged"
    assert [e["ok"] for e in audit_entries(store, action="ack")].count(False) == 1


def test_two_sessions_editing_at_once_one_wins_the_other_is_told(served):
    url, store, incidents, inc = served
    a, b = Client(url), Client(url)
    a.login("zhou")
    b.login("admin")
    page_a, page_b = a.get(f"/incidents/{inc.id}"), b.get(f"/incidents/{inc.id}")
    assert f'name="version" value="{inc.version}"' in page_a.text and f'value="{inc.version}"' in page_b.text
    assert a.post(f"/incidents/{inc.id}/note", {"text": "甲的备注", "version": inc.version}).status_code == 302
    assert b.post(f"/incidents/{inc.id}/assign", {"owner": "admin", "version": inc.version}).status_code == 302
    msg = flash(b.get(f"/incidents/{inc.id}").text)
    assert "未执行" in msg and "已被他人修改" in msg and "刷新" in msg
    now = incidents.get(inc.id)
    assert [n.text for n in now.notes] == ["甲的备注"] and now.owner is None  # the first change kept, the second not made
    # after reloading, the second session's change goes through
    assert b.post(f"/incidents/{inc.id}/assign", {"owner": "admin", "version": now.version}).status_code == 302
    assert incidents.get(inc.id).owner == "admin"
    refused = audit_entries(store, action="assign", ok=False)
    assert len(refused) == 1 and refused[0]["who"] == "admin"


def test_a_response_dated_before_its_incident_or_with_a_bad_link_is_refused(served):
    url, store, incidents, inc = served
    c = Client(url)
    c.login("zhou")
    c.get(f"/incidents/{inc.id}")
    c.post(f"/incidents/{inc.id}/respond", {"at": "2026-11-20T13:00", "channel": "官方微博", "text": "说明"})
    msg = flash(c.get(f"/incidents/{inc.id}").text)
    assert "未执行" in msg and "早于" in msg
    c.post(f"/incidents/{inc.id}/respond", {"at": "2026-11-21T15:00", "channel": "官方微博", "text": "说明"})
    assert "未执行" in flash(c.get(f"/incidents/{inc.id}").text)  # in the future
    c.post(f"/incidents/{inc.id}/respond", {"at": "2026-11-20T15:00", "url": "javascript:alert(1)", "text": "说明"})
    msg = flash(c.get(f"/incidents/{inc.id}").text)
    assert "未执行" in msg and "http" in msg
    c.post(f"/incidents/{inc.id}/respond", {"at": "yesterday", "text": "说明"})
    assert "YYYY-MM-DDTHH:MM" in flash(c.get(f"/incidents/{inc.id}").text)
    assert incidents.get(inc.id).responses == [] and incidents.get(inc.id).status == "open"
    assert len(audit_entries(store, action="respond", ok=False)) == 4
    # a good one is kept, read in Shanghai time (15:00 there is 07:00 UTC)
    c.post(f"/incidents/{inc.id}/respond", {"at": "2026-11-20T15:00", "channel": "官方微博", "text": "说明",
                                            "url": "https://weibo.com/x/1"})
    got = incidents.get(inc.id)
    assert got.status == "responding" and got.responses[0].at == datetime(2026, 11, 20, 7, 0, tzinfo=timezone.utc)
    assert got.responses[0].by == "zhou"


def test_an_overdue_step_shows_when_it_was_reminded(served):
    url, store, incidents, inc = served
    c = Client(url)
    c.login("zhou")
    first = inc.playbook.steps[0]  # warning: 确认负责人…, due 30 min after opening, 90 min before NOW
    page = c.get(f"/incidents/{inc.id}").text
    assert "逾期" in page and "已提醒" not in page
    told = first.due_at + timedelta(minutes=3)
    assert incidents.mark_reminded(inc.id, 1, told, "第 1 步已逾期，已提醒值班人")
    page = c.get(f"/incidents/{inc.id}").text
    assert "11-20 14:43 已提醒" in page, page[page.find('id="playbook"'):][:800]
