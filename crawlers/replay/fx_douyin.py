"""Douyin replay fixtures: the search and video pages (their script signs each call with an
`a_bogus` parameter and sets the ttwid cookie, like the platform's page) and the JSON they get.

Comment lists follow the genuine 2026 web response (shared/formats/douyin/web_comment_list-1.json:
`cid` strings, `has_more` 0/1, `ip_label`, `reply_id` "0"); search follows the genuine *app*
search body (`data[].type` 1 with `aweme_info`, a `type` 6 related-search card); the detail
wrapper `aweme_detail` is unverified. Author-written content. The third video's page is the
verify page (验证码中间页).
"""
from __future__ import annotations

# (aweme id, item_title, desc, minutes ago, author (uid, nickname), digg, comments, shares, collects, hashtags)
VIDEOS = [
    ("7601000000000000001", "星河X5发热实测", "星河X5发热实测 打游戏二十分钟背面52度 #星河手机 #手机测评", 50,
     ("1789644184760001", "数码老张"), 2816, 3, 120, 711, ["星河手机", "手机测评"]),
    ("7601000000000000002", "", "星河手机售后又双叒拒保了，大家评评理 #星河手机", 130, ("1789644184760002", "维权小王"),
     640, 1, 33, 58, ["星河手机"]),
    ("7601000000000000003", "星河Pro开箱", "星河Pro开箱 颜值还行 #星河Pro", 60 * 40, ("1789644184760003", "开箱君"),
     120, 0, 4, 9, ["星河Pro"]),
]
QINGHE = [("7601000000000000011", "青禾奶茶探店", "青禾奶茶新店开业排队一小时 #青禾奶茶", 60 * 8, ("1789644184760011", "吃货日记"),
           300, 1, 12, 40, ["青禾奶茶"])]
COMMENTS = {  # aweme id → [(cid, text, minutes ago, (uid, nickname), digg, replies, ip_label)]
    "7601000000000000001": [("7603286382429717001", "我的也烫[流泪][流泪]", 45, ("1789600000000001", "踢爱福"), 12, 2, "河南"),
                            ("7603286382429717002", "售后说正常，我信你个鬼", 44, ("1789600000000002", "小北"), 3, 0, "广东"),
                            ("7603286382429717003", "买了一周就退了", 40, ("1789600000000003", "阿杰"), 0, 0, "")],
    "7601000000000000002": [("7603286382429717004", "支持维权[赞]", 120, ("1789600000000004", "路人甲"), 5, 0, "上海")],
    "7601000000000000011": [("7603286382429717011", "下次去试试", 60 * 7, ("1789600000000011", "奶茶控"), 1, 0, "北京")],
}


def aweme(v: tuple) -> dict:
    vid, title, desc, minutes, (uid, nick), digg, comments, shares, collects, tags = v
    return {"aweme_id": vid, "desc": desc, "create_time": f"@@ts:{minutes}@@", "item_title": title, "caption": desc,
            "preview_title": desc.split(" ")[0], "aweme_type": 0, "media_type": 4, "group_id": vid,
            "author": {"uid": uid, "sec_uid": f"MS4wLjABAAAA{uid}", "nickname": nick, "unique_id": f"dy{uid[-6:]}",
                       "follower_count": 0, "avatar_thumb": {"url_list": [f"https://p3-pc.douyinpic.com/aweme/100x100/{uid}.jpeg"]}},
            "statistics": {"aweme_id": vid, "comment_count": f"@@n:{comments}@@", "digg_count": f"@@n:{digg}@@",
                           "download_count": 0, "play_count": 0, "share_count": f"@@n:{shares}@@", "forward_count": 0,
                           "collect_count": f"@@n:{collects}@@", "recommend_count": 12},
            "text_extra": [{"start": 0, "end": 0, "type": 1, "hashtag_name": t, "hashtag_id": str(7000 + i),
                            "is_commerce": False} for i, t in enumerate(tags)],
            "share_url": f"https://www.iesdouyin.com/share/video/{vid}/", "video": {"duration": 15300},
            "status": {"is_delete": False, "private_status": 0}}


def card(v: tuple) -> dict:
    return {"type": 1, "aweme_info": aweme(v), "card_info": {}, "doc_type": 153,
            "card_id": "douyin.doctype_aweme_video", "provider_doc_id_str": v[0]}


RELATED = {"type": 6, "card_id": "douyin.doctype_related_search", "doc_type": 108,
           "related_word_list": [{"related_word": "星河手机发热怎么办", "word_id": "1"}]}


def search(cards: list, cursor: int, more: int) -> dict:
    return {"status_code": 0, "data": cards, "qc": "", "cursor": cursor, "has_more": more,
            "extra": {"now": "@@tsms:0@@", "logid": "20260205182046764A47D1A6E72859AF", "search_request_id": ""},
            "log_pb": {"impr_id": "20260205182046764A47D1A6E72859AF"}, "global_doodle_config": {"keyword": ""}}


