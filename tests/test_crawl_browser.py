"""Xiaohongshu, Douyin and Kuaishou through a real Chromium: the replay site's pages sign and make
their own API calls, the spiders capture the JSON. One crawl of all three (and a re-crawl) keeps
the browser tests together well under 90 s."""
from __future__ import annotations

import json
import urllib.request
from datetime import datetime, timedelta
from urllib.error import HTTPError

import pytest

from tests.conftest import make_cfg
from tests.crawling import NOW, by_id, crawl, replay, sources  # noqa: F401  (fixture)

BROWSERS = ("xiaohongshu",)


@pytest.fixture
def cfg(es_node, tmp_path, replay):  # noqa: F811
    src = sources(replay)
    for name in BROWSERS:
        src[name] = {"page_timeout": 5}
    return make_cfg(es_node, tmp_path, nlp={"enabled": False}, sources=src,
                    privacy={"pseudonymise": False, "mask_pii": True, "keep_fields": None})


def search(store, **term) -> list[dict]:
    (k, v), = term.items()
    r = store.es.search(index=store.posts_pattern, size=200, query={"term": {k: v}})
    return [h["_source"] for h in r["hits"]["hits"]]


def test_browser_platforms(cli, store):
    code, rows, log = crawl(cli, *BROWSERS)
    assert code == 0, log
    xhs, *_ = rows
    store.refresh()

    # Xiaohongshu: 4 notes from two search pages (the second loaded by scrolling), their comments
    # (two pages), sub-comment previews and the replies behind "展开"; a 461 and a login wall counted
    assert xhs["failures"] == {"captcha": 1, "login_page": 1}, log
    notes = [p for p in search(store, platform="xiaohongshu") if not p.get("parent_id")]
    assert len(notes) == 4
    note = by_id(store, "xiaohongshu:6740a1b2000000000201f002")
    assert "title" not in note  # an untitled note
    assert note["text"].startswith("星河手机电池鼓包了") and "#星河手机#" in note["text"]
    assert (note["likes"], note["collects"], note["comments"], note["reposts"]) >= (1203, 410, 230, 88)
    assert datetime.fromisoformat(note["published_at"]) == NOW - timedelta(minutes=95)
    assert note["author_name"] == "Kiki在上海" and note["tags"] == ["星河手机"]
    comments = [p for p in search(store, platform="xiaohongshu") if p.get("parent_id")]
    assert len(comments) == 4 + 3  # 4 comments, 3 replies (1 preview + 2 behind the button)
    hot = by_id(store, "xiaohongshu:6740b0000000000001c0a001")
    assert hot["ip_location"] == "广东" and hot["comments"] == 3 and hot["parent_id"] == "6740a1b2000000000201f001"
    assert "ip_location" not in by_id(store, "xiaohongshu:6740b0000000000001c0a002")  # older comments lack it
    reply = by_id(store, "xiaohongshu:6740b0000000000001c0b003")  # only reachable by clicking "展开"
    assert reply["parent_id"] == "6740b0000000000001c0a001" and reply["topics"] == ["星河手机"]
    assert xhs["items"] == xhs["new"] == 11
