"""Synthetic post streams for alert tests, written through the real pipeline (NLP off,
explicit sentiment labels) into the real node."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from pipelines.build import build_pipeline

_ids = itertools.count(1)

NEG = ["{t}的售后太慢了，等了一周没人理", "{t}用了两天就卡顿，失望", "{t}客服态度差，再也不买了",
       "{t}发热严重，体验很糟糕"]
NEU = ["{t}今天发布了新配色", "说说{t}的使用感受", "{t}的价格大家怎么看"]


def post(topic: str, at: datetime, label: str = "negative", text: str | None = None, **kw) -> dict:
    n = next(_ids)
    body = text or (NEG if label == "negative" else NEU)[n % (len(NEG) if label == "negative" else len(NEU))]
    return {"platform": "weibo", "post_id": f"p{n}-{int(at.timestamp())}", "text": body.format(t=topic),
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
