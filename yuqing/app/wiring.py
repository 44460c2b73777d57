"""Where the shell connects stages that must not import each other.

The outbox (alerts) attaches a trend chart drawn by the dashboards to e-mail alerts, while the
dashboards send their report through the alerts' channels: one of the two arrows has to be
wired from outside, and this is the place.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alerts.engine import Engine
    from alerts.outbox import Outbox


def outbox(cfg, store) -> Outbox:
    """The alert outbox, with the dashboards' chart for e-mail."""
    from alerts.outbox import Outbox
    from dashboards.charts import negative_chart  # matplotlib: loaded when an outbox is made, not for --help

    return Outbox(cfg, store, chart=negative_chart)


def engine(cfg, store, **kw) -> Engine:
    """The alerts engine delivering through `outbox()` (pass `outbox=None` for a dry run)."""
    from alerts.engine import Engine

    kw.setdefault("outbox", outbox(cfg, store))
    return Engine(cfg, store, **kw)
