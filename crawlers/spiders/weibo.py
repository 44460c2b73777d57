"""Weibo keyword search and hot comments through the mobile web JSON API (m.weibo.cn).

Expected formats (as public crawlers read them, 2021-2026):
- search: `GET /api/container/getIndex?containerid=100103type%3D61%26q%3D<kw>&page_type=searchall&page=N`
  (type=61 is the real-time, newest-first tab, which incremental paging relies on).
  `{"ok":1,"data":{"cardlistInfo":{...},"cards":[...]}}`; posts are `cards[].mblog` (card_type 9) or
  `cards[].card_group[].mblog` (card_type 11 wrapping 9): both shapes are accepted. `ok:0` with no
  cards ("这里还没有内容") is the end of the results.
- mblog: `id`/`mid` strings, `text` HTML (emoticons as `<img alt="[怒]">`), `created_at`
  "%a %b %d %H:%M:%S %z %Y" (older bodies: "2分钟前", "今天 12:00", "06-27"),
  `reposts_count`/`comments_count`/`attitudes_count`, `user.followers_count` (int before 2022,
  then a string such as "18.8万"), `isLongText` → `/statuses/extend?id=` `data.longTextContent`.
- repost (转发): `mblog.retweeted_status` is the original as a full nested mblog (own `user`,
  counters, `isLongText`; genuine 2021 timeline sample), `repost_type: 1`; the repost's `text` is
  the reposter's words, earlier reposters as `//@name:` (unverified: "转发微博" when there are none,
  a removed original read like any deleted mblog). The original is stored as a post of its own,
  the repost gets `repost_of` and the original's topics.
- comments: `GET /comments/hotflow?id=<mid>&mid=<mid>&max_id_type=0` → `data.data[]` (`id`, `text`,
  `created_at`, `like_count`, `user`), paging by `data.max_id` (0 = end) and `data.max_id_type`.

The search caps at about 50 pages per query (`max_pages`); the newest-first order plus the
checkpoint means a scheduled crawl rarely needs more than the first few. For long ranges set
`sources.weibo.search: pc`: s.weibo.com search in time slices (see weibo_pc.py).
"""
from __future__ import annotations

from urllib.parse import quote

from crawlers.pending import Pending, pending_path
from crawlers.spiders.base import BaseSpider
from crawlers.spiders.weibo_dates import weibo_time
from crawlers.spiders.weibo_pc import PcSearch
from crawlers.text import html_text


