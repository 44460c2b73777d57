"""The response's effect on the real node: before/after per platform, escalation flagged when the
topic keeps growing after the response and not when the response came on the way down."""
from __future__ import annotations

from datetime import timedelta as td

import pytest

from alerts.incidents import Incidents, Response
from dashboards.effect import data_uri, effect_chart, effect_lines, effect_report, incident_effect
from tests.support.alertdata import burst, ingest, post, utc

T = "星河手机"
R = utc(2026, 11, 22, 12, 0)  # the response


def hours(start, counts, label="negative", platform="weibo", followers=100):
    """`counts[i]` posts in the i-th hour from `start` (author-written synthetic posts)."""
    out = []
    for i, n in enumerate(counts):
        if n:
            out += burst(T, start + td(hours=i), start + td(hours=i + 1), n, label=label, platform=platform,
                         author_followers=followers)
    return out


def test_still_growing_after_the_response_is_an_escalation(cfg, store):
    ingest(cfg, store, hours(R - td(hours=6), [1, 1, 1, 1, 2, 2])            # weibo negative, before
           + hours(R - td(hours=6), [1] * 6, label="neutral")                 # weibo neutral, before
           + hours(R, [2, 3, 5, 8, 12, 16])                                   # weibo negative, after: rising
           + hours(R, [1] * 6, label="neutral")
           + hours(R, [0, 0, 1, 2, 3, 4], platform="douyin", followers=5000))  # douyin joins after
    e = effect_report(store, T, R, R + td(hours=6))
    assert e.complete and e.length == td(hours=6)
    t = e.total
    assert (t.before.posts, t.before.negative, t.after.posts, t.after.negative) == (14, 8, 62, 56)
    assert (t.early.negative, t.late.negative) == (11, 45)
    assert t.before.negative_share == pytest.approx(8 / 14) and t.after.negative_share == pytest.approx(56 / 62)
    assert t.before.mean_sentiment == pytest.approx(-0.8 * 8 / 14)
    assert t.after.reach == 52 * 100 + 10 * 5000 and t.before.reach == 14 * 100
    by = {p.platform: p for p in e.platforms}
    assert set(by) == {"weibo", "douyin"}
    assert (by["douyin"].before.posts, by["douyin"].after.posts, by["douyin"].after.reach) == (0, 10, 50000)
    assert by["weibo"].growing and by["douyin"].growing
    assert e.escalation and any("仍在上升" in r for r in e.reasons)
    assert [n for _, n, _ in e.trajectory] == [2, 2, 2, 2, 3, 3, 3, 4, 7, 11, 16, 21]
    text = "\n".join(effect_lines(e, cfg.timezone))
    assert "⚠ 升级" in text and "douyin" in text and "Wilson" in text and "回应时间 2026-11-22 20:00" in text
    png = effect_chart(e, cfg.timezone)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and data_uri(png).startswith("data:image/png;base64,iVBOR")


def test_a_response_on_the_way_down_is_not_flagged(cfg, store):
    ingest(cfg, store, hours(R - td(hours=6), [4, 8, 14, 20, 16, 12])
           + hours(R, [8, 5, 3, 2, 1, 1])
           + hours(R, [0, 2, 1, 0, 0, 0], platform="douyin"))
    e = effect_report(store, T, R, R + td(hours=7))  # seen an hour after the after window closed
    assert e.complete and (e.total.before.negative, e.total.after.negative) == (74, 23)
    assert not e.escalation and e.reasons == [] and e.total.growing == []
    assert "回应后未见继续增长" in "\n".join(effect_lines(e, cfg.timezone))


def test_a_flat_but_higher_after_is_growing_and_a_young_window_is_cut_to_equal_lengths(cfg, store):
    ingest(cfg, store, hours(R - td(hours=6), [1, 1, 1, 1, 1, 1]) + hours(R, [5, 5, 5, 5, 5, 5]))
    e = effect_report(store, T, R, R + td(hours=6))
    assert e.escalation and any("高于回应前且未回落" in r for r in e.total.growing)
    young = effect_report(store, T, R, R + td(hours=2))  # two hours after the response
    assert not young.complete and young.length == td(hours=2)
    assert (young.total.before.posts, young.total.after.posts) == (2, 10)
    assert len(young.trajectory) == 4


