"""Events and key voices on the real node: the author-written mixture of seven stories about one
brand (bench/eventset.py) goes through the real pipeline (tokens, keywords, near-duplicate links;
sentiment labels as written), then `find_events`, an alert check and `key_voices` read it back."""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta, timezone

from alerts.channels.email import template_env
from alerts.channels.text import chat_markdown
from alerts.engine import Engine
from alerts.events import Event, find_events, key_voices
from alerts.state_docs import StateDocs
from bench.eventset import STORIES, TOPIC, mixture
from bench.events import load, score
from tests.conftest import make_cfg

START = datetime(2026, 5, 1, tzinfo=timezone.utc)


def majority(e: Event, labels: dict[str, str]) -> tuple[str, float]:
    c = Counter(labels[i] for i in e.all_ids())
    story, k = c.most_common(1)[0]
    return story, k / e.posts


def test_stories_become_events_with_their_facts(cfg, store):
    items = mixture(START)
    labels = load(cfg, store, items)
    events = find_events(store, TOPIC, START, START + timedelta(days=1), limit=100)
    s = score(events, labels)
    assert s["majority"] / s["placed"] >= 0.95, s  # each event is one story
    assert s["recalled"] / s["story_posts"] >= 0.75, s
    # every story has an event holding most of its posts... except the least coherent ones
    found = {majority(e, labels)[0] for e in events}
    assert set(STORIES) <= found and "noise" not in found  # noise posts are lone posts, not events
    top = events[0]
    story, purity = majority(top, labels)
    battery = [it for it in items if it["story"] == "battery"]
    assert (story, purity, top.posts) == ("battery", 1.0, len(battery))  # the biggest story, whole
    assert top.negative_share == 1.0 and top.negative == len(battery)
    assert re.fullmatch(r".{1,20}…?（38 帖，负面 100%）", top.summary()), top.summary()
    assert "X5" in top.title.upper() or "鼓包" in top.title
    assert {"鼓包", "电池"} & set(top.keywords)
    first = min(battery, key=lambda it: it["published_at"])
    assert top.first_post["id"] == f"{first['platform']}:{first['post_id']}"
    assert top.first_post["platform"] == first["platform"]
    assert sum(top.platforms.values()) == top.posts and top.start <= top.end
    hours = Counter(it["published_at"][:13] for it in battery)
    assert top.peak["count"] == max(hours.values()) and top.peak["at"][:13] in {h for h, n in hours.items()
                                                                               if n == top.peak["count"]}
    followers = {(it["platform"], it["author_id"]): it["author_followers"] for it in battery}
    engagement = sum(it["likes"] + it["comments"] + it["reposts"] for it in battery)
    assert top.reach == sum(followers.values()) + engagement
    # the same window gives the same ids; positive stories rank first by posts, last by negatives
    again = find_events(store, TOPIC, START, START + timedelta(days=1), limit=100, order="negative")
    assert {e.id for e in again} == {e.id for e in events}
    assert majority(again[-1], labels)[0] in ("launch", "ambassador")
    assert [e.id for e in find_events(store, TOPIC, START, START + timedelta(days=1), limit=3)] == \
        [e.id for e in events[:3]]
    assert find_events(store, "别的专题", START, START + timedelta(days=1)) == []
    # the report lists the period's events and key voices per topic
    from dashboards.report import build_report, render_html

    html = render_html(build_report(store, [TOPIC], START + timedelta(days=1), days=1))
    assert "主要事件" in html and f"{top.title}（38 帖，负面 100%）" in html
    assert html.index(top.title) < html.index(events[1].title)
    assert "意见领袖" in html and "（假名）" in html  # every author here is below any threshold


