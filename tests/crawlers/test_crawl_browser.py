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
from tests.support.crawling import NOW, by_id, crawl, replay, sources  # noqa: F401  (fixture)

BROWSERS = ("xiaohongshu", "douyin", "kuaishou")


@pytest.fixture
def cfg(es_node, tmp_path, replay):  # noqa: F811
    src = sources(replay)
    for name in BROWSERS:
        src[name] = {"page_timeout": 15}  # only a missing call waits this long; none is expected
    return make_cfg(es_node, tmp_path, nlp={"enabled": False}, sources=src,
                    privacy={"pseudonymise": False, "mask_pii": True, "keep_fields": None})


def search(store, **term) -> list[dict]:
    (k, v), = term.items()
    r = store.es.search(index=store.posts_pattern, size=200, query={"term": {k: v}})
    return [h["_source"] for h in r["hits"]["hits"]]


def test_browser_platforms(cli, store, replay):  # noqa: F811
    code, rows, log = crawl(cli, *BROWSERS)
    assert code == 0, log
    xhs, dy, ks = rows
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

    # Douyin: 3 videos from two search pages, 5 comments (two pages for the first video); the third
    # video's page is the verify page: counted, and the video as the search showed it is kept
    assert dy["failures"] == {"captcha": 1}, log
    videos = [p for p in search(store, platform="douyin") if not p.get("parent_id")]
    assert len(videos) == 4 and dy["items"] == 4 + 5
    v = by_id(store, "douyin:7601000000000000001")
    assert v["title"] == "星河X5发热实测" and v["text"].startswith("星河X5发热实测 打游戏") and "手机测评" in v["tags"]
    assert v["likes"] >= 2816 and v["collects"] >= 711 and v["reposts"] >= 120 and "author_followers" not in v
    c = by_id(store, "douyin:7603286382429717001")
    assert c["parent_id"] == "7601000000000000001" and c["ip_location"] == "河南" and c["comments"] == 2
    assert "ip_location" not in by_id(store, "douyin:7603286382429717003")  # ip_label "" is no location
    assert by_id(store, "douyin:7601000000000000011")["topics"] == ["青禾奶茶"]
    assert by_id(store, "douyin:7601000000000000003")["text"] == "星河Pro开箱 颜值还行 #星河Pro"  # behind the verify page

    # Kuaishou (unverified format): 2 videos, 3 comments + 1 sub-comment; 400002 is a captcha
    assert ks["failures"] == {"captcha": 1}, log
    k = by_id(store, "kuaishou:3xk7a1b2c3d4e5f1")
    assert k["likes"] == 12000 and k["text"].startswith("星河手机真的烫") and "title" not in k
    assert by_id(store, "kuaishou:812000000101")["parent_id"] == "812000000001"
    assert ks["items"] == 2 + 4

    # a caller that bypasses the page (no cookie, no signature) is refused; so is a browser whose
    # user agent says HeadlessChrome (Playwright's default): the crawl above only worked because
    # the spiders' contexts override it
    req = urllib.request.Request(f"{replay}/edith.xiaohongshu.com/api/sns/web/v1/search/notes", method="POST",
                                 data=json.dumps({"keyword": "星河手机", "page": 1}).encode(),
                                 headers={"Content-Type": "application/json"})
    with pytest.raises(HTTPError) as refused:
        urllib.request.urlopen(req, timeout=10)
    assert refused.value.code == 406

    # a re-crawl adds nothing and refreshes the counters
    first_likes = note["likes"]
    code, rows, log = crawl(cli, *BROWSERS)
    assert code == 0, log
    assert [r["new"] for r in rows] == [0, 0, 0] and all(r["updated"] > 0 for r in rows), rows
    store.refresh()
    assert store.count() == 11 + 9 + 6
    assert by_id(store, "xiaohongshu:6740a1b2000000000201f002")["likes"] > first_likes


def test_browser_missing_and_accounts(tmp_path):
    from crawlers import browser
    from crawlers.config import SourcesConfig
    from yuqing.app.config import ConfigError, parse

    src = SourcesConfig.model_validate({"douyin": {"chromium": str(tmp_path / "no-chromium")}}).douyin
    assert browser.unavailable(src).startswith("not available: install chromium")  # what the demo prints
    assert browser.unavailable(SourcesConfig().douyin) is None  # /usr/bin/chromium is installed here
    cfg = parse({"sources": {"douyin": {"chromium": str(tmp_path / "no-chromium")}}})
    assert list(browser.not_available(cfg, ["weibo", "douyin", "xiaohongshu"])) == ["douyin"]

    state = tmp_path / "xhs.json"
    src = SourcesConfig.model_validate({"xiaohongshu": {"accounts": [
        {"name": "main", "storage_state": str(state)}]}}).xiaohongshu
    with pytest.raises(ValueError, match=r"accounts\.0\.storage_state: .*does not exist"):
        browser.context_options(src, "main", "UA")
    state.write_text(json.dumps({"cookies": [{"name": "a1", "value": "x", "domain": ".xiaohongshu.com", "path": "/"}],
                                 "origins": []}))
    opts = browser.context_options(src, "main", "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0")
    assert opts["storage_state"] == str(state) and "Headless" not in opts["user_agent"]
    s = browser.settings(src, SourcesConfig().politeness("xiaohongshu"), zero_delay=False)
    assert s["PLAYWRIGHT_CONTEXTS"].keys() == {"main"} and s["PLAYWRIGHT_MAX_PAGES_PER_CONTEXT"] == 1
    assert s["PLAYWRIGHT_LAUNCH_OPTIONS"]["executable_path"].endswith("chromium") and s["YUQING_BROWSER_PROBLEM"] is None
    assert SourcesConfig().politeness("douyin").download_delay == 5.0  # seconds between pages by default

    with pytest.raises(ConfigError) as e:  # a password has no place: only a storage_state path
        parse({"sources": {"douyin": {"accounts": [{"name": "a", "password": "x"}]}}})
    assert "sources.douyin.accounts.0" in str(e.value)


def test_configured_needs_an_account_or_the_replay_site(tmp_path):
    from crawlers.run import configured
    from yuqing.app.config import parse

    state = tmp_path / "s.json"
    state.write_text('{"cookies": [], "origins": []}')
    cfg = parse({"sources": {"douyin": {"accounts": [{"name": "a", "storage_state": str(state)}]}}})
    names = configured(cfg)
    assert "douyin" in names and "xiaohongshu" not in names and "kuaishou" not in names and "wechat" in names
    assert {"xiaohongshu", "douyin", "kuaishou"} <= set(configured(parse({"sources": {"replay": "http://127.0.0.1:1"}})))
