"""Config model for the `schedule:` section (what `yuqing run` does, and when).

Every job is either `every: 30m` (interval) or `cron: "30 3 * * *"` (in the configured time zone,
because people think of "03:30" in their own clock). The alert job follows `alerts.interval` unless
it is set here, so there is one place to tune how quickly a spike is noticed.
"""
from __future__ import annotations

import re
from datetime import timedelta

from pydantic import Field, field_validator, model_validator

from yuqing.config import Strict
from yuqing.times import Duration

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")



class When(Strict):
    """A trigger: `every` or `cron`, never both."""

    enabled: bool = True
    every: Duration | None = None
    cron: str | None = None
    timeout: Duration | None = None  # jobs in a child process are stopped after this long

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        if v is None:
            return v
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(v)
        except ValueError as e:
            raise ValueError(f"not a crontab expression ({e}); write e.g. \"*/30 * * * *\"") from None
        return v

    @model_validator(mode="after")
    def _one(self):
        if self.every is not None and self.cron is not None:
            raise ValueError("give either every or cron, not both")
        if self.every is not None and self.every < timedelta(seconds=1):
            raise ValueError("every must be at least 1s")
        return self


class CrawlJob(When):
    """`yuqing crawl SPIDER... [--topic T]...` on a schedule, in a child process."""

    name: str = Field(pattern=_NAME.pattern)
    spiders: list[str] = []  # empty: every enabled spider
    topics: list[str] = []  # empty: every topic
    timeout: Duration | None = timedelta(minutes=20)

    @model_validator(mode="before")
    @classmethod
    def _default_every(cls, data):
        # Every 30 minutes unless told otherwise; a `cron:` alone replaces that default.
        if isinstance(data, dict) and data.get("every") is None and data.get("cron") is None:
            data = {**data, "every": "30m"}
        return data


class CommandJob(When):
    """Any other `yuqing ...` subcommand on a schedule (e.g. a daily report), in a child process."""

    name: str = Field(pattern=_NAME.pattern)
    args: list[str] = Field(min_length=1)
    timeout: Duration | None = timedelta(minutes=30)

    @model_validator(mode="after")
    def _trigger(self):
        if self.every is None and self.cron is None:
            raise ValueError(f"command job {self.name!r}: give every or cron")
        return self


def _default(every=None, cron=None, timeout=None, enabled=True) -> When:
    return When(every=every, cron=cron, timeout=timeout, enabled=enabled)


class ScheduleConfig(Strict):
    # How late a missed run may still start after downtime; with coalescing, a daemon that was
    # off for a day runs each job once on start, not once per missed slot.
    misfire_grace: Duration = timedelta(hours=1)
    workers: int = Field(4, ge=1, le=32)  # job threads; crawls run in child processes
    stop_grace: Duration = timedelta(seconds=60)  # on SIGTERM: how long child crawls get to checkpoint
    crawls: list[CrawlJob] = [CrawlJob(name="all")]
    commands: list[CommandJob] = []
    alerts: When = _default()  # every: defaults to alerts.interval
    spool: When = _default(every=timedelta(minutes=5))
    retention: When = _default(cron="30 3 * * *")
    nlp_refresh: When = _default(cron="15 4 * * *")

    @model_validator(mode="after")
    def _names(self):
        seen: set[str] = set()
        for j in [*self.crawls, *self.commands]:
            if j.name in seen:
                raise ValueError(f"job name {j.name!r} is used twice; names must be unique")
            seen.add(j.name)
        for key in ("alerts", "spool", "retention", "nlp_refresh"):
            w: When = getattr(self, key)
            if key != "alerts" and w.enabled and w.every is None and w.cron is None:
                raise ValueError(f"{key}: give every or cron")
        return self
