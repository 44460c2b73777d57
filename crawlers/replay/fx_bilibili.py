"""Bilibili replay fixtures: video search and x/v2/reply pages (see crawlers/replay/build.py)."""
from __future__ import annotations

from crawlers.replay import content as C

VIDEOS_XINGHE = [  # (title, description, minutes ago, comments)
    ("【实测】星河手机X5发热到底有多严重？原神半小时机身52度", "网友说星河手机发热，我们买了一台实测，结果…", 40, 25),
    ("星河手机更新后信号变差？我换了三张卡测试给你看", "不恰饭，自费购买。评论区说说你的情况", 95, 4),
    ("避坑！星河X5电池鼓包售后全过程记录", "从申请到拒保，全程录音，大家自己判断", 170, 0),
    ("星河Pro一个月深度体验：优点和缺点都很明显", "相机好，续航一般，系统广告多", 60 * 30, 3),
    ("星河手机发布会三分钟看完", "折叠屏来了，价格感人", 60 * 55, 0),
    ("星河战队全系列盘点", "经典科幻电影回顾", 60 * 70, 0),
]
VIDEOS_QINGHE = [
    ("探店｜青禾奶茶新品荔枝冰茶值不值得喝？", "一口气喝了五款新品，最推荐桂花乌龙", 60 * 6, 6),
    ("在家复刻青禾奶茶桂花乌龙，成本只要三块钱", "教程在简介，材料很简单", 60 * 50, 0),
    ("青禾奶茶打工vlog：早上七点开始备料", "奶茶店的一天", 60 * 120, 2),
]
REPLIES_XINGHE = C.COMMENTS_NEG + [
    "UP主良心测评，比官方宣传靠谱多了", "52度？？我的X5也这样，玩一会就烫手[大哭]", "星河的公关呢？出来走两步",
    "已经在黑猫投诉了，编号发群里一起维权", "这温度夏天根本没法用", "我的更惨，直接自动关机了",
    "买了三天就退了，幸好还在七天无理由", "感谢UP，打消了我买星河的念头", "建议星河手机召回吧",
    "笑死，官方客服让我别玩游戏", "同款温度，附上截图", "这就是国货之光？[吐]",
]


def video(aid: int, title: str, desc: str, minutes: int, comments: int, kw: str, author: int) -> dict:
    marked = title.replace(kw, f'<em class="keyword">{kw}</em>')
    name, _ = C.USERS[author % len(C.USERS)]
    return {"type": "video", "id": aid, "author": name, "mid": 31000000 + author * 977, "typeid": "95",
            "typename": "数码" if "星河" in title else "美食", "arcurl": f"http://www.bilibili.com/video/av{aid}",
            "aid": aid, "bvid": f"BV1{aid:x}Xy", "title": marked, "description": desc,
            "pic": f"//i0.hdslb.com/bfs/archive/{aid:x}.jpg", "play": f"@@n:{1200 + aid % 9000}@@",
            "video_review": 30 + aid % 200, "favorites": 50 + aid % 300, "tag": "手机,数码,测评" if "星河" in title else "美食,探店",
            "review": comments, "pubdate": f"@@ts:{minutes}@@", "senddate": f"@@ts:{minutes - 5}@@",
            "duration": f"{3 + aid % 12}:{aid % 60:02d}", "like": f"@@n:{80 + aid % 700}@@", "danmaku": 30 + aid % 200,
            "upic": "https://i0.hdslb.com/bfs/face/member/noface.jpg", "is_charge_video": 0, "rank_index": 1}


def search(results: list[dict], page: int, pages: int) -> dict:
    return {"code": 0, "message": "0", "ttl": 1, "data": {
        "seid": "7302917368340127", "page": page, "pagesize": 20, "numResults": len(results) + (pages - 1) * 4,
        "numPages": pages, "suggest_keyword": "", "rqt_type": "search", "result": results,
        **({"next": page + 1} if page < pages else {})}}