def test_an_alert_names_the_events_behind_it(es_node, tmp_path):
    cfg = make_cfg(es_node, tmp_path, topics=[{"name": TOPIC, "keywords": [TOPIC]}])
    from yuqing.store import Store

    store = Store(cfg.elasticsearch)
    try:
        now = START + timedelta(hours=1)
        labels = load(cfg, store, mixture(START + timedelta(minutes=5), hours=0.9))
        [msg] = Engine(cfg, store, outbox=None).run_once(now, topics=[TOPIC], rules=["negative_ratio"])
        assert msg.rule == "negative_ratio" and len(msg.events) == 3
        assert msg.events[0]["posts"] == 38 and msg.events[0]["negative_share"] == 1.0
        assert all(e["negative_share"] > 0 for e in msg.events)
        assert "主要事件：" + msg.events[0]["summary"] in msg.summary
        assert "主要事件：" in chat_markdown(msg, cfg.timezone)
        env = template_env(cfg.timezone)
        for name in ("alert.txt", "alert.html"):  # the e-mail's two parts
            body = env.get_template(name).render(alert=msg, title=msg.title, facts=[], posts=[], tz=cfg.timezone,
                                                 color="#000", chart_cid=None)
            assert "主要事件：" + msg.events[0]["summary"] in body, name
        [doc] = StateDocs(store).alerts(topic=TOPIC)
        assert [e["id"] for e in doc["events"]] == [e["id"] for e in msg.events]
        ids = {e.id: e for e in find_events(store, TOPIC, msg.window_start, msg.window_end, limit=100)}
        assert all(Counter(labels[i] for i in ids[e["id"]].all_ids()).most_common(1)[0][0] != "noise"
                   for e in msg.events)
    finally:
        store.drop_all()


def test_key_voices_rank_by_reach_and_name_only_public_accounts(es_node, tmp_path):
    cfg = make_cfg(es_node, tmp_path, privacy={"local_key": True, "public_followers": 100_000})
    from yuqing.store import Store

    store = Store(cfg.elasticsearch)
    at = (START + timedelta(minutes=10)).isoformat()

    def post(pid, name, followers, label, likes, text, author=None):
        return {"platform": "weibo", "post_id": pid, "text": text, "published_at": at, "topics": [TOPIC],
                "author_id": author or f"id-{name}", "author_name": name, "author_followers": followers,
                "likes": likes, "comments": 0, "reposts": 0, "sentiment_label": label,
                "sentiment": {"negative": -0.8, "positive": 0.6, "neutral": 0.0}[label], "story": "x"}

    try:
        load(cfg, store, [
            post("m1", "数码日报", 2_000_000, "negative", 50, "星河X5电池鼓包问题调查"),
            post("m2", "数码日报", 2_000_000, "neutral", 10, "星河回应X5电池鼓包"),
            post("m3", "数码日报", 2_000_000, "negative", 0, "星河X5鼓包用户维权"),
            post("s1", "张小花", 800, "negative", 5000, "我的星河X5电池也鼓包了，后盖顶起来"),
            post("s2", "李四", 99_999, "positive", 1, "星河X5用着挺好"),
        ])
        voices = key_voices(store, TOPIC, START, START + timedelta(hours=1))
        assert [v.posts for v in voices] == [3, 1, 1]
        media, small, below = voices
        assert (media.name, media.public, media.followers, media.engagement) == ("数码日报", True, 2_000_000, 60)
        assert media.reach == 2_000_000 * 61 and media.stance_label == "负面"
        assert media.stance == round((-0.8 + 0.0 - 0.8) / 3, 4)
        # below the threshold: the keyed pseudonym, never the name
        assert not small.public and re.fullmatch(r"网友[0-9a-f]{8}", small.name) and small.reach == 800 * 5001
        assert not below.public and below.name != "李四" and below.stance_label == "正面"
        event = find_events(store, TOPIC, START, START + timedelta(hours=1), min_posts=1, limit=10)
        battery = next(e for e in event if e.posts >= 3)
        in_event = key_voices(store, TOPIC, START, START + timedelta(hours=1), event=battery, n=1)
        assert [v.name for v in in_event] == ["数码日报"]
    finally:
        store.drop_all()


def test_the_cli_lists_a_topics_events_and_voices(cfg, store, cli):
    import json

    load(cfg, store, mixture(START))
    since, until = "2026-05-01T08:00:00", "2026-05-02T08:00:00"  # Asia/Shanghai: the mixture's 24 hours
    r = cli("alerts", "events", "--topic", TOPIC, "--since", since, "--until", until, "-n", "3", "--voices", "2", "--json")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["type"] for x in lines] == ["event"] * 3 + ["voice"] * 2
    assert lines[0]["posts"] == 38 and lines[0]["title"] == "又一台星河X5电池鼓包"
    assert all(re.fullmatch(r"网友[0-9a-f]{8}", x["name"]) and not x["public"] for x in lines[3:])
    r = cli("alerts", "events", "--topic", TOPIC, "--since", since, "--until", until, "-n", "1")
    assert r.returncode == 0 and r.stdout.startswith("1. 又一台星河X5电池鼓包（38 帖，负面 100%）  首发 05-01"), r.stdout
    r = cli("alerts", "events", "--topic", "没有的专题")
    assert r.returncode == 2 and "unknown topic '没有的专题'" in r.stderr
