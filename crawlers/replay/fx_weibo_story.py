"""The replay site's weibo story: m.weibo.cn search pages, long texts, hot comments and s.weibo.com
search results for the demo topics, in the structure of the genuine samples (see weibo.py's
docstring). `fx_weibo.py` adds the long-text and repost cases on their own keywords."""
from __future__ import annotations

import json
import re
import zlib

from crawlers.replay import content as C

EMO = ('<span class="url-icon"><img alt="{0}" src="//h5.sinaimg.cn/m/emoticon/icon/default/d_{1}.png" '
       'style="width:1em; height:1em;" /></span>')


def n(v: int) -> str:
    """A counter that grows with each fetch (see server.render)."""
    return f"@@n:{v}@@"


def weibo_html(text: str) -> str:
    text = re.sub(r"#([^#]+)#", r'<a href="https://m.s.weibo.com/weibo?q=%23\1%23"><span class="surl-text">#\1#</span></a>',
                  text)
    return re.sub(r"\[([^\]]{1,4})\]", lambda m: EMO.format(m.group(0), zlib.crc32(m.group(1).encode()) % 997), text)


def weibo_user(i: int) -> dict:
    name, followers = C.USERS[i % len(C.USERS)]
    u = {"id": 6000000000 + i * 7919, "screen_name": name, "profile_url": f"https://m.weibo.cn/u/{6000000000 + i * 7919}",
         "followers_count": followers, "follow_count": 120 + i, "statuses_count": 300 + 17 * i,
         "verified": i % 5 == 3, "verified_type": 0 if i % 5 == 3 else -1, "gender": "mf"[i % 2],
         "description": "", "mbrank": i % 7}
    if isinstance(followers, str):
        u["followers_count_str"] = followers
    return u


def mblog(mid: int, text: str, minutes: int, user: int, likes, comments: int, reposts: int, **extra) -> dict:
    bid = f"P{mid % 10**9:x}"
    mb = {"visible": {"type": 0, "list_id": 0}, "created_at": f"@@weibo:{minutes}@@", "id": str(mid), "mid": str(mid),
          "bid": bid, "can_edit": False, "text": weibo_html(text), "textLength": len(text) * 2,
          "source": "星河X5" if user % 3 == 0 else "iPhone客户端", "favorited": False, "pic_num": 0,
          "isLongText": False, "user": weibo_user(user), "reposts_count": reposts, "comments_count": comments,
          "attitudes_count": likes, "pending_approval_count": 0, "region_name": C.REGIONS[user % len(C.REGIONS)],
          "mblogtype": 0, "mlevel": 0}
    mb.update(extra)
    return mb


def card(mb: dict) -> dict:
    return {"card_type": 9, "itemid": f"seqid:{mb['mid']}", "scheme": f"https://m.weibo.cn/status/{mb['bid']}?mblogid={mb['bid']}",
            "mblog": mb}


def search_page(cards: list[dict], page: int, total: int, wrap: bool) -> dict:
    if wrap:  # the older layout: a card_type 11 group around type-9 cards
        cards = [{"card_type": 11, "show_type": 1, "card_group": cards}]
    return {"ok": 1, "data": {"cardlistInfo": {"containerid": "100103type=61", "v_p": 42, "show_style": 1,
                                               "total": total, "page": page + 1, "page_size": 10},
                              "cards": cards, "scheme": "sinaweibo://searchall?containerid=100103"}}


def comment(cid: int, text: str, minutes: int, user: int, likes: int) -> dict:
    return {"created_at": f"@@weibo:{minutes}@@", "id": cid, "rootid": cid, "rootidstr": str(cid), "floor_number": cid % 50,
            "text": weibo_html(text), "disable_reply": 0, "restrictOperate": 0, "source": "来自" + C.REGIONS[user % 6][4:],
            "user": weibo_user(user + 3), "mid": str(cid), "like_count": n(likes), "total_number": cid % 3,
            "isLikedByMblogAuthor": False, "comments": False}


