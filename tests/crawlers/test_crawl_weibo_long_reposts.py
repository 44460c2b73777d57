"""Weibo long texts whose full text is refused, and reposts (转发), crawled from the replay site
(fixtures: crawlers/replay/fx_weibo.py) into the real Elasticsearch node."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from crawlers.pending import Pending
from crawlers.replay.server import ReplaySite, serve_in_thread
from tests.conftest import make_cfg
from tests.support.crawling import NOW, by_id, crawl, sources

LONG = "5109000000000004"  # 星河平板, page 2, statuses/extend answers 418 once
COMPLAINT = "5109100000000001"  # 星河手表 original, 3 days old, reposted twice without the keyword
ELSEWHERE = "5109100000000002"  # an original about nothing we watch
GONE = "5109100000000003"  # an original its author deleted
LONG_ORIGINAL = "5109100000000004"  # a long original, full text through statuses/extend
ANCIENT = "5109100000000005"  # an original 60 days old, beyond the look-back
REPOST_PLAIN, PLAIN, REPOST_DEFAULT, REPOST_OWN, REPOST_GONE, REPOST_LONG, REPOST_OFF, REPOST_ANCIENT = (
    f"51091000000000{k}" for k in range(11, 19))


@pytest.fixture
def site():
    s = ReplaySite(now=NOW)
    server, url = serve_in_thread(0, s)
    s.url = url
    yield s
    server.shutdown()
    server.server_close()


@pytest.fixture
def cfg(es_node, tmp_path, site):
    topics = [{"name": "星河平板", "keywords": ["星河平板"]}, {"name": "星河手表", "keywords": ["星河手表"]}]
    return make_cfg(es_node, tmp_path, nlp={"enabled": False}, sources=sources(site.url), topics=topics)


def doc(store, post_id: str) -> dict:
    return by_id(store, f"weibo:{post_id}")


def stored(store, post_id: str) -> bool:
    return store.es.count(index=store.posts_pattern, query={"ids": {"values": [f"weibo:{post_id}"]}})["count"] == 1


def test_long_post_kept_cut_off_then_completed(cli, store, site, tmp_path):
    code, rows, log = crawl(cli, "weibo", "--topic", "星河平板")
    assert code == 0, log
    (row,) = rows
    assert row["failures"] == {"http_418": 1} and row["new"] == 5  # the refused post is not lost
    store.refresh()
    cut = doc(store, LONG)
    assert cut["text_truncated"] is True and cut["topics"] == ["星河平板"]
    assert cut["text"].startswith("星河平板用了两周屏幕就出现了漏光") and "黑猫投诉" not in cut["text"]
    assert cut["author_name"] and cut["likes"] == 61
    assert store.count({"term": {"text_truncated": True}}) == 1  # every other post arrived whole
    pending = tmp_path / "home" / "checkpoints" / f"{store.cfg.index_prefix}.pending.json"
    assert list(json.loads(pending.read_text(encoding="utf-8"))["weibo"]) == [LONG]

    # Extend works again. The checkpoint stops this crawl at page 1, where the post is not: it is
    # completed because the spider asks for the full texts it is still owed.
    code, rows, log = crawl(cli, "weibo", "--topic", "星河平板")
    assert code == 0, log
    (again,) = rows
    assert again["failures"] == {} and again["new"] == 0 and again["updated"] >= 1
    assert site.hits["m.weibo.cn/search/星河平板/2.json"] == 1  # page 2 was not fetched again
    store.refresh()
    whole = doc(store, LONG)
    assert whole["text_truncated"] is False
    assert "已经在黑猫投诉提交了" in whole["text"] and whole["text"].startswith("星河平板用了两周")
    assert (whole["likes"], whole["reposts"]) == (88, 9)  # the counters statuses/extend reports
    # what the retry did not carry is kept from the first crawl
    for field in ("author_id", "author_name", "author_followers", "published_at", "url", "topics"):
        assert whole[field] == cut[field], field
    assert store.count({"term": {"text_truncated": True}}) == 0
    assert json.loads(pending.read_text(encoding="utf-8")) == {}

    code, rows, log = crawl(cli, "weibo", "--topic", "星河平板")  # nothing is owed any more
    assert code == 0, log
    assert site.hits["m.weibo.cn/extend/5109000000000004.json"] == 2  # the 418, then the full text


def test_reposts_are_judged_with_their_original(cli, store, site):
    code, rows, log = crawl(cli, "weibo", "--topic", "星河手表")
    assert code == 0, log
    (row,) = rows
    assert row["failures"] == {}
    # 9 posts: 7 reposts and posts of ours, 2 originals (one reached through two reposts)
    assert row["new"] == 9 and row["duplicates"] == 1
    assert row["deleted"] == 1 and row["unmatched"] == 2  # the landscape original, its off-topic repost
    store.refresh()

    original = doc(store, COMPLAINT)  # stored as a post of its own, although the search never listed it
    assert original["topics"] == ["星河手表"] and "repost_of" not in original
    assert datetime.fromisoformat(original["published_at"]) == NOW - timedelta(hours=72)
    assert original["reposts"] == 356 and original["author_name"]
    for rid, text in ((REPOST_PLAIN, "太真实了，转给大家看看//@"), (REPOST_DEFAULT, "转发微博")):
        r = doc(store, rid)
        assert r["text"].startswith(text) and "星河手表" not in r["text"]
        assert r["repost_of"] == COMPLAINT and r["topics"] == ["星河手表"]  # matched on the original
    reach = store.count({"term": {"repost_of": COMPLAINT}})
    assert reach == 2

    assert "repost_of" not in doc(store, PLAIN)
    assert doc(store, REPOST_OWN)["repost_of"] == ELSEWHERE and not stored(store, ELSEWHERE)
    assert doc(store, REPOST_GONE)["repost_of"] == GONE and not stored(store, GONE)
    assert not stored(store, REPOST_OFF)
    long_original = doc(store, LONG_ORIGINAL)
    assert long_original["text"].endswith("这样的健康数据谁敢信？") and long_original["text_truncated"] is False
    assert long_original["reposts"] == 49 and doc(store, REPOST_LONG)["repost_of"] == LONG_ORIGINAL
    # an original older than the look-back is not stored, but still lends its topics to today's repost
    assert doc(store, REPOST_ANCIENT)["topics"] == ["星河手表"] and not stored(store, ANCIENT)

    # the next crawl sees the reposts again: the original's counter follows the platform's
    code, rows, log = crawl(cli, "weibo", "--topic", "星河手表")
    assert code == 0, log
    assert rows[0]["new"] == 0
    store.refresh()
    assert doc(store, COMPLAINT)["reposts"] > 356
    assert store.count({"term": {"repost_of": COMPLAINT}}) == reach


def test_pending_list_merges_and_expires(tmp_path):
    path = tmp_path / "p.pending.json"
    now = datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc)  # midnight in Shanghai, New Year's Eve
    a, b = Pending(path, "weibo"), Pending(path, "weibo")
    a.add({"post_id": "1", "url": "u1", "published_at": now - timedelta(days=1), "topics": ["t"]})
    a.add({"post_id": "2", "url": "u2", "published_at": now - timedelta(days=20), "topics": ["t"]})
    b.add({"post_id": "3", "url": "u3", "published_at": now, "topics": ["t"]})
    a.save()
    b.save()  # two crawls ending together: both lists survive
    c = Pending(path, "weibo")
    assert set(c.entries) == {"1", "2", "3"} and "3" in c
    due, expired = c.due(now - timedelta(days=7))
    assert [p for p, _ in due] == ["1", "3"] and expired == ["2"]
    c.done("1")
    c.save(removals=False)  # a crawl that stopped early: its completions may not have reached the store
    assert set(json.loads(path.read_text(encoding="utf-8"))["weibo"]) == {"1", "2", "3"}
    c.done("1")
    c.done("2")
    c.save()
    assert set(json.loads(path.read_text(encoding="utf-8"))["weibo"]) == {"3"}
    path.write_text("{not json", encoding="utf-8")
    assert Pending(path, "weibo").entries == {} and path.with_suffix(".damaged").exists()