def comment(c: tuple, vid: str) -> dict:
    cid, text, minutes, (uid, nick), digg, replies, ip = c
    return {"cid": cid, "text": text, "aweme_id": vid, "create_time": f"@@ts:{minutes}@@", "digg_count": f"@@n:{digg}@@",
            "status": 1, "user": {"uid": uid, "short_id": uid[-10:], "nickname": nick, "unique_id": f"u{uid[-6:]}",
                                  "region": "CN", "sec_uid": f"MS4wLjABAAAA{uid}"},
            "reply_id": "0", "user_digged": 0, "reply_comment": None, "text_extra": [], "label_text": "",
            "reply_comment_total": replies, "reply_to_reply_id": "0", "is_author_digged": False, "stick_position": 0,
            "is_hot": False, "image_list": None, "is_note_comment": 0, "ip_label": ip, "can_share": True,
            "item_comment_total": 3, "level": 1, "is_folded": False, "enter_from": "general_search"}


def comments(rows: list, cursor: int, more: int) -> dict:
    return {"status_code": 0, "comments": rows, "cursor": cursor, "has_more": more, "reply_style": 2, "total": 3,
            "extra": {"now": "@@tsms:0@@", "fatal_item_ids": None}, "log_pb": {"impr_id": "20260205182046764A47D1"},
            "user_commented": 0, "folded_comment_count": 0}


def build(write) -> None:
    host = "www.douyin.com"
    write(f"{host}/search/星河手机/0.json", search([card(VIDEOS[0]), RELATED, card(VIDEOS[1])], 10, 1))
    write(f"{host}/search/星河手机/10.json", search([card(VIDEOS[2])], 20, 0))
    write(f"{host}/search/青禾奶茶/0.json", search([card(QINGHE[0])], 10, 0))
    write(f"{host}/search/_default.json", search([], 0, 0))
    for v in VIDEOS + QINGHE:
        write(f"{host}/detail/{v[0]}.json", {"status_code": 0, "aweme_detail": aweme(v)})
        rows = [comment(c, v[0]) for c in COMMENTS.get(v[0], [])]
        if len(rows) > 2:  # two pages: the second loads on scroll
            write(f"{host}/comment/{v[0]}/0.json", comments(rows[:2], 2, 1))
            write(f"{host}/comment/{v[0]}/2.json", comments(rows[2:], len(rows), 0))
        else:
            write(f"{host}/comment/{v[0]}/0.json", comments(rows, len(rows), 0))
    write(f"{host}/_page/search.html", SEARCH_PAGE)
    write(f"{host}/_page/video.html", VIDEO_PAGE)
    write(f"{host}/_page/video/{VIDEOS[2][0]}.html", VERIFY_PAGE)


SIGN = """
  var ROOT = "/www.douyin.com";  // the replay site's copy of https://www.douyin.com
  document.cookie = "ttwid=1%7CreplayTtwid; path=/"; document.cookie = "msToken=replayMsToken; path=/";
  function call(path, query) {  // the page signs every call (a_bogus) as the real one does
    var sig = btoa(path + "|" + Date.now());
    return fetch(ROOT + path + "?device_platform=webapp&aid=6383&channel=channel_pc_web&" + query + "&a_bogus=" +
      encodeURIComponent(sig), {credentials: "include"}).then(function (r) { return r.json(); });
  }
"""
SEARCH_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>抖音搜索 - 抖音</title></head>
<body><div id="search-result-container"></div>
<script>
(function () {""" + SIGN + """
  var kw = decodeURIComponent(location.pathname.split("/").pop()), offset = 0, more = true, busy = false;
  function load() {
    if (!more || busy) return;
    busy = true;
    call("/aweme/v1/web/search/item/", "search_channel=aweme_video_web&enable_history=1&keyword=" + encodeURIComponent(kw) +
      "&search_source=normal_search&query_correct_type=1&is_filter_search=1&sort_type=2&publish_time=0&offset=" + offset + "&count=10")
      .then(function (d) { busy = false; more = d.has_more === 1; offset = d.cursor; })
      .catch(function () { busy = false; more = false; });
  }
  window.addEventListener("scroll", load);
  load();
})();
</script></body></html>
"""
VIDEO_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>抖音 - 记录美好生活</title></head>
<body><div id="video-info"></div><div id="comment-list"></div>
<script>
(function () {""" + SIGN + """
  var id = location.pathname.split("/").pop(), cursor = 0, more = true, busy = false;
  call("/aweme/v1/web/aweme/detail/", "aweme_id=" + id).catch(function () {});
  function load() {
    if (!more || busy) return;
    busy = true;
    call("/aweme/v1/web/comment/list/", "aweme_id=" + id + "&cursor=" + cursor + "&count=20&item_type=0")
      .then(function (d) { busy = false; more = d.has_more === 1; cursor = d.cursor; })
      .catch(function () { busy = false; more = false; });
  }
  window.addEventListener("scroll", load);
  load();
})();
</script></body></html>
"""
VERIFY_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>验证码中间页</title></head>
<body><div id="captcha_container"><div class="captcha-verify-title">请完成下列验证后继续</div></div></body></html>
"""
