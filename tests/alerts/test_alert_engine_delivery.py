"""The engine handing alerts to the real outbox, received by a real HTTP server on loopback:
one spike is one webhook, across a restart and across a crash between recording and queueing."""
from __future__ import annotations

import json
from datetime import datetime
from datetime import timedelta as td
from datetime import timezone

import pytest

import alerts.outbox  # noqa: F401  (the part under test ships: a broken import fails the module)
from alerts.engine import Engine
from alerts.state_docs import StateDocs
from tests.conftest import make_cfg
from tests.support.alertdata import burst, ingest, utc
from yuqing.store import Store

T = "星河手机"
NOW = utc(2026, 11, 22, 12, 0)


@pytest.fixture
def wired(es_node, tmp_path, hook):
    cfg = make_cfg(es_node, tmp_path, alerts={"channels": [{"name": "ops", "type": "webhook", "url": hook.url()}]})
    store = Store(cfg.elasticsearch)
    ingest(cfg, store, burst(T, NOW - td(minutes=10), NOW, 30))
    yield cfg, store
    store.drop_all()
    store.es.indices.delete(index=f"{cfg.elasticsearch.index_prefix}-outbox", ignore_unavailable=True)


def bodies(hook) -> list[dict]:
    return [json.loads(r.body) for r in hook.requests]


def test_one_spike_is_one_webhook_across_a_restart(wired, hook):
    cfg, store = wired
    eng = Engine(cfg, store)
    [msg] = eng.run_once(NOW, topics=[T])
    eng.deliver()
    # restarted mid-spike: new objects, state read back from Elasticsearch
    again = Engine(cfg, Store(cfg.elasticsearch))
    assert again.run_once(NOW + td(minutes=1), topics=[T]) == []
    again.deliver()
    got = bodies(hook)
    assert len(got) == 1 and got[0]["alert"]["id"] == msg.id
    assert got[0]["alert"]["rule"] == "negative_spike" and got[0]["alert"]["title"].startswith("【严重】")


def test_an_alert_recorded_but_never_queued_is_handed_over_on_the_next_run(wired, hook):
    cfg, store = wired
    # A process that died after recording the alert and before the outbox took it.
    [msg] = Engine(cfg, store, outbox=None).run_once(NOW, topics=[T])
    assert hook.requests == [] and StateDocs(store).alerts(topic=T)[0]["queued"] is False
    eng = Engine(cfg, Store(cfg.elasticsearch))
    assert eng.run_once(NOW + td(minutes=1), topics=[T]) == []  # no second alert ...
    eng.deliver(datetime.now(timezone.utc))
    got = bodies(hook)
    assert [b["alert"]["id"] for b in got] == [msg.id]  # ... and the first one is not lost
    assert StateDocs(store).alerts(topic=T)[0]["queued"] is True
    eng.run_once(NOW + td(minutes=2), topics=[T])
    eng.deliver(datetime.now(timezone.utc))
    assert len(hook.requests) == 1
