"""Douyin (抖音) videos and their comments, read from the JSON the web page itself receives.

The web API wants `a_bogus` (and msToken/ttwid cookies) computed by page JavaScript, so the pages
are opened in Chromium (BrowserSpider) and their responses captured.
- comments, **verified** (genuine web response, 2026-02): `GET /aweme/v1/web/comment/list/?
  aweme_id=&cursor=&count=` (the video page loads it, the next page on scroll) → `{status_code,
  comments[], cursor, has_more (0/1), total}`; comment `{cid, text, create_time, digg_count,
  reply_comment_total, reply_id ("0" for roots), ip_label, user.{uid, nickname}}`. Replies
  (`/comment/list/reply/`) have no capture and are not fetched.
- search, **unverified**: the search page `/search/<kw>?type=video` calls `/aweme/v1/web/search/
  item/` (or `general/search/single/`); read with the shape of the genuine *app* search response
  (2026-02): `{status_code, data[], cursor, has_more}`, cards `type == 1` with `aweme_info.
  {aweme_id, desc, item_title/preview_title, create_time, author.{uid, nickname, follower_count},
  statistics.{digg_count, comment_count, share_count, collect_count}, text_extra[].hashtag_name}`.
  Results are taken as newest first (sort_type=2), so paging stops at the checkpoint.
- detail, **unverified** (no capture): `/aweme/v1/web/aweme/detail/?aweme_id=` → `aweme_detail`
  with the same aweme shape; when the video page makes that call its counters win.
A video's title is `item_title` or `preview_title`; its text is the title plus `desc`. A verify
page (title 验证码中间页) is `captcha`; `status_code` 8 (not logged in) is `login_page`.
"""
from __future__ import annotations

from urllib.parse import quote

from crawlers.spiders.browser import BrowserSpider

SEARCH = r"/aweme/v1/web/(general/search/single|search/item)/"
DETAIL, COMMENTS = r"/aweme/v1/web/aweme/detail/", r"/aweme/v1/web/comment/list/(\?|$)"


class DouyinSpider(BrowserSpider):
    name = "douyin"
    platform = "douyin"

    def search_url(self, kw: str) -> str:
        return f"{self.source.base_url}/search/{quote(kw)}?type=video"

    def data(self, got) -> dict | None:
        if got is None:
            return None
        body, url = got
        code = body.get("status_code") if isinstance(body, dict) else None
        if code == 8:
            self.fail("login_page", url, f"status_code 8: {body.get('status_msg', '')}")
        elif code != 0:
            self.fail("api_error", url, f"status_code {code}: {str((body or {}).get('status_msg', ''))[:80]}")
        else:
            return body
        return None

    async def parse_search(self, response):
        kw = response.meta["kw"]
        async with self.using(response) as page:
            if page is None:
                return
            async for data in self.pages(page, SEARCH, "search", self.max_pages, self.data, _has_more):
                reached_old = False
                for card in data.get("data") or []:
                    aweme = card.get("aweme_info")
                    if card.get("type") != 1 or not aweme:
                        continue  # related searches, users, live rooms
                    if not aweme.get("aweme_id") or not aweme.get("create_time"):
                        self.fail("format_changed", self.real_url(page.url), "aweme_info without aweme_id or create_time")
                        continue
                    item, old = self.accept(video_post(aweme), kw)
                    reached_old = reached_old or old
                    if item is not None:
                        yield self.page(f"{self.source.base_url}/video/{aweme['aweme_id']}", self.parse_video,
                                        meta={"video": item}, within=response)
                if reached_old:
                    return

    async def parse_video(self, response):
        video = response.meta["video"]
        async with self.using(response) as page:
            if page is None:
                yield video  # a verify page instead of the video: what the search showed is still kept
                return
            limit = self.source.comment_pages if self.source.comments else 0
            pages = [d async for d in self.pages(page, COMMENTS, "comment/list", limit, self.data, _has_more)]
            detail = await self.responses(page, DETAIL, wait=not pages)
            body = self.data(await self.read(detail[0])) if detail else None
            if body and body.get("aweme_detail"):
                fresh = video_post(body["aweme_detail"])
                video.update({k: v for k, v in fresh.items() if k in ("likes", "comments", "reposts", "collects",
                                                                       "author_followers") and v is not None})
            yield video
            for data in pages:
                for c in data.get("comments") or []:
                    item = self.comment(c, video)
                    if item:
                        yield item

    def comment(self, c: dict, video: dict) -> dict | None:
        if not c.get("cid") or not c.get("create_time"):
            self.fail("format_changed", video["url"], "comment without cid or create_time")
            return None
        user = c.get("user") or {}
        reply = str(c.get("reply_id") or "0")
        post = {"post_id": str(c["cid"]), "parent_id": video["post_id"] if reply == "0" else reply, "url": video["url"],
                "text": c.get("text") or "", "published_at": c["create_time"], "author_id": user.get("uid"),
                "author_name": user.get("nickname"), "likes": c.get("digg_count"),
                "comments": c.get("reply_comment_total"), "ip_location": c.get("ip_label") or None}
        item, _ = self.accept(post, None, inherit=video["topics"])
        return item


def _has_more(data: dict) -> bool:
    return bool(data.get("has_more"))


def video_post(a: dict) -> dict:
    stats, author = a.get("statistics") or {}, a.get("author") or {}
    title = (a.get("item_title") or a.get("preview_title") or "").strip()
    desc = (a.get("desc") or "").strip()
    text = desc if not title or desc.startswith(title) else f"{title}\n{desc}"
    followers = author.get("follower_count")
    return {"post_id": str(a["aweme_id"]), "url": f"https://www.douyin.com/video/{a['aweme_id']}",
            "title": title or None, "text": text, "published_at": a.get("create_time"),
            "author_id": author.get("uid"), "author_name": author.get("nickname"),
            "author_followers": followers or None,  # the search cards carry 0, not the real count
            "likes": stats.get("digg_count"), "comments": stats.get("comment_count"),
            "reposts": stats.get("share_count"), "collects": stats.get("collect_count"),
            "ip_location": a.get("ip_label") or None,
            "tags": [t["hashtag_name"] for t in a.get("text_extra") or [] if t.get("hashtag_name")]}
