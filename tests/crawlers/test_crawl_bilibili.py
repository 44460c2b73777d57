"""Bilibili video search + replies from the replay site into the real Elasticsearch node."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.conftest import make_cfg
from tests.support.crawling import NOW, by_id, crawl, replay, sources  # noqa: F401  (fixture)

SPIKE_VIDEO = "av113500000000000"


@pytest.fixture
def cfg(es_node, tmp_path, replay):  # noqa: F811
    return make_cfg(es_node, tmp_path, nlp={"enabled": False}, sources=sources(replay))


def test_bilibili_videos_and_replies(cli, store):
    code, rows, log = crawl(cli, "bilibili")
    assert code == 0, log
    (row,) = rows
    # -412 on one search, a 502 on a reply page, one reply without its content block
    assert row["failures"] == {"blocked": 1, "format_changed": 1, "http_5xx": 1}
    assert row["unmatched"] == 1  # 星河战队全系列盘点
    store.refresh()
    assert store.count() == row["new"] == row["items"]

    v = by_id(store, f"bilibili:{SPIKE_VIDEO}")
    assert v["title"] == "【实测】星河手机X5发热到底有多严重？原神半小时机身52度"  # <em> stripped
    assert v["topics"] == ["星河手机"] and v["comments"] == 25 and v["likes"] > 0
    assert datetime.fromisoformat(v["published_at"]) == NOW - timedelta(minutes=40)
    assert "手机" in v["tags"]

    replies = store.es.search(index=store.posts_pattern, size=200,
                              query={"term": {"parent_id": SPIKE_VIDEO}})["hits"]["hits"]
    assert len(replies) == 24  # 25 on two pages, one broken
    r = replies[0]["_source"]
    assert r["topics"] == ["星河手机"] and r["platform"] == "bilibili" and r["tags"]
    subs = store.es.search(index=store.posts_pattern, size=50, query={"prefix": {"parent_id": "rp"}})["hits"]["hits"]
    assert subs and all(s["_source"]["text"].startswith("回复 @") for s in subs)
    qinghe = store.es.count(index=store.posts_pattern, query={"term": {"topics": "青禾奶茶"}})["count"]
    assert qinghe == 3 + 6 + 2 + 2  # 3 videos, 8 replies and a sub-reply under the first of each

    # again: the first search page already holds known videos, so page 2 is not asked for
    likes = v["likes"]
    code, rows, log = crawl(cli, "bilibili")
    assert code == 0, log
    again = rows[0]
    assert again["new"] == 0 and again["updated"] == again["items"] > 0 and again["seen"] > 0
    assert again["requests"] < row["requests"]
    store.refresh()
    assert store.count() == row["new"]
    assert by_id(store, f"bilibili:{SPIKE_VIDEO}")["likes"] > likes  # counters refreshed


def test_elasticsearch_down_spools_everything(cli, es_node, tmp_path, replay):  # noqa: F811
    from pipelines.spool import spool_for
    from tests.support.crawling import other_config

    cfg, path = other_config(es_node, tmp_path, "down.yaml", nlp={"enabled": False}, sources=sources(replay),
                             elasticsearch={"hosts": ["http://127.0.0.1:9"], "max_retries": 0,
                                            "index_prefix": "tdown", "request_timeout": 2})
    code, rows, log = crawl(cli, "bilibili", config=path)
    (row,) = rows
    assert code == 0, log  # posts are safe on disk: not a failed crawl
    assert row["spooled"] == row["items"] > 40 and row["new"] == 0
    assert spool_for(cfg).backlog() == row["items"]
    assert "yuqing ingest --retry-spool" in log
