"""JD review replay fixtures (JSONP pages of productPageComments.action)."""
from __future__ import annotations

import json

XINGHE = "100071383534"
QINGHE = "100058624112"

XINGHE_REVIEWS = [  # (stars, text, minutes ago)
    (1, "收到第三天就开始发烫，打游戏十分钟烫手，申请退货客服一直拖", 20),
    (1, "更新系统后信号很差，电梯里直接无服务，差评", 34),
    (2, "外观不错，但是续航太差了，一天要充三次电", 47),
    (1, "电池鼓包了！！才用了两个月，售后说要寄回检测等半个月", 58),
    (1, "客服态度极差，问什么都说不清楚，再也不买星河了", 66),
    (1, "屏幕有绿线，换货流程太麻烦了&nbsp;不推荐", 79),
    (2, "拍照还行，发热严重，夏天不敢用", 91),
    (1, "买了一周降价三百，申请保价被拒，而且手机还发烫", 104),
    (1, "系统广告太多了，关都关不掉", 118),
    (1, "WiFi老是断，重置网络也没用", 133),
    (1, "指纹解锁失灵，要按好几次", 150),
    (2, "物流很快，但手机本身问题不少，发热+耗电", 171),
    (5, "屏幕显示效果很好，手感也不错", 60 * 30),
    (4, "性价比可以，就是有点重", 60 * 44),
    (5, "第二次买星河了，一如既往地流畅", 60 * 60),
    (5, "送给爸妈的，字体大声音大，老人很喜欢", 60 * 75),
    (4, "快充很快，半小时八十", 60 * 90),
    (5, "京东物流次日达，包装完好", 60 * 100),
]
QINGHE_REVIEWS = [
    (5, "和门店的味道很像，在家也能喝到青禾奶茶了", 60 * 3),
    (5, "桂花乌龙味道很香，甜度刚好", 60 * 12),
    (4, "冲泡方便，就是珍珠要另外买", 60 * 26),
    (5, "回购第三次了，办公室必备", 60 * 40),
    (3, "有点甜，下次试试低糖款", 60 * 55),
    (5, "日期新鲜，包装精美，送人也体面", 60 * 70),
    (4, "奶味浓，茶味稍淡", 60 * 88),
    (5, "赠品杯子很可爱", 60 * 120),
]
COLORS = ["星河蓝", "曜石黑", "月光白"]


def review(rid: int, stars: int, text: str, minutes: int, k: int, product: str) -> dict:
    return {"id": rid, "topped": 0, "guid": f"{rid:x}-{k:04d}", "content": text, "creationTime": f"@@jd:{minutes}@@",
            "isDelete": False, "isTop": False, "userImageUrl": "misc.360buyimg.com/user/myjd-2015/css/i/peisong.jpg",
            "topped_str": "0", "replyCount": k % 3, "score": stars, "imageStatus": 1, "title": "",
            "usefulVoteCount": f"@@n:{(k * 7) % 40}@@", "userClientShow": "来自京东Android客户端" if k % 2 else "",
            "nickname": f"j***{k:02d}", "productColor": COLORS[k % 3] if product == XINGHE else "经典原味",
            "productSize": "12GB+256GB" if product == XINGHE else "20杯装", "location": ["广东", "北京", "江苏"][k % 3],
            "plusAvailable": 201 if k % 4 == 0 else 0, "days": 0, "afterDays": 0}


def page(comments: list[dict], n: int, max_page: int, product: str, callback: str = "fetchJSON_comment98") -> str:
    body = {"productAttr": None, "productCommentSummary": {
        "skuId": int(product), "commentCount": 200 + len(comments), "commentCountStr": "200+",
        "goodRate": 0.71 if product == XINGHE else 0.97, "poorCount": 48 if product == XINGHE else 1},
        "hotCommentTagStatistics": [{"id": "b1a2c3d4e5", "name": "发热严重" if product == XINGHE else "口感好", "count": 37,
                                     "type": 4, "canBeFiltered": True}],
        "jwotestProduct": None, "maxPage": max_page, "testId": "cmt", "score": 0, "soType": 6,
        "imageListCount": 20, "vTagStatistics": None, "csv": "comment,list", "comments": comments}
    return f"{callback}({json.dumps(body, ensure_ascii=False)});"


def build(write) -> None:
    rs = [review(19000000000 + k * 31, *r, k, XINGHE) for k, r in enumerate(XINGHE_REVIEWS)]
    rs[4]["nickname"] = ""  # anonymous review
    write(f"club.jd.com/{XINGHE}/0.jsonp", page(rs[:10], 0, 3, XINGHE))
    write(f"club.jd.com/{XINGHE}/1.jsonp", page(rs[10:], 1, 3, XINGHE, callback="fetchJSON_comment98vv122"))
    broken = page([review(19000000009001, 1, "第三页", 400, 1, XINGHE)], 2, 3, XINGHE)
    write(f"club.jd.com/{XINGHE}/2.jsonp", broken[: len(broken) * 2 // 3])  # truncated mid-way
    qs = [review(19100000000 + k * 17, *r, k, QINGHE) for k, r in enumerate(QINGHE_REVIEWS)]
    write(f"club.jd.com/{QINGHE}/0.jsonp", page(qs, 0, 1, QINGHE))
