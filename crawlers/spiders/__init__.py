"""Spider registry: the names `yuqing crawl` accepts, mapped to their classes (imported on use)."""
from __future__ import annotations

import importlib

SPIDERS = {
    "weibo": "crawlers.spiders.weibo:WeiboSpider",
    "bilibili": "crawlers.spiders.bilibili:BilibiliSpider",
    "news": "crawlers.spiders.news:NewsSpider",
    "jd_reviews": "crawlers.spiders.jd:JdReviewsSpider",
    "tieba": "crawlers.spiders.tieba:TiebaSpider",
    "wechat": "crawlers.spiders.wechat:WechatSpider",
    "xiaohongshu": "crawlers.spiders.xiaohongshu:XiaohongshuSpider",
    "douyin": "crawlers.spiders.douyin:DouyinSpider",
    "kuaishou": "crawlers.spiders.kuaishou:KuaishouSpider",
    "generic": "crawlers.spiders.generic:GenericSpider",
}


def available() -> list[str]:
    out = []
    for name, ref in SPIDERS.items():
        try:
            load(name)
        except ImportError:
            continue
        out.append(name)
    return out


def load(name: str):
    if name not in SPIDERS:
        raise KeyError(f"unknown spider {name!r}; known: {', '.join(SPIDERS)}")
    mod, cls = SPIDERS[name].split(":")
    return getattr(importlib.import_module(mod), cls)
