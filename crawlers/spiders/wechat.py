"""WeChat official-account articles: Sogou's WeChat search (HTML), then each article page (HTML).

Official accounts have no open search API; weixin.sogou.com is the public way in. Neither page
needs a browser. Expected formats (genuine pages in shared/formats/wechat, see its SOURCES.md):
- search `GET weixin.sogou.com/weixin?type=2&query=<kw>&page=N` (2017-07 sample): `ul.news-list >
  li[id^=sogou_vr_11002601_box_]` → `div.txt-box > h3 > a` (title, keyword in `<em>`; `href` the
  article), `p.txt-info` (summary), `div.s-p[t=<ts>]` (publication time) with `a.account` (the
  account). Next page: `a#sogou_next`. Results are ordered by relevance, so paging stops only
  when a whole page is older than the checkpoint. In 2017 the links were temporary
  `mp.weixin.qq.com/s?src=3&timestamp=…&signature=…` URLs; current pages link `/link?url=…`,
  a Sogou redirect (seen only in code: unverified), followed like any redirect. Too many queries
  send Sogou's `antispider` page (a `seccodeImage` form; known from code, unverified): `captcha`.
- article `mp.weixin.qq.com/s…` (2018-03 and 2025-11 samples): body `#js_content`; title
  `var msg_title` / `og:title` / `#activity-name`; time `var ct = "<ts>"`; account `var nickname =
  "…"` (2025: `htmlDecode("…")`), its id `var user_name = "gh_…"`; permanent ids `var biz`, `var
  mid`, `var idx` (the first assignment of each; the 2025 page re-declares them in library code).
  Anonymous pages carry no read/like counts (`read_num = "" * 1`), so none are stored.
- error pages come with status 200: `.weui-msg__title.warn` "该内容已被发布者删除" (deleted:
  counted in `deleted`), `<title>该内容暂时无法查看</title>` (taken down or restricted: failure
  `unavailable`).
The account is the author: `author_name` = the account's name, `author_id` = its `gh_` id.
"""
from __future__ import annotations

import re
from urllib.parse import quote, urljoin

from crawlers.spiders.base import BaseSpider
from crawlers.text import html_text

SEL = {
    "result": "ul.news-list > li",
    "title": "div.txt-box h3 a",
    "href": "div.txt-box h3 a::attr(href)",
    "summary": "p.txt-info",
    "time": "div.s-p::attr(t)",
    "account": "div.s-p a.account::text, a.account::text, span.all-time-y2::text",
    "next": "a#sogou_next::attr(href)",
    "body": "#js_content",
    "title_dom": "#activity-name",
    "og_title": "meta[property='og:title']::attr(content)",
    "og_url": "meta[property='og:url']::attr(content)",
    "account_dom": "#js_name::text, #post-user::text",
    "deleted": ".weui-msg__title.warn::text",
}
_STR = r"""(?:"([^"]*)"|'([^']*)')"""


def js_var(page: str, name: str) -> str:
    """The first non-empty string in the first `var NAME = "a" || "b" …;` (or `htmlDecode("…")`)."""
    m = re.search(rf"\bvar {name}\s*=\s*([^;\n]*)", page)
    if not m:
        return ""
    for a, b in re.findall(_STR, m.group(1)):
        if a or b:
            return html_text(a or b)
    return ""


class WechatSpider(BaseSpider):
    name = "wechat"
    platform = "wechat"

    def first_requests(self):
        for topic in self.topics:
            for kw in topic.keywords:
                yield self.search(kw, 1)

    def search(self, kw: str, page: int):
        url = f"{self.source.base_url}/weixin?type=2&query={quote(kw)}&ie=utf8&page={page}"
        return self.request(url, self.parse_search, meta={"kw": kw, "page": page})

    def blocked(self, response) -> bool:
        if "antispider" in response.url or 'id="seccodeImage"' in response.text[:20000]:
            self.fail("captcha", response.url, "Sogou's antispider page (too many queries; a cookie with SNUID helps)")
            return True
        return not self.check_html(response)

    def parse_search(self, response):
        if self.blocked(response):
            return
        kw, page = response.meta["kw"], response.meta["page"]
        results = response.css(SEL["result"])
        if not results:
            if "news-list" not in response.text and "noresult" not in response.text:
                self.fail("format_changed", response.url, "no ul.news-list on the search page")
            return
        all_old = True
        for r in results:
            href, ts = r.css(SEL["href"]).get(), r.css(SEL["time"]).get()
            if not href or not (ts or "").isdigit():
                self.fail("format_changed", response.url, "search result without a link or div.s-p[t]")
                continue
            title = html_text(r.css(SEL["title"]).get())
            # The hit moves the checkpoint and is checked against the floor; the post comes from the article.
            hit, old = self.accept({"published_at": int(ts), "text": kw}, kw)
            if hit is None or old:
                continue
            all_old = False
            link = urljoin(self.real_url(response.url), href)
            yield self.request(link, self.parse_article, meta={
                "hit": {"title": title, "summary": html_text(r.css(SEL["summary"]).get()),
                        "account": (r.css(SEL["account"]).get() or "").strip(), "ts": int(ts)}})
        if not all_old and response.css(SEL["next"]).get() and page < self.max_pages:
            yield self.search(kw, page + 1)

    def parse_article(self, response):
        if not self.check_html(response):
            return
        page, hit = response.text, response.meta["hit"]
        if response.css(SEL["deleted"]).get():
            self.stats.inc_value("yuqing/deleted")
            return
        body = response.css(SEL["body"]).get()
        if body is None:
            title = (response.css("title::text").get() or "").strip()
            if "无法查看" in title or "无法查看" in page[:4000]:
                self.fail("unavailable", response.url, f"article not viewable: {title or 'no title'}")
            else:
                self.fail("format_changed", response.url, "article page without #js_content")
            return
        ct = js_var(page, "ct")
        if not ct.isdigit():
            self.fail("format_changed", response.url, "article page without `var ct` (publication time)")
            return
        biz, mid, idx = js_var(page, "biz"), js_var(page, "mid"), js_var(page, "idx")
        sn = js_var(page, "sn")
        link = js_var(page, "msg_link") or response.css(SEL["og_url"]).get() or (
            f"https://mp.weixin.qq.com/s?__biz={quote(biz)}&mid={mid}&idx={idx}&sn={sn}" if biz and mid
            else self.real_url(response.url))  # the search's link is temporary (signature, timestamp)
        post_id = f"{biz}:{mid}:{idx}" if biz and mid else link
        title = (js_var(page, "msg_title") or response.css(SEL["og_title"]).get()
                 or html_text(response.css(SEL["title_dom"]).get()) or hit["title"])
        account = js_var(page, "nickname") or (response.css(SEL["account_dom"]).get() or "").strip() or hit["account"]
        post = {"post_id": post_id, "url": link, "title": title.strip(), "text": html_text(body),
                "published_at": int(ct), "author_id": js_var(page, "user_name") or biz or None,
                "author_name": account or None}
        item, _ = self.accept(post, None)
        if item:
            yield item
