"""The replay site's s.weibo.com search: posts recorded once (`s.weibo.com/posts/<q>.json`, minutes
before the site's start), answered for whatever `timescope` and `page` the spider asks, because
the slices depend on when the crawl runs. A `<q>.html` file instead is served as it is (the
visitor/login page s.weibo.com sends without a cookie)."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from html import escape
from pathlib import Path

from yuqing.post import SHANGHAI

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{q} - 微博搜索</title></head><body>
<div class="m-main"><div id="pl_feedlist_index">
{cards}
</div><div class="m-page"><div>{next}</div></div></div></body></html>
"""
CARD = """<div class="card-wrap" action-type="feed_list_item" mid="{mid}"><div class="card"><div class="card-feed">
<div class="avator"><a href="//weibo.com/{uid}?refer_flag=1001030103_"><img src="https://tvax1.sinaimg.cn/crop.0.0.180.180.50/{uid}.jpg"></a></div>
<div class="content" node-type="like"><div class="info"><div><a href="//weibo.com/{uid}?refer_flag=1001030103_" class="name" target="_blank" nick-name="{name}">{name}</a></div></div>
<p class="txt" node-type="feed_list_content" nick-name="{name}">{text}</p>
<div class="from"><a href="//weibo.com/{uid}/{bid}?refer_flag=1001030103_" target="_blank">{when}</a> 来自 <a rel="nofollow">iPhone客户端</a></div>
</div></div><div class="card-act"><ul><li><a action-type="feed_list_forward">转发 {reposts}</a></li>
<li><a action-type="feed_list_comment">评论 {comments}</a></li>
<li><a action-type="feed_list_like"><button class="woo-like-main"><span class="woo-like-count">{likes}</span></button></a></li></ul></div></div></div>"""
NONE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{q} - 微博搜索</title></head><body>
<div class="card card-no-result s-pt20b40"><p>抱歉，未找到“{q}”相关结果。</p></div></body></html>
"""
_SCOPE = re.compile(r"custom:(\d{4}-\d{2}-\d{2})-(\d{1,2}):(\d{4}-\d{2}-\d{2})-(\d{1,2})")


def scope_bounds(scope: str) -> tuple[datetime, datetime] | None:
    m = _SCOPE.fullmatch(scope or "")
    if not m:
        return None
    start = datetime.strptime(m.group(1), "%Y-%m-%d").replace(hour=int(m.group(2)), tzinfo=SHANGHAI)
    end = datetime.strptime(m.group(3), "%Y-%m-%d").replace(hour=int(m.group(4)), tzinfo=SHANGHAI)
    return start, end + timedelta(hours=1)  # both hours are inclusive


def answer(data: Path, query: dict[str, str], now: datetime) -> tuple[int, str, str]:
    q = query.get("q", "")
    page = int(query.get("page", "1") or 1)
    html = data / "s.weibo.com" / "posts" / f"{q}.html"
    if html.exists():
        return 200, ".html", html.read_text(encoding="utf-8")
    src = data / "s.weibo.com" / "posts" / f"{q}.json"
    bounds = scope_bounds(query.get("timescope", ""))
    if not src.exists():
        return 200, ".html", NONE.format(q=escape(q))
    posts = json.loads(src.read_text(encoding="utf-8"))
    local_now = now.astimezone(SHANGHAI)
    chosen = []
    for p in sorted(posts, key=lambda p: p["minutes"]):
        t = local_now - timedelta(minutes=p["minutes"])
        if bounds is None or bounds[0] <= t < bounds[1]:
            chosen.append((t, p))
    shown = chosen[(page - 1) * 10: page * 10]
    if not shown:
        return 200, ".html", NONE.format(q=escape(q))
    cards = []
    for t, p in shown:
        when = t.strftime("%m月%d日 %H:%M") if t.year == local_now.year else t.strftime("%Y年%m月%d日 %H:%M")
        cards.append(CARD.format(mid=p["mid"], uid=p["uid"], name=escape(p["name"]), text=p["html"], when=when,
                                 bid=f"P{int(p['mid']) % 10**9:x}", reposts=p["reposts"] or "",
                                 comments=p["comments"] or "", likes=p["likes"] or ""))
    more = len(chosen) > page * 10
    nxt = f'<a class="next" href="/weibo?q={escape(q)}&amp;page={page + 1}">下一页</a>' if more else ""
    return 200, ".html", PAGE.format(q=escape(q), cards="\n".join(cards), next=nxt)
