"""One evaluation of every topic and rule at `now`: rules → noise control → one message per
topic → `<prefix>-alerts` → the outbox.

The scheduler calls `Engine(cfg, store).run_once()` every `alerts.interval`; `alerts check`
calls it once; `alerts backtest` calls it at every step with `MemoryState` and no outbox, so
tuning sees exactly what live runs would have raised.

Order matters for "neither repeat nor forget": the rule's state is claimed first (a conditional
write, so a second evaluator or a restarted one cannot announce it again), then the alert is
recorded (created once by id), then handed to the outbox and marked queued. An alert recorded
but not marked (a crash in between) is handed over again on the next run; the outbox is
idempotent per alert id and channel, so that cannot duplicate.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from alerts import text
from alerts.alert import Alert
from alerts.events import find_events
from alerts.incidents import Incidents
from alerts.noise import decide, merge
from alerts.outbox import Outbox
from alerts.rules import RULES, build_rules
from alerts.rules.base import align, context_from
from alerts.rules.source_down import SourceDown
from alerts.state import REQUEUE_WINDOW, EsState, rule_key
from yuqing.store import StoreError, StoreUnavailable

log = logging.getLogger(__name__)


class Engine:
    def __init__(self, cfg, store, state=None, outbox="auto", record: bool = True):
        self.cfg = cfg
        self.store = store
        self.state = state if state is not None else EsState(store)
        self.outbox = Outbox(cfg, store) if outbox == "auto" else outbox
        self.record = record
        self.incidents = Incidents(store, cfg) if self.outbox is not None and record else None

    def run_once(self, now: datetime | None = None, topics: list[str] | None = None,
                 rules: list[str] | None = None) -> list[Alert]:
        """Evaluate at `now` (UTC; defaults to the wall clock) and return the messages raised."""
        now = align(now or datetime.now(timezone.utc))
        return self._run(now, topics, rules)

    def _run(self, now: datetime, topics: list[str] | None, only: list[str] | None) -> list[Alert]:
        if self.outbox is not None and self.record:
            self._requeue(now)
        sources = not topics and (not only or SourceDown.name in only)  # `--topic X` asks about X only
        topics = topics or self.cfg.topic_names()
        states = self.state.rules([rule_key(t, r) for t in topics for r in RULES])
        raised: list[Alert] = []
        for topic in topics:
            if self.state.silenced_until(topic, now):
                continue  # state untouched: a spike still running when the silence ends is reported then
            notes = []
            for rule in build_rules(self.cfg, topic, only):
                try:
                    fired = rule.evaluate(self.store, topic, now)
                except StoreUnavailable:
                    raise
                except StoreError as e:  # one rule's bad query must not silence the others
                    log.error("%s/%s: evaluation failed: %s", topic, rule.name, e)
                    continue
                worst = max(fired, key=lambda a: (a.value / a.threshold) if a.threshold else 0) if fired else None
                key = rule_key(topic, rule.name)
                prev = states.get(key)
                note, new = decide(prev, worst, now, self.cfg.alerts, topic, rule.name, self.cfg.timezone,
                                   rule.p.recover_after)
                if new is not None and not self.state.put_rule(key, new, expect=prev):
                    log.info("%s: state changed by another evaluator; leaving this one to it", key)
                    continue
                if note is not None:
                    notes.append(note)
            raised += self._tell(self._with_events(merge(notes)), now)
        if sources:
            raised += self._tell(self._sources(now), now)
        return raised

    def _with_events(self, msgs: list[Alert]) -> list[Alert]:
        """Name the events behind each firing message (one search per message, not per rule)."""
        n = self.cfg.alerts.top_events
        for msg in msgs:
            if msg.kind == "recovery" or not n:
                continue
            order = "posts" if msg.rule == "volume_spike" else "negative"
            try:
                events = find_events(self.store, msg.topic, msg.window_start, msg.window_end, limit=3 * n, order=order)
            except StoreUnavailable:
                raise
            except StoreError as e:  # the message goes out without its events
                log.error("%s: events could not be read: %s", msg.topic, e)
                continue
            msg.events = [e.brief() for e in events if order == "posts" or e.negative][:n]
            line = text.events_zh(msg.events)
            if line and line not in msg.summary:
                msg.summary += line
        return msgs

    def _sources(self, now: datetime) -> list[Alert]:
        """`source_down` for every crawl source at once (per source, not per topic)."""
        p = self.cfg.alerts.rules.source_down
        if not p.enabled:
            return []
        rule = SourceDown(p, context_from(self.cfg))
        try:
            verdicts = rule.evaluate_sources(self.store, now)
        except StoreUnavailable:
            raise
        except StoreError as e:
            log.error("source_down: evaluation failed: %s", e)
            return []
        keys = {s: rule_key(s, rule.name) for s in verdicts}
        states = self.state.rules(list(keys.values()))
        notes = []
        for source, fired in verdicts.items():
            if self.state.silenced_until(source, now):
                continue  # `alerts silence --topic <source>`: state untouched, told when the silence ends
            prev = states.get(keys[source])
            note, new = decide(prev, fired, now, self.cfg.alerts, source, rule.name, self.cfg.timezone, p.recover_after)
            if new is not None and not self.state.put_rule(keys[source], new, expect=prev):
                continue
            if note is not None:
                notes.append(rule.recovered(note) if note.kind == "recovery" else note)
        return notes

    def _tell(self, msgs: list[Alert], now: datetime) -> list[Alert]:
        out = []
        for msg in msgs:
            if self.record and not self.state.record(msg, now):
                continue  # recorded by someone else at the same instant
            out.append(msg)
            self._incident(msg, now)
            self._hand_over(msg)
        return out

    def _incident(self, msg: Alert, now: datetime) -> None:
        """Open or join the topic's incident, so the message carries its console link. An incident
        that cannot be written must not hold the alert back: it goes out without the link."""
        if self.incidents is None:
            return
        try:
            inc = self.incidents.attach(msg, now)
        except StoreUnavailable:
            raise
        except Exception as e:
            log.error("%s: no incident for alert %s (%s: %s)", msg.topic, msg.id, type(e).__name__, e)
            return
        if inc is not None:
            msg.incident_id, msg.incident_url = inc.id, inc.url(self.cfg.alerts.incidents.console_url)

    def _hand_over(self, msg: Alert) -> None:
        if self.outbox is None or not self.record:
            return
        self.outbox.enqueue([msg])
        self.state.mark_queued(msg.id)

    def _requeue(self, now: datetime) -> None:
        for a in self.state.unqueued(since=now - REQUEUE_WINDOW):
            log.warning("alert %s was recorded but not handed to the outbox; handing it over now", a.id)
            self._incident(a, now)
            self._hand_over(a)

    def deliver(self, now: datetime | None = None) -> list:
        """Let the outbox send what is due (nothing without an outbox)."""
        if self.outbox is None:
            return []
        return self.outbox.deliver_pending(now or datetime.now(timezone.utc))


def flatten(messages: list[Alert]) -> list[Alert]:
    """Each rule's alert on its own (a merged message and the ones riding in `related`)."""
    out = []
    for m in messages:
        out.append(m)
        out.extend(m.related)
    return out


def as_line(a: Alert) -> dict:
    """The JSON line `alerts backtest` prints (and tests compare with live runs)."""
    return {"topic": a.topic, "rule": a.rule, "kind": a.kind, "severity": a.severity,
            "fired_at": a.fired_at.isoformat(), "window_start": a.window_start.isoformat(),
            "window_end": a.window_end.isoformat(), "value": a.value, "baseline": a.baseline,
            "threshold": a.threshold, "id": a.id, "title": a.title}
