"""Xiaohongshu replay fixtures: the search and note pages (their script signs and makes the API
calls, like the platform's page) and the web API's JSON in the structure of the genuine 2024-09
responses (shared/formats/xiaohongshu): counts as strings, times in ms, `rec_query` cards among
the notes, `ip_location` on some comments only, sub-comment previews with `target_comment`.
Author-written content. 青禾奶茶's search answers HTTP 461 (verify); 星河Pro's page is a login wall.
"""
from __future__ import annotations

API = "edith.xiaohongshu.com"
# (note id, title, desc, minutes ago, author, likes, collects, comments, shares, tags)
NOTES = [
    ("6740a1b2000000000201f001", "星河X5用了三个月，劝大家别冲", "#星河手机[话题]# #避雷[话题]# 发热严重，打游戏二十分钟就烫手，"
     "更新系统后信号也变差了，售后说检测正常。", 40, ("5f1a2b3c000000000100a001", "小鹿乱撞🦌"), 356, 120, 48, 21,
     ["星河手机", "避雷"]),
    ("6740a1b2000000000201f002", "", "星河手机电池鼓包了！！后盖都顶起来了，大家检查一下自己的手机😱 #星河手机[话题]#", 95,
     ("5f1a2b3c000000000100a002", "Kiki在上海"), 1203, 410, 230, 88, ["星河手机"]),
    ("6740a1b2000000000201f003", "星河Pro拍照样张分享", "周末去公园拍的，星河Pro夜景还可以，就是有点偏色", 60 * 20,
     ("5f1a2b3c000000000100a003", "摸鱼达人"), 88, 30, 6, 2, ["星河Pro", "手机摄影"]),
    ("6740a1b2000000000201f004", "青禾奶茶秋季新品", "桂花乌龙yyds，星河手机拍的图，颜色有点怪哈哈", 60 * 30,
     ("5f1a2b3c000000000100a004", "爱喝奶茶的猫"), 52, 11, 0, 1, ["青禾奶茶"]),
]
COMMENTS = {  # note id → [(id, text, minutes ago, user, likes, ip or None, [(sub id, text, minutes ago, user)])]
    "6740a1b2000000000201f001": [
        ("6740b0000000000001c0a001", "同款问题，我的也烫", 38, ("61aa00000000000001000001", "数码小王子"), 17, "广东", [
            ("6740b0000000000001c0b001", "我的也是，更新以后更烫了", 36, ("61aa00000000000001000002", "北京打工人")),
            ("6740b0000000000001c0b002", "去售后换了新机也一样", 30, ("61aa00000000000001000003", "科技老张"))]),
        ("6740b0000000000001c0a002", "售后态度太差了，坐等官方回应", 35, ("61aa00000000000001000004", "吃瓜群众一号"), 5, None, []),
        ("6740b0000000000001c0a003", "我的用着还行[偷笑R]", 33, ("61aa00000000000001000005", "理性消费的阿杰"), 2, "四川", []),
    ],
    "6740a1b2000000000201f002": [
        ("6740b0000000000001c0a004", "太吓人了，赶紧停用", 90, ("61aa00000000000001000006", "深圳程序员"), 40, "广东", []),
    ],
}
MORE_SUBS = {"6740b0000000000001c0a001": [  # the rest of the replies, behind "展开"
    ("6740b0000000000001c0b003", "打12315有用，我三天就换了", 25, ("61aa00000000000001000007", "退休教师陈老师"))]}


def user(u: tuple, key: str = "image") -> dict:
    return {"user_id": u[0], "nickname": u[1], key: f"https://sns-avatar-qc.xhscdn.com/avatar/{u[0]}.jpg?imageView2/2/w/120/format/jpg"}


def envelope(data: dict) -> dict:
    return {"code": 0, "success": True, "msg": "成功", "data": data}


def search_item(n: tuple) -> dict:
    nid, title, desc, _, author, likes = n[:6]
    card = {"interact_info": {"liked": False, "liked_count": f"@@ns:{likes}@@"}, "cover": {"height": 1440, "width": 1080},
            "image_list": [{"height": 1440, "width": 1080}], "type": "normal",
            "user": {**user(author, "avatar"), "nick_name": author[1]}}
    if title:  # display_title is missing on some items
        card["display_title"] = title
    return {"model_type": "note", "note_card": card, "xsec_token": f"AB{nid[-6:]}xsecTokenReplay=", "id": nid}