def test_the_incident_effect_reads_its_first_response(cfg, store):
    ingest(cfg, store, hours(R - td(hours=6), [1] * 6) + hours(R, [1, 2, 4, 6, 9, 12]))
    svc = Incidents(store, cfg)
    from alerts.alert import Alert

    inc = svc.attach(Alert(topic=T, rule="negative_spike", severity="critical", fired_at=R - td(hours=1),
                           window_start=R - td(hours=1, minutes=15), window_end=R - td(hours=1), value=30),
                     R - td(hours=1))
    assert incident_effect(store, inc, R) is None  # no response yet
    svc.respond(inc.id, Response(at=R + td(hours=2), text="补充说明", channel="weibo"), "alice", R + td(hours=2))
    inc = svc.respond(inc.id, Response(url="https://weibo.com/b/1", at=R, text="致歉", channel="weibo"), "alice",
                      R + td(hours=2))
    e = incident_effect(store, inc, R + td(hours=6), td(hours=6))
    assert e.response_at == R and e.escalation


BATTERY = ["电池鼓包", "后盖被顶起来了", "充电时发烫", "售后不给换只给修", "门店说是人为损坏", "客服让等检测报告",
           "用了不到三个月", "已经投诉到12315"]
PRICE = ["双十一降价了吗", "国补以后便宜四百", "以旧换新划算", "比上代贵了一点", "学生优惠怎么领", "分期免息",
         "京东和官网差价", "等等党又赢了"]
LAUNCH = ["新品发布会门票秒光", "黄牛加价好几百", "官网一直排队", "直播间卡成幻灯片", "抢到的晒一下",
          "线下体验店排长队", "首发配色很好看", "发布会彩蛋是联名款"]


def story(start, counts, phrases, label="negative"):
    """`counts[i]` posts of one story in the i-th hour: its headline and one of its details
    (author-written synthetic posts; some are near copies of others, as in a real story)."""
    out, k = [], 0
    for i, n in enumerate(counts):
        for j in range(n):
            k += 1
            out.append(post(T, start + td(hours=i) + td(hours=1) * j / n, label,
                            text=f"{T}X5{phrases[0]}，{phrases[k % len(phrases)]} {k}"))
    return out


def test_the_lead_event_is_compared_on_its_own(cfg, store):
    """The topic keeps growing after the response because of another story, while the story the
    incident is about fades: the topic is flagged, its lead event says it is falling."""
    from alerts.alert import Alert
    from alerts.events import find_events

    ingest(cfg, store, story(R - td(hours=6), [1, 2, 3, 5, 6, 6], BATTERY)
           + story(R, [4, 2, 1, 1, 0, 0], BATTERY)
           + story(R, [0, 1, 3, 5, 8, 11], LAUNCH, label="neutral")
           + story(R - td(hours=6), [3] * 12, PRICE, label="neutral"))  # steady talk of prices all along
    # The event as an alert over these hours names it (most negative first). Over the before window
    # alone, these posts (no tokens stored: NLP off, so bigrams) split the battery story into one
    # event per detail; see README "The effect of a response".
    [lead] = find_events(store, T, R - td(hours=6), R + td(hours=6), limit=1, order="negative")
    svc = Incidents(store, cfg)
    inc = svc.attach(Alert(topic=T, rule="negative_spike", severity="critical", fired_at=R - td(hours=1),
                           window_start=R - td(hours=1, minutes=15), window_end=R - td(hours=1), value=30,
                           events=[lead.brief()]), R - td(hours=1))
    inc = svc.respond(inc.id, Response(at=R, text="致歉并说明换机方案", channel="weibo"), "alice", R + td(hours=6))
    e = incident_effect(store, inc, R + td(hours=6), td(hours=6))
    assert e.escalation  # the topic: the launch story grows
    c = e.event.compared

    def battery(start, end):  # the story's posts, near copies once, counted by the node itself
        return store.count({"bool": {"filter": [{"match_phrase": {"text": "电池鼓包"}},
                                                {"range": {"published_at": {"gte": start.isoformat(), "lt": end.isoformat()}}}],
                                     "must_not": [{"exists": {"field": "dup_of"}}]}})

    assert (c.before.posts, c.after.posts) == (battery(R - td(hours=6), R), battery(R, R + td(hours=6)))
    assert (c.early.posts, c.late.posts) == (battery(R, R + td(hours=3)), battery(R + td(hours=3), R + td(hours=6)))
    assert c.before.posts >= 8 and c.after.posts < c.before.posts and c.late.posts < c.early.posts
    assert c.after.negative == c.after.posts and c.growing == []
    text = "\n".join(effect_lines(e, cfg.timezone))
    assert f"主要事件「{lead.title}」：{c.before.posts} → {c.after.posts} 帖，负面占比 100% → 100%，回应后未见继续增长" \
        in text, text
    lost = effect_report(store, T, R, R + td(hours=6), event={**lead.brief(), "post_ids": ["weibo:nope"]})
    assert lost.event.compared is None and "没有再找到这个事件" in "\n".join(effect_lines(lost, cfg.timezone))
    assert effect_report(store, T, R, R + td(hours=6), event={"id": "old", "title": "旧事件"}).event is None
