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
from functools import partial

from alerts import text
from alerts.alert import Alert
from alerts.events import find_events
from alerts.incidents import Incidents
from alerts.noise import decide, hold_back, merge
from alerts.outbox import Outbox
from alerts.rules.base import align, context_from
from alerts.rules.source_down import CrawlHistory, SourceDown
from alerts.state import REQUEUE_WINDOW, EsState, rule_key
from alerts.verdicts import groups, judge_now
from yuqing.store import StoreError, StoreUnavailable

log = logging.getLogger(__name__)


class Engine:
    def __init__(self, cfg, store, state=None, outbox="auto", record: bool = True, dress: bool = True):
        self.cfg = cfg
        self.store = store
        self.dress = dress  # False (backtests): alerts without examples, keywords, aspects and summary
        self.state = state if state is not None else EsState(store)
        self.outbox = Outbox(cfg, store) if outbox == "auto" else outbox
        self.record = record
        self.incidents = Incidents(store, cfg) if self.outbox is not None and record else None

    def run_once(self, now: datetime | None = None, topics: list[str] | None = None,
                 rules: list[str] | None = None) -> list[Alert]:
        """Evaluate at `now` (UTC; defaults to the wall clock) and return the messages raised."""
        now = align(now or datetime.now(timezone.utc))
        return self._run(now, topics, rules)

    def _run(self, now: datetime, topics: list[str] | None, only: list[str] | None,
             verdicts=None, sources=None) -> list[Alert]:
        """`verdicts`: each topic's rules and what they found (default: judged now, every topic
        measured at once; `alerts backtest` passes what its histograms gave for `now`)."""
        if self.outbox is not None and self.record:
            self._requeue(now)
        per_source = not topics and (not only or SourceDown.name in only)  # `--topic X` asks about X only
        topics = topics or self.cfg.topic_names()
        silenced = {d["topic"] for d in self.state.silences(now)}
        # A silenced topic is not measured; its state is untouched: a spike still running when the
        # silence ends is reported then.
        active = [t for t in topics if t not in silenced]
        if verdicts is None:
            verdicts = judge_now(self.store, now, groups(self.cfg, active, only))
        states = self.state.rules([rule_key(t, r.name) for t in active for r, _ in verdicts.get(t, [])])
        raised: list[Alert] = []
        for topic in active:
            notes = []
            others = {r.name: states.get(rule_key(topic, r.name)) for r, _ in verdicts.get(topic, [])}
            for rule, found in verdicts.get(topic, []):
                key = rule_key(topic, rule.name)
                prev = states.get(key)
                if found is None and not (prev and prev.get("active")):
                    continue  # quiet and nothing to recover from: noise control would change nothing
                try:
                    if isinstance(found, StoreError):
                        raise found
                    note, new = self._decide(rule, topic, now, found, prev)
                    note, new = hold_back(note, new, prev, self.cfg.alerts.inhibit.get(rule.name, []), others)
                except StoreUnavailable:
                    raise
                except StoreError as e:  # one rule's bad query must not silence the others
                    log.error("%s/%s: evaluation failed: %s", topic, rule.name, e)
                    continue
                if new is not None and not self.state.put_rule(key, new, expect=prev):
                    log.info("%s: state changed by another evaluator; leaving this one to it", key)
                    continue
                if note is not None:
                    notes.append(note)
            if notes:
                raised += self._tell(self._with_events(merge(notes)), now)
        if per_source:
            raised += self._tell(self._sources(now, sources, silenced), now)
        return raised

    def _decide(self, rule, topic: str, now: datetime, found, prev):
        """Noise control's verdict; the alert is dressed (examples, keywords, text: requests to
        the store) only when it is to be told, or when only dressing can measure it."""
        decide_ = partial(decide, prev, now=now, acfg=self.cfg.alerts, topic=topic, rule=rule.name,
                          tz=self.cfg.timezone, recover_after=rule.p.recover_after)
        if found is not None and rule.final:
            note, new = decide_(rule.bare(topic, now, found))
            if note is None or not self.dress:
                return note, new
        fired = rule.check(self.store, topic, now, found)
        return decide_(fired[0] if fired else None)

    def _with_events(self, msgs: list[Alert]) -> list[Alert]:
        """Name the events behind each firing message (one search per message, not per rule)."""
        n = self.cfg.alerts.top_events if self.dress else 0  # a backtest's lines name no events
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

    def source_history(self, t0: datetime, t1: datetime) -> CrawlHistory:
        """The crawl runs a backtest over [t0, t1] reads (`_run(..., sources=)`)."""
        return CrawlHistory(self.store, t1)

    def _sources(self, now: datetime, history: CrawlHistory | None = None,
                 silenced: set[str] = frozenset()) -> list[Alert]:
        """`source_down` for every crawl source at once (per source, not per topic)."""
        p = self.cfg.alerts.rules.source_down
        if not p.enabled:
            return []
        rule = SourceDown(p, context_from(self.cfg))
        try:
            verdicts = rule.evaluate_sources(self.store, now, history)
        except StoreUnavailable:
            raise
        except StoreError as e:
            log.error("source_down: evaluation failed: %s", e)
            return []
        keys = {s: rule_key(s, rule.name) for s in verdicts}
        states = self.state.rules(list(keys.values()))
        notes = []
        for source, fired in verdicts.items():
            if source in silenced:
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
        # The record was written before the incident existed (it is the exactly-once guard); the
        # incident's id joins it here, so `alerts history` and the alerts index link both ways.
        self.state.mark_queued(msg.id, **({"incident_id": msg.incident_id} if msg.incident_id else {}))

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
