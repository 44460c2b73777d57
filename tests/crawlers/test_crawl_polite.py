"""Politeness by configuration: robots.txt obeyed, proxies used round-robin (real servers on 127.0.0.1)."""
from __future__ import annotations

import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crawlers.replay.server import ReplaySite, serve_in_thread
from tests.conftest import make_cfg
from tests.support.crawling import NOW, crawl, sources


@pytest.fixture
def strict_site():
    site = ReplaySite(now=NOW, robots="User-agent: *\nDisallow: /bbs.example-forum.cn/thread-\n")
    server, url = serve_in_thread(0, site)
    yield url
    server.shutdown()
    server.server_close()


class Proxy:
    """A forward HTTP proxy on loopback that only relays to loopback, counting what it relays."""

    def __init__(self):
        self.hits = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                assert self.path.startswith("http://127.0.0.1:"), self.path  # never off the machine
                proxy.hits += 1
                try:
                    with urllib.request.urlopen(self.path, timeout=10) as r:
                        status, body, ctype = r.status, r.read(), r.headers.get("Content-Type", "text/html")
                except urllib.error.HTTPError as e:
                    status, body, ctype = e.code, e.read(), e.headers.get("Content-Type", "text/html")
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxies():
    ps = [Proxy(), Proxy()]
    yield ps
    for p in ps:
        p.close()


@pytest.fixture
def cfg(es_node, tmp_path, strict_site, proxies):
    src = sources(strict_site)
    src["defaults"]["proxies"] = [p.url for p in proxies]
    src["generic"]["obey_robots"] = True
    return make_cfg(es_node, tmp_path, nlp={"enabled": False}, sources=src)


def test_robots_and_proxies(cli, store, proxies):
    code, rows, log = crawl(cli, "generic")
    assert code == 0, log
    (row,) = rows
    # thread pages are disallowed: each is counted, and the list entries are kept without their text
    assert row["failures"] == {"robots_txt": 7, "format_changed": 1}  # 7 threads; one list entry has no date
    assert "robots.txt" in log
    store.refresh()
    forum = store.es.search(index=store.posts_pattern, size=20)["hits"]["hits"]
    assert len(forum) == 5 and all(h["_source"]["text"] == "" for h in forum)
    # every request that was sent (robots.txt and the two list pages) went through the proxies, in turn
    assert sorted(p.hits for p in proxies) == [1, 2] and row["requests"] == 3
