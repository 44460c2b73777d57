"""Config models for `alerts.channels` (where alerts go) and `alerts.delivery` (how hard the
outbox tries). Secrets are SecretStr so a printed or dumped config never shows them; write them
in config.yaml as `${ENV_VAR}` (a webhook URL with a token in it counts as a secret too)."""
from __future__ import annotations

import re
from typing import Annotated, Literal, Union

from pydantic import Field, SecretStr, field_validator, model_validator

from yuqing.config import Strict

Security = Literal["starttls", "ssl", "none"]



def _http_url(v: str) -> str:
    if not re.match(r"^https?://[^/\s]+", v or ""):
        raise ValueError("expected an http(s) URL; keep it in the environment: url: ${MY_WEBHOOK_URL}")
    return v


class ChannelBase(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    enabled: bool = True
    topics: list[str] = []  # only these topics; empty means every topic
    # Source-health alerts (source_down) are per crawl source, which collects for every topic:
    # they reach a topic-filtered channel too unless this is false.
    sources: bool = True
    min_severity: Literal["info", "warning", "critical"] = "info"
    timeout: float = Field(10, gt=0, le=120)


class EmailChannel(ChannelBase):
    type: Literal["email"]
    host: str
    port: int = Field(587, ge=1, le=65535)
    security: Security = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    sender: str = Field(min_length=3)
    to: list[str] = []  # always receive; each topic's `recipients` are added
    ca_certs: str | None = None  # a private CA for the SMTP server's certificate
    verify: bool = True

    @model_validator(mode="after")
    def _no_clear_text_password(self):
        if self.security == "none" and self.password and self.host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"security: none would send the SMTP password in clear text to {self.host}; "
                             "use starttls (port 587) or ssl (port 465)")
        return self


class _Http(ChannelBase):
    url: str

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return _http_url(v)


class WebhookChannel(_Http):
    type: Literal["webhook"]
    secret: SecretStr | None = None  # HMAC-SHA256 key; without it requests go unsigned
    headers: dict[str, str] = {}


class DingTalkChannel(_Http):
    type: Literal["dingtalk"]
    secret: SecretStr | None = None  # the robot's 加签 secret (SEC...)
    at_mobiles: list[str] = []
    at_all: bool = False


class WeComChannel(_Http):
    type: Literal["wecom"]


class FeishuChannel(_Http):
    type: Literal["feishu"]
    secret: SecretStr | None = None  # the bot's 签名校验 secret


class SlackChannel(_Http):
    type: Literal["slack"]


ChannelConfig = Annotated[
    Union[EmailChannel, WebhookChannel, DingTalkChannel, WeComChannel, FeishuChannel, SlackChannel],
    Field(discriminator="type"),
]


class DeliveryConfig(Strict):
    """Back-off grows initial × factor^(attempt-1) up to max; a delivery older than max_age that
    has been tried at least once is failed (kept, counted by `yuqing status`, listed by
    `yuqing alerts outbox`, requeued by `--retry-failed`; never dropped)."""

    initial_backoff_s: float = Field(15, gt=0)
    backoff_factor: float = Field(2, ge=1)
    max_backoff_s: float = Field(900, gt=0)
    max_age_s: float = Field(24 * 3600, gt=0)
    lease_s: float = Field(300, gt=0)  # a send claimed by a process that died is retried after this
    batch: int = Field(200, ge=1, le=5000)
    email_chart: bool = True  # draw the topic's negative trend (dashboards/charts.py) for e-mail channels


def check_unique(channels: list) -> list:
    seen: set[str] = set()
    for c in channels:
        if c.name in seen:
            raise ValueError(f"channel name {c.name!r} is used twice; names are the idempotency key")
        seen.add(c.name)
    return channels