def feed(n: tuple) -> dict:
    nid, title, desc, minutes, author, likes, collects, comments, shares, tags = n
    card = {"time": f"@@tsms:{minutes}@@", "last_update_time": f"@@tsms:{minutes}@@",
            "interact_info": {"liked": False, "liked_count": f"@@ns:{likes}@@", "collected": False,
                              "collected_count": f"@@ns:{collects}@@", "comment_count": f"@@ns:{comments}@@",
                              "share_count": f"@@ns:{shares}@@", "followed": False, "relation": "none"},
            "image_list": [], "tag_list": [{"id": f"5fa6{i:020d}", "name": t, "type": "topic"} for i, t in enumerate(tags)],
            "note_id": nid, "type": "normal", "title": title, "desc": desc, "user": user(author, "avatar"),
            "at_user_list": [], "share_info": {"un_share": False}}
    return envelope({"cursor_score": "", "items": [{"id": nid, "model_type": "note", "note_card": card}],
                     "current_time": "@@tsms:0@@"})


def comment(c: tuple, nid: str, target: dict | None = None) -> dict:
    cid, text, minutes, u = c[:4]
    out = {"id": cid, "note_id": nid, "content": text, "create_time": f"@@tsms:{minutes}@@", "status": 0,
           "like_count": f"@@ns:{c[4] if len(c) > 4 else 0}@@", "user_info": user(u), "show_tags": [], "at_users": [],
           "liked": False}
    if len(c) > 5 and c[5]:
        out["ip_location"] = c[5]
    if target:
        out["target_comment"] = target
    return out


def build(write) -> None:
    pages = [NOTES[:3] + [None], NOTES[3:]]  # None: a related-search card among the notes
    for k, chunk in enumerate(pages, 1):
        items = [search_item(n) if n else {"id": "7943b192#1727080077880", "model_type": "rec_query", "rec_query": {
            "title": "相关搜索", "source": 1, "queries": [{"id": "星河手机发热", "name": "星河手机发热", "search_word": "星河手机发热"}]}}
            for n in chunk]
        write(f"{API}/search/星河手机/{k}.json", envelope({"has_more": k < len(pages), "items": items}))
    write(f"{API}/search/_default.json", envelope({"has_more": False, "items": []}))
    write(f"{API}/search/青禾奶茶/1.json.461", {"code": 300013, "success": False, "msg": "访问频次异常，请勿频繁操作或重启试试"})
    for n in NOTES:
        write(f"{API}/feed/{n[0]}.json", feed(n))
    write(f"{API}/comment/_default.json", envelope({"comments": [], "cursor": "", "has_more": False,
                                                     "time": "@@tsms:0@@", "user_id": "5edae8f70000000001001608"}))
    for nid, cs in COMMENTS.items():
        rows = []
        for c in cs:
            root = comment(c, nid)
            target = {"id": c[0], "user_info": user(c[3])}
            subs = [comment(s, nid, target) for s in c[6][:1]]  # one preview; the rest behind "展开"
            rest = c[6][1:] + MORE_SUBS.get(c[0], [])
            root.update({"sub_comment_count": f"@@ns:{len(c[6]) + len(MORE_SUBS.get(c[0], []))}@@", "sub_comments": subs,
                         "sub_comment_has_more": bool(rest), "sub_comment_cursor": subs[0]["id"] if subs else ""})
            rows.append(root)
            if rest:
                write(f"{API}/sub/{c[0]}/{subs[0]['id']}.json", envelope({
                    "comments": [comment(s, nid, target) for s in rest], "cursor": rest[-1][0], "has_more": False,
                    "time": "@@tsms:0@@", "user_id": "5edae8f70000000001001608"}))
        half = (len(rows) + 1) // 2  # two comment pages: the second loads on scroll
        for cursor, chunk, more in (("0", rows[:half], len(rows) > half), (rows[half - 1]["id"], rows[half:], False)):
            if chunk:
                write(f"{API}/comment/{nid}/{cursor}.json", envelope({
                    "comments": chunk, "cursor": chunk[-1]["id"], "has_more": more, "time": "@@tsms:0@@",
                    "user_id": "5edae8f70000000001001608"}))
    write("www.xiaohongshu.com/_page/search.html", SEARCH_PAGE)
    write("www.xiaohongshu.com/_page/note.html", NOTE_PAGE)
    write("www.xiaohongshu.com/_page/search/星河Pro.html", LOGIN_WALL)


