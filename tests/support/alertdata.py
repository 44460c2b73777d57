"""Synthetic post streams for alert tests, written through the real pipeline (NLP off,
explicit sentiment labels) into the real node."""
from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta, timezone

from pipelines.build import build_pipeline

_ids = itertools.count(1)

# Varied bodies, so a near-duplicate stage (simhash) does not fold the synthetic posts together.
NEG = ["售后太慢了等了一周没人理", "用了两天就卡顿", "客服态度差再也不买了", "发热严重烫手", "电池掉电飞快",
       "屏幕出现绿线", "物流包装破损", "系统更新后频繁重启", "拍照糊成一片", "价格虚高不值", "信号差经常断网",
       "充电口松动", "说好的赠品没给", "门店推销很烦", "耳机一只没声音", "刚过保修就坏"]
NEU = ["今天发布了新配色", "说说使用感受", "价格大家怎么看", "开箱视频来了", "和上一代比有什么区别",
       "发布会几点开始", "线下门店可以体验", "配置参数整理"]
_rng = random.Random(4)


def body(topic: str, label: str) -> str:
    parts = _rng.sample(NEG if label == "negative" else NEU, 3)
    return f"{topic}{parts[0]}，{parts[1]}，还有{parts[2]}（编号 x{_rng.randint(1, 99999)}y）"


def post(topic: str, at: datetime, label: str = "negative", text: str | None = None, **kw) -> dict:
    n = next(_ids)
    return {"platform": "weibo", "post_id": f"p{n}-{int(at.timestamp())}", "text": text or body(topic, label),
            "published_at": at.astimezone(timezone.utc).isoformat(), "sentiment_label": label,
            "sentiment": -0.8 if label == "negative" else 0.0, "author_followers": 100, "likes": 1, **kw}


def every(topic: str, start: datetime, end: datetime, step: timedelta, label: str = "negative") -> list[dict]:
    out, t = [], start
    while t < end:
        out.append(post(topic, t, label))
        t += step
    return out


def burst(topic: str, start: datetime, end: datetime, n: int, label: str = "negative", **kw) -> list[dict]:
    span = (end - start) / n
    return [post(topic, start + i * span, label, **kw) for i in range(n)]


def ingest(cfg, store, items: list[dict]) -> None:
    pipe = build_pipeline(cfg, store=store, nlp=False)
    for it in items:
        pipe.feed(it)
    rep = pipe.close()
    assert not rep.rejected and not rep.errors, (rep.rejected[:3], rep.errors[:3])
    store.refresh()


def utc(*a) -> datetime:
    return datetime(*a, tzinfo=timezone.utc)
