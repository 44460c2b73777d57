"""The alert contract between rules (which raise alerts), the outbox and the channels.

A rule returns `Alert`s; the outbox stores them in `<prefix>-alerts` and hands each to every
channel exactly once (idempotency key `alert.id` + channel name); channels only format and send.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Severity = Literal["info", "warning", "critical"]
# "reminder": a rule still firing after `realert`, told again; not a new episode.
# "overdue": an incident's playbook step past its due time (alerts/overdue.py), told once.
Kind = Literal["alert", "escalation", "reminder", "recovery", "overdue"]
SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}
SEVERITY_ZH = {"info": "提示", "warning": "预警", "critical": "严重"}


class AlertPost(BaseModel):
    """One example post shown in an alert (already privacy-protected when it reached the store)."""

    platform: str
    post_id: str
    url: str | None = None
    excerpt: str = ""
    author_name: str | None = None
    published_at: datetime | None = None
    likes: int = 0
    comments: int = 0
    reposts: int = 0
    sentiment: float | None = None

    @property
    def engagement(self) -> int:
        return self.likes + self.comments + self.reposts


class OverdueStep(BaseModel):
    """The playbook step an "overdue" message is about: its number (1-based, as `incidents show`
    numbers them), what to do, whom it is for, when it was due and how late it is."""

    number: int
    do: str
    who: str = ""  # the step's `who` and the incident's owner; "" when neither is named
    due_at: datetime
    late_s: int


class Alert(BaseModel):
    id: str = ""  # stable: derived from topic, rule, window start (see make_id)
    kind: Kind = "alert"
    topic: str
    rule: str  # negative_spike | negative_ratio | volume_spike | keyword | influencer
    severity: Severity = "warning"
    title: str = ""  # Chinese, for people: e.g. "【预警】星河手机 负面声量激增"
    summary: str = ""  # one or two sentences, Chinese
    fired_at: datetime
    window_start: datetime
    window_end: datetime
    value: float
    baseline: float | None = None
    ratio: float | None = None
    threshold: float | None = None
    top_posts: list[AlertPost] = Field(default_factory=list)
    top_keywords: list[str] = Field(default_factory=list)
    # aspect -> share of the window's posts negative about some aspect that are negative about
    # this one (nlp/aspects.py), largest first: "主要负面方面：售后 48 %、质量 31 %".
    negative_aspects: dict[str, float] = Field(default_factory=dict)
    # The events (alerts/events.py) behind the message, most negative first: {id, title, posts,
    # negative_share, summary}; "主要事件：X5 电池鼓包（63 帖，负面 91%）".
    events: list[dict] = Field(default_factory=list)
    kibana_url: str | None = None
    chart_png: bytes | None = Field(None, exclude=True)  # optional chart for e-mail (not stored)
    # The incident this alert opened or joined (alerts/incidents.py) and its page in the console.
    incident_id: str | None = None
    incident_url: str | None = None
    step: OverdueStep | None = None  # kind "overdue" only
    # Several rules firing for one topic at once are merged into one message: the others ride here.
    related: list["Alert"] = Field(default_factory=list)

    def make_id(self) -> str:
        key = f"{self.topic}|{self.rule}|{self.kind}|{self.window_start.isoformat()}"
        return hashlib.sha256(key.encode()).hexdigest()[:20]

    def model_post_init(self, __context) -> None:
        if not self.id:
            self.id = self.make_id()
