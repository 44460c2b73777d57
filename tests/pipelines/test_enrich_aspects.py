"""The enrich stage stores aspects (nested, with their clause's sentiment), negative_aspects and
emotions in the real node, with the mapping generated from the Post model."""
from __future__ import annotations

import json

from pipelines.build import build_pipeline
from tests.conftest import DATA, make_cfg
from tests.support.models import share_models
from yuqing.store import Store


def _doc(store, doc_id: str) -> dict:
    r = store.search(store.posts_pattern, query={"ids": {"values": [doc_id]}})
    (hit,) = r["hits"]["hits"]
    return hit["_source"]


def _ingest(cfg, store) -> None:
    pipe = build_pipeline(cfg, store=store, nlp=True)
    for line in (DATA / "sample_posts.jsonl").read_text(encoding="utf-8").splitlines():
        pipe.feed(json.loads(line))
    rep = pipe.close()
    assert not rep.rejected and not rep.errors, (rep.rejected[:3], rep.errors[:3])
    store.refresh()


def test_aspects_and_emotions_are_stored_and_queryable(cfg, store):
    share_models(cfg.home_dir)
    _ingest(cfg, store)
    mapping = store.es.indices.get_mapping(index=store.posts_pattern)
    props = next(iter(mapping.values()))["mappings"]["properties"]
    assert props["aspects"]["type"] == "nested" and props["aspects"]["properties"]["aspect"]["type"] == "keyword"
    assert props["negative_aspects"]["type"] == "keyword" and props["emotions"]["type"] == "keyword"

    doc = _doc(store, "weibo:1001")
    # "星河手机售后太差了！屏幕坏点送修一个月没消息，准备去12315投诉[怒]"
    assert "售后" in doc["negative_aspects"]
    assert {"aspect": "售后", "sentiment": "negative"}.items() <= next(
        a for a in doc["aspects"] if a["aspect"] == "售后").items()
    assert "怒" in doc["emotions"]
    # nested: negative about 售后 in the same entry, so a post negative about something else and
    # neutral about 售后 would not match
    r = store.search(store.posts_pattern, size=50, query={"nested": {"path": "aspects", "query": {"bool": {"filter": [
        {"term": {"aspects.aspect": "售后"}}, {"term": {"aspects.sentiment": "negative"}}]}}}})
    ids = {h["_id"] for h in r["hits"]["hits"]}
    assert "weibo:1001" in ids
    for h in r["hits"]["hits"]:
        assert "售后" in h["_source"]["negative_aspects"]
    r = store.search(store.posts_pattern, size=0, aggs={"a": {"terms": {"field": "negative_aspects"}}})
    assert r["aggregations"]["a"]["buckets"], "no negative aspect among the sample posts"


def test_without_a_model_aspects_are_stored_without_sentiment(es_node, tmp_path):
    cfg = make_cfg(es_node, tmp_path, nlp={"sentiment": False})
    share_models(cfg.home_dir)
    store = Store(cfg.elasticsearch)
    try:
        _ingest(cfg, store)
        doc = _doc(store, "weibo:1001")
        asp = {a["aspect"]: a for a in doc["aspects"]}
        assert "售后" in asp and "sentiment" not in asp["售后"] and asp["售后"]["text"]
        assert doc.get("negative_aspects", []) == []  # no model, no made-up negative
        assert "怒" in doc["emotions"]  # emotions need no model
    finally:
        store.drop_all()
