"""Weibo search + hot comments, crawled from the replay site into the real Elasticsearch node."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import yaml

from tests.conftest import make_cfg
from crawlers.spiders.weibo_dates import pc_time, weibo_time
from tests.support.crawling import NOW, by_id, crawl, other_config, replay, replay_site, sources  # noqa: F401  (fixture)
from yuqing.post import SHANGHAI, parse_time

FIRST = "5107000000007331"  # newest complaint, 12 minutes before NOW
FORMATTED_LIKES = "5107000000029324"  # attitudes_count "1.2万"
LONG = "5107000000043986"  # isLongText → statuses/extend
TRADITIONAL = "5107000000051317"  # 星河手機更新後一直重啟…
ENTITIES = "5107000000065979"  # &quot;旗舰体验&quot; … &amp;售后


@pytest.fixture
def cfg(es_node, tmp_path, replay):  # noqa: F811
    return make_cfg(es_node, tmp_path, nlp={"enabled": False}, sources=sources(replay))


def doc(store, post_id: str) -> dict:
    return by_id(store, f"weibo:{post_id}")


def test_weibo_end_to_end_and_recrawl(cli, store):
    code, rows, log = crawl(cli, "weibo")
    assert code == 0, log
    (row,) = rows
    assert row["spider"] == "weibo" and row["finish_reason"] == "finished"
    # the messy fixtures are counted, and the crawl went on past each of them
    assert row["failures"] == {"bad_json": 1, "http_403": 1, "http_429": 1, "login_page": 2}  # HTML and ok=-100
    assert row["deleted"] == 1 and row["unmatched"] == 2  # 星河战队 and 青禾小学 are excluded
    assert "parse failure login_page" in log and "cookie" in log
    assert row["new"] == row["items"] and row["updated"] == 0 and row["rejected"] == 0
    store.refresh()
    total = store.count()
    assert total == row["new"] >= 60
    by_topic = store.breakdown("topics")["topics"]
    assert by_topic["星河手机"] > by_topic["青禾奶茶"] > 10

    first = doc(store, FIRST)
    assert datetime.fromisoformat(first["published_at"]) == NOW - timedelta(minutes=12)  # stored in UTC
    assert first["topics"] == ["星河手机"] and first["author_followers"] == 12000
    assert first["text"].endswith("打不出去[怒][怒]")  # emoticon images kept as text
    assert doc(store, FORMATTED_LIKES)["likes"] == 12000
    assert "第三次直接说没有这个工单" in doc(store, LONG)["text"]
    assert doc(store, TRADITIONAL)["topics"] == ["星河手机"]
    assert '"旗舰体验"' in doc(store, ENTITIES)["text"] and "&售后" in doc(store, ENTITIES)["text"]
    assert doc(store, "5108100000000001")["topics"] == ["青禾奶茶"]  # served after one 503

    comments = store.es.search(index=store.posts_pattern, query={"exists": {"field": "parent_id"}}, size=100)
    cs = [h["_source"] for h in comments["hits"]["hits"]]
    assert len(cs) >= 15
    assert all(c["topics"] for c in cs)  # inherited from the post they answer
    assert {c["parent_id"] for c in cs} >= {FIRST}
    assert sum(c["parent_id"] == FIRST for c in cs) == 3  # two hotflow pages

    # the same crawl again: the checkpoint stops paging early, counters move, nothing duplicates
    likes_before = first["likes"]
    code, rows2, log = crawl(cli, "weibo")
    assert code == 0, log
    (again,) = rows2
    assert again["new"] == 0 and again["updated"] == again["items"] > 0
    assert again["requests"] < row["requests"]
    store.refresh()
    assert store.count() == total
    assert doc(store, FIRST)["likes"] > likes_before


def test_failures_only_exit_nonzero(cli, es_node, tmp_path, replay):  # noqa: F811
    # a topic whose only keyword hits the login wall: failures and no items
    cfg, path = other_config(es_node, tmp_path, "login.yaml", nlp={"enabled": False}, sources=sources(replay),
                             topics=[{"name": "星河手机", "keywords": ["星河X5"]}])
    code, rows, log = crawl(cli, "weibo", config=path)
    assert code == 1
    assert rows[0]["failures"] == {"login_page": 1} and rows[0]["items"] == 0 and not rows[0]["ok"]
    assert "failures only" in log


def test_bad_arguments(cli):
    p = cli("crawl", "nosuch")
    assert p.returncode == 2 and "unknown spider" in p.stderr and "weibo" in p.stderr
    p = cli("crawl", "weibo", "--topic", "不存在")
    assert p.returncode == 2 and "unknown topic" in p.stderr
    p = cli("crawl", "weibo", "--since", "yesterday-ish")
    assert p.returncode == 2 and "--since" in p.stderr


# The clocks a date bug shows at: an afternoon, both sides of midnight in Shanghai, New Year's Eve and
# the first half hour of the new year, and 29 February.
CLOCKS = {
    "afternoon": NOW,
    "before-midnight": datetime(2026, 11, 20, 23, 58, tzinfo=SHANGHAI),
    "after-midnight": datetime(2026, 11, 21, 0, 3, tzinfo=SHANGHAI),
    "new-years-eve": datetime(2026, 12, 31, 23, 55, tzinfo=SHANGHAI),
    "new-year": datetime(2027, 1, 1, 0, 30, tzinfo=SHANGHAI),
    "leap-day": datetime(2028, 2, 29, 0, 20, tzinfo=SHANGHAI),
}


@pytest.mark.parametrize("clock", list(CLOCKS.values()), ids=list(CLOCKS))
def test_pc_search_splits_full_slices(cli, cfg_file, tmp_path, store, clock):
    """With only two pages allowed per query, the 30 complaints of the last five hours still all
    arrive: full slices are halved until each fits. The replay site and the crawl share one clock,
    whatever the real date is (this test failed on 2026-12-02 when the spider read the real one)."""
    with replay_site(clock) as url:
        src = sources(url)
        src["weibo"].update(search="pc", max_pages=2, comments=False)
        raw = yaml.safe_load(cfg_file.read_text(encoding="utf-8"))  # same index prefix: the store fixture cleans up
        raw["sources"] = src
        path = tmp_path / "pc.yaml"
        path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        code, rows, log = crawl(cli, "weibo", config=path, at=clock)
    assert code == 0, log
    (row,) = rows
    # a split slice is fetched again in halves, so some posts come twice; the store keeps one each
    assert row["new"] == 40 and row["items"] == 40 + row["duplicates"] and row["unmatched"] >= 1  # 星河战队
    assert set(row["failures"]) == {"login_page"}  # 星河X5: the visitor page, once per slice
    assert row["duplicates"] > 0
    store.refresh()
    spike = store.es.count(index=store.posts_pattern, query={"range": {
        "published_at": {"gte": (clock - timedelta(hours=5)).isoformat()}}})["count"]
    assert spike == 30
    first = doc(store, FIRST)
    assert datetime.fromisoformat(first["published_at"]) == clock - timedelta(minutes=12)
    assert first["text"].endswith("[怒][怒]") and first["author_name"] and first["comments"] == 3
    assert doc(store, FORMATTED_LIKES)["likes"] == 12000


def test_since_and_topic_limit_the_crawl(cli, es_node, tmp_path, store):
    with replay_site(NOW) as url:
        raw = yaml.safe_load((tmp_path / "config.yaml").read_text(encoding="utf-8"))
        raw["sources"]["replay"] = url
        path = tmp_path / "live.yaml"
        path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        code, rows, log = crawl(cli, "weibo", "--topic", "星河手机", "--since", "30m", config=path)
    assert code == 0, log
    # 3 complaints of the last 30 minutes, the 3 comments on the newest, 星河Pro's 15-minute-old post
    assert rows[0]["items"] == rows[0]["new"] == 7
    assert rows[0]["requests"] < 12  # paging stopped at the first older post
    store.refresh()
    assert store.breakdown("topics")["topics"] == {"星河手机": 7}


def test_bad_clock(cli):
    p = cli("crawl", "weibo", "--at", "next tuesday")
    assert p.returncode == 2 and "--at" in p.stderr and "ISO" in p.stderr


def test_weibo_date_forms():
    now = datetime(2026, 11, 20, 14, 0, tzinfo=SHANGHAI)
    assert weibo_time("刚刚", now) == now
    assert weibo_time("5分钟前", now) == now - timedelta(minutes=5)
    assert weibo_time("2小时前", now) == now - timedelta(hours=2)
    assert weibo_time("昨天 23:10", now) == datetime(2026, 11, 19, 23, 10, tzinfo=SHANGHAI)
    assert weibo_time("06-27", now) == datetime(2026, 6, 27, tzinfo=SHANGHAI)
    assert parse_time(weibo_time("Tue Jun 08 09:35:04 +0800 2021", now)).isoformat() == "2021-06-08T01:35:04+00:00"
    assert pc_time("11月20日 13:45", now) == datetime(2026, 11, 20, 13, 45, tzinfo=SHANGHAI)
    assert pc_time("2023年01月02日 08:05", now) == datetime(2023, 1, 2, 8, 5, tzinfo=SHANGHAI)
    assert pc_time("今天 09:30", now) == datetime(2026, 11, 20, 9, 30, tzinfo=SHANGHAI)
    with pytest.raises(ValueError):
        weibo_time("上个月", now)
    with pytest.raises(ValueError):
        weibo_time("13-45", now)


def sh(*a) -> datetime:
    return datetime(*a, tzinfo=SHANGHAI)


@pytest.mark.parametrize("form,now,expected", [
    # a date without its year, read in the first half hour of a new year, is last year's
    ("12月31日 23:50", sh(2027, 1, 1, 0, 30), sh(2026, 12, 31, 23, 50)),
    ("12-31", sh(2027, 1, 1, 0, 30), sh(2026, 12, 31)),
    ("01-01", sh(2027, 1, 1, 0, 30), sh(2027, 1, 1)),
    ("12月31日 23:50", sh(2026, 12, 31, 23, 55), sh(2026, 12, 31, 23, 50)),
    # midnight in Shanghai (16:00 UTC): 今天/昨天 are Shanghai days, not UTC ones
    ("今天 00:01", sh(2026, 11, 21, 0, 3), sh(2026, 11, 21, 0, 1)),
    ("昨天 23:59", sh(2026, 11, 21, 0, 3), sh(2026, 11, 20, 23, 59)),
    ("今天 23:58", sh(2026, 11, 20, 23, 59), sh(2026, 11, 20, 23, 58)),
    ("今天 23:58", sh(2026, 11, 21, 0, 1), sh(2026, 11, 20, 23, 58)),  # page rendered before midnight
    ("5分钟前", sh(2026, 11, 21, 0, 3), sh(2026, 11, 20, 23, 58)),
    ("昨天 12:00", sh(2027, 1, 1, 0, 30), sh(2026, 12, 31, 12, 0)),
    # 29 February: today on a leap day, the last leap year's otherwise
    ("02-29", sh(2028, 2, 29, 0, 20), sh(2028, 2, 29)),
    ("2月29日 08:00", sh(2027, 3, 1, 9, 0), sh(2024, 2, 29, 8, 0)),
    ("02-28", sh(2028, 2, 29, 0, 20), sh(2028, 2, 28)),
    ("昨天 22:00", sh(2028, 3, 1, 0, 10), sh(2028, 2, 29, 22, 0)),
])
def test_dates_at_awkward_clocks(form, now, expected):
    parse = pc_time if "月" in form else weibo_time
    assert parse(form, now) == expected
    assert parse(form, now.astimezone(timezone.utc)) == expected  # the clock's zone does not matter


def test_future_post_is_counted_and_never_moves_the_checkpoint(cfg):
    """A post dated after the crawl is kept but counted as `future_time`, and the query's checkpoint
    stops at the crawl's own time, so the next crawl does not take a year of posts as seen."""
    from scrapy.crawler import Crawler

    from crawlers.settings import spider_settings
    from crawlers.spiders.weibo import WeiboSpider

    now = sh(2027, 1, 1, 0, 30)
    settings = spider_settings(cfg, "weibo", extra={"YUQING_NOW": now.isoformat(), "TWISTED_REACTOR": None})
    def make_spider() -> WeiboSpider:  # a spider as Scrapy builds one, without starting a reactor
        crawler = Crawler(WeiboSpider, settings)
        crawler._apply_settings()  # noqa: SLF001  (creates the stats collector)
        return WeiboSpider.from_crawler(crawler)

    spider = make_spider()
    ahead = {"post_id": "1", "text": "星河手机 又坏了", "published_at": sh(2027, 12, 31, 23, 50)}
    item, old = spider.accept(ahead, "星河手机")
    assert item is not None and not old
    assert spider.stats.get_value("yuqing/failures/future_time") == 1
    assert spider.checkpoints.advanced[("weibo", "星河手机")] == now
    spider.closed("finished")
    again = make_spider()
    assert again.since_for("星河手机") == now
    recent = {"post_id": "2", "text": "星河手机 还是坏", "published_at": sh(2027, 1, 1, 0, 20)}
    assert again.accept(recent, "星河手机")[1] is True  # older than the capped checkpoint: seen
