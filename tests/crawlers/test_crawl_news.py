"""News feeds (RSS 2.0 and Atom) and article main text, from the replay site into Elasticsearch."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.conftest import make_cfg
from tests.support.crawling import NOW, crawl, replay, sources  # noqa: F401  (fixture)


@pytest.fixture
def cfg(es_node, tmp_path, replay):  # noqa: F811
    return make_cfg(es_node, tmp_path, nlp={"enabled": False}, sources=sources(replay))


def titled(store, title: str) -> dict:
    hits = store.es.search(index=store.posts_pattern, query={"term": {"title.raw": title}})["hits"]["hits"]
    assert len(hits) == 1, title
    return hits[0]["_source"]


def test_news_feeds_and_articles(cli, store):
    code, rows, log = crawl(cli, "news")
    assert code == 0, log
    (row,) = rows
    assert row["failures"] == {"captcha": 1, "http_404": 1}, (row, log)  # both entries still stored from the feed
    assert row["unmatched"] == 1 and row["items"] == row["new"] == 6
    store.refresh()

    heat = titled(store, "多地消费者集中投诉星河手机发热、信号差 官方称将推送修复补丁")
    assert "一周内推送修复补丁" in heat["text"]  # the article's main text, not the feed summary
    assert "京ICP备" not in heat["text"] and "热门推荐" not in heat["text"]  # boilerplate left out
    assert heat["topics"] == ["星河手机"] and heat["platform"] == "news" and heat["tags"] == ["科技快讯"]
    assert heat["url"] == "https://news.example.com.cn/2026/xinghe-heat.html"
    assert datetime.fromisoformat(heat["published_at"]) == NOW - timedelta(minutes=55)  # RFC 822 +0800 → UTC

    gone = titled(store, "星河手机回应“电池鼓包”：个别现象")
    assert gone["topics"] == ["星河手机"]
    captcha = titled(store, "星河手机售后调查：维修等待期长达一个月")
    assert captcha["text"].startswith("本刊收到多起") and captcha["author_name"]  # pseudonymised by privacy
    atom = titled(store, "青禾奶茶&博物馆联名杯套一上线即售罄")
    assert atom["topics"] == ["青禾奶茶"] and "第二批杯套" in atom["text"]

    # again: every entry is at or before its feed's checkpoint, so no article is fetched
    code, rows, log = crawl(cli, "news")
    assert code == 0, log
    assert rows[0]["items"] == 0 and rows[0]["failures"] == {}
    assert rows[0]["requests"] <= 3  # robots.txt and the two feeds
