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


def _exists(module: str) -> bool:
    """Whether a module is installed, without importing it (crawlers.cli imports yuqing.cli)."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def has_crawler() -> bool:
    """`yuqing crawl` exists (the scheduler runs it as a child process)."""
    return _exists("crawlers.cli")


def replay_server() -> Callable | None:
    """`serve_in_thread(port) -> (server, base_url)` of the replay site, or None."""
    return _attr("crawlers.replay.server", "serve_in_thread")


def crawl_child() -> tuple[Callable, Callable] | None:
    """(`configured(cfg) -> spiders`, `run_child(config_path, spiders, ...) -> (rc, rows)`), or None."""
    run = _attr("crawlers.run", "run_child")
    return None if run is None else (_attr("crawlers.run", "configured"), run)


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


def has_keywords_fit() -> bool:
    """`yuqing keywords fit` exists (refits keyword IDF on the indexed tokens)."""
    return _exists("nlp.keywords") and _exists("nlp.cli")
