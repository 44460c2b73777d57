"""Aspect and emotion measures of the alert rules, and "主要负面方面" in the alert text, against the
real node (posts carry their aspects and emotions as the enrich stage would have stored them)."""
from __future__ import annotations

import re
from datetime import timedelta as td

import pytest

from alerts.engine import Engine, flatten
from tests.conftest import make_cfg
from tests.support.alertdata import burst, every, ingest, utc
from yuqing.app.config import ConfigError
from yuqing.store import Store

T = "星河手机"
NOW = utc(2026, 11, 20, 6, 0)


def rules(**over) -> dict:
    off = {r: {"enabled": False} for r in ("negative_spike", "negative_ratio", "volume_spike", "keyword", "influencer")}
    return {"rules": {**off, **over}}


def fired(cfg, rule: str):
    store = Store(cfg.elasticsearch)
    msgs = flatten(Engine(cfg, store, outbox=None).run_once(NOW, topics=[T]))
    return [a for a in msgs if a.rule == rule]


def with_aspect(posts: list[dict], aspect: str) -> list[dict]:
    for p in posts:
        p["aspects"] = [{"aspect": aspect, "sentiment": "negative", "score": -0.8, "text": "…"}]
        p["negative_aspects"] = [aspect]
    return posts


@pytest.fixture
def cleanup():
    made = []
    yield made.append
    for cfg in made:
        Store(cfg.elasticsearch).drop_all()


def test_spike_on_one_aspect_counts_only_posts_negative_about_it(es_node, tmp_path, cleanup):
    cfg = make_cfg(es_node, tmp_path, alerts=rules(negative_spike={"aspect": "售后", "min_count": 5}))
    cleanup(cfg)
    store = Store(cfg.elasticsearch)
    items = with_aspect(every(T, NOW - td(days=3), NOW, td(minutes=7.5)), "质量")  # steady complaints on 质量
    items += with_aspect(burst(T, NOW - td(minutes=14), NOW - td(minutes=1), 12), "售后")
    ingest(cfg, store, items)
    (a,) = fired(cfg, "negative_spike")
    assert a.value == 12  # the 售后 posts only, not the 质量 ones in the same window
    assert "（对售后负面）" in a.summary
    assert list(a.negative_aspects) == ["售后", "质量"]
    assert re.search(r"主要负面方面：售后 8\d %、质量 1\d %。", a.summary), a.summary
    # the same stream measured on 质量 is steady: no alert
    cfg2 = cfg.model_copy(update={"alerts": make_cfg(es_node, tmp_path, alerts=rules(
        negative_spike={"aspect": "质量", "min_count": 5})).alerts})
    assert fired(cfg2, "negative_spike") == []


@pytest.mark.parametrize("measure, emotion, words", [("anger", "怒", "带愤怒情绪的"), ("disgust", "恶", "带厌恶情绪的")])
def test_ratio_measures_the_anger_or_disgust_share(es_node, tmp_path, cleanup, measure, emotion, words):
    cfg = make_cfg(es_node, tmp_path, alerts=rules(negative_ratio={"measure": measure, "threshold": 0.3,
                                                                    "min_volume": 10}))
    cleanup(cfg)
    items = burst(T, NOW - td(minutes=50), NOW - td(minutes=1), 20, label="neutral")
    for p in items[:8]:
        p["emotions"] = [emotion]
    ingest(cfg, Store(cfg.elasticsearch), items)
    (a,) = fired(cfg, "negative_ratio")  # no post is negative: only the emotion measure can fire
    assert a.value == 0.4
    assert f"其中{words} 8 条，{words}占比 40%" in a.summary


def test_ratio_measures_the_share_negative_about_an_aspect(es_node, tmp_path, cleanup):
    cfg = make_cfg(es_node, tmp_path, alerts=rules(negative_ratio={"measure": "aspect", "aspect": "物流",
                                                                    "threshold": 0.25, "min_volume": 10}))
    cleanup(cfg)
    items = burst(T, NOW - td(minutes=50), NOW - td(minutes=1), 20, label="neutral")
    with_aspect(items[:6], "物流")
    ingest(cfg, Store(cfg.elasticsearch), items)
    (a,) = fired(cfg, "negative_ratio")
    assert a.value == 0.3 and "对物流负面的 6 条" in a.summary and "主要负面方面：物流 100 %。" in a.summary


def test_an_anger_surge_fires_the_spike_rule(es_node, tmp_path, cleanup):
    cfg = make_cfg(es_node, tmp_path, alerts=rules(negative_spike={"emotion": "怒", "min_count": 5}))
    cleanup(cfg)
    items = every(T, NOW - td(days=2), NOW, td(minutes=7.5))  # negative, without anger
    angry = burst(T, NOW - td(minutes=14), NOW - td(minutes=1), 8)
    for p in angry:
        p["emotions"] = ["怒", "恶"]
    ingest(cfg, Store(cfg.elasticsearch), items + angry)
    (a,) = fired(cfg, "negative_spike")
    assert a.value == 8 and "（带怒情绪）" in a.summary


@pytest.mark.parametrize("rule, keys, message", [
    ("negative_ratio", {"measure": "aspect"}, "measure: aspect needs the aspect to measure, e.g. aspect: 售后"),
    ("negative_ratio", {"aspect": "质量"}, "aspect: 质量 is only read with measure: aspect"),
    ("negative_ratio", {"measure": "fury"}, "anger"),
    ("negative_spike", {"emotion": "angry"}, "'乐', '好', '怒'"),
])
def test_bad_measure_config_is_refused_with_the_key(es_node, tmp_path, rule, keys, message):
    with pytest.raises(ConfigError) as e:
        make_cfg(es_node, tmp_path, alerts={"rules": {rule: keys}})
    assert message in str(e.value) and f"alerts.rules.{rule}" in str(e.value)


def test_existing_measure_keys_still_work(es_node, tmp_path):
    cfg = make_cfg(es_node, tmp_path, alerts={"rules": {"negative_spike": {"measure": "weighted"},
                                                        "negative_ratio": {"threshold": 0.6}}})
    assert cfg.alerts.rules.negative_spike.match() == {} and cfg.alerts.rules.negative_ratio.measure == "negative"


def test_an_aspect_no_dictionary_names_is_a_config_warning(es_node, tmp_path):
    from yuqing.app.config import config_warnings

    cfg = make_cfg(es_node, tmp_path, alerts={"rules": {"negative_ratio": {"measure": "aspect", "aspect": "售后服务"}}})
    (w,) = [w for w in config_warnings(cfg) if "aspect" in w]
    assert w.startswith("alerts.rules.negative_ratio.aspect: '售后服务' is not an aspect") and "did you mean '售后'" in w
    ok = make_cfg(es_node, tmp_path, alerts={"rules": {"negative_spike": {"aspect": "门店"}}},
                  nlp={"aspect_terms": {"门店": ["店员"]}})
    assert not [w for w in config_warnings(ok) if "aspect" in w]
