"""Replay fixtures for Weibo cases the demo search does not show, under keywords of their own
(the demo config does not search them; the tests configure them):

- 星河平板: a long post on the second result page whose `statuses/extend` is refused once with
  418 (Weibo's throttling answer, not retried), then served. The first crawl must keep the post
  cut off and flagged; a second crawl, which stops paging at page 1, must still complete it.
"""
from __future__ import annotations

from crawlers.replay.build import card, mblog, n, search_page, weibo_html

TABLET = 5109000000000000


def cut(mid: int, text: str, keep: int) -> str:
    """How the search shows a long post: the start, then a link to the full text."""
    return weibo_html(text[:keep]) + f' ...<a href="/status/{mid}">全文</a>'


def tablet(write) -> None:
    long_mid = TABLET + 4
    long_text = ("星河平板用了两周屏幕就出现了漏光，左下角一大片发黄，看视频的时候特别明显。"
                 "售后检测说是正常现象，不给换也不给修，已经在黑猫投诉提交了，大家买之前一定先检查屏幕。")
    posts = [mblog(TABLET + 1, "星河平板的手写笔延迟有点高，画画不太跟手", 10, 1, n(8), 0, 0),
             mblog(TABLET + 2, "入手星河平板，屏幕素质不错[哈哈]", 20, 2, n(15), 0, 1),
             mblog(TABLET + 3, "星河平板充电好慢，两个半小时才充满", 30, 3, n(4), 0, 0),
             mblog(long_mid, long_text, 40, 4, n(61), 0, 7, isLongText=True),
             mblog(TABLET + 5, "星河平板的键盘套是真的贵", 55, 5, n(2), 0, 0)]
    posts[3]["text"] = cut(long_mid, long_text, 36)
    write("m.weibo.cn/search/星河平板/1.json", search_page([card(m) for m in posts[:3]], 1, len(posts), wrap=False))
    write("m.weibo.cn/search/星河平板/2.json", search_page([card(m) for m in posts[3:]], 2, len(posts), wrap=True))
    write(f"m.weibo.cn/extend/{long_mid}.json.418once", "")  # m.weibo.cn answers 418 with an empty body
    write(f"m.weibo.cn/extend/{long_mid}.json", {"ok": 1, "data": {
        "ok": 1, "longTextContent": weibo_html(long_text).replace("。售后", "。<br />售后"),
        "reposts_count": 9, "comments_count": 0, "attitudes_count": 88}})


def build(write) -> None:
    tablet(write)
