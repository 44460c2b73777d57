"""Baidu Tieba: keyword search result pages, each thread's floors, and each floor's replies (HTML).

Verified against genuine pages from 2024-08 (shared/formats/tieba; selectors in `SEL`):
- search `GET /f/search/res?ie=utf-8&qw=<kw>&rn=10&sm=1&pn=N` (sm=1: newest first):
  `div.s_post` → `span.p_title a[data-tid]`, `div.p_content` (excerpt), `font.p_date`
  ("YYYY-MM-DD HH:MM", Beijing time), forum `a.p_forum font`; next page `a.next` (pager: unverified).
- thread `GET /p/<tid>?pn=N`: title `h3.core_title_txt[title]`; floors `div.l_post[data-field]`
  whose JSON has `author.{user_id, user_name, user_nickname}` and `content.{post_id, post_no,
  comment_num, is_fold}`; raw server HTML quotes it with ' and a browser-saved DOM with &quot;,
  both parse. No date in `data-field` (older pages had `content.date`, still read): the date is the
  `span.tail-info` that looks like one, the floor number another. `IP属地:广东` is a plain `span`
  in `div.post-tail-wrap`. Text: `div.d_post_content`. Next page: a link "下一页".
- floor replies (楼中楼) `GET /p/comment?tid=&pid=&pn=` (an HTML fragment, 10 per page):
  `li.lzl_single_post[data-field]` (`spid`, `user_name`, `showname`, `portrait`),
  `span.lzl_content_main`, `span.lzl_time` ("2024-8-6 22:11": no zero padding), pager
  `li.lzl_li_pager[data-field]` (`total_num`, `total_page`). Fetched for floors whose
  `comment_num` > 0, up to `reply_pages` pages.
Floor 1 is the thread itself (`post_id` = tid), kept even when it is only pictures (the title
carries it); later floors are replies with `parent_id` = tid, floor replies have `parent_id` =
the floor's post id and `author_id` = the user's `portrait` id (the fragment has no user_id).
"""
from __future__ import annotations

import json
import re
from urllib.parse import quote

from crawlers.spiders.base import BaseSpider
from crawlers.text import html_text

SEL = {
    "result": "div.s_post",
    "result_link": "span.p_title a::attr(data-tid)",
    "result_date": "font.p_date::text",
    "next": "a.next::attr(href)",
    "title": "h3.core_title_txt::attr(title), h1.core_title_txt::attr(title), h3.core_title_txt::text",
    "floor": "div.l_post[data-field]",
    "floor_text": "div.d_post_content",
    "tail": "span.tail-info::text",
    "thread_next": "//a[text()='下一页']/@href",
    "ip": "div.post-tail-wrap span::text",
    "reply": "li.lzl_single_post[data-field]",
    "reply_text": "span.lzl_content_main",
    "reply_time": "span.lzl_time::text",
    "reply_pager": "li.lzl_li_pager::attr(data-field)",
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
_LOOSE_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{2})")
_TIP = re.compile(r'<div class="replace_tip"[^>]*>.*?</div>', re.S)  # "点击展开，查看完整图片", added by the page's script
_IP = re.compile(r"IP属地[:：]\s*(\S+)")


def tieba_time(value: str) -> str | None:
    """"2024-8-6 22:11" (floor replies) or "2024-08-06 22:11" → "2024-08-06 22:11"; None otherwise."""
    m = _LOOSE_DATE.fullmatch((value or "").strip())
    if not m:
        return None
    y, mo, d, h, mi = m.groups()
    return f"{y}-{int(mo):02d}-{int(d):02d} {int(h):02d}:{mi}"


def ip_location(texts: list[str]) -> str | None:
    return next((m.group(1) for m in map(_IP.search, texts) if m), None)


