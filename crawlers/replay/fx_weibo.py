"""Replay fixtures for two Weibo cases the demo search does not show, under keywords of their own
(the demo config does not search them; the tests configure them):

- 星河平板: a long post on the second result page whose `statuses/extend` is refused once with
  418 (Weibo's throttling answer, not retried), then served. The first crawl must keep the post
  cut off and flagged; a second crawl, which stops paging at page 1, must still complete it.
- 星河手表: reposts (转发) in the structure of the genuine m.weibo.cn timeline sample:
  `retweeted_status` is the full original with its own user and counters, `repost_type: 1`,
  `raw_text` next to `text`, mentions as `<a href='/n/NAME'>@NAME</a>`, a long original cut off
  with `...<a href="/status/MID">全文</a>`. Author-written, not from a sample: the `//@NAME:` chain,
  the default text "转发微博", an original its author deleted (`deleted: "1"`).
"""
from __future__ import annotations

import re

from crawlers.replay.fx_weibo_story import card, mblog, n, search_page, weibo_html

TABLET = 5109000000000000
WATCH = 5109100000000000


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


def repost(mid: int, text: str, minutes: int, user: int, original: dict) -> dict:
    mb = mblog(mid, text, minutes, user, n(3), 0, 0, repost_type=1, retweeted_status=original)
    mb["raw_text"] = re.sub(r"<[^>]+>", "", text)
    return mb


def watch(write) -> None:
    complaint = mblog(WATCH + 1, "星河手表戴了一周表带就开裂了，客服说表带属于耗材不保修，"
                                 "一千多的手表表带一周就坏[怒]", 60 * 72, 11, n(940), 0, n(356))
    elsewhere = mblog(WATCH + 2, "今天去爬山了，风景真好[哈哈]", 60 * 5, 12, n(20), 0, 2)
    gone = mblog(WATCH + 3, "抱歉，此微博已被作者删除。查看帮助：", 60 * 9, 13, 0, 0, 0, deleted="1")
    gone["user"] = None
    long_text = ("星河手表的心率监测完全不准，静坐时显示一百四，跑步时反而只有七十。"
                 "联系客服让我重置，重置三次还是一样，这样的健康数据谁敢信？")
    long_orig = mblog(WATCH + 4, long_text, 60 * 10, 14, n(120), 0, 48, isLongText=True)
    long_orig["text"] = cut(WATCH + 4, long_text, 30)
    write(f"m.weibo.cn/extend/{WATCH + 4}.json", {"ok": 1, "data": {
        "ok": 1, "longTextContent": weibo_html(long_text), "reposts_count": 49, "comments_count": 0,
        "attitudes_count": 131}})
    ancient = mblog(WATCH + 5, "星河手表的屏幕脱胶了，去年买的，售后说过保了", 60 * 24 * 60, 22, n(40), 0, 9)
    cards = [
        repost(WATCH + 11, "太真实了，转给大家看看//<a href='/n/数码小王'>@数码小王</a>:同款问题", 5, 15, complaint),
        mblog(WATCH + 12, "星河手表续航还行，就是表盘容易刮花", 9, 16, n(6), 0, 0),
        repost(WATCH + 13, "转发微博", 14, 17, complaint),
        repost(WATCH + 14, "星河手表我也有，不过转这条是因为风景", 22, 18, elsewhere),
        repost(WATCH + 15, "星河手表这条投诉怎么被删了？", 31, 19, gone),
        repost(WATCH + 16, "转发微博", 47, 20, long_orig),
        repost(WATCH + 17, "转发微博", 52, 21, elsewhere),  # nothing about any topic: dropped
        repost(WATCH + 18, "转发微博", 58, 23, ancient),  # an original older than the look-back
    ]
    write("m.weibo.cn/search/星河手表/1.json", search_page([card(m) for m in cards], 1, len(cards), wrap=False))


def build(write) -> None:
    tablet(write)
    watch(write)
