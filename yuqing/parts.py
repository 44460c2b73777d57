"""Entry points of the optional parts (alerts engine, outbox, NLP refresh, crawler), found lazily.

The daemon, `yuqing status` and the demo must run whether or not a part is installed yet; each
function here returns None when its part is missing, so callers can say plainly "not available"
instead of pretending to have done the work.
"""
from __future__ import annotations

import importlib
import importlib.util
import logging
from typing import Any, Callable

log = logging.getLogger(__name__)


def _attr(module: str, name: str) -> Any | None:
    try:
        if importlib.util.find_spec(module.split(".")[0]) is None or importlib.util.find_spec(module) is None:
            return None
        return getattr(importlib.import_module(module), name, None)
    except ModuleNotFoundError as e:
        if e.name and module.startswith(e.name):
            return None
        raise


def has_crawler() -> bool:
    return _attr("crawlers.cli", "crawl") is not None


def has_replay_site() -> bool:
    return _attr("crawlers.cli", "replay_site") is not None


def alert_engine(cfg, store) -> Any | None:
    """The alerts engine (`run_once(now)` raises and enqueues, `deliver(now)` sends), or None."""
    engine = _attr("alerts.engine", "Engine")
    return None if engine is None else engine(cfg, store)


def outbox(cfg, store) -> Any | None:
    cls = _attr("alerts.outbox", "Outbox")
    return None if cls is None else cls(cfg, store)


def outbox_counts(cfg, store) -> dict[str, int] | None:
    """Delivery records per status (pending, sending, sent, failed), or None without an outbox."""
    box = outbox(cfg, store)
    if box is None:
        return None
    return dict(box.summary()["counts"])


def nlp_refresh(cfg, store) -> Callable[[], str] | None:
    """The IDF/keyword statistics refresh, when the NLP part provides one."""
    fn = _attr("nlp.refresh", "refresh")
    if fn is None:
        return None
    return lambda: fn(cfg, store)