class WeiboSpider(PcSearch, BaseSpider):
    name = "weibo"
    platform = "weibo"

    def first_requests(self):
        yield from self.pending_requests()
        if self.source.search == "pc":
            yield from self.pc_first_requests()
            return
        for topic in self.topics:
            for kw in topic.keywords:
                yield self.search(kw, 1)

    def search(self, kw: str, page: int):
        container = quote(f"100103type=61&q={kw}", safe="")
        url = f"{self.source.base_url}/api/container/getIndex?containerid={container}&page_type=searchall&page={page}"
        return self.request(url, self.parse_search, meta={"kw": kw, "page": page})

    def parse_search(self, response):
        kw, page = response.meta["kw"], response.meta["page"]
        data = self.load_json(response)
        if data is None:
            if page < self.max_pages and not response.meta.get("after_broken"):
                r = self.search(kw, page + 1)
                r.meta["after_broken"] = True
                yield r
            return
        if not isinstance(data, dict) or "ok" not in data:
            self.fail("format_changed", response.url, "no 'ok' in the search response")
            return
        if data.get("ok") == -100:  # the API's own "log in first" answer
            self.fail("login_page", response.url, f"ok=-100, log in at {data.get('url', 'passport.weibo.cn')} "
                                                  "(is WEIBO_COOKIE set and fresh?)")
            return
        cards = (data.get("data") or {}).get("cards") or []
        if data.get("ok") != 1 or not cards:
            return  # end of results ("这里还没有内容")
        mblogs = []
        for card in cards:
            if card.get("mblog"):
                mblogs.append(card["mblog"])
            for inner in card.get("card_group") or []:
                if inner.get("mblog"):
                    mblogs.append(inner["mblog"])
        if not mblogs:
            self.fail("format_changed", response.url, "cards without mblog (layout changed?)")
            return
        reached_old = False
        for mb in mblogs:
            post = self.post(mb, response.url)
            if post is None:
                continue
            original, orig_mb = self.retweeted(mb, post, response.url)
            inherit = self.topics_for(original["text"]) if original else ()
            pinned = mb.get("mblogtype") == 2 or mb.get("isTop") == 1
            item, old = self.accept(post, None if pinned else kw, inherit=inherit)
            reached_old = reached_old or (old and not pinned)
            if item is None:
                continue
            if original:
                orig_item, _ = self.accept(original, None)  # its own topics; older than the repost, so no checkpoint
                if orig_item:
                    yield from self.emit(orig_item, orig_mb, old=False)
            yield from self.emit(item, mb, old=old)
        if not reached_old and page < self.max_pages:
            yield self.search(kw, page + 1)

    def retweeted(self, mb: dict, post: dict, url: str) -> tuple[dict | None, dict]:
        """The original a repost (转发) carries in `retweeted_status`, as a post of its own.

        A repost of a repost carries the root original here; the reposters in between only
        appear as `//@name:` in the text. The repost is linked through `repost_of` even when the
        original itself is gone (deleted, hidden) and so is not stored."""
        orig_mb = mb.get("retweeted_status")
        if not isinstance(orig_mb, dict):
            return None, {}
        oid = orig_mb.get("mid") or orig_mb.get("id")
        if oid:
            post["repost_of"] = str(oid)
        return self.post(orig_mb, url), orig_mb

    def emit(self, item: dict, mb: dict, old: bool):
        """Yield a post and ask for its comments, after fetching its full text if it was cut off."""
        if mb.get("isLongText"):
            yield self.extend(item, mb.get("comments_count"), old=old)
            return
        yield item
        yield from self.comments(item, mb.get("comments_count"))

    def extend(self, item: dict, comments, old: bool = False, retry: bool = False):
        return self.request(f"{self.source.base_url}/statuses/extend?id={item['post_id']}", self.parse_long,
                            errback=self.long_failed,
                            meta={"post": item, "mblog_comments": comments, "old": old, "retry": retry})

    def post(self, mb: dict, url: str) -> dict | None:
        if str(mb.get("deleted", "")) == "1" or mb.get("visible", {}).get("type") == 1 and not mb.get("text"):
            self.stats.inc_value("yuqing/deleted")
            return None
        mid = mb.get("mid") or mb.get("id")
        if not mid or "created_at" not in mb:
            self.fail("format_changed", url, f"mblog without id or created_at (keys: {', '.join(sorted(mb)[:8])})")
            return None
        user = mb.get("user") or {}
        try:
            published = weibo_time(mb["created_at"], self.now)
        except ValueError as e:
            self.fail("format_changed", url, str(e))
            return None
        return {
            "platform": "weibo", "post_id": str(mid), "url": f"https://m.weibo.cn/detail/{mid}",
            "text": html_text(mb.get("text")), "published_at": published,
            "author_id": user.get("id"), "author_name": user.get("screen_name"),
            "author_followers": user.get("followers_count"),
            "likes": mb.get("attitudes_count"), "comments": mb.get("comments_count"),
            "reposts": mb.get("reposts_count"),
        }

    def parse_long(self, response):
        item = response.meta["post"]
        data = self.load_json(response)
        body = ((data or {}).get("data") or {}) if isinstance(data, dict) else {}
        long = body.get("longTextContent") if isinstance(body, dict) else None
        if not long:
            if data is not None:
                self.fail("format_changed", response.url, "statuses/extend without longTextContent")
            yield from self.keep_truncated(response.meta)
            return
        item["text"] = html_text(long)
        item["text_truncated"] = False  # written explicitly: it clears the flag of a post stored cut off
        item["topics"] = self.topics_for(item["text"], item["topics"])  # the rest of the text may name more
        for field, key in (("reposts", "reposts_count"), ("comments", "comments_count"), ("likes", "attitudes_count")):
            if body.get(key) is not None:
                item[field] = body[key]
        self.pending.done(item["post_id"])
        yield item
        yield from self.comments(item, body.get("comments_count", response.meta.get("mblog_comments")))

    def long_failed(self, failure):
        """statuses/extend refused (403, 418 when throttled, timeouts): keep the post cut off."""
        self.on_error(failure)
        yield from self.keep_truncated(failure.request.meta)

    def keep_truncated(self, meta: dict):
        """Store the post with the text the search showed, flagged, and retry its full text on the
        next runs (crawlers/pending.py). Not when it would only overwrite a stored full text: a post
        the checkpoint already knows and that is not pending was completed by an earlier run."""
        item = meta["post"]
        if meta.get("retry"):
            self.stats.inc_value("yuqing/truncated")
            return  # stored cut off by an earlier run and still pending: nothing better to write
        if meta.get("old") and item["post_id"] not in self.pending:
            return  # stored complete by an earlier run: keep that text
        self.stats.inc_value("yuqing/truncated")
        item["text_truncated"] = True
        self.pending.add(item)
        yield item
        yield from self.comments(item, meta.get("mblog_comments"))

    # -- posts stored cut off by an earlier run ----------------------------------------------
    def setup(self) -> None:
        super().setup()
        self.pending = Pending(self.run.state("pending") if self.run else pending_path(self.cfg), self.name)

    def pending_requests(self):
        """Ask again for the full text of posts an earlier run stored cut off. The item carries only
        what addresses the post; the store updates it in place and keeps the rest."""
        due, expired = self.pending.due(self.floor)
        if expired:
            self.stats.inc_value("yuqing/truncated_expired", len(expired))
        for post_id, e in due:
            item = {"platform": "weibo", "source": self.name, "post_id": post_id, "url": e.get("url"),
                    "published_at": e["published_at"], "topics": e.get("topics") or []}
            yield self.extend(item, None, retry=True)

    def closed(self, reason: str) -> None:
        self.pending.save(removals=reason == "finished")  # before a last worker ends the shared run
        super().closed(reason)

    def comments(self, parent: dict, count, max_id: int | None = None, page: int = 1):
        if not self.source.comments or not count or page > self.source.comment_pages:
            return
        mid = parent["post_id"]
        url = f"{self.source.base_url}/comments/hotflow?id={mid}&mid={mid}&max_id_type={0 if page == 1 else 1}"
        if max_id:
            url += f"&max_id={max_id}"
        yield self.request(url, self.parse_comments, meta={"parent": parent, "page": page, "count": count})

    def parse_comments(self, response):
        parent = response.meta["parent"]
        data = self.load_json(response)
        if not isinstance(data, dict):
            return
        if data.get("ok") != 1:
            return  # no (visible) comments
        body = data.get("data")
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            self.fail("format_changed", response.url, "hotflow without data.data[]")
            return
        for c in body["data"]:
            if not c.get("id") or not c.get("created_at"):
                self.fail("format_changed", response.url, "comment without id or created_at")
                continue
            user = c.get("user") or {}
            try:
                published = weibo_time(c["created_at"], self.now)
            except ValueError as e:
                self.fail("format_changed", response.url, str(e))
                continue
            post = {"platform": "weibo", "post_id": str(c["id"]), "parent_id": parent["post_id"],
                    "url": parent["url"], "text": html_text(c.get("text")), "published_at": published,
                    "author_id": user.get("id"), "author_name": user.get("screen_name"),
                    "author_followers": user.get("followers_count"), "likes": c.get("like_count"),
                    "comments": c.get("total_number")}
            item, _ = self.accept(post, None, inherit=parent["topics"])
            if item:
                yield item
        if body.get("max_id"):
            yield from self.comments(parent, response.meta["count"], body["max_id"], response.meta["page"] + 1)
