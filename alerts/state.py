"""Where alert state lives: Elasticsearch for live runs, memory for a backtest.

Per (topic, rule) one document records whether it is firing and what was last told to people
(when, how bad), which is what cooldown, escalation and recovery need; per topic a silence
document; per alert one record. Live state is in `<prefix>-state` / `<prefix>-alerts`, so a new
process (a restart, or a second evaluator) continues exactly where the last one stopped. Writes
are conditional on the version read, so two evaluators cannot both announce the same alert.
Baselines are recomputed from indexed history at every evaluation, so there is nothing to lose;
the last one is kept in the rule document for inspection.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from alerts.alert import Alert
from alerts.state_docs import StateDocs, Versioned


REQUEUE_WINDOW = timedelta(hours=6)  # unqueued alerts older than this are history, not news


def rule_key(topic: str, rule: str) -> str:
    return f"rule:{topic}:{rule}"


def silence_key(topic: str) -> str:
    return f"silence:{topic}"


def parse_dt(v) -> datetime | None:
    if v is None or isinstance(v, datetime):
        return v
    return datetime.fromisoformat(str(v).replace("Z", "+00:00"))


def alert_doc(alert: Alert, now: datetime) -> dict:
    d = alert.model_dump(mode="json", exclude={"chart_png"})
    d["recorded_at"] = now.astimezone(timezone.utc).isoformat()
    d["queued"] = False
    return d


class EsState:
    """Live state in Elasticsearch through the store."""

    def __init__(self, store):
        self.store = store
        self.docs = StateDocs(store)

    def rules(self, keys: list[str]) -> dict[str, Versioned]:
        return self.docs.mget(keys)

    def put_rule(self, key: str, doc: dict, expect: Versioned | None) -> bool:
        return self.docs.put(key, doc, expect=expect)

    def silenced_until(self, topic: str, now: datetime) -> datetime | None:
        doc = self.docs.get(silence_key(topic))
        until = parse_dt(doc.get("until")) if doc else None
        return until if until and until > now else None

    def silence(self, topic: str, until: datetime, note: str = "", now: datetime | None = None) -> None:
        self.docs.put(silence_key(topic), {"kind": "silence", "topic": topic, "until": until.isoformat(),
                                           "note": note, "since": (now or datetime.now(timezone.utc)).isoformat()},
                      refresh=True)

    def unsilence(self, topic: str) -> bool:
        return self.docs.delete(silence_key(topic))

    def silences(self, now: datetime) -> list[dict]:
        return [d for d in self.docs.find("silence").values() if parse_dt(d["until"]) > now]

    def record(self, alert: Alert, now: datetime) -> bool:
        return self.docs.record(alert_doc(alert, now))

    def mark_queued(self, alert_id: str, **fields) -> None:
        """Handed to the outbox; `fields` ride on the same update (the incident it opened or joined)."""
        self.docs.mark(alert_id, queued=True, **fields)

    def unqueued(self, since: datetime) -> list[Alert]:
        return [Alert.model_validate(d) for d in self.docs.alerts(since=since, queued=False)]

    def history(self, topic: str | None = None, since: datetime | None = None, size: int = 50) -> list[dict]:
        return self.docs.alerts(topic=topic, since=since, size=size)


def _copy(d: Versioned) -> Versioned:
    c = Versioned(d)
    c.id, c.seq_no, c.primary_term = d.id, d.seq_no, d.primary_term
    return c


class MemoryState:
    """The same contract kept in a dict: `alerts backtest` replays history without touching live
    state (a backtest must never silence, cool down or recover the real thing)."""

    def __init__(self):
        self.docs: dict[str, Versioned] = {}
        self.alerts: dict[str, dict] = {}

    def rules(self, keys: list[str]) -> dict[str, Versioned]:
        # Copies (flat documents: a shallow copy is a full one), so a caller's edit is no write.
        return {k: _copy(self.docs[k]) for k in keys if k in self.docs}

    def active_topics(self) -> set[str]:
        """Topics with a rule firing (a backtest must look at them at every instant, to see
        them recover)."""
        return {d["topic"] for k, d in self.docs.items() if k.startswith("rule:") and d.get("active")}

    def put_rule(self, key: str, doc: dict, expect: Versioned | None) -> bool:
        cur = self.docs.get(key)
        if (cur is None) != (expect is None) or (cur is not None and cur.seq_no != expect.seq_no):
            return False
        new = Versioned(doc)
        new.seq_no = (cur.seq_no + 1) if cur is not None else 0
        self.docs[key] = new
        return True

    def silenced_until(self, topic: str, now: datetime) -> datetime | None:
        doc = self.docs.get(silence_key(topic))
        return doc["until"] if doc and doc["until"] > now else None

    def silence(self, topic: str, until: datetime, note: str = "", now: datetime | None = None) -> None:
        self.docs[silence_key(topic)] = Versioned({"kind": "silence", "topic": topic, "until": until, "note": note})

    def unsilence(self, topic: str) -> bool:
        return self.docs.pop(silence_key(topic), None) is not None

    def silences(self, now: datetime) -> list[dict]:
        return [d for k, d in self.docs.items() if k.startswith("silence:") and d["until"] > now]

    def record(self, alert: Alert, now: datetime) -> bool:
        if alert.id in self.alerts:
            return False
        self.alerts[alert.id] = alert_doc(alert, now)
        return True

    def mark_queued(self, alert_id: str, **fields) -> None:
        self.alerts[alert_id].update(queued=True, **fields)

    def unqueued(self, since: datetime) -> list[Alert]:
        return []  # a backtest sends nothing

    def history(self, topic: str | None = None, since: datetime | None = None, size: int = 50) -> list[dict]:
        return [d for d in self.alerts.values() if not topic or d["topic"] == topic][-size:]

