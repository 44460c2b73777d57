"""`yuqing ingest` against the real node: idempotent ids, rejected lines, updated counters."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from pipelines.build import build_pipeline
from tests.conftest import DATA
from yuqing.post import Post, es_fields


def lines(path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def test_ingest_twice_gives_the_same_count(cli, store):
    r1 = cli("ingest", str(DATA / "sample_posts.jsonl"), "--no-nlp")
    assert r1.returncode == 0, r1.stderr
    assert "read 24, indexed 24, updated 0, rejected 0" in r1.stdout
    store.refresh()
    assert store.count() == 24
    r2 = cli("ingest", str(DATA / "sample_posts.jsonl"), "--no-nlp")
    assert r2.returncode == 0, r2.stderr
    assert "read 24, indexed 0, updated 24, rejected 0" in r2.stdout
    store.refresh()
    assert store.count() == 24
    by = store.breakdown("platform")["platform"]
    assert by == {"weibo": 8, "bilibili": 4, "tieba": 4, "news": 4, "jd": 4}


def test_bad_lines_are_reported_with_line_numbers_and_the_rest_indexed(cli, store):
    r = cli("ingest", str(DATA / "bad_posts.jsonl"), "--no-nlp")
    assert r.returncode == 0, r.stderr
    assert "read 6, indexed 3, updated 0, rejected 3" in r.stdout
    assert "line 2: post_id: missing; published_at: missing" in r.stdout
    assert "line 4: published_at: not a date: '昨天下午'" in r.stdout
    assert "line 5: not valid JSON" in r.stdout
    store.refresh()
    assert store.count() == 3


def test_nothing_processable_exits_non_zero(cli, tmp_path):
    f = tmp_path / "junk.jsonl"
    f.write_text("{oops\n[1, 2]\n", encoding="utf-8")
    r = cli("ingest", str(f), "--no-nlp")
    assert r.returncode == 1
    assert "rejected 2" in r.stdout and "expected a JSON object, got list" in r.stdout
    r = cli("ingest", str(tmp_path / "missing.jsonl"))
    assert r.returncode == 2 and "no such file" in r.stderr


def test_stdin_ingest_and_counter_update(cli, store):
    post = {"platform": "weibo", "post_id": "5001", "text": "星河手机真不错", "published_at": "2026-11-01 10:00:00",
            "likes": "1.2万", "author_followers": "3k"}
    assert cli("ingest", "-", "--no-nlp", input=json.dumps(post, ensure_ascii=False) + "\n").returncode == 0
    post["likes"] = 15000
    post["comments"] = 7
    r = cli("ingest", "-", "--no-nlp", input=json.dumps(post, ensure_ascii=False) + "\n")
    assert "updated 1" in r.stdout
    store.refresh()
    doc = store.es.get(index=f"{store.posts_alias}-2026.11", id="weibo:5001")["_source"]
    assert doc["likes"] == 15000 and doc["comments"] == 7 and doc["author_followers"] == 3000
    assert doc["topics"] == ["星河手机"]
    # naive input is Asia/Shanghai: 10:00 +08:00 is 02:00 UTC
    assert doc["published_at"].startswith("2026-11-01T02:00:00")


def test_changed_month_does_not_duplicate(cfg, store):
    def run(published):
        pipe = build_pipeline(cfg, store=store, nlp=False)
        pipe.feed({"platform": "news", "post_id": "m1", "text": "月底发布", "published_at": published})
        return pipe.close()

    assert run("2026-10-31T23:30:00+08:00").created == 1  # 15:30 UTC on Oct 31 -> 2026.10
    store.refresh()
    r = run("2026-11-01T09:00:00+08:00")  # re-crawled with a corrected date: now November
    assert (r.created, r.updated) == (0, 1)
    store.refresh()
    assert store.count() == 1
    assert store.posts_indices() == [f"{store.posts_alias}-2026.10"]


def test_recrawl_within_refresh_interval_is_an_update(cfg, store):
    """The second write comes before the first is searchable: create→409→update, no duplicate."""
    p = {"platform": "jd", "post_id": "r1", "text": "好评", "published_at": datetime(2026, 11, 2, tzinfo=timezone.utc)}
    for _ in range(2):
        pipe = build_pipeline(cfg, store=store, nlp=False)
        pipe.feed(dict(p))
        rep = pipe.close()
    assert (rep.created, rep.updated) == (0, 1)
    store.refresh()
    assert store.count() == 1


def test_index_template_is_generated_from_the_post_model(cfg, store):
    store.setup()
    t = store.es.indices.get_index_template(name=store.posts_alias)["index_templates"][0]["index_template"]
    props = t["template"]["mappings"]["properties"]
    assert set(props) == set(Post.model_fields) == set(es_fields())
    assert props["published_at"]["type"] == "date" and props["topics"]["type"] == "keyword"
    assert props["sentiment"]["type"] == "float" and props["text"]["type"] == "text"
    assert t["template"]["mappings"]["dynamic"] == "strict"
    assert store.posts_alias in t["template"]["aliases"]


def test_retention_drops_whole_old_months(cfg, store):
    pipe = build_pipeline(cfg, store=store, nlp=False)
    for i, when in enumerate(["2025-01-15T00:00:00Z", "2026-10-15T00:00:00Z", "2026-11-15T00:00:00Z"]):
        pipe.feed({"platform": "news", "post_id": f"old{i}", "text": "x", "published_at": when})
    pipe.close()
    now = datetime(2026, 11, 25, tzinfo=timezone.utc)
    dropped = store.delete_older_than(days=60, now=now)
    assert dropped == [f"{store.posts_alias}-2025.01"]
    store.refresh()
    assert store.count() == 2


def test_bad_pseudonym_key_is_a_clear_error(cli):
    r = cli("ingest", str(DATA / "sample_posts.jsonl"), "--no-nlp", env={"YUQING_PSEUDO_KEY": "short"})
    assert r.returncode == 2
    assert "YUQING_PSEUDO_KEY" in r.stderr and "too short" in r.stderr
    assert "Traceback" not in r.stderr


def test_concurrent_writers_creating_one_month_index(cfg, store):
    """Several writers hit a month index at the moment it is created (daemon + crawl): each post is
    stored once and no writer fails on the new index's shard not being active yet."""
    from concurrent.futures import ThreadPoolExecutor

    from yuqing.store import Store

    def write(k: int):
        s = Store(cfg.elasticsearch)
        posts = [Post(platform="weibo", post_id=f"c{k}-{i}", text="星河手机", published_at="2026-03-0%dT10:00:00Z" % (i % 9 + 1))
                 for i in range(50)]
        shared = [Post(platform="weibo", post_id=f"shared-{i}", text="同一条", published_at="2026-03-05T10:00:00Z")
                  for i in range(20)]
        return s.upsert(posts + shared)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(write, range(4)))
    assert all(not r.errors and not r.unwritten for r in results), [r.errors[:2] for r in results]
    assert sum(r.created for r in results) == 4 * 50 + 20
    store.refresh()
    assert store.count() == 220
