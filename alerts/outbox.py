"""The outbox: every alert reaches every channel it is meant for exactly once, through outages
and restarts.

`enqueue` writes one record per (alert.id, channel) to Elasticsearch before anything is sent;
the record id is the idempotency key, so enqueueing the same alert again changes nothing.
`deliver_pending` sends what is due. A send is claimed first (status `sending`, a lease, a
conditional write), so a second process cannot send it too; a success is recorded as `sent`
and never looked at again. A failure is retried with exponential back-off (next_attempt_at),
so a channel that is down simply keeps its records pending until it answers. After
`alerts.delivery.max_age_s` (and at least one real try) a record becomes `failed` — kept,
counted in `summary()` for `yuqing status`, listed by `yuqing alerts outbox`, requeued by
`retry_failed()`, never dropped.

The one gap no sender can close alone: a crash after the receiver accepted but before `sent` is
recorded resends once the lease ends. Mail carries a Message-ID and webhooks an
X-Yuqing-Delivery header derived from the key, so receivers can drop that copy.
"""
from __future__ import annotations

import base64
import logging
from datetime import datetime, timedelta, timezone
from typing import Callable

from alerts.alert import SEVERITY_RANK, Alert
from alerts.channels import make_channel
from alerts.channels.base import ChannelError
from alerts.config import SOURCE_RULES
from alerts.delivery import Delivery, delivery_key
from alerts.outbox_docs import OutboxDocs, Versioned
from yuqing.logs import redact

log = logging.getLogger(__name__)
MAX_CHART_BYTES = 2_000_000


def _utc(now: datetime | None) -> datetime:
    now = now or datetime.now(timezone.utc)
    return now if now.tzinfo else now.replace(tzinfo=timezone.utc)


def _dt(v: str | None) -> datetime | None:
    return datetime.fromisoformat(v) if v else None


