"""What every channel shares: the error it raises, an HTTP POST that turns receiver answers
into sent / retry / give-up, and a name-only repr so URLs with tokens never reach a log."""
from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone

import httpx

from alerts.alert import Alert
from alerts.delivery import Delivery


_URL_TAIL = re.compile(r"(https?://[^/\s\"']+)[^\s\"']*")


class HideUrlSecrets(logging.Filter):
    """httpx logs every request URL at INFO; robot URLs carry their token (access_token=, key=,
    /services/T…/B…/…), so only scheme and host may reach a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        hidden = _URL_TAIL.sub(lambda m: m.group(1) + "/…", msg)
        if hidden != msg:
            record.msg, record.args = hidden, None
        return True


logging.getLogger("httpx").addFilter(HideUrlSecrets())

PAYLOAD_REJECTED = frozenset({400, 413, 415, 422})


class ChannelError(Exception):
    """A send that did not go through. `permanent` means retrying the same request cannot help
    (the receiver rejects the message itself): the outbox marks it failed at once instead of backing off."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def json_bytes(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Channel:
    type = ""

    def __init__(self, ch_cfg, cfg):
        self.ch = ch_cfg
        self.cfg = cfg
        self.name = ch_cfg.name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    def send(self, alert: Alert) -> Delivery:
        raise NotImplementedError

    def sent(self, alert: Alert, detail: str) -> Delivery:
        return Delivery(alert_id=alert.id, channel=self.name, channel_type=self.type, status="sent",
                        sent_at=datetime.now(timezone.utc), detail=detail[:300], topic=alert.topic,
                        rule=alert.rule, kind=alert.kind, severity=alert.severity, title=alert.title)

    def post_json(self, url: str, body: dict | bytes, headers: dict[str, str] | None = None,
                  params: dict[str, str] | None = None) -> httpx.Response:
        """POST exactly the bytes we sign (json.dumps once), classify failures for the outbox.
        A receiver that is down, slow, rate-limiting or misconfigured (401/403/404) is retried;
        only a payload the receiver says it can never accept fails at once."""
        data = body if isinstance(body, bytes) else json_bytes(body)
        h = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "yuqing-alerts/1"}
        h.update(headers or {})
        try:
            r = httpx.post(url, content=data, headers=h, params=params, timeout=self.ch.timeout)
        except httpx.HTTPError as e:
            raise ChannelError(f"{self.type} {self.name}: {type(e).__name__} (receiver unreachable)") from None
        if r.status_code in PAYLOAD_REJECTED:
            raise ChannelError(f"{self.type} {self.name}: HTTP {r.status_code} {r.text[:200]}", permanent=True)
        if r.status_code >= 400:
            raise ChannelError(f"{self.type} {self.name}: HTTP {r.status_code} {r.text[:200]}")
        return r

    def check_code(self, r: httpx.Response, field: str, permanent_codes: frozenset[int] = frozenset()) -> str:
        """Chinese robot APIs answer HTTP 200 with an error code in the body (errcode / code).
        Most codes mean a configuration problem (token, signature, IP list, keyword) that a person
        can fix, so they stay retryable until max age; only a rejected message is permanent."""
        try:
            j = r.json()
        except ValueError:
            return f"HTTP {r.status_code}"
        code = (j.get(field, j.get("StatusCode", 0)) if isinstance(j, dict) else 0) or 0
        if code == 0:
            return f"HTTP {r.status_code} {field}=0"
        msg = j.get("errmsg") or j.get("msg") or j.get("StatusMessage") or ""
        raise ChannelError(f"{self.type} {self.name}: {field}={code} {msg}"[:300], permanent=code in permanent_codes)
