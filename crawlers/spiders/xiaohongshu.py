"""Xiaohongshu (小红书) notes and their comments, read from the JSON the web page itself receives.

The web API (edith.xiaohongshu.com) wants `x-s`/`x-t`/`x-s-common` signatures computed by page
JavaScript and a logged-in cookie, so the spider opens the pages in Chromium (BrowserSpider) and
captures the responses. Formats verified against genuine web responses of 2024-09
(shared/formats/xiaohongshu; envelope `{code, success, msg, data}`, counts as strings, times in ms,
key order shuffled by the server):
- `POST /api/sns/web/v1/search/notes` (the search page `/search_result?keyword=`; the next page
  loads on scroll): `data.{has_more, items[]}`, `model_type:"note"` items `{id, xsec_token,
  note_card.{display_title, user, interact_info.liked_count}}`, `rec_query` items skipped. No
  time or text in search items: each note is opened.
- `POST /api/sns/web/v1/feed` (the note page `/explore/<id>?xsec_token=&xsec_source=pc_search`):
  `data.items[0].note_card.{note_id, type, title, desc ("#话题[话题]#"), time, user, tag_list,
  interact_info.{liked_count, collected_count, comment_count, share_count}}`; `ip_location` is
  read when present (not in the sample: unverified).
- `GET /api/sns/web/v2/comment/page?note_id=&cursor=` (loads with the note, then on scroll):
  `data.{comments[], cursor, has_more}`; comment `{id, content, create_time, like_count,
  ip_location (some), user_info.{user_id, nickname}, sub_comment_count, sub_comment_has_more,
  sub_comments[] (previews, each with target_comment.id)}`.
- `GET /api/sns/web/v2/comment/sub/page?note_id=&root_comment_id=&num=10&cursor=` (on a click on
  a comment's "展开" button, `.show-more`: the selector is unverified): the same shape.
Which calls the real note page makes when opened directly (rather than from the search page) is
not verified; the JSON shapes are. Errors: HTTP 461/471 (verify) → `captcha`; `code` -100 or
-101 (not logged in) → `login_page`; 300012 (IP blocked) / 300013 (too frequent) → `blocked`.
"""
from __future__ import annotations

from urllib.parse import quote

from crawlers.spiders.browser import BrowserSpider

SEARCH, FEED = r"/api/sns/web/v1/search/notes", r"/api/sns/web/v1/feed"
COMMENTS, SUB = r"/api/sns/web/v2/comment/page", r"/api/sns/web/v2/comment/sub/page"
LOGIN = {-100: "not logged in (-100)", -101: "not logged in (-101)"}
BLOCKED = {300012: "IP blocked (300012)", 300013: "too frequent (300013)"}


class XiaohongshuSpider(BrowserSpider):
    name = "xiaohongshu"
    platform = "xiaohongshu"

    def search_url(self, kw: str) -> str:
        return f"{self.source.base_url}/search_result?keyword={quote(kw)}&source=web_search_result_notes"

    def data(self, got) -> dict | None:
        if got is None:
            return None
        body, url = got
        code = body.get("code") if isinstance(body, dict) else None
        if code in LOGIN:
            self.fail("login_page", url, LOGIN[code])
        elif code in BLOCKED:
            self.fail("blocked", url, BLOCKED[code] + f": {body.get('msg', '')}")
        elif code != 0 or not isinstance(body.get("data"), dict):
            self.fail("api_error", url, f"code {code}: {str(body.get('msg', ''))[:80]}")
        else:
            return body["data"]
        return None

    async def parse_search(self, response):
        kw = response.meta["kw"]
        async with self.using(response) as page:
            if page is None:
                return
            async for data in self.pages(page, SEARCH, "search/notes", self.max_pages, self.data, _has_more):
                for it in data.get("items") or []:
                    if it.get("model_type") != "note" or not it.get("note_card"):
                        continue  # related searches
                    if not it.get("id"):
                        self.fail("format_changed", response.url, "search item without an id")
                        continue
                    url = (f"{self.source.base_url}/explore/{it['id']}?xsec_token={quote(it.get('xsec_token') or '')}"
                           "&xsec_source=pc_search")
                    yield self.page(url, self.parse_note, meta={"kw": kw}, within=response)

    async def parse_note(self, response):
        kw = response.meta["kw"]
        async with self.using(response) as page:
            if page is None:
                return
            data = self.data(await self.next_json(page, FEED, 0, "feed"))
            if data is None:
                return
            card = (data.get("items") or [{}])[0].get("note_card")
            if not card or not card.get("note_id") or not card.get("time"):
                self.fail("format_changed", response.url, "feed without items[0].note_card.{note_id, time}")
                return
            item, _ = self.accept(note_post(card), kw)
            if item is None:
                return
            yield item
            if self.source.comments:
                async for c in self.comments(page, item):
                    yield c

    async def comments(self, page, note: dict):
        limit, read, last = self.source.comment_pages, 0, None
        async for data in self.pages(page, COMMENTS, "comment/page", limit, self.data, _has_more):
            read, last = read + 1, data
            for c in data.get("comments") or []:
                for post in [comment_post(c, note, note["post_id"])] + [
                        comment_post(s, note, (s.get("target_comment") or {}).get("id") or c.get("id"))
                        for s in c.get("sub_comments") or []]:
                    item = self.comment(post, note, page.url)
                    if item:
                        yield item
        failed = limit and (last is None or (_has_more(last) and read < limit))  # a page refused: stop here
        if failed or not self.source.sub_comments:
            return
        await page.wait_for_timeout(300)  # let the page render the last comments' "展开" buttons
        buttons = page.locator(".show-more")
        for k in range(min(await buttons.count(), 20)):
            await buttons.nth(k).click()
            data = self.data(await self.next_json(page, SUB, k, "comment/sub/page"))
            for s in (data or {}).get("comments") or []:
                item = self.comment(comment_post(s, note, (s.get("target_comment") or {}).get("id")), note, page.url)
                if item:
                    yield item

    def comment(self, post: dict, note: dict, url: str) -> dict | None:
        if not post["post_id"] or not post["published_at"]:
            self.fail("format_changed", self.real_url(url), "comment without id or create_time")
            return None
        item, _ = self.accept(post, None, inherit=note["topics"])
        return item


def _has_more(data: dict) -> bool:
    return bool(data.get("has_more"))


def note_post(card: dict) -> dict:
    info, user = card.get("interact_info") or {}, card.get("user") or {}
    return {"post_id": card["note_id"], "url": f"https://www.xiaohongshu.com/explore/{card['note_id']}",
            "title": card.get("title") or card.get("display_title") or None,
            "text": (card.get("desc") or "").replace("[话题]#", "#"), "published_at": card["time"],
            "author_id": user.get("user_id"), "author_name": user.get("nickname") or user.get("nick_name"),
            "likes": info.get("liked_count"), "collects": info.get("collected_count"),
            "comments": info.get("comment_count"), "reposts": info.get("share_count"),
            "ip_location": card.get("ip_location"),
            "tags": [t["name"] for t in card.get("tag_list") or [] if t.get("name")]}


def comment_post(c: dict, note: dict, parent: str | None) -> dict:
    user = c.get("user_info") or {}
    return {"post_id": c.get("id"), "parent_id": parent or note["post_id"], "url": note["url"],
            "text": c.get("content") or "", "published_at": c.get("create_time"),
            "author_id": user.get("user_id"), "author_name": user.get("nickname"),
            "likes": c.get("like_count"), "comments": c.get("sub_comment_count"),
            "ip_location": c.get("ip_location")}
