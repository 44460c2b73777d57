"""WeChat official-account articles: Sogou search → article pages, from the replay site into Elasticsearch."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.conftest import make_cfg
from tests.support.crawling import NOW, by_id, crawl, replay, sources  # noqa: F401  (fixture)


@pytest.fixture
def cfg(es_node, tmp_path, replay):  # noqa: F811
    # pseudonymise off: the test checks which account became the author
    return make_cfg(es_node, tmp_path, nlp={"enabled": False}, sources=sources(replay),
                    privacy={"pseudonymise": False, "mask_pii": True, "keep_fields": None})


def test_wechat_articles(cli, store):
    code, rows, log = crawl(cli, "wechat")
    assert code == 0, log
    (w,) = rows
    # 星河Pro gets Sogou's antispider page; one article was taken down; one deleted by its account
    assert w["failures"] == {"captcha": 1, "unavailable": 1}, log
    assert w["deleted"] == 1
    assert w["items"] == w["new"] == 4  # 3 星河手机 articles (two search pages) + 1 青禾奶茶
    store.refresh()

    # the 2025 layout: htmlDecode("…") account, msg_link, library code that re-declares `var biz`
    new = by_id(store, "wechat:MzA0ODUzNjAxOA==:2247490000:1")
    assert new["title"] == "星河手机发热门调查：我们拆了三台星河X5"
    assert new["author_name"] == "数码观察室" and new["author_id"] == "gh_5a1c0d9e2f01"  # the account is the author
    assert datetime.fromisoformat(new["published_at"]) == NOW - timedelta(minutes=70)  # from `var ct`
    assert new["url"] == "https://mp.weixin.qq.com/s/XH1sigAx" and new["topics"] == ["星河手机"]
    assert "导热硅脂涂抹不均" in new["text"] and "12315维权" in new["text"] and "<p>" not in new["text"]

    # the 2018 layout: plain `var nickname = "…"`, no msg_link: the permanent URL is built from biz/mid/idx/sn
    old = by_id(store, "wechat:MzA1ODUzNjAxOA==:2247490001:1")
    assert old["author_name"] == "消费维权笔记" and old["title"] == "星河Pro售后拒保？教你三步维权"
    assert old["url"] == "https://mp.weixin.qq.com/s?__biz=MzA1ODUzNjAxOA%3D%3D&mid=2247490001&idx=1&sn=XH2sigBy"
    assert by_id(store, "wechat:MzA5ODUzNjAxOA==:2247490005:1")["topics"] == ["青禾奶茶"]

    # a re-crawl: every article is older than the checkpoint, so no article page is opened again
    code, rows, log = crawl(cli, "wechat")
    assert code == 0, log
    assert rows[0]["new"] == 0 and rows[0]["seen"] > 0 and rows[0]["requests"] < w["requests"]
    store.refresh()
    assert store.count() == 4
