"""Helpers for the crawl tests: a replay site on 127.0.0.1 and a config pointing at it."""
from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

import pytest
import yaml

from crawlers.replay.server import ReplaySite, serve_in_thread
from tests.conftest import ROOT, make_cfg, write_cfg

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)  # 14:00 in Shanghai


def sources(replay_url: str, **over) -> dict:
    """config.yaml's sources, pointed at the replay site, with quick retries."""
    s = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))["sources"]
    s["replay"] = replay_url
    s["defaults"].update(retries=1, lookback="30d")
    s.update(over)
    return s


@contextmanager
def replay_site(now: datetime = NOW, **kw) -> Iterator[str]:
    """A replay site whose clock is `now`; yields its base URL."""
    server, url = serve_in_thread(0, ReplaySite(now=now, **kw))
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def replay():
    with replay_site(NOW) as url:
        yield url


def crawl(cli, *args: str, config=None, at: datetime = NOW) -> tuple[int, list[dict], str]:
    """`yuqing crawl` with the replay site's clock (`--at`), so nothing depends on today's date."""
    extra = ("--config", str(config)) if config else ()
    p = cli("crawl", "--no-nlp", "--json", "--at", at.isoformat(), *extra, *args)
    start = p.stdout.find("[")
    rows = json.loads(p.stdout[start:]) if start >= 0 else []
    return p.returncode, rows, p.stderr


def other_config(es_url, tmp_path, name: str, **over):
    cfg = make_cfg(es_url, tmp_path, **over)
    return cfg, write_cfg(cfg, tmp_path / name)


def by_id(store, doc_id: str) -> dict:
    """The stored source of one post, wherever its month index is."""
    hits = store.es.search(index=store.posts_pattern, query={"ids": {"values": [doc_id]}})["hits"]["hits"]
    assert hits, f"{doc_id} not indexed"
    return hits[0]["_source"]
