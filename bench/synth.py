"""Synthetic but realistic posts for benchmarks: Chinese text of post length, real-looking
platforms, authors, counters and timestamps spread over the last weeks. Deterministic (seeded)."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from yuqing.post import Post

BRANDS = ["星河手机", "云雀耳机", "青禾奶茶", "极光汽车", "暖阳家电"]
PRAISE = ["续航真的很顶，用了一周都很满意", "客服态度很好，退换货很快", "性价比很高，推荐给朋友了",
          "外观设计好看，手感不错[赞]", "物流超快，第二天就到了", "音质清晰，降噪效果出乎意料"]
COMPLAINTS = ["用了三天就坏了，售后一直推脱[怒]", "质量太差了，要求退款被拒，准备投诉", "发热严重，客服不理人",
              "收到的是假货吧？包装都是破的", "排队两小时，态度极差，再也不来了", "屏幕有坏点，换货流程太慢"]
NEUTRAL = ["今天去门店看了一下新款", "有人知道这个型号什么时候降价吗", "转发抽奖，祝大家好运",
           "新品发布会定在下周三晚上八点", "这款和上一代有什么区别？"]
PLATFORMS = ["weibo", "bilibili", "tieba", "news", "jd"]


def posts(n: int, seed: int = 7, days: int = 30, now: datetime | None = None) -> list[Post]:
    rnd = random.Random(seed)
    now = now or datetime.now(timezone.utc)
    out = []
    for i in range(n):
        brand = rnd.choice(BRANDS)
        kind = rnd.random()
        body = rnd.choice(COMPLAINTS if kind < 0.3 else PRAISE if kind < 0.7 else NEUTRAL)
        platform = rnd.choice(PLATFORMS)
        out.append(Post(
            platform=platform, post_id=f"{seed}{i:09d}", url=f"https://example.invalid/{platform}/{i}",
            text=f"#{brand}# {body} {rnd.choice(['', '', '@小王 ', '哈哈哈', '…'])}",
            author_id=f"u{rnd.randrange(10**6)}", author_name=f"用户{rnd.randrange(10**5)}",
            author_followers=int(rnd.paretovariate(1.2) * 50),
            published_at=now - timedelta(seconds=rnd.randrange(days * 86400)),
            likes=rnd.randrange(500), comments=rnd.randrange(80), reposts=rnd.randrange(40),
            topics=[brand], tokens=[brand, body[:2]],
        ))
    return out
