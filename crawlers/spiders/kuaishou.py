"""Kuaishou (快手) videos and their comments, read from the GraphQL responses the web page receives.

**Unverified**: no genuine capture of these responses could be found (shared/formats/README.md).
The operations and fields are the ones the web page's queries name (and public crawler code
reads); the page signs its calls (`__NS_hxfalcon`), so it is opened in Chromium (BrowserSpider)
and the responses to `POST /graphql` are told apart by the request's `operationName`:
- `visionSearchPhoto` (search page `/search/video?searchKey=`; next page on scroll):
  `data.visionSearchPhoto.{result (1 = ok), feeds[].{photo.{id, caption, timestamp (ms),
  likeCount, realLikeCount, commentCount, viewCount}, author.{id, name}}, pcursor ("no_more")}`.
- `visionVideoDetail` (video page `/short-video/<id>`): `data.visionVideoDetail.{photo, author}`,
  fresher counters.
- `commentListQuery` (video page; next page on scroll): `data.visionCommentList.{commentCount,
  pcursor, rootComments[].{commentId, authorId, authorName, content, timestamp (ms), likedCount,
  realLikedCount, subCommentCount, subComments[].{commentId, authorId, authorName, content,
  timestamp, likedCount, replyTo}}}`.
`result` 400002 (verification wanted) → `captcha`; 2 (not logged in) → `login_page`; other
`result` values or GraphQL `errors` → `api_error`. Kuaishou shows no title: the caption is the text.
"""
from __future__ import annotations

from urllib.parse import quote

from crawlers.spiders.browser import BrowserSpider

GRAPHQL = r"/graphql(\?|$)"
RESULT = {400002: ("captcha", "verification wanted (result 400002)"), 2: ("login_page", "not logged in (result 2)")}


class KuaishouSpider(BrowserSpider):
    name = "kuaishou"
    platform = "kuaishou"

    def search_url(self, kw: str) -> str:
        return f"{self.source.base_url}/search/video?searchKey={quote(kw)}"

    def data(self, got, field: str) -> dict | None:
        if got is None:
            return None
        body, url = got
        if not isinstance(body, dict) or body.get("errors") or not isinstance((body.get("data") or {}).get(field), dict):
            errors = (body or {}).get("errors") if isinstance(body, dict) else None
            self.fail("api_error", url, f"no data.{field}: {str(errors or body)[:100]}")
            return None
        out = body["data"][field]
        result = out.get("result", 1)
        if result != 1:
            kind, detail = RESULT.get(result, ("api_error", f"result {result}"))
            self.fail(kind, url, detail)
            return None
        return out

    async def parse_search(self, response):
        kw = response.meta["kw"]
        async with self.using(response) as page:
            if page is None:
                return
            async for data in self.pages(page, GRAPHQL, "visionSearchPhoto", self.max_pages,
                                         lambda got: self.data(got, "visionSearchPhoto"), _more,
                                         op="visionSearchPhoto"):
                reached_old = False
                for feed in data.get("feeds") or []:
                    photo = feed.get("photo") or {}
                    if not photo.get("id") or not photo.get("timestamp"):
                        self.fail("format_changed", self.real_url(page.url), "feed without photo.id or photo.timestamp")
                        continue
                    item, old = self.accept(video_post(photo, feed.get("author") or {}), kw)
                    reached_old = reached_old or old
                    if item is not None:
                        yield self.page(f"{self.source.base_url}/short-video/{photo['id']}", self.parse_video,
                                        meta={"video": item}, within=response)
                if reached_old:
                    return

    async def parse_video(self, response):
        video = response.meta["video"]
        async with self.using(response) as page:
            if page is None:
                yield video  # a verify page: what the search showed is still kept
                return
            limit = self.source.comment_pages if self.source.comments else 0
            pages = [d async for d in self.pages(page, GRAPHQL, "commentListQuery", limit,
                                                 lambda got: self.data(got, "visionCommentList"), _more,
                                                 op="commentListQuery")]
            detail = await self.responses(page, GRAPHQL, op="visionVideoDetail", wait=not pages)
            fresh = self.data(await self.read(detail[0]), "visionVideoDetail") if detail else None
            if fresh and fresh.get("photo"):
                now = video_post(fresh["photo"], fresh.get("author") or {})
                video.update({k: now[k] for k in ("likes", "comments") if now.get(k) is not None})
            yield video
            for data in pages:
                for c in data.get("rootComments") or []:
                    for post in [comment_post(c, video, video["post_id"])] + [
                            comment_post(s, video, str(c.get("commentId"))) for s in c.get("subComments") or []]:
                        if not post["post_id"] or not post["published_at"]:
                            self.fail("format_changed", video["url"], "comment without commentId or timestamp")
                            continue
                        item, _ = self.accept(post, None, inherit=video["topics"])
                        if item:
                            yield item

def _more(data: dict) -> bool:
    return data.get("pcursor") not in (None, "", "no_more")


def video_post(photo: dict, author: dict) -> dict:
    return {"post_id": str(photo["id"]), "url": f"https://www.kuaishou.com/short-video/{photo['id']}",
            "text": photo.get("caption") or "", "published_at": photo.get("timestamp"),
            "author_id": author.get("id"), "author_name": author.get("name"),
            "likes": photo.get("realLikeCount") or photo.get("likeCount"), "comments": photo.get("commentCount")}


def comment_post(c: dict, video: dict, parent: str) -> dict:
    return {"post_id": str(c.get("commentId") or ""), "parent_id": parent, "url": video["url"],
            "text": c.get("content") or "", "published_at": c.get("timestamp"), "author_id": c.get("authorId"),
            "author_name": c.get("authorName"), "likes": c.get("realLikedCount") or c.get("likedCount"),
            "comments": c.get("subCommentCount")}
