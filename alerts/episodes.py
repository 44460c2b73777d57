"""Episodes: what a run of alerts amounts to, per topic and rule, from the first alert to its
recovery. `alerts backtest` ends with one line per episode, so tuning reads "first told at 14:08
as a warning, recovered 16:22" instead of counting JSON lines."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alerts.alert import SEVERITY_RANK, Alert
from alerts.text import local


@dataclass
class Episode:
    topic: str
    rule: str
    start: datetime  # where the first alert's window began: the evidence behind it
    first_at: datetime
    first_severity: str
    peak: float
    peak_severity: str
    peak_at: datetime
    recovered_at: datetime | None = None

    def line(self, tz: str) -> str:
        def t(dt: datetime) -> str:
            return f"{local(dt, tz):%Y-%m-%d %H:%M}"

        rec = t(self.recovered_at) if self.recovered_at else "not within the backtest"
        return (f"episode {self.topic} {self.rule}: start {t(self.start)}, first alert {t(self.first_at)} "
                f"{self.first_severity}, peak {self.peak:g} {self.peak_severity} at {t(self.peak_at)}, "
                f"recovery {rec}")


def episodes(alerts: list[Alert]) -> list[Episode]:
    """Group alerts (each rule's on its own, in firing order) into episodes."""
    open_: dict[tuple[str, str], Episode] = {}
    out: list[Episode] = []
    for a in alerts:
        key = (a.topic, a.rule)
        ep = open_.get(key)
        if a.kind == "recovery":
            if ep is not None:
                ep.recovered_at = a.fired_at
                del open_[key]
            continue
        if ep is None:  # "alert" opens one; a stray continuation (range began mid-episode) does too
            ep = Episode(a.topic, a.rule, a.window_start, a.fired_at, a.severity, a.value, a.severity, a.fired_at)
            open_[key] = ep
            out.append(ep)
            continue
        if a.value > ep.peak:
            ep.peak, ep.peak_at = a.value, a.fired_at
        if SEVERITY_RANK[a.severity] > SEVERITY_RANK[ep.peak_severity]:
            ep.peak_severity = a.severity
    return out