class TiebaSpider(BaseSpider):
    name = "tieba"
    platform = "tieba"

    def first_requests(self):
        for topic in self.topics:
            for kw in topic.keywords:
                yield self.search(kw, 1)

    def search(self, kw: str, pn: int):
        url = f"{self.source.base_url}/f/search/res?ie=utf-8&qw={quote(kw)}&rn=10&un=&only_thread=1&sm=1&pn={pn}"
        return self.request(url, self.parse_search, meta={"kw": kw, "pn": pn})

    def parse_search(self, response):
        if not self.check_html(response):
            return
        kw, pn = response.meta["kw"], response.meta["pn"]
        results = response.css(SEL["result"])
        if not results:
            if "s_post_list" not in response.text and "抱歉，没有找到" not in response.text:
                self.fail("format_changed", response.url, "no search result list on the page")
            return
        reached_old = False
        for r in results:
            tid = r.css(SEL["result_link"]).get()
            date = (r.css(SEL["result_date"]).get() or "").strip()
            if not tid or not _DATE.fullmatch(date):
                self.fail("format_changed", response.url, "search result without thread id or date")
                continue
            # the search hit moves the checkpoint and is checked against the floor; the posts come from the thread
            hit, old = self.accept({"published_at": date, "text": kw}, kw)
            reached_old = reached_old or old
            if hit is None or old:
                continue
            yield self.thread(tid, 1, kw)
        if not reached_old and response.css(SEL["next"]).get() and pn < self.max_pages:
            yield self.search(kw, pn + 1)

    def thread(self, tid: str, pn: int, kw: str, topics: list[str] | None = None):
        return self.request(f"{self.source.base_url}/p/{tid}?pn={pn}", self.parse_thread,
                            meta={"tid": tid, "pn": pn, "kw": kw, "topics": topics})

    def parse_thread(self, response):
        if not self.check_html(response):
            return
        tid, pn = response.meta["tid"], response.meta["pn"]
        title = html_text(response.css(SEL["title"]).get() or "")
        topics = response.meta["topics"]
        floors = response.css(SEL["floor"])
        if not floors:
            if "该贴已被删除" in response.text or "贴子不存在" in response.text:
                self.stats.inc_value("yuqing/deleted")
            else:
                self.fail("format_changed", response.url, "thread page without floors")
            return
        for f in floors:
            try:
                field = json.loads(f.attrib["data-field"])
                if field == {}:
                    continue  # an ad slot dressed as a floor (seen in the 2024 page)
                author, content = field.get("author") or {}, field["content"]
                pid, no = content["post_id"], int(content.get("post_no") or 0)
            except (ValueError, KeyError, TypeError):
                self.fail("format_changed", response.url, "floor whose data-field is not the expected JSON")
                continue
            date = content.get("date") or next((t for t in f.css(SEL["tail"]).getall() if _DATE.fullmatch(t.strip())), None)
            body = _TIP.sub("", f.css(SEL["floor_text"]).get() or "")
            text = html_text(body)
            if not date:
                self.fail("format_changed", response.url, f"floor {no} without a date")
                continue
            first = no == 1
            if content.get("is_fold") or not text and "BDE_Image" not in body:
                self.stats.inc_value("yuqing/deleted")  # folded or removed floor; a picture-only floor stays
                continue
            post = {"post_id": str(tid) if first else str(pid), "parent_id": None if first else str(tid),
                    "url": f"https://tieba.baidu.com/p/{tid}" + ("" if first else f"?pid={pid}#{pid}"),
                    "title": title if first else None, "text": text, "published_at": date.strip(),
                    "author_id": author.get("user_id"), "author_name": author.get("user_name") or author.get("user_nickname"),
                    "comments": content.get("comment_num"), "ip_location": ip_location(f.css(SEL["ip"]).getall())}
            item, _ = self.accept(post, None, inherit=topics or [])
            if item is None:
                continue
            if first:
                topics = item["topics"]
            yield item
            if content.get("comment_num") and self.source.reply_pages:
                yield self.replies(tid, pid, 1, item)
        if response.xpath(SEL["thread_next"]).get() and pn < self.source.thread_pages:
            yield self.thread(tid, pn + 1, response.meta["kw"], topics)

    def replies(self, tid, pid, pn: int, floor: dict):
        return self.request(f"{self.source.base_url}/p/comment?tid={tid}&pid={pid}&pn={pn}", self.parse_replies,
                            meta={"tid": tid, "pid": pid, "pn": pn, "floor": floor})

    def parse_replies(self, response):
        if not self.check_html(response):
            return
        floor, pn = response.meta["floor"], response.meta["pn"]
        for r in response.css(SEL["reply"]):
            try:
                field = json.loads(r.attrib["data-field"])
                spid = field["spid"]
            except (ValueError, KeyError, TypeError):
                self.fail("format_changed", response.url, "floor reply whose data-field is not the expected JSON")
                continue
            date = tieba_time(r.css(SEL["reply_time"]).get() or "")
            if not date:
                self.fail("format_changed", response.url, f"floor reply {spid} without a span.lzl_time date")
                continue
            post = {"post_id": str(spid), "parent_id": floor["post_id"],
                    "url": f"https://tieba.baidu.com/p/{response.meta['tid']}?pid={spid}#{spid}",
                    "text": html_text(r.css(SEL["reply_text"]).get() or ""), "published_at": date,
                    "author_id": (field.get("portrait") or "").split("?")[0] or None,
                    "author_name": field.get("showname") or field.get("user_name")}
            item, _ = self.accept(post, None, inherit=floor["topics"])
            if item:
                yield item
        try:
            pages = int(json.loads(response.css(SEL["reply_pager"]).get() or "{}").get("total_page") or 0)
        except (ValueError, TypeError, AttributeError):
            pages = 0  # the pager of a one-page list is written without quotes ({total_num:0,...}): no more pages
        if pn < min(pages, self.source.reply_pages):
            yield self.replies(response.meta["tid"], response.meta["pid"], pn + 1, floor)
