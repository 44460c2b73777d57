"""`sources.defaults.backend: redis`: two `yuqing crawl` worker processes share one request queue,
dupefilter and checkpoints in a loopback Redis (Debian's redis-server, started here in a temp
dir). Each page of the replay site is fetched once in all, and the posts stored are those of a
single-process crawl of the same site."""
from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import redis

from crawlers.redis_crawl import keys
from crawlers.checkpoints import checkpoint_path
from crawlers.replay.server import DATA, ReplaySite, serve_in_thread
from tests.conftest import make_cfg, write_cfg
from tests.support.crawling import NOW, sources
from tests.support.loopback import free_port
from yuqing.app import config as config_mod
from yuqing.app.crawl_child import run_child
from yuqing.store import Store

SPIDERS = ["weibo", "news"]
KEY_FIELDS = ("platform", "source", "parent_id", "url", "title", "text", "published_at", "topics", "tags",
              "text_truncated", "likes", "comments", "reposts", "author_id")


@contextmanager
def redis_server(tmp: Path) -> Iterator[str]:
    exe = shutil.which("redis-server")
    assert exe, "redis-server is not installed: `./yq test` installs it (apt-get install redis-server)"
    port = free_port()
    proc = subprocess.Popen([exe, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(tmp), "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        r = redis.Redis.from_url(url)
        for _ in range(100):
            try:
                r.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


class GatedSite(ReplaySite):
    """Answers nothing until the gate opens: both workers join the run before any page is served,
    however unevenly the two processes start on a busy machine."""

    def __init__(self, gate: threading.Event, **kw):
        super().__init__(**kw)
        self.gate = gate

    def answer(self, raw_path: str, *args, **kw):
        self.gate.wait(120)
        return super().answer(raw_path, *args, **kw)


@contextmanager
def site(gate: threading.Event | None = None) -> Iterator[tuple[str, ReplaySite]]:
    s = GatedSite(gate, now=NOW) if gate else ReplaySite(now=NOW)
    server, url = serve_in_thread(0, s)
    try:
        yield url, s
    finally:
        server.shutdown()
        server.server_close()


def posts(cfg: config_mod.Config) -> dict[str, dict]:
    store = Store(cfg.elasticsearch)
    store.refresh()
    hits = store.es.search(index=store.posts_pattern, size=1000, query={"match_all": {}})["hits"]["hits"]
    return {h["_id"]: {k: h["_source"].get(k) for k in KEY_FIELDS} for h in hits}


def crawl(cfg_path: Path) -> tuple[int, list[dict]]:
    # two requests at a time per worker: neither worker can take the whole queue at once
    return run_child(str(cfg_path), SPIDERS, nlp=False, now=NOW.isoformat(), timeout=240,
                     extra={"CONCURRENT_REQUESTS": 2})


def test_two_workers_share_one_crawl(es_node, tmp_path):
    single = make_cfg(es_node, tmp_path, nlp={"enabled": False})
    shared = make_cfg(es_node, tmp_path, nlp={"enabled": False})
    try:
        with site() as (url, one):
            single = config_mod.parse({**single.model_dump(mode="json", exclude={"path"}),
                                       "sources": sources(url)}, tmp_path / "single.yaml")
            code, rows = crawl(write_cfg(single, tmp_path / "single.yaml"))
            assert code == 0 and rows, rows
        expected = posts(single)
        assert len(expected) > 50

        gate = threading.Event()
        with redis_server(tmp_path) as redis_url, site(gate) as (url, two):
            src = sources(url)
            src["defaults"].update(backend="redis", redis_url=redis_url)
            shared = config_mod.parse({**shared.model_dump(mode="json", exclude={"path"}), "sources": src},
                                      tmp_path / "shared.yaml")
            path = write_cfg(shared, tmp_path / "shared.yaml")
            r = redis.Redis.from_url(redis_url, decode_responses=True)
            with ThreadPoolExecutor(2) as pool:
                workers = [pool.submit(crawl, path) for _ in range(2)]
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline and not all(
                        r.hget(keys(shared, s)["run"], "joined") == "2" for s in SPIDERS):
                    time.sleep(0.2)
                gate.set()
                results = [w.result() for w in workers]
            for code, rows in results:
                assert code == 0 and [row["spider"] for row in rows] == SPIDERS, rows
                assert all(row["finish_reason"] == "finished" for row in rows), rows
                assert sum(row["items"] for row in rows) > 0, rows  # each worker took its share of the queue
            # the last worker ended the run; the checkpoints stay, for the next run
            base = f"yuqing:{shared.elasticsearch.index_prefix}"
            assert set(r.keys("*")) <= {f"{base}:checkpoints", f"{base}:pending"}, r.keys("*")
            assert set(json.loads(r.get(f"{base}:checkpoints"))) == set(SPIDERS)
            assert not checkpoint_path(shared).exists()

        # Each page was served once, as by one process; twice only where the site answers an error
        # first and the retry fetches it again (`.503once`, `.429`), in both crawls alike.
        assert two.hits == one.hits
        again = {k for k, n in two.hits.items() if n > 1 and not k.startswith("once:")}
        assert all(list((DATA / k).parent.glob(Path(k).name + ".[0-9][0-9][0-9]*")) for k in again), again
        assert len(two.hits) > 40 and len(again) <= 3, two.hits
        got = posts(shared)
        assert got.keys() == expected.keys()
        assert got == expected
    finally:
        for c in (single, shared):
            Store(c.elasticsearch).drop_all()


def test_redis_backend_config_errors_name_the_key(es_node, tmp_path):
    raw = make_cfg(es_node, tmp_path).model_dump(mode="json", exclude={"path"})
    raw["sources"]["defaults"].update(backend="redis", redis_url=None)
    with pytest.raises(config_mod.ConfigError) as e:
        config_mod.parse(raw, "c.yaml")
    assert any(p.startswith("sources.defaults.redis_url:") and "YUQING_REDIS_URL" in p for p in e.value.problems), \
        e.value.problems
    raw["sources"]["defaults"]["redis_url"] = "127.0.0.1:6379"
    with pytest.raises(config_mod.ConfigError) as e:
        config_mod.parse(raw, "c.yaml")
    assert "redis://10.0.0.5:6379/0" in str(e.value)

    # a Redis that does not answer: the crawl says which key to fix, and stores nothing
    raw["sources"]["defaults"]["redis_url"] = f"redis://127.0.0.1:{free_port()}/0"
    cfg = config_mod.parse(raw, tmp_path / "c.yaml")
    code, rows = run_child(str(write_cfg(cfg, tmp_path / "c.yaml")), ["news"], nlp=False, timeout=120)
    assert code != 0 and "sources.defaults.redis_url: cannot reach Redis" in rows[0]["error"], rows


def test_redis_checkpoints_and_pending_merge_and_only_move_forward(tmp_path):
    from datetime import timedelta

    from crawlers.checkpoints import Checkpoints
    from crawlers.pending import Pending
    from crawlers.redis_crawl import RedisState

    with redis_server(tmp_path) as url:
        r = redis.Redis.from_url(url, decode_responses=True)
        state = lambda key="yuqing:t:checkpoints": RedisState(r, key)  # noqa: E731
        newer, older = NOW, NOW - timedelta(hours=3)
        a, b = Checkpoints(state()), Checkpoints(state())
        a.advance("weibo", "星河手机", newer)
        b.advance("weibo", "星河手机", older)  # b read before a saved: its older time must not win
        b.advance("weibo", "青禾", older)
        a.save()
        b.save()
        c = Checkpoints(state())
        assert c.get("weibo", "星河手机") == newer and c.get("weibo", "青禾") == older

        # eight workers ending at once: every one's mark survives (WATCH/MULTI retries)
        def save(i: int) -> None:
            cp = Checkpoints(state())
            cp.advance("news", f"feed{i}", NOW - timedelta(minutes=i))
            cp.save()

        threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert len(Checkpoints(state()).seen["news"]) == 8

        p1, p2 = Pending(state("yuqing:t:pending"), "weibo"), Pending(state("yuqing:t:pending"), "weibo")
        p1.add({"post_id": "1", "url": "u1", "published_at": NOW, "topics": ["t"]})
        p2.add({"post_id": "2", "url": "u2", "published_at": NOW, "topics": ["t"]})
        p1.save()
        p2.save()
        p3 = Pending(state("yuqing:t:pending"), "weibo")
        assert set(p3.entries) == {"1", "2"}
        p3.done("1")
        p3.save()
        assert set(Pending(state("yuqing:t:pending"), "weibo").entries) == {"2"}

        r.set("yuqing:t:checkpoints", "{not json")  # damaged: set aside, read as empty
        assert Checkpoints(state()).seen == {} and r.get("yuqing:t:checkpoints:damaged") == "{not json"
