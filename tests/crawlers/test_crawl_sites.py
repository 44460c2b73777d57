"""JD reviews, Tieba threads and a config-described forum, from the replay site into Elasticsearch."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from crawlers.config import SourcesConfig
from tests.conftest import make_cfg
from tests.support.crawling import NOW, crawl, replay, sources  # noqa: F401  (fixture)
from yuqing.app.config import ConfigError, parse


@pytest.fixture
def cfg(es_node, tmp_path, replay):  # noqa: F811
    return make_cfg(es_node, tmp_path, nlp={"enabled": False}, sources=sources(replay))


def search(store, **term) -> list[dict]:
    (k, v), = term.items()
    r = store.es.search(index=store.posts_pattern, size=200, query={"term": {k: v}}, sort=[{"published_at": "desc"}])
    return [h["_source"] for h in r["hits"]["hits"]]


def test_jd_tieba_generic(cli, store):
    code, rows, log = crawl(cli, "jd_reviews", "tieba", "generic")
    assert code == 0, log
    jd, tieba, generic = rows
    store.refresh()

    assert jd["failures"] == {"bad_json": 1} and jd["items"] == 26  # page 3 of 星河X5 is truncated
    reviews = search(store, platform="jd")
    assert len(reviews) == 26
    newest = reviews[0]
    assert newest["topics"] == ["星河手机"] and newest["rating"] == 1.0  # the product's topic, given to its reviews
    assert datetime.fromisoformat(newest["published_at"]) == NOW - timedelta(minutes=20)  # Beijing time → UTC
    assert newest["title"] == "星河X5 12+256G" and "星河蓝" in newest["tags"]
    assert any("&nbsp;" not in r["text"] and "换货流程太麻烦了" in r["text"] for r in reviews)
    assert sum(r["topics"] == ["青禾奶茶"] for r in reviews) == 8

    assert tieba["failures"] == {"captcha": 1, "format_changed": 1}  # the ad slot among the floors is no failure
    assert tieba["deleted"] == 2  # a deleted thread and a folded floor
    floors = search(store, platform="tieba")
    thread = next(f for f in floors if f["post_id"] == "9100000001")
    assert thread["title"] == "【避雷】星河X5发热+信号差，售后还不给修" and thread.get("parent_id") is None
    assert thread["ip_location"] == "广东"  # "IP属地:广东" in the floor's tail
    replies = [f for f in floors if f.get("parent_id") == "9100000001"]
    assert len(replies) == 5 and all(r["topics"] == ["星河手机"] for r in replies)  # two pages of floors
    picture = next(f for f in replies if f["post_id"] == "910000000107")
    assert picture["text"] == "" and "点击展开" not in picture["text"]  # a picture-only floor is kept, not "deleted"
    floor2 = next(f for f in replies if f["post_id"] == "910000000102")
    assert floor2["comments"] == 3  # content.comment_num
    lzl = sorted((f for f in floors if f.get("parent_id") == "910000000102"), key=lambda f: f["post_id"])
    assert [f["text"] for f in lzl] == ["我也是，售后说软件问题让等更新", "", "回复 吧友002 :等了两周还没推送"]
    assert datetime.fromisoformat(lzl[0]["published_at"]) == NOW - timedelta(minutes=27)  # "2026-11-20 13:33", unpadded form
    assert all(f["topics"] == ["星河手机"] for f in lzl)  # floor replies inherit the thread's topics
    assert any("星河手機" in f["text"] for f in floors)  # traditional characters still match the topic
    assert len(floors) == tieba["items"] == 17  # 6 + 2 + 2 + 3 floors, 3 + 1 floor replies

    assert generic["failures"] == {"format_changed": 1, "http_5xx": 1}
    forum = search(store, platform="demo_forum")
    assert len(forum) == 5 and generic["unmatched"] == 1
    top = next(p for p in forum if p["title"].startswith("星河手机X5发烫问题汇总贴"))
    assert top["comments"] == 12000 and "请按格式回帖" in top["text"] and "来自 示例论坛" in top["text"]
    assert top["url"] == "https://bbs.example-forum.cn/thread-5001-1-1.html"
    listed_only = next(p for p in forum if p["title"].startswith("星河手机系统更新后耗电快"))
    assert listed_only["text"] == "" and listed_only["comments"] == 27  # detail page failed, list entry kept

    code, rows, log = crawl(cli, "jd_reviews", "tieba", "generic")
    assert code == 0, log  # nothing new and the same captcha again, but tieba's known threads are still there
    assert rows[1]["failures"] == {"captcha": 1} and rows[1]["items"] == 0 and rows[1]["seen"] > 0
    assert [r["new"] for r in rows] == [0, 0, 0]
    assert rows[2]["requests"] < generic["requests"]  # threads seen last time are not opened again
    assert rows[0]["updated"] == 10 + 8  # only the first page of each product, counters refreshed
    store.refresh()
    assert store.count() == 26 + 17 + 5


def test_generic_site_config_is_checked():
    ok = SourcesConfig.model_validate({"generic": {"sites": [{
        "name": "x_forum", "start_urls": ["https://x.cn/list"], "item": "li", "fields": {"title": "a::text"}}]}})
    assert ok.generic.sites[0].selector_type == "css"
    with pytest.raises(ConfigError) as e:
        parse({"sources": {"generic": {"sites": [{"name": "Bad Name", "start_urls": ["x.cn"], "item": "li",
                                                     "fields": {"author": "a::text"}, "follow": "url"}]}}})
    text = str(e.value)
    assert "sources.generic.sites.0.name" in text and "start_urls" in text
    with pytest.raises(ConfigError) as e:
        parse({"sources": {"generic": {"sites": [{"name": "ok", "start_urls": ["https://x.cn"], "item": "li",
                                                     "fields": {"author": "a::text"}}]}}})
    assert "'text' or 'title'" in str(e.value)
    with pytest.raises(ConfigError) as e:
        parse({"sources": {"defaults": {"proxies": ["10.0.0.2:3128"]}, "weibo": {"cookie_": "x"}}})
    assert "proxy URL" in str(e.value) and "did you mean 'cookie'" in str(e.value)


def test_tieba_reply_times():
    from crawlers.spiders.tieba import tieba_time

    # the floor-reply fragment writes dates without zero padding (genuine 2024 page: "2024-8-6 22:11")
    assert tieba_time("2024-8-6 22:11") == "2024-08-06 22:11"
    assert tieba_time(" 2024-12-31 9:05 ") == "2024-12-31 09:05"
    assert tieba_time("2024-02-29 00:00") == "2024-02-29 00:00"
    assert tieba_time("昨天 22:11") is None