class Outbox:
    def __init__(self, cfg, store, chart: Callable[..., bytes] | None = None):
        """`chart(store, topic, fired_at, window_start, window_end, tz=...) -> PNG` draws the trend
        for e-mail; the shell hands in the dashboards' renderer (alerts do not import dashboards)."""
        self.cfg = cfg
        self.dcfg = cfg.alerts.delivery
        self.store = store
        self.chart = chart
        self.docs = OutboxDocs(store)
        self._channels: dict[str, object] = {}

    # -- which channels ----------------------------------------------------------------
    def channels_for(self, alert: Alert) -> list:
        """Enabled channels that take this alert's topic and severity (recoveries go wherever
        the alert went, so they skip the severity floor)."""
        out = []
        for ch in self.cfg.alerts.channels:
            if not ch.enabled:
                continue
            if alert.rule in SOURCE_RULES and not ch.sources:
                continue
            if ch.topics and alert.topic not in ch.topics and alert.rule not in SOURCE_RULES:
                continue
            if alert.kind != "recovery" and SEVERITY_RANK[alert.severity] < SEVERITY_RANK[ch.min_severity]:
                continue
            out.append(ch)
        return out

    def channel(self, name: str):
        if name not in self._channels:
            ch_cfg = next((c for c in self.cfg.alerts.channels if c.name == name), None)
            self._channels[name] = make_channel(ch_cfg, self.cfg) if ch_cfg is not None else None
        return self._channels[name]

    # -- enqueue -----------------------------------------------------------------------
    def enqueue(self, alerts: list[Alert], now: datetime | None = None) -> list[Delivery]:
        """Persist one pending record per (alert, channel); returns the newly created ones
        (an alert enqueued twice creates nothing the second time)."""
        now = _utc(now)
        docs: dict[str, dict] = {}
        made: dict[str, Delivery] = {}
        for a in alerts:
            targets = self.channels_for(a)
            if any(ch.type == "email" for ch in targets):
                a.chart_png = self._chart(a)
            for ch in targets:
                d = Delivery(alert_id=a.id, channel=ch.name, channel_type=ch.type, created_at=now,
                             next_attempt_at=now, topic=a.topic, rule=a.rule, kind=a.kind,
                             severity=a.severity, title=a.title)
                doc = d.model_dump(mode="json") | {"alert": a.model_dump(mode="json")}
                if a.chart_png and len(a.chart_png) <= MAX_CHART_BYTES:
                    doc["chart_png"] = base64.b64encode(a.chart_png).decode()
                docs[d.key], made[d.key] = doc, d
        created = self.docs.create(docs)
        if created:
            log.info("outbox: %d deliveries queued", len(created))
        return [made[k] for k in created]

    def _chart(self, a: Alert) -> bytes | None:
        """The trend chart for e-mail, drawn once at enqueue time (so a resend after a restart
        shows the picture people would have seen) and only when an e-mail channel takes it."""
        if a.chart_png or a.kind in ("recovery", "overdue") or a.rule == "source_down" or not self.dcfg.email_chart \
                or self.chart is None:
            return a.chart_png
        try:
            return self.chart(self.store, a.topic, a.fired_at, a.window_start, a.window_end, tz=self.cfg.timezone)
        except Exception as e:  # a chart is a nicety: the alert goes out without it
            log.warning("outbox: no chart for %s (%s: %s)", a.id, type(e).__name__, e)
            return None

    # -- deliver -----------------------------------------------------------------------
    def backoff(self, attempts: int) -> timedelta:
        s = self.dcfg.initial_backoff_s * self.dcfg.backoff_factor ** max(attempts - 1, 0)
        return timedelta(seconds=min(s, self.dcfg.max_backoff_s))

    def deliver_pending(self, now: datetime | None = None) -> list[Delivery]:
        """One pass over what is due now; returns what happened to each record it touched
        (sent, pending with a next attempt, or failed). Safe to run from several processes."""
        now = _utc(now)
        out = []
        for rec in self.docs.due(now, self.dcfg.batch):
            d = self._deliver_one(rec, now)
            if d is not None:
                out.append(d)
        return out

    def _deliver_one(self, rec: Versioned, now: datetime) -> Delivery | None:
        d = Delivery.model_validate({k: v for k, v in rec.items() if k in Delivery.model_fields})
        age = now - (_dt(rec.get("requeued_at")) or _dt(rec.get("created_at")) or now)
        ch = self.channel(d.channel)
        # Past max age a record fails, but only after one real try: a daemon that was down for a
        # day still sends the alert late rather than never.
        if ch is None or (age.total_seconds() > self.dcfg.max_age_s and d.attempts > 0):
            why = "channel is no longer configured" if ch is None else \
                f"gave up after {d.attempts} attempts and {age} (max_age_s {self.dcfg.max_age_s:.0f})"
            return self._finish(rec, d, "failed", now, error=why if ch is None else f"{why}; last error: {d.last_error}")
        if not ch.ch.enabled:
            return None  # a disabled channel keeps its records until it is enabled or they age out
        # Claim: a conditional write; whoever loses the race leaves this record alone.
        d.status, d.attempts, d.lease_until = "sending", d.attempts + 1, now + timedelta(seconds=self.dcfg.lease_s)
        claimed = self.docs.put(rec, self._doc(rec, d))
        if claimed is None:
            return None
        try:
            alert = self._alert(rec)
            receipt = ch.send(alert)
        except ChannelError as e:
            msg = redact(str(e))
            if e.permanent:
                return self._finish(claimed, d, "failed", now, error=msg)
            d.status, d.last_error, d.lease_until = "pending", msg, None
            d.next_attempt_at = now + self.backoff(d.attempts)
            log.warning("outbox: %s to %s failed (attempt %d), next at %s: %s", d.alert_id, d.channel,
                        d.attempts, d.next_attempt_at.isoformat(timespec="seconds"), msg)
            self.docs.put(claimed, self._doc(claimed, d))
            return d
        except Exception as e:  # a bug in a formatter must not wedge the queue; retry like an outage
            msg = redact(f"{type(e).__name__}: {e}")[:300]
            log.exception("outbox: %s to %s raised", d.alert_id, d.channel)
            d.status, d.last_error, d.lease_until = "pending", msg, None
            d.next_attempt_at = now + self.backoff(d.attempts)
            self.docs.put(claimed, self._doc(claimed, d))
            return d
        return self._finish(claimed, d, "sent", now, detail=receipt.detail)

    def _finish(self, rec: Versioned, d: Delivery, status: str, now: datetime, error: str | None = None,
                detail: str | None = None) -> Delivery | None:
        d.status, d.lease_until = status, None  # type: ignore[assignment]
        if status == "sent":
            d.sent_at, d.detail = now, detail
            log.info("outbox: %s sent to %s (%s)", d.alert_id, d.channel, detail)
        else:
            d.failed_at, d.last_error = now, error
            log.error("outbox: %s to %s FAILED: %s", d.alert_id, d.channel, error)
        if self.docs.put(rec, self._doc(rec, d)) is None:
            # Only possible if another process stole an expired claim meanwhile; it will decide.
            log.warning("outbox: %s to %s changed under us; leaving it to the other sender", d.alert_id, d.channel)
        return d

    def _doc(self, rec: Versioned, d: Delivery) -> dict:
        doc = d.model_dump(mode="json") | {"alert": rec.get("alert")}
        if rec.get("chart_png"):
            doc["chart_png"] = rec["chart_png"]
        return doc

    @staticmethod
    def _alert(rec: Versioned) -> Alert:
        a = Alert.model_validate(rec["alert"])
        if rec.get("chart_png"):
            a.chart_png = base64.b64decode(rec["chart_png"])
        return a

    def retry_failed(self, now: datetime | None = None, channel: str | None = None) -> int:
        """Put failed records back in the queue (after a person fixed the channel); each gets a
        fresh max age. Sent records are never touched, so nothing is sent twice."""
        now = _utc(now)
        n = 0
        for rec in self.docs.search(status="failed", limit=self.dcfg.batch, with_chart=True):
            if channel and rec.get("channel") != channel:
                continue
            d = Delivery.model_validate({k: v for k, v in rec.items() if k in Delivery.model_fields})
            d.status, d.requeued_at, d.next_attempt_at, d.failed_at = "pending", now, now, None
            if self.docs.put(rec, self._doc(rec, d)) is not None:
                n += 1
        return n

    # -- reporting ---------------------------------------------------------------------
    def summary(self) -> dict:
        """Counts per status and the failed records, for `yuqing status`."""
        counts = self.docs.counts()
        failed = self.list(status="failed", limit=20) if counts.get("failed") else []
        return {"counts": counts, "failed": failed}

    def list(self, status: str | None = None, topic: str | None = None, limit: int = 50) -> list[Delivery]:
        return [Delivery.model_validate({k: v for k, v in r.items() if k in Delivery.model_fields})
                for r in self.docs.search(status=status, topic=topic, limit=limit)]

    def get(self, alert_id: str, channel: str) -> Delivery | None:
        r = self.docs.get(delivery_key(alert_id, channel))
        return Delivery.model_validate({k: v for k, v in r.items() if k in Delivery.model_fields}) if r else None
