"""Kuaishou replay fixtures: search and video pages whose script posts GraphQL operations
(`visionSearchPhoto`, `visionVideoDetail`, `commentListQuery`) signed with `__NS_hxfalcon` and
the `did` cookie, like the web page, and the answers. **Unverified format**: no genuine capture
exists (see shared/formats/README.md); the fields are those the web page's queries name.
Author-written content. 青禾奶茶's search answers `result` 400002 (verification wanted).
"""
from __future__ import annotations

HOST = "www.kuaishou.com"
# (photo id, caption, minutes ago, (author id, name), likes, comments, views)
PHOTOS = [
    ("3xk7a1b2c3d4e5f1", "星河手机真的烫，打了一把游戏手都出汗了 #星河手机", 55, ("3xauthor0001", "快手数码哥"), "1.2万", 2, 98000),
    ("3xk7a1b2c3d4e5f2", "星河X5售后维修全过程记录", 60 * 5, ("3xauthor0002", "维修师傅老李"), 530, 1, 12000),
]
COMMENTS = {  # photo id → [(comment id, text, minutes ago, (author id, name), likes, [(sub id, text, minutes, author)])]
    "3xk7a1b2c3d4e5f1": [("812000000001", "我的星河也是这样", 50, ("3xuser01", "老铁666"), 30,
                          [("812000000101", "同款", 48, ("3xuser02", "快手用户1234"))]),
                         ("812000000002", "退货退货", 45, ("3xuser03", "小王不吃香菜"), 2, [])],
    "3xk7a1b2c3d4e5f2": [("812000000003", "师傅手艺不错", 60 * 4, ("3xuser04", "路过的"), 1, [])],
}


def photo(p: tuple) -> dict:
    pid, caption, minutes, _, likes, comments, views = p
    like = likes if isinstance(likes, str) else f"@@n:{likes}@@"
    return {"id": pid, "duration": 15000, "caption": caption, "originCaption": caption, "likeCount": like,
            "viewCount": f"@@n:{views}@@", "commentCount": comments, "realLikeCount": like if not isinstance(likes, str) else None,
            "coverUrl": f"https://p2.a.yximgs.com/upic/{pid}.jpg", "timestamp": f"@@tsms:{minutes}@@",
            "expTag": "1_a/2000_replay", "liked": False, "videoRatio": 0.5625, "__typename": "PhotoEntity"}


def author(a: tuple) -> dict:
    return {"id": a[0], "name": a[1], "following": False, "headerUrl": f"https://p2.a.yximgs.com/uhead/{a[0]}.jpg",
            "__typename": "User"}


def comment(c: tuple, sub: bool = False) -> dict:
    cid, text, minutes, (aid, name) = c[:4]
    out = {"commentId": cid, "authorId": aid, "authorName": name, "content": text,
           "headurl": f"https://p2.a.yximgs.com/uhead/{aid}.jpg", "timestamp": f"@@tsms:{minutes}@@",
           "likedCount": f"@@n:{c[4] if len(c) > 4 else 0}@@", "realLikedCount": f"@@n:{c[4] if len(c) > 4 else 0}@@",
           "liked": False, "status": 0, "__typename": "SubCommentEntity" if sub else "CommentEntity"}
    if not sub:
        subs = c[5] if len(c) > 5 else []
        out.update({"subCommentCount": len(subs), "subCommentsPcursor": "no_more" if subs else "",
                    "subComments": [dict(comment(s, True), replyTo=aid, replyToUserName=name) for s in subs]})
    return out


def build(write) -> None:
    g = f"{HOST}/graphql"
    write(f"{g}/visionSearchPhoto/星河手机/0.json", {"data": {"visionSearchPhoto": {
        "result": 1, "llsid": "2000000000001", "webPageArea": "searchxxnull",
        "feeds": [{"type": 1, "author": author(p[3]), "photo": photo(p), "canAddComment": 1, "llsid": "2000000000001",
                   "status": 1, "currentPcursor": "", "__typename": "Feed"} for p in PHOTOS],
        "searchSessionId": "MTRfMjAwMDAwMDAwMDAwMV8xNzAwMDAwMDAwMDAw", "pcursor": "no_more", "aladdinBanner": None,
        "__typename": "VisionSearchPhoto"}}})
    write(f"{g}/visionSearchPhoto/青禾奶茶/0.json", {"data": {"visionSearchPhoto": {
        "result": 400002, "llsid": None, "feeds": [], "pcursor": None, "__typename": "VisionSearchPhoto"}}})
    write(f"{g}/visionSearchPhoto/_default.json", {"data": {"visionSearchPhoto": {
        "result": 1, "llsid": "0", "feeds": [], "searchSessionId": "", "pcursor": "no_more", "__typename": "VisionSearchPhoto"}}})
    for p in PHOTOS:
        write(f"{g}/visionVideoDetail/{p[0]}/0.json", {"data": {"visionVideoDetail": {
            "status": 1, "type": "NORMAL", "author": author(p[3]), "photo": photo(p), "tags": [], "commentLimit": None,
            "llsid": None, "danmakuSwitch": True, "__typename": "VisionVideoDetail"}}})
        rows = [comment(c) for c in COMMENTS.get(p[0], [])]
        pages = [rows[:1], rows[1:]] if len(rows) > 1 else [rows]
        for k, chunk in enumerate(pages):
            write(f"{g}/commentListQuery/{p[0]}/{'0' if k == 0 else 'pc' + str(k)}.json", {"data": {"visionCommentList": {
                "commentCount": len(rows), "pcursor": "no_more" if k == len(pages) - 1 else f"pc{k + 1}",
                "rootComments": chunk, "__typename": "VisionCommentList"}}})
    write(f"{HOST}/_page/search.html", SEARCH_PAGE)
    write(f"{HOST}/_page/video.html", VIDEO_PAGE)


