"""`yuqing replay-site`: recorded platform responses served on 127.0.0.1 for demos, tests and bench.

A spider with `sources.replay: http://127.0.0.1:8770` asks for `<replay>/<host><path>?<query>`
instead of `https://<host><path>?<query>`; `locate()` maps that to a file under `data/` in the
platform's own format. Times in the files are written as minutes before now (`@@weibo:90@@`,
`@@ts:90@@`, ...) and filled in when served, so the demo topics always have a fresh spike in the
last hours. Counters written `@@n:120@@` grow with every fetch, so a re-crawl has something to
update.

Messy cases are files too: `<file>.<status>` answers with that status and body (403, 429, 5xx),
`<file>.<status>once` answers so on the first fetch and then serves `<file>` (`.503once` is
retried within one crawl; `.418once`, Weibo's answer when it throttles, is not, so a second
crawl of the same running site is the one that succeeds); truncated JSON and login pages are
plain files with the wrong content. A missing file falls back to the nearest `_default.*` (the
platform's "no more results" body), else 404.

A whole source going dark is a switch: with `login_wall` set (in code, or by fetching
`/_replay/login-wall?on=1`, `?on=0` to lift it) every request gets a platform login page, as when
a cookie has expired everywhere at once.
"""
from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from crawlers.replay import browser_site
from yuqing.post import SHANGHAI

DATA = Path(__file__).resolve().parent / "data"
TYPES = {".json": "application/json; charset=utf-8", ".jsonp": "application/javascript; charset=utf-8",
         ".html": "text/html; charset=utf-8", ".xml": "application/xml; charset=utf-8",
         ".txt": "text/plain; charset=utf-8"}
