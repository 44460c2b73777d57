"""The response's effect on the real node: before/after per platform, escalation flagged when the
topic keeps growing after the response and not when the response came on the way down."""
from __future__ import annotations

from datetime import timedelta as td

import pytest

from alerts.incidents import Incidents, Response
from dashboards.effect import data_uri, effect_chart, effect_lines, effect_report, incident_effect
from tests.support.alertdata import burst, ingest, utc

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
