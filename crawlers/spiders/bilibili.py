"""Bilibili video search and video replies (JSON APIs of api.bilibili.com).

Expected formats (bilibili-API-collect docs and captured bodies, 2020-2026):
- search: `GET /x/web-interface/search/type?search_type=video&keyword=<kw>&page=N&order=pubdate`
  → `{"code":0,"data":{"page","pagesize","numPages","result":[{aid, bvid, title (with
  <em class="keyword">), description, author, mid, play, review (comments), favorites, like
  (2023+), pubdate (ts), arcurl}]}}`. The web client now calls `/wbi/search/type` with a WBI
  signature; this spider calls the unsigned path, and when the platform insists on the signature
  the answers (-412/-352) are counted as `blocked`, so the summary shows it.
- replies: `GET /x/v2/reply?type=1&oid=<aid>&pn=N&ps=20&sort=0` → `data.page.{num,size,count}`,
  `data.replies[]` {rpid, ctime, like, rcount, content.message (emotes inline as "[大哭]"),
  member.{mid,uname}, reply_control.location (2023+), replies[] (≤3 sub-reply previews)}.
- errors: `code` -412 / -352 (request blocked by risk control) are failures; 12002 (comments
  closed) is not.
"""
from __future__ import annotations

from urllib.parse import quote

from crawlers.spiders.base import BaseSpider
from crawlers.text import html_text

BLOCKED = {-412: "request blocked (-412)", -352: "risk control (-352)", -401: "unauthorised (-401)"}
CLOSED = {12002, 12009}  # comments closed / video gone


class BilibiliSpider(BaseSpider):
    name = "bilibili"
    platform = "bilibili"

    def first_requests(self):
        for topic in self.topics:
            for kw in topic.keywords:
                yield self.search(kw, 1)

    def search(self, kw: str, page: int):
        url = (f"{self.source.base_url}/x/web-interface/search/type?search_type=video&keyword={quote(kw)}"
               f"&page={page}&order=pubdate")
        return self.request(url, self.parse_search, meta={"kw": kw, "page": page})

    def api(self, response) -> dict | None:
        """The JSON body when `code` is 0; None (counted when it is a failure) otherwise."""
        data = self.load_json(response)
        if data is None:
            return None
        if not isinstance(data, dict) or "code" not in data:
            self.fail("format_changed", response.url, "no 'code' in the response")
            return None
        code = data["code"]
        if code in BLOCKED:
            self.fail("blocked", response.url, BLOCKED[code] + f": {data.get('message', '')}")
            return None
        if code in CLOSED:
            return None
        if code != 0:
            self.fail("api_error", response.url, f"code {code}: {data.get('message', '')}")
            return None
        return data.get("data") or {}

    def parse_search(self, response):
        kw, page = response.meta["kw"], response.meta["page"]
        data = self.api(response)
        if data is None:
            return
        results = data.get("result") or []
        reached_old = False
        for v in results:
            if v.get("type", "video") != "video":
                continue
            aid = v.get("aid") or v.get("id")
            if not aid or not v.get("pubdate"):
                self.fail("format_changed", response.url, "video without aid or pubdate")
                continue
            post = {"post_id": f"av{aid}", "url": v.get("arcurl") or f"https://www.bilibili.com/video/{v.get('bvid')}",
                    "title": html_text(v.get("title")), "text": html_text(v.get("description")),
                    "published_at": v["pubdate"], "author_id": v.get("mid"), "author_name": v.get("author"),
                    "likes": v.get("like"), "comments": v.get("review"), "tags": [t for t in
                                                                                  str(v.get("tag") or "").split(",") if t]}
            item, old = self.accept(post, kw)
            reached_old = reached_old or old
            if item is None:
                continue
            yield item
            if self.source.comments and v.get("review"):
                yield self.replies(item, aid, 1)
        num_pages = data.get("numPages") or 0
        if results and not reached_old and page < min(num_pages, self.max_pages):
            yield self.search(kw, page + 1)

    def replies(self, parent: dict, aid, pn: int):
        url = f"{self.source.base_url}/x/v2/reply?type=1&oid={aid}&pn={pn}&ps=20&sort=0"
        return self.request(url, self.parse_replies, meta={"parent": parent, "aid": aid, "pn": pn})

    def parse_replies(self, response):
        parent, pn = response.meta["parent"], response.meta["pn"]
        data = self.api(response)
        if data is None:
            return
        replies = data.get("replies") or []
        for r in replies:
            yield from self.reply(r, parent, parent["post_id"], response.url)
            for sub in r.get("replies") or []:
                yield from self.reply(sub, parent, f"rp{r.get('rpid')}", response.url)
        page = data.get("page") or {}
        more = page.get("num", pn) * (page.get("size") or 20) < (page.get("count") or 0)
        if replies and more and pn < self.source.comment_pages:
            yield self.replies(parent, response.meta["aid"], pn + 1)

    def reply(self, r: dict, video: dict, parent_id: str, url: str):
        content = r.get("content") or {}
        if not r.get("rpid") or not r.get("ctime") or "message" not in content:
            self.fail("format_changed", url, "reply without rpid, ctime or content.message")
            return
        member = r.get("member") or {}
        post = {"post_id": f"rp{r['rpid']}", "parent_id": parent_id, "url": video["url"],
                "text": html_text(content["message"]), "published_at": r["ctime"],
                "author_id": member.get("mid") or r.get("mid"), "author_name": member.get("uname"),
                "likes": r.get("like"), "comments": r.get("rcount")}
        location = (r.get("reply_control") or {}).get("location")
        if location:
            post["tags"] = [location.removeprefix("IP属地：")]
        item, _ = self.accept(post, None, inherit=video["topics"])
        if item:
            yield item
