"""Generic JSON webhook for any receiver (a ticketing system, an in-house bot).

Body: {"version": 1, "delivery_id", "alert": <the Alert as JSON>, "text": <one-line summary>}.
Post text travels as JSON data, unescaped: rendering it safely is the receiver's job.
Headers, in the style of Stripe/Slack request signing (timestamp bound into the MAC so a
captured request cannot be replayed later):
  X-Yuqing-Timestamp: unix seconds
  X-Yuqing-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body bytes)>
  X-Yuqing-Delivery:  <alert id>:<channel> — the idempotency key; a receiver that dedupes on it
                      stays exactly-once even if we crash between its 2xx and our bookkeeping.
"""
from __future__ import annotations

import hashlib
import hmac
import time

from alerts.alert import Alert
from alerts.channels.base import Channel, json_bytes
from alerts.channels.text import heading, local_time, one_line
from alerts.delivery import Delivery, delivery_key


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class WebhookChannel(Channel):
    type = "webhook"

    def body(self, alert: Alert) -> dict:
        return {"version": 1, "delivery_id": delivery_key(alert.id, self.name),
                "alert": alert.model_dump(mode="json"),
                "text": one_line(f"{heading(alert)} {local_time(alert.window_end, self.cfg.timezone)}", 300),
                "timezone": self.cfg.timezone}

    def send(self, alert: Alert) -> Delivery:
        body = self.body(alert)
        raw = json_bytes(body)
        ts = str(int(time.time()))
        headers = {**self.ch.headers, "X-Yuqing-Timestamp": ts, "X-Yuqing-Delivery": body["delivery_id"]}
        if self.ch.secret is not None:
            headers["X-Yuqing-Signature"] = webhook_signature(self.ch.secret.get_secret_value(), ts, raw)
        r = self.post_json(self.ch.url, raw, headers=headers)
        return self.sent(alert, f"HTTP {r.status_code}")


CHANNEL = WebhookChannel