def reply(rpid: int, aid: int, text: str, minutes: int, user: int, subs: list[dict] | None = None) -> dict:
    name, _ = C.USERS[user % len(C.USERS)]
    mid = 41000000 + user * 331
    return {"rpid": rpid, "oid": aid, "type": 1, "mid": mid, "root": 0, "parent": 0, "count": len(subs or []),
            "rcount": len(subs or []), "state": 0, "ctime": f"@@ts:{minutes}@@", "rpid_str": str(rpid),
            "mid_str": str(mid), "oid_str": str(aid), "like": f"@@n:{2 + rpid % 90}@@", "action": 0,
            "member": {"mid": str(mid), "uname": name, "sex": "保密", "sign": "", "level_info": {"current_level": 2 + user % 5},
                       "vip": {"vipType": user % 2, "vipStatus": user % 2}},
            "content": {"message": text, "members": [], "jump_url": {}, "max_line": 6},
            "replies": subs or [],
            "reply_control": {"location": "IP属地：" + C.REGIONS[user % 6][4:],
                              "time_desc": f"{max(1, minutes // 60)}小时前发布"}}


def reply_page(replies: list[dict], pn: int, count: int) -> dict:
    return {"code": 0, "message": "0", "ttl": 1, "data": {
        "page": {"num": pn, "size": 20, "count": count, "acount": count + 3}, "config": {"showtopic": 1, "read_only": False},
        "replies": replies, "upper": {"mid": 31000000, "top": None, "vote": None}, "top": None, "vote": 0}}


def build(write) -> None:
    base = 113500000000000
    for kw, videos, pages in (("星河手机", VIDEOS_XINGHE, [4, 2]), ("青禾奶茶", VIDEOS_QINGHE, [3])):
        items = [video(base + i * 7 + (0 if kw == "星河手机" else 500), *v, kw, i) for i, v in enumerate(videos)]
        for p, size in enumerate(pages, 1):
            start = sum(pages[:p - 1])
            write(f"api.bilibili.com/search/{kw}/{p}.json", search(items[start:start + size], p, len(pages)))
        for i, (v, it) in enumerate(zip(videos, items)):
            aid, comments = it["aid"], v[3]
            if not comments:
                continue
            pool = REPLIES_XINGHE if kw == "星河手机" else C.COMMENTS_QINGHE
            rs = []
            for k in range(comments):
                rp = aid * 10 + k
                subs = [reply(rp * 10 + 1, aid, "回复 @" + C.USERS[(k + 1) % 12][0] + " :" + pool[(k + 3) % len(pool)],
                              max(1, v[2] - k - 2), k + 5)] if k % 6 == 0 else None
                rs.append(reply(rp, aid, pool[k % len(pool)], max(1, v[2] - k * 2 - 1), k, subs))
            if i == 0 and kw == "星河手机":  # a reply whose content block is missing: counted, the rest go on
                del rs[7]["content"]
            for pn in range(0, len(rs), 20):
                write(f"api.bilibili.com/reply/{aid}/{pn // 20 + 1}.json", reply_page(rs[pn:pn + 20], pn // 20 + 1, len(rs)))
            if i == 1 and kw == "星河手机":  # the second page of this one fails with a gateway error
                write(f"api.bilibili.com/reply/{aid}/1.json", reply_page(rs[:2] * 1, 1, 24))
                write(f"api.bilibili.com/reply/{aid}/2.json.502", "<html><head><title>502 Bad Gateway</title></head></html>")
    # comments closed on one video
    write(f"api.bilibili.com/reply/{base + 7 * 3}/1.json", {"code": 12002, "message": "评论区已关闭", "ttl": 1})
    write("api.bilibili.com/search/星河Pro/1.json", {"code": -412, "message": "请求被拦截", "ttl": 1, "data": None})
    write("api.bilibili.com/search/_default.json", search([], 1, 0))
    write("api.bilibili.com/reply/_default.json", reply_page([], 1, 0))