SIGN = """
  var ROOT = "/www.kuaishou.com";  // the replay site's copy of https://www.kuaishou.com
  document.cookie = "did=web_replay0123456789abcdef; path=/"; document.cookie = "kpf=PC_WEB; path=/";
  function gql(op, variables, query) {  // the page signs every call (__NS_hxfalcon) as the real one does
    var sig = btoa("/graphql|" + Date.now());
    return fetch(ROOT + "/graphql?__NS_hxfalcon=" + encodeURIComponent(sig), {method: "POST", credentials: "include",
      headers: {"Content-Type": "application/json"}, body: JSON.stringify({operationName: op, variables: variables, query: query})})
      .then(function (r) { return r.json(); });
  }
  var qs = new URLSearchParams(location.search);
"""
SEARCH_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>快手</title></head>
<body><div class="search-detail"></div>
<script>
(function () {""" + SIGN + """
  var kw = qs.get("searchKey"), pcursor = "", more = true, busy = false;
  function load() {
    if (!more || busy) return;
    busy = true;
    gql("visionSearchPhoto", {keyword: kw, pcursor: pcursor, page: "search"},
      "fragment photoContent on PhotoEntity { id duration caption originCaption likeCount viewCount commentCount realLikeCount coverUrl timestamp expTag liked videoRatio } " +
      "query visionSearchPhoto($keyword: String, $pcursor: String, $searchSessionId: String, $page: String, $webPageArea: String) " +
      "{ visionSearchPhoto(keyword: $keyword, pcursor: $pcursor, searchSessionId: $searchSessionId, page: $page, webPageArea: $webPageArea) " +
      "{ result llsid webPageArea feeds { type author { id name following headerUrl } photo { ...photoContent } } searchSessionId pcursor aladdinBanner } }")
      .then(function (d) { busy = false; pcursor = d.data.visionSearchPhoto.pcursor; more = !!pcursor && pcursor !== "no_more"; })
      .catch(function () { busy = false; more = false; });
  }
  window.addEventListener("scroll", load);
  load();
})();
</script></body></html>
"""
VIDEO_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>快手</title></head>
<body><div class="video-container"></div><div class="comment-list"></div>
<script>
(function () {""" + SIGN + """
  var id = location.pathname.split("/").pop(), pcursor = "", more = true, busy = false;
  gql("visionVideoDetail", {photoId: id, page: "detail"},
    "query visionVideoDetail($photoId: String, $type: String, $page: String, $webPageArea: String) " +
    "{ visionVideoDetail(photoId: $photoId, type: $type, page: $page, webPageArea: $webPageArea) { status type author { id name following headerUrl } photo { id duration caption likeCount realLikeCount commentCount viewCount timestamp } } }")
    .catch(function () {});
  function load() {
    if (!more || busy) return;
    busy = true;
    gql("commentListQuery", {photoId: id, pcursor: pcursor},
      "query commentListQuery($photoId: String, $pcursor: String) { visionCommentList(photoId: $photoId, pcursor: $pcursor) " +
      "{ commentCount pcursor rootComments { commentId authorId authorName content headurl timestamp likedCount realLikedCount liked status " +
      "subCommentCount subCommentsPcursor subComments { commentId authorId authorName content headurl timestamp likedCount realLikedCount liked status replyToUserName replyTo } } } }")
      .then(function (d) { busy = false; pcursor = d.data.visionCommentList.pcursor; more = !!pcursor && pcursor !== "no_more"; })
      .catch(function () { busy = false; more = false; });
  }
  window.addEventListener("scroll", load);
  load();
})();
</script></body></html>
"""
