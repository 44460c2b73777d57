"""JD product reviews for the products listed in `sources.jd_reviews.products`.

Expected format (club.jd.com, as public crawlers read it 2017-2024):
`GET /comment/productPageComments.action?callback=fetchJSON_comment98&productId=<sku>&score=0
&sortType=6&page=N&pageSize=10` (sortType 6 = newest first, pages from 0) answers JSONP
`fetchJSON_comment98({...});` (the callback suffix varies, e.g. `fetchJSON_comment98vv122`) with
`maxPage`, `productCommentSummary` and `comments[]` {id, content, creationTime "YYYY-MM-DD
HH:MM:SS" (Beijing time), nickname, score 1-5, usefulVoteCount, replyCount, productColor,
productSize}. A blocked request gets an empty body, which is counted as a failure.

Reviews rarely name the brand, so a product's configured `topic` is given to all its reviews.
"""
from __future__ import annotations

from crawlers.spiders.base import BaseSpider
from crawlers.text import html_text


class JdReviewsSpider(BaseSpider):
    name = "jd_reviews"
    platform = "jd"

    def first_requests(self):
        wanted = {t.name for t in self.topics}
        for product in self.source.products:
            if product.topic and product.topic not in wanted:
                continue
            yield self.page(product.model_dump(), 0)

    def page(self, product: dict, n: int):
        url = (f"{self.source.base_url}/comment/productPageComments.action?callback=fetchJSON_comment98"
               f"&productId={product['id']}&score=0&sortType=6&page={n}&pageSize=10&isShadowSku=0&fold=1")
        return self.request(url, self.parse_reviews, meta={"product": product, "n": n},
                            headers={"Referer": f"https://item.jd.com/{product['id']}.html"})

    def parse_reviews(self, response):
        product, n = response.meta["product"], response.meta["n"]
        if not response.body.strip():
            self.fail("empty_body", response.url, "empty answer (JD's way of refusing a request)")
            return
        data = self.load_json(response, jsonp=True)
        if data is None:
            return
        if not isinstance(data, dict) or not isinstance(data.get("comments"), list):
            self.fail("format_changed", response.url, "no comments[] in the answer")
            return
        inherit = [product["topic"]] if product.get("topic") else []
        reached_old = False
        for c in data["comments"]:
            if not c.get("id") or not c.get("creationTime"):
                self.fail("format_changed", response.url, "review without id or creationTime")
                continue
            tags = [t for t in (c.get("productColor"), c.get("productSize")) if t]
            post = {"post_id": str(c["id"]), "url": f"https://item.jd.com/{product['id']}.html#comment",
                    "title": product["name"], "text": html_text(c.get("content")), "published_at": c["creationTime"],
                    "author_name": c.get("nickname"), "rating": c.get("score"), "likes": c.get("usefulVoteCount"),
                    "comments": c.get("replyCount"), "tags": tags}
            item, old = self.accept(post, product["id"], inherit=inherit)
            reached_old = reached_old or old
            if item:
                yield item
        last = min(int(data.get("maxPage") or 0), self.max_pages) - 1
        if data["comments"] and not reached_old and n < last:
            yield self.page(product, n + 1)