_NUM = re.compile(r'"@@(ts|tsms|n|ns):(\d+)@@"')  # ns: a count written as a string, tsms: epoch ms
_STR = re.compile(r"@@(weibo|jd|rfc822|iso|cn|epoch|lzl):(\d+)@@")
LOGIN_WALL = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>登录 - 请先登录后继续访问</title></head>
<body><form action="/login" method="post"><input type="text" name="username" placeholder="手机号/邮箱">
<input type="password" name="password"><button>登录</button></form></body></html>
"""


def locate(host: str, path: str, query: dict[str, str]) -> str:
    """The data file (relative to DATA) that answers this request."""
    q = query.get
    if host == "m.weibo.cn":
        if path == "/api/container/getIndex":
            kw = parse_qs(q("containerid", "")).get("q", [""])[0]
            return f"m.weibo.cn/search/{kw}/{q('page', '1')}.json"
        if path == "/comments/hotflow":
            return f"m.weibo.cn/hotflow/{q('id')}/{q('max_id', '0')}.json"
        if path == "/statuses/extend":
            return f"m.weibo.cn/extend/{q('id')}.json"
    if host == "s.weibo.com" and path == "/weibo":
        return "dynamic:weibo_pc"
    if host == "api.bilibili.com":
        if path.endswith("/search/type"):
            return f"api.bilibili.com/search/{q('keyword')}/{q('page', '1')}.json"
        if path == "/x/v2/reply":
            return f"api.bilibili.com/reply/{q('oid')}/{q('pn', '1')}.json"
    if host == "club.jd.com" and path == "/comment/productPageComments.action":
        return f"club.jd.com/{q('productId')}/{q('page', '0')}.jsonp"
    if host == "tieba.baidu.com":
        if path == "/f/search/res":
            return f"tieba.baidu.com/search/{q('qw')}/{q('pn', '1')}.html"
        if path == "/p/comment":
            return f"tieba.baidu.com/comment/{q('tid')}/{q('pid')}/{q('pn', '1')}.html"
        m = re.fullmatch(r"/p/(\d+)", path)
        if m:
            return f"tieba.baidu.com/p/{m.group(1)}/{q('pn', '1')}.html"
    if host == "weixin.sogou.com" and path == "/weixin":
        return f"weixin.sogou.com/search/{q('query')}/{q('page', '1')}.html"
    if host == "mp.weixin.qq.com" and (path == "/s" or path.startswith("/s/")):
        return f"mp.weixin.qq.com/s/{path[3:] or q('signature') or q('sn')}.html"
    rel = f"{host}{path}"
    return rel + "index.html" if rel.endswith("/") else rel


def render(body: str, now: datetime, hits: int) -> str:
    def ago(m: re.Match) -> datetime:
        return (now - timedelta(minutes=int(m.group(2)))).astimezone(SHANGHAI)

    def num(m: re.Match) -> str:
        if m.group(1) == "ts":
            return str(int(ago(m).timestamp()))
        if m.group(1) == "tsms":
            return str(int(ago(m).timestamp()) * 1000)
        base = int(m.group(2))
        grown = str(base + hits * max(1, base // 20))
        return f'"{grown}"' if m.group(1) == "ns" else grown

    def text(m: re.Match) -> str:
        t, kind = ago(m), m.group(1)
        if kind == "weibo":
            return t.strftime("%a %b %d %H:%M:%S +0800 %Y")
        if kind == "jd":
            return t.strftime("%Y-%m-%d %H:%M:%S")
        if kind == "rfc822":
            return format_datetime(t)
        if kind == "cn":
            return t.strftime("%Y-%m-%d %H:%M")
        if kind == "lzl":  # tieba's floor replies: "2024-8-6 22:11", no zero padding
            return f"{t.year}-{t.month}-{t.day} {t.hour}:{t.minute:02d}"
        if kind == "epoch":  # epoch seconds inside a string or script (`var ct = "…"`)
            return str(int(t.timestamp()))
        return t.isoformat(timespec="seconds")

    return _STR.sub(text, _NUM.sub(num, body))


class ReplaySite:
    def __init__(self, data: Path = DATA, now: datetime | None = None, robots: str = "User-agent: *\nAllow: /\n"):
        self.data = data
        self.robots = robots
        # Fixed at start: repeated crawls of one running site see the same post times, which is
        # what incremental paging (and its tests) need.
        self.now = now or datetime.now(timezone.utc)
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()
        self.login_wall = False

    def hit(self, key: str) -> int:
        with self.lock:
            n = self.hits.get(key, 0)
            self.hits[key] = n + 1
            return n

    def answer(self, raw_path: str, headers=None, body: bytes = b"") -> tuple[int, str, bytes]:
        u = urlsplit(raw_path)
        if u.path == "/robots.txt":
            return 200, TYPES[".txt"], self.robots.encode()
        if u.path == "/_replay/login-wall":
            self.login_wall = parse_qs(u.query).get("on", ["1"])[0] not in ("0", "off", "false")
            return 200, TYPES[".txt"], f"login wall {'on' if self.login_wall else 'off'}\n".encode()
        if self.login_wall:
            return 200, TYPES[".html"], LOGIN_WALL.encode("utf-8")
        parts = unquote(u.path).lstrip("/").split("/", 1)
        if len(parts) < 2:
            return 404, TYPES[".txt"], b"replay site: ask for /<host>/<path>\n"
        host, path = parts[0], "/" + parts[1]
        query = {k: v[0] for k, v in parse_qs(u.query).items()}
        rel = browser_site.page(self.data, host, path, query)
        if rel is None:
            rel, refused = browser_site.api(host, path, query, headers or {}, body)
            if refused:
                status, ext, text = refused
                return status, TYPES[ext], text.encode("utf-8")
        rel = rel or locate(host, path, query)
        if rel == "dynamic:weibo_pc":
            from crawlers.replay import weibo_pc

            status, ext, text = weibo_pc.answer(self.data, query, self.now)
            return status, TYPES[ext], text.encode("utf-8")
        f = (self.data / rel).resolve()
        if not str(f).startswith(str(self.data.resolve())):
            return 404, TYPES[".txt"], b"outside the replay data\n"
        status = 200
        once = sorted(f.parent.glob(f.name + ".[0-9][0-9][0-9]once")) if f.parent.exists() else []
        if once and self.hit(f"once:{rel}") == 0:
            f, status = once[0], int(once[0].name[-7:-4])
        elif not f.exists():
            special = sorted(f.parent.glob(f.name + ".[0-9][0-9][0-9]")) if f.parent.exists() else []
            if special:
                f, status = special[0], int(special[0].suffix[1:])
            else:
                f = self._default(f)
                if f is None:
                    return 404, TYPES[".txt"], f"replay site: nothing recorded for {rel}\n".encode()
        body = f.read_text(encoding="utf-8")
        ext = Path(rel).suffix if status != 200 or f.name.startswith("_default") else f.suffix
        return status, TYPES.get(ext, TYPES[".html"]), render(body, self.now, self.hit(rel)).encode("utf-8")

    def _default(self, f: Path) -> Path | None:
        d = f.parent
        root = self.data.resolve()
        while str(d).startswith(str(root)) and d != root:
            for cand in d.glob("_default.*"):
                return cand
            d = d.parent
        return None


def make_server(host: str = "127.0.0.1", port: int = 8770, site: ReplaySite | None = None) -> ThreadingHTTPServer:
    site = site or ReplaySite()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the bench should measure the spider, not TCP set-up

        def do_GET(self, body: bytes = b""):
            status, ctype, body = site.answer(self.path, self.headers, body)
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):  # the browser platforms' APIs (search, feed, GraphQL) take JSON bodies
            self.do_GET(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        def log_message(self, fmt, *args):  # the spiders log what matters
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    server.site = site  # type: ignore[attr-defined]
    return server


def serve_in_thread(port: int = 0, site: ReplaySite | None = None) -> tuple[ThreadingHTTPServer, str]:
    """Start on 127.0.0.1 (port 0: any free one); returns (server, base URL). Stop with shutdown()."""
    server = make_server("127.0.0.1", port, site)
    threading.Thread(target=server.serve_forever, name="replay-site", daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
