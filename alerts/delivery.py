"""The delivery record: one per (alert, channel). Its key is the idempotency key, so the outbox
can be restarted, run twice or crash mid-send and still never mark one alert sent twice."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

Status = Literal["pending", "sending", "sent", "failed"]
STATUS_ZH = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "失败"}


def delivery_key(alert_id: str, channel: str) -> str:
    return f"{alert_id}:{channel}"


class Delivery(BaseModel):
    alert_id: str
    channel: str
    channel_type: str = ""
    status: Status = "pending"
    attempts: int = 0
    created_at: datetime | None = None
    requeued_at: datetime | None = None  # a person retried a failed record: max age counts from here
    next_attempt_at: datetime | None = None
    lease_until: datetime | None = None  # while `sending`: a crashed sender's claim expires here
    sent_at: datetime | None = None
    failed_at: datetime | None = None
    last_error: str | None = None
    detail: str | None = None  # what the receiver answered on success
    topic: str = ""
    rule: str = ""
    kind: str = "alert"
    severity: str = "warning"
    title: str = ""

    @property
    def key(self) -> str:
        return delivery_key(self.alert_id, self.channel)