def build(write) -> None:
    # long: the weibo fixture set is one story (spike, week, comments, long texts, messy cases) told in order
    posts = []
    mid = 5107000000000000
    for i, (text, minutes) in enumerate(C.XINGHE_SPIKE + C.XINGHE_WEEK + C.NOT_OURS[:1]):
        mid += 7331
        likes = n(12 + (i * 37) % 400)
        extra = {}
        if i == 3:
            likes = "1.2万"  # counts sometimes arrive formatted
        if i == 5:
            extra = {"isLongText": True}
            write(f"m.weibo.cn/extend/{mid}.json", {"ok": 1, "data": {"ok": 1, "longTextContent": weibo_html(
                text + "<br />更新：联系了三次客服，第一次说登记，第二次说等通知，第三次直接说没有这个工单。"
                       "大家买之前一定要想清楚，售后体验真的很重要。"), "reposts_count": 8, "comments_count": 26,
                "attitudes_count": 233}})
            text = text[:30] + "...全文"
        posts.append(mblog(mid, text, minutes, i, likes, comments=(i % 4 == 0) * (3 + i % 9), reposts=i % 11, **extra))
    posts[7]["user"] = None  # an author the platform no longer shows
    posts[9]["created_at"] = "2小时前"  # the older relative form
    deleted = mblog(5106999999990001, "抱歉，此微博已被作者删除。查看帮助：", 48, 2, 0, 0, 0, deleted="1")
    posts.insert(6, deleted)
    pages = [posts[i:i + 10] for i in range(0, len(posts), 10)]
    served = [1, 2, 4, 5, 6, 7]  # page 3 is the broken one
    for k, chunk in zip(served, pages):
        write(f"m.weibo.cn/search/星河手机/{k}.json", search_page([card(m) for m in chunk], k, len(posts), wrap=k % 2 == 0))
    broken = json.dumps(search_page([card(mblog(5106000000000001, "星河手机页面截断测试", 100, 1, 5, 0, 0))], 3, 1, False),
                        ensure_ascii=False)
    write("m.weibo.cn/search/星河手机/3.json", broken[: len(broken) // 2])  # a truncated body
    write("m.weibo.cn/search/_default.json", {"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}})
    # an expired cookie: the platform answers with its login page
    write("m.weibo.cn/search/星河X5/1.json", LOGIN_PAGE)
    # ... or, from the JSON API itself, its "log in first" answer
    write("m.weibo.cn/search/星河 X5/1.json", {"ok": -100, "url": "https://passport.weibo.cn/signin/login?entry=mweibo&r=https%3A%2F%2Fm.weibo.cn%2F"})
    # a short result list, then rate limiting
    pro = [mblog(5107100000000000 + k, t, m, k + 2, n(5 + k), 0, 0) for k, (t, m) in enumerate(
        [("星河Pro的续航这次真的翻车了，早上出门满电中午就没了", 15), ("星河Pro 相机还是一如既往地好", 60 * 50)])]
    write("m.weibo.cn/search/星河Pro/1.json", search_page([card(m) for m in pro], 1, 2, wrap=False))
    write("m.weibo.cn/search/星河Pro/2.json.429", {"ok": 0, "msg": "请求过于频繁，歇歇吧", "errno": "100005"})

    qposts = []
    mid = 5108000000000000
    for i, (text, minutes) in enumerate(C.QINGHE_WEEK + C.NOT_OURS[1:]):
        mid += 5557
        qposts.append(mblog(mid, text, minutes, i + 4, n(3 + (i * 13) % 90), comments=(i % 5 == 0) * 4, reposts=i % 3))
    for k in range(0, len(qposts), 10):
        write(f"m.weibo.cn/search/青禾奶茶/{k // 10 + 1}.json",
              search_page([card(m) for m in qposts[k:k + 10]], k // 10 + 1, len(qposts), wrap=False))
    # the platform's gateway fails once, then answers (RetryMiddleware's job)
    short = [mblog(5108100000000001, "青禾的新品今天上市，朋友圈都在晒", 200, 9, n(30), 0, 1)]
    write("m.weibo.cn/search/青禾/1.json", search_page([card(m) for m in short], 1, 1, wrap=False))
    write("m.weibo.cn/search/青禾/1.json.503once", "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>")

    # the same posts as the PC search has them (see replay/weibo_pc.py), plus a cookie-less visitor page
    write("s.weibo.com/posts/星河手机.json", [
        {"mid": m["mid"], "minutes": int(re.sub(r"\D", "", m["created_at"]) or 0) * (60 if "小时" in m["created_at"] else 1),
         "html": m["text"], "uid": (m["user"] or {}).get("id", 5000000001), "name": (m["user"] or {}).get("screen_name", "用户5000000001"),
         "reposts": m["reposts_count"], "comments": m["comments_count"],
         "likes": m["attitudes_count"] if not str(m["attitudes_count"]).startswith("@@") else int(
             re.sub(r"\D", "", m["attitudes_count"]))} for m in posts if m.get("deleted") != "1"])
    write("s.weibo.com/posts/星河X5.html", LOGIN_PAGE.replace("passport.weibo.cn/sso/login", "passport.weibo.com/visitor/visitor"))

    # hot comments on posts that have them
    with_comments = [m for m in posts + qposts if m.get("comments_count") and m["user"] is not None]
    write("m.weibo.cn/hotflow/_default.json", {"ok": 0, "msg": "快来发表你的评论吧"})
    for j, m in enumerate(with_comments):
        mid = int(m["mid"])
        if j == 2:
            write(f"m.weibo.cn/hotflow/{mid}/0.json.403", "<html><body>403 Forbidden</body></html>")
            continue
        pool = C.COMMENTS_QINGHE if mid >= 5108000000000000 else C.COMMENTS_NEG + C.COMMENTS_POS
        base = int(re.sub(r"\D", "", m["created_at"]) or 0)
        cs = [comment(mid + 100 + k, pool[(j + k) % len(pool)], max(1, base - 3 - k * 2), j + k, 2 + k * 3)
              for k in range(min(m["comments_count"], 5))]
        if j == 0 and len(cs) > 2:  # two pages of comments
            write(f"m.weibo.cn/hotflow/{mid}/0.json", {"ok": 1, "data": {"data": cs[:2], "total_number": len(cs),
                                                                          "max_id": mid + 900, "max_id_type": 0}})
            write(f"m.weibo.cn/hotflow/{mid}/{mid + 900}.json", {"ok": 1, "data": {
                "data": cs[2:], "total_number": len(cs), "max_id": 0, "max_id_type": 1}})
        else:
            write(f"m.weibo.cn/hotflow/{mid}/0.json", {"ok": 1, "data": {"data": cs, "total_number": len(cs),
                                                                          "max_id": 0, "max_id_type": 0}})


LOGIN_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>微博 - 随时随地发现新鲜事</title></head>
<body><div class="wrap"><h2>登录 - 新浪微博</h2>
<form action="https://passport.weibo.cn/sso/login" method="post">
<input type="text" name="username" placeholder="手机号/邮箱"><input type="password" name="password">
<a class="btn">登录</a></form><p>还没有微博账号？<a href="https://m.weibo.cn/reg/index">立即注册</a></p></div></body></html>
"""
