"""The replay site's browser platforms: pages whose script calls the JSON API the way the
platform's page does, and API endpoints that refuse a caller who is not that page.

Each page (`<host>/_page/<kind>.html`, a keyword- or id-specific `<kind>/<key>.html` first, so
one query can meet a login wall or a verify page) sets the cookies the platform's page sets and
signs each call (a header for Xiaohongshu, a query parameter for Douyin and Kuaishou). The API
answers 406 without them, so a spider that fetches the JSON directly, bypassing the page, gets
nothing; so does a browser that still says "HeadlessChrome" in its user agent. The signatures
are the replay site's own (base64 of path and time), not the platforms'.
"""
from __future__ import annotations

import base64
import json
import re
from http.cookies import SimpleCookie
from pathlib import Path

XHS_API, DOUYIN, KUAISHOU = "edith.xiaohongshu.com", "www.douyin.com", "www.kuaishou.com"
PAGES = {  # host → [(path regex, page kind, key from the match/query)]
    "www.xiaohongshu.com": [(r"/search_result/?", "search", "keyword"), (r"/explore/(\w+)", "note", 1)],
    DOUYIN: [(r"/search/([^/?]+)", "search", 1), (r"/video/(\d+)", "video", 1)],
    KUAISHOU: [(r"/search/video", "search", "searchKey"), (r"/short-video/(\w+)", "video", 1)],
}
REFUSED = (406, ".json", json.dumps({"code": -1, "success": False, "status_code": 406,
                                     "msg": "replay site: unsigned call (only the page's own script may call this API)"}))


def page(data: Path, host: str, path: str, query: dict) -> str | None:
    """The page file for a platform page URL, or None when HOST/PATH is not one."""
    for rx, kind, key in PAGES.get(host, []):
        m = re.fullmatch(rx, path)
        if not m:
            continue
        value = m.group(key) if isinstance(key, int) else query.get(key, "")
        own = f"{host}/_page/{kind}/{value}.html"
        return own if (data / own).exists() else f"{host}/_page/{kind}.html"
    return None


def _cookies(headers) -> dict:
    c = SimpleCookie()
    try:
        c.load(headers.get("Cookie", "") if headers else "")
    except Exception:
        return {}
    return {k: v.value for k, v in c.items()}


def _signed(value: str | None, path: str) -> bool:
    try:
        return bool(value) and base64.b64decode(value.removeprefix("XYW_")).decode().startswith(path + "|")
    except (ValueError, UnicodeDecodeError):
        return False


def api(host: str, path: str, query: dict, headers, body: bytes) -> tuple[str | None, tuple | None]:
    """(data file, None) for an API call the page made; (None, refusal) for one it did not make;
    (None, None) when HOST/PATH is no browser-platform API."""
    cookies = _cookies(headers)
    if host in (XHS_API, DOUYIN, KUAISHOU) and "HeadlessChrome" in (headers.get("User-Agent") or ""):
        return None, REFUSED  # the platforms spot headless Chromium by its user agent
    if host == XHS_API and path.startswith("/api/sns/web/"):
        if "a1" not in cookies or not _signed(headers.get("X-s"), path):
            return None, REFUSED
        q = json.loads(body or b"{}") if body else {}
        if path.endswith("/search/notes"):
            return f"{host}/search/{q.get('keyword')}/{q.get('page', 1)}.json", None
        if path.endswith("/feed"):
            return f"{host}/feed/{q.get('source_note_id')}.json", None
        if path.endswith("/comment/page"):
            return f"{host}/comment/{query.get('note_id')}/{query.get('cursor') or '0'}.json", None
        if path.endswith("/comment/sub/page"):
            return f"{host}/sub/{query.get('root_comment_id')}/{query.get('cursor') or '0'}.json", None
    if host == DOUYIN and path.startswith("/aweme/v1/web/"):
        if "ttwid" not in cookies or not _signed(query.get("a_bogus"), path):
            return None, REFUSED
        if "/search/" in path:
            return f"{host}/search/{query.get('keyword')}/{query.get('offset', '0')}.json", None
        if path.startswith("/aweme/v1/web/comment/list"):
            return f"{host}/comment/{query.get('aweme_id')}/{query.get('cursor', '0')}.json", None
        if path.startswith("/aweme/v1/web/aweme/detail"):
            return f"{host}/detail/{query.get('aweme_id')}.json", None
    if host == KUAISHOU and path == "/graphql":
        if "did" not in cookies or not _signed(query.get("__NS_hxfalcon"), path):
            return None, REFUSED
        q = json.loads(body or b"{}")
        v = q.get("variables") or {}
        key = v.get("keyword") or v.get("photoId") or "_"
        return f"{host}/graphql/{q.get('operationName')}/{key}/{v.get('pcursor') or '0'}.json", None
    return None, None