SIGN = """
  var API = "/edith.xiaohongshu.com";  // the replay site's copy of https://edith.xiaohongshu.com
  document.cookie = "a1=19a2b3c4d5e6f7a8b9c0d1e2f3; path=/"; document.cookie = "webId=8f1e2d3c4b5a69788796; path=/";
  function call(method, path, query, body) {  // the page signs every call (x-s / x-t) as the real one does
    var t = String(Date.now());
    var h = {"X-s": "XYW_" + btoa(path + "|" + t), "X-t": t, "Content-Type": "application/json;charset=UTF-8"};
    return fetch(API + path + (query ? "?" + query : ""), {method: method, headers: h, credentials: "include",
      body: body ? JSON.stringify(body) : undefined}).then(function (r) { return r.json(); });
  }
  var qs = new URLSearchParams(location.search);
"""
SEARCH_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>小红书 - 你的生活指南</title></head>
<body><div id="app"><div class="feeds-container" id="feeds"></div></div>
<script>
(function () {""" + SIGN + """
  var kw = qs.get("keyword"), page = 1, more = true, busy = false;
  function load() {
    if (!more || busy) return;
    busy = true;
    call("POST", "/api/sns/web/v1/search/notes", "", {keyword: kw, page: page, page_size: 20,
      search_id: "2dnbk1xq0h3b9xyw", sort: "time_descending", note_type: 0, ext_flags: [], image_formats: ["jpg", "webp", "avif"]})
      .then(function (d) {
        busy = false; more = !!(d.data && d.data.has_more); page += 1;
        (d.data.items || []).forEach(function (it) {
          if (!it.note_card) return;
          var a = document.createElement("a"); a.className = "note-item";
          a.href = "/www.xiaohongshu.com/explore/" + it.id + "?xsec_token=" + encodeURIComponent(it.xsec_token);
          a.textContent = it.note_card.display_title || ""; document.getElementById("feeds").appendChild(a);
        });
      }).catch(function () { busy = false; more = false; });
  }
  window.addEventListener("scroll", load);
  load();
})();
</script></body></html>
"""
NOTE_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>小红书 - 你的生活指南</title></head>
<body><div id="noteContainer"><div class="note-content" id="note"></div><div class="comments-container" id="comments"></div></div>
<script>
(function () {""" + SIGN + """
  var id = location.pathname.split("/").pop(), token = qs.get("xsec_token") || "";
  call("POST", "/api/sns/web/v1/feed", "", {source_note_id: id, image_formats: ["jpg", "webp", "avif"],
    extra: {need_body_topic: "1"}, xsec_source: "pc_search", xsec_token: token})
    .then(function (d) { document.getElementById("note").textContent = d.data.items[0].note_card.desc; }).catch(function () {});
  var cursor = "", more = true, busy = false;
  function comments() {
    if (!more || busy) return;
    busy = true;
    call("GET", "/api/sns/web/v2/comment/page", "note_id=" + id + "&cursor=" + cursor +
      "&top_comment_id=&image_formats=jpg,webp,avif&xsec_token=" + encodeURIComponent(token))
      .then(function (d) {
        busy = false; more = d.data.has_more; cursor = d.data.cursor;
        d.data.comments.forEach(function (c) {
          var div = document.createElement("div"); div.className = "comment-item"; div.textContent = c.content;
          document.getElementById("comments").appendChild(div);
          if (!c.sub_comment_has_more) return;
          var b = document.createElement("div"); b.className = "show-more"; b.textContent = "展开 " + c.sub_comment_count + " 条回复";
          b.onclick = function () {
            call("GET", "/api/sns/web/v2/comment/sub/page", "note_id=" + id + "&root_comment_id=" + c.id + "&num=10&cursor=" +
              c.sub_comment_cursor + "&image_formats=jpg,webp,avif&top_comment_id=&xsec_token=" + encodeURIComponent(token));
          };
          div.appendChild(b);
        });
      }).catch(function () { busy = false; more = false; });
  }
  window.addEventListener("scroll", comments);
  comments();
})();
</script></body></html>
"""
LOGIN_WALL = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>小红书 - 登录</title></head>
<body><div class="login-container"><div class="title">手机号登录</div>
<input type="text" placeholder="输入手机号"><input type="text" placeholder="输入验证码"><button>登录</button></div></body></html>
"""
