"""The non-spike rules through their contract `evaluate(store, topic, now)`, on the real node."""
from __future__ import annotations

from datetime import timedelta as td

from alerts.config import InfluencerRule, KeywordRule, RatioRule
from alerts.rules import build_rules
from alerts.rules.base import Context
from alerts.rules.influencer import Influencer
from alerts.rules.keyword import Keyword
from alerts.rules.ratio import NegativeRatio
from tests.support.alertdata import burst, ingest, post, utc

T = "青禾奶茶"
NOW = utc(2026, 11, 21, 4, 0)
CTX = Context(kibana_url="http://kibana.local:5601")


def test_keyword_fires_on_enough_negative_posts_naming_a_term(cfg, store):
    ingest(cfg, store, [
        post(T, NOW - td(minutes=9), text="青禾奶茶喝出异物，已经向12315投诉"),
        post(T, NOW - td(minutes=5), text="青禾奶茶门店卫生太差，准备投诉"),
        post(T, NOW - td(minutes=20), text="青禾奶茶假货泛滥要曝光"),  # outside the 15-minute window
        post(T, NOW - td(minutes=3), label="positive", text="青禾奶茶新品好喝，没什么可投诉的"),
    ])
    rule = Keyword(KeywordRule(terms=["投诉", "曝光"], min_count=2), CTX)
    [a] = rule.evaluate(store, T, NOW)
    assert (a.rule, a.value, a.threshold, a.top_keywords) == ("keyword", 2, 2, ["投诉"])
    assert "投诉(2)" in a.summary and a.title.endswith("负面敏感词")
    assert Keyword(KeywordRule(terms=["投诉"], min_count=3), CTX).evaluate(store, T, NOW) == []


def test_influencer_fires_on_a_big_account_or_fast_engagement(cfg, store):
    ingest(cfg, store, [
        post(T, NOW - td(minutes=30), author_followers="23万", author_name="美食博主A",
             text="青禾奶茶这次让我很失望"),
        post(T, NOW - td(minutes=40), author_followers=500, likes=800, comments=300, reposts=100,
             text="青禾奶茶排队两小时还做错单"),
        post(T, NOW - td(minutes=20), label="positive", author_followers=900_000, text="青禾奶茶真好喝"),
    ])
    rule = Influencer(InfluencerRule(min_followers=100_000, min_engagement=1000), CTX)
    [a] = rule.evaluate(store, T, NOW)
    assert a.value == 230_000 and a.threshold == 100_000 and a.severity == "warning"
    assert {p.excerpt for p in a.top_posts} == {"青禾奶茶这次让我很失望", "青禾奶茶排队两小时还做错单"}
    assert Influencer(InfluencerRule(min_followers=10**6, min_engagement=5000), CTX).evaluate(store, T, NOW) == []


def test_negative_ratio_needs_volume_before_a_share_means_anything(cfg, store):
    ingest(cfg, store, burst(T, NOW - td(minutes=50), NOW, 8))  # 8 of 8 negative, but only 8 posts
    rule = NegativeRatio(RatioRule(threshold=0.5, min_volume=30), CTX)
    assert rule.evaluate(store, T, NOW) == []
    ingest(cfg, store, burst(T, NOW - td(minutes=50), NOW, 14) + burst(T, NOW - td(minutes=50), NOW, 12, "neutral"))
    [a] = rule.evaluate(store, T, NOW)
    assert a.value == round(22 / 34, 4) and a.severity == "warning" and "负面占比 65%" in a.summary


def test_per_topic_overrides_reach_the_rules(es_node, tmp_path):
    from tests.conftest import make_cfg

    cfg = make_cfg(es_node, tmp_path, alerts={"topics": {T: {"negative_spike": {"min_count": 4},
                                                             "influencer": {"enabled": False}}}})
    rules = {r.name: r for r in build_rules(cfg, T)}
    assert rules["negative_spike"].p.min_count == 4 and "influencer" not in rules
    others = {r.name: r for r in build_rules(cfg, "星河手机")}
    assert others["negative_spike"].p.min_count == 10 and "influencer" in others


def test_weighted_spike_counts_reach_not_just_posts(cfg, store):
    from alerts.config import SpikeRule
    from alerts.rules.spike import NegativeSpike
    from tests.support.alertdata import every

    # 4 negative posts per 15 minutes for a day; now 6 more, each with 500 likes.
    ingest(cfg, store, every(T, NOW - td(days=1), NOW, td(minutes=3.75))
           + burst(T, NOW - td(minutes=12), NOW - td(minutes=1), 6, likes=500))
    assert NegativeSpike(SpikeRule(), CTX).evaluate(store, T, NOW) == []  # 10 posts against a threshold of 12
    [a] = NegativeSpike(SpikeRule(measure="weighted"), CTX).evaluate(store, T, NOW)
    # each post: 1 + likes/100 + followers/10000 → background 4 x 1.02, spike posts 1 + 5 + 0.01 each
    assert a.value == 40.14 and a.baseline == 4.08 and "帖子 10 条" in a.summary


def test_a_slow_build_up_on_a_small_topic_is_caught_by_the_slow_window(cfg, store):
    from alerts.config import SpikeRule
    from alerts.rules.spike import NegativeSpike
    from tests.support.alertdata import every

    # A complaint every six hours for a week, then one every ten minutes for two hours:
    # never more than two in any 15 minutes, but 12 in two hours against a usual 0 or 1.
    ingest(cfg, store, every(T, NOW - td(days=7), NOW - td(hours=2), td(hours=6))
           + every(T, NOW - td(minutes=114), NOW, td(minutes=10)))
    assert NegativeSpike(SpikeRule(slow_windows=[]), CTX).evaluate(store, T, NOW) == []
    [a] = NegativeSpike(SpikeRule(), CTX).evaluate(store, T, NOW)
    assert (a.window_end - a.window_start, a.value, a.baseline) == (td(hours=2), 12, 0)
    assert "11月21日 10:00–12:00（北京时间）" in a.summary
    # Over: nothing in the last 15 minutes. The two hours still hold 11, but that is the past.
    assert NegativeSpike(SpikeRule(), CTX).evaluate(store, T, NOW + td(minutes=12)) == []
