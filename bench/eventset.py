"""An author-written, labelled mixture of stories about one brand, for `yuqing bench --stage events`
and tests/alerts/test_events.py.

Every sentence below was written by the project's authors for this purpose (no crawled text).
Seven stories about the same phone brand (so the brand's name and "手机" are shared by all, as in
real monitoring), each told in several independently worded paraphrases, and a held-out mixture
of four stories about another brand (HELD_OUT, written after the clustering was tuned on STORIES); `mixture()` expands them
deterministically into posts: the paraphrases, near copies of some (a hashtag or an emoticon added,
punctuation changed: what a copy campaign looks like), and reposts that point at their original
(`repost_of`, with a `//@` chain). Unrelated one-off posts that merely mention the brand are noise,
labelled "noise". Labels ride in each item's "story" key, which the post model ignores.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

TOPIC = "星河手机"
STORIES: dict[str, dict] = {
    "battery": {"label": "negative", "texts": [
        "星河X5电池鼓包了，后盖都被顶起来，充电的时候吓死人",
        "我的X5用了半年电池鼓起来，屏幕和中框之间裂开一条缝",
        "又一台星河X5电池鼓包，这批电池是不是有问题？",
        "X5充着电后壳鼓起来了，电池膨胀得厉害，不敢再用",
        "星河X5鼓包的人越来越多了，官方能不能出来说明一下电池的问题",
        "同事的X5也鼓包了，电池把后盖撑开，这是批次质量问题吧",
        "X5电池鼓包去售后，说要检测七天，鼓包的电池谁敢放身上",
        "看到好多X5电池鼓包的帖子，我的也开始鼓了，后盖翘起来",
        "星河X5电池膨胀鼓包，充电发烫，希望召回这批电池",
    ]},
    "repair": {"label": "negative", "texts": [
        "星河手机售后拒绝保修，说我的主板进水，可我从来没碰过水",
        "送修三次都没修好，售后每次都推给工厂，保修形同虚设",
        "星河的维修点说屏幕问题不在保修范围，要我自费八百块",
        "售后客服一直踢皮球，保修期内的机器拒绝免费维修",
        "保修期内主板坏了，维修中心说人为损坏拒保，太离谱",
        "跑了两趟维修点，工程师说要返厂，保修单上写着拒保",
        "星河售后服务越来越差，保修承诺一条都做不到",
        "维修点拒保还不给检测报告，售后电话打了十几次没人管",
    ]},
    "launch": {"label": "positive", "texts": [
        "星河Fold折叠屏发布会看完了，铰链做得很轻薄，折痕几乎看不见",
        "新款折叠屏Fold今天发布，外屏也能正常用，价格比预想的低",
        "Fold折叠屏上手体验：展开很平整，铰链手感扎实",
        "星河发布了首款折叠屏手机Fold，重量只有两百三十克",
        "发布会上的Fold折叠屏真香，展开后看视频特别爽",
        "折叠屏Fold首发评测：折痕控制优秀，铰链寿命号称二十万次",
        "星河Fold折叠屏开售秒空，发布会热度很高",
        "这次的折叠屏Fold发布会诚意满满，轻薄铰链是最大亮点",
    ]},
    "signal": {"label": "negative", "texts": [
        "星河系统更新之后信号一直断流，5G图标在但是网页打不开",
        "升级了最新的系统版本，手机信号变差，地铁里完全断网",
        "OTA更新后频繁断流，打游戏延迟飙到几百毫秒",
        "新系统推送后信号格满的却上不了网，断流问题太严重",
        "更新系统后WiFi和移动数据都断流，回退版本才好",
        "这次系统升级把信号搞坏了，通话中途经常断线",
        "星河更新后断流的请集合，官方社区已经几百楼了",
        "系统版本更新导致基带出问题，信号断断续续",
    ]},
    "store": {"label": "negative", "texts": [
        "网传视频：星河门店店员辱骂顾客，还推搡了一位老人",
        "星河专卖店员工骂顾客的视频火了，态度太恶劣",
        "看了门店店员辱骂老人的视频，星河必须给个说法",
        "门店店员因为退货和顾客吵起来，还动手推人，视频已经传开",
        "星河门店辱骂顾客事件发酵，官方回应说涉事店员已停职",
        "这家星河专卖店店员骂人的视频看得我好气，服务意识呢",
        "店员辱骂顾客视频里那个老人太可怜了，星河门店管理有问题",
    ]},
    "price": {"label": "negative", "texts": [
        "刚买的星河X5降价五百，申请保价被拒，说活动价不算",
        "618星河X5直降八百，上周买的不给退差价，太坑了",
        "买完第三天就降价，客服说不在价保范围，差价不退",
        "星河官方旗舰店价保规则变来变去，降价了不给补差价",
        "X5一个月降价两次，早买的人都成了冤大头，保价申请被驳回",
        "降价退差价被拒，星河的价保承诺就是一句空话",
        "618降价那么多，之前原价买的想申请价保，客服一直拖",
    ]},
    "ambassador": {"label": "positive", "texts": [
        "星河官宣新代言人，粉丝们已经冲去买同款了",
        "新代言人海报太好看了，星河这次代言人选得好",
        "星河手机官宣代言人，限定礼盒上线就卖光",
        "代言人同款配色好美，星河营销这波赢了",
        "官宣！星河迎来全新品牌代言人，发布了代言人定制版",
        "为了代言人入手星河限定版，代言人签名卡太惊喜了",
    ]},
}
NOISE = [
    "今天北京下大雨，路上堵了两个小时，拿星河手机刷了一路剧",
    "晒一下周末做的红烧肉，照片是用星河手机拍的",
    "有没有人推荐杭州好吃的面馆，求攻略",
    "孩子期末考试考了满分，奖励一顿火锅",
    "跑步第一百天打卡，配速终于进了五分半",
    "周末去爬山，山顶风景太美了",
    "新买的咖啡豆有点酸，不太喜欢这个风味",
    "下班路上看到一只橘猫，胖得走不动路",
    "读完了一本推理小说，结局完全没猜到",
    "公司楼下新开了一家奶茶店，排队的人好多",
    "今年的年假打算去云南，大家有推荐的路线吗",
    "家里的绿萝长得太快了，需要换个大盆",
]
# Written after MERGE_THRESHOLD and MIN_SHARED were chosen on STORIES, and never tuned on: the
# bench's held-out figures. Another brand (a tea-drink chain), four stories and noise.
HELD_OUT_TOPIC = "青禾奶茶"
HELD_OUT: dict[str, dict] = {
    "foreign_body": {"label": "negative", "texts": [
        "青禾奶茶喝出一根头发，店员还说是我自己掉进去的",
        "在青禾买的奶茶里有异物，像是塑料片，差点吞下去",
        "又看到有人在青禾奶茶里喝出异物了，这是第几次了",
        "奶茶杯底有一只小虫子，青禾的卫生到底有没有人管",
        "青禾奶茶喝出异物投诉了三天，门店只愿意退一杯的钱",
        "朋友在青禾的珍珠奶茶里喝出了钢丝球的碎渣",
        "异物事件越来越多，青禾奶茶后厨卫生必须彻查",
    ]},
    "price_rise": {"label": "negative", "texts": [
        "青禾奶茶全线涨价两块，小杯都要十八了",
        "涨价之后杯子还变小了，青禾这波操作劝退",
        "青禾奶茶又涨价了，一年涨了三次，喝不起了",
        "奶茶涨价可以理解，但青禾涨完价分量还少了",
        "青禾会员价也跟着涨，积分还缩水，涨价太狠",
        "看到青禾涨价的通知，默默把外卖订单取消了",
    ]},
    "new_flavor": {"label": "positive", "texts": [
        "青禾新品桂花乌龙太好喝了，桂花香很自然",
        "排了半小时队买到桂花乌龙新品，值得",
        "青禾这款桂花乌龙是今年喝过最好的新品",
        "新出的桂花乌龙不会太甜，茶味很足，推荐",
        "桂花乌龙新品限定杯也好看，青禾审美在线",
        "每天一杯桂花乌龙，青禾新品让我上瘾",
    ]},
    "inspection": {"label": "negative", "texts": [
        "市场监管局通报青禾奶茶两家门店食品安全检查不合格",
        "青禾门店被查出使用过期原料，监管部门已经立案",
        "食品安全抽检结果出来了，青禾奶茶有门店菌落总数超标",
        "青禾奶茶因为卫生检查不合格被责令停业整顿",
        "监管通报里点名青禾，过期原料和超标问题都有",
        "看到青禾被市场监管局通报，抽检不合格的门店关了",
    ]},
}
HELD_OUT_NOISE = [
    "今天加班到十点，地铁上人还是很多",
    "周末带狗去公园，它玩疯了",
    "新学了一道菜，西红柿炒蛋终于不糊了",
    "这部电视剧的结局太仓促了",
    "早上跑步遇到下雨，淋成落汤鸡",
    "楼下超市打折，买了一堆水果",
    "青禾奶茶旁边那家书店关门了，有点可惜",
    "最近在学吉他，手指疼得不行",
]
TAGS = ["#星河手机#", "[怒]", "[doge]", "#数码#", "！！", "。。。", "[吃瓜]"]


def _copy(text: str, rng: random.Random) -> str:
    """A near copy: a tag or emoticon added, punctuation swapped."""
    t = text.replace("，", rng.choice(["，", ",", " "]))
    return f"{rng.choice(TAGS)}{t}" if rng.random() < 0.5 else f"{t}{rng.choice(TAGS)}"


def mixture(start: datetime | None = None, seed: int = 16, hours: float = 24, stories: dict | None = None,
            noise: list[str] | None = None, topic: str = TOPIC, id_prefix: str = "ev") -> list[dict]:
    """Posts with a "story" label each (story name or "noise"), spread over `hours` from `start`."""
    rng = random.Random(seed)
    stories = STORIES if stories is None else stories
    noise = NOISE if noise is None else noise
    start = start or datetime(2026, 5, 1, tzinfo=timezone.utc)
    platforms = ["weibo", "douyin", "xiaohongshu", "zhihu", "tieba"]
    out: list[dict] = []
    n = 0

    def add(story: str, text: str, label: str, offset_h: float, **kw) -> dict:
        nonlocal n
        n += 1
        d = {"platform": kw.pop("platform", rng.choice(platforms)), "post_id": f"{id_prefix}{n}", "text": text,
             "published_at": (start + timedelta(hours=min(max(offset_h, 0), 23.9) * hours / 24)).isoformat(), "sentiment_label": label,
             "sentiment": {"negative": -0.8, "positive": 0.7, "neutral": 0.0}[label],
             "author_id": f"u{rng.randint(1, 400)}", "author_name": f"用户{rng.randint(1, 400)}",
             "author_followers": rng.choice([12, 80, 300, 1500, 9000]), "likes": rng.randint(0, 60),
             "comments": rng.randint(0, 20), "reposts": rng.randint(0, 10), "topics": [topic],
             "story": story, **kw}
        out.append(d)
        return d

    for k, (story, spec) in enumerate(stories.items()):
        centre = 2 + k * 3  # stories peak at different hours
        for text in spec["texts"]:
            orig = add(story, text, spec["label"], centre + rng.uniform(-2, 2))
            for _ in range(rng.randint(0, 2)):
                add(story, _copy(text, rng), spec["label"], centre + rng.uniform(-1, 3))
            for _ in range(rng.randint(0, 2)):
                add(story, f"转发微博 //@{orig['author_name']}:{text}", spec["label"], centre + rng.uniform(0, 4),
                    platform=orig["platform"], repost_of=orig["post_id"])
    for text in noise:
        add("noise", text, "neutral", rng.uniform(0, 23))
    return out


def held_out(start: datetime | None = None, seed: int = 17) -> list[dict]:
    return mixture(start, seed, stories=HELD_OUT, noise=HELD_OUT_NOISE, topic=HELD_OUT_TOPIC, id_prefix="ho")
