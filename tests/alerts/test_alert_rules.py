"""Alert rules, noise control and state against the real node, with posts written through the
pipeline (NLP off, explicit sentiment labels). Times are fixed in the past and injected, so
nothing here depends on the wall clock."""
from __future__ import annotations

import json
from datetime import timedelta as td

import pytest

from alerts.engine import Engine, as_line, flatten
from alerts.state_docs import StateDocs
from tests.support.alertdata import burst, every, ingest, post, utc
from tests.conftest import make_cfg, write_cfg
from yuqing.store import Store

T = "星河手机"
NOW = utc(2026, 11, 20, 6, 0)  # 14:00 in Shanghai


def background(start, end, neg=td(minutes=7.5), neu=td(minutes=3.75)):
    """Steady chatter: 2 negative and 4 neutral posts every 15 minutes."""
    return every(T, start, end, neg) + every(T, start, end, neu, "neutral")


def engine(cfg, store=None):
    return Engine(cfg, store or Store(cfg.elasticsearch), outbox=None)


def kinds(msgs):
    return [(a.kind, a.rule) for a in flatten(msgs)]


def test_steady_background_with_quiet_nights_raises_nothing(cfg, store):
    # Four days of a daily rhythm: busy days, quiet nights (Shanghai time), never an event.
    items = []
    day = NOW - td(days=4)
    while day < NOW + td(hours=1):
        h = day.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).hour
        busy = 8 <= h < 23
        items += background(day, day + td(hours=1), neg=td(minutes=3.75 if busy else 15),
                            neu=td(minutes=1.875 if busy else 7.5))
        day += td(hours=1)
    ingest(cfg, store, items)
    eng = engine(cfg, store)
    raised = []
    for h in range(0, 48, 2):  # every other hour over the last two days, day/night transitions included
        raised += eng.run_once(NOW - td(hours=h), topics=[T])
    assert raised == []


def test_three_negative_posts_at_night_on_a_quiet_topic_raise_nothing(cli, cfg, store, tmp_path):
    night = utc(2026, 11, 19, 18, 0)  # 02:00 in Shanghai; nothing before it at all
    f = tmp_path / "night.jsonl"
    f.write_text("".join(json.dumps(post(T, night + td(minutes=3 * i)), ensure_ascii=False) + "\n" for i in range(3)),
                 encoding="utf-8")
    r = cli("ingest", str(f), "--no-nlp")
    assert r.returncode == 0 and "indexed 3" in r.stdout, r.stdout + r.stderr
    r = cli("alerts", "check", "--at", (night + td(minutes=10)).isoformat(), "--no-deliver")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "no alerts"


def test_spike_alerts_once_cools_down_escalates_recovers_and_survives_a_restart(es_node, tmp_path, cli):
    # volume_spike and negative_surprise off: their own episodes would interleave and blur the story.
    cfg = make_cfg(es_node, tmp_path, alerts={"recover_after": "10m", "rules": {
        "volume_spike": {"enabled": False}, "negative_surprise": {"enabled": False}}})
    store = Store(cfg.elasticsearch)
    try:
        ingest(cfg, store, background(NOW - td(days=3), NOW + td(hours=2)))
        ingest(cfg, store, burst(T, NOW - td(minutes=10), NOW, 30))

        first = engine(cfg, store).run_once(NOW, topics=[T])
        assert len(first) == 1  # one message, even though two rules fired
        a = first[0]
        assert (a.kind, a.rule, a.severity) == ("alert", "negative_spike", "critical")
        assert a.value >= 30 and a.baseline == 2 and a.threshold == 10
        assert [r.rule for r in a.related] == ["negative_ratio"]
        assert a.title.startswith("【严重】星河手机 负面声量激增")
        assert "北京时间" in a.summary and "13:45–14:00" in a.summary
        assert len(a.top_posts) == 5 and all(p.excerpt.startswith(T) for p in a.top_posts)
        assert "2026-11-20T05:45:00.000Z" in a.kibana_url and "%E6%98%9F%E6%B2%B3" in a.kibana_url

        # A restart: a new process with a new store client reads state from Elasticsearch.
        write_cfg(cfg, tmp_path / "config.yaml")
        r = cli("alerts", "check", "--at", (NOW + td(minutes=1)).isoformat(), "--json", "--no-deliver")
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == ""
        assert engine(cfg).run_once(NOW + td(minutes=2), topics=[T]) == []  # cooldown

        ingest(cfg, store, burst(T, NOW, NOW + td(minutes=2), 60))  # it doubles again
        esc = engine(cfg).run_once(NOW + td(minutes=3), topics=[T])
        assert len(esc) == 1 and esc[0].kind == "escalation" and esc[0].rule == "negative_spike"
        assert esc[0].value >= 2 * a.value and esc[0].title.startswith("【升级】")
        assert engine(cfg).run_once(NOW + td(minutes=4), topics=[T]) == []

        # The burst leaves the 15-minute window at 14:17. The 2-hour slow window still counts it,
        # but the spike is over once the 15-minute window is back to its usual level (it used to
        # go on until 16:02): recovered 15 quiet minutes later (negative_spike.recover_after, over
        # the global 10m), said once.
        for minutes in (16, 18):
            assert engine(cfg).run_once(NOW + td(minutes=minutes), topics=[T]) == []
        rec = engine(cfg).run_once(NOW + td(minutes=31), topics=[T])
        assert kinds(rec) == [("recovery", "negative_spike")] and rec[0].title.startswith("【恢复】")
        assert engine(cfg).run_once(NOW + td(minutes=32), topics=[T]) == []
        # The negative share over an hour stays high until the burst has left that hour.
        assert kinds(engine(cfg).run_once(NOW + td(minutes=75), topics=[T])) == [("recovery", "negative_ratio")]

        recorded = StateDocs(store).alerts(topic=T)
        assert [(d["kind"], d["rule"]) for d in reversed(recorded)] == [
            ("alert", "negative_spike"), ("escalation", "negative_spike"), ("recovery", "negative_spike"),
            ("recovery", "negative_ratio")]
    finally:
        store.drop_all()


def test_silence_holds_alerts_until_lifted(cli, cfg, store):
    ingest(cfg, store, burst(T, NOW - td(minutes=10), NOW, 30))
    r = cli("alerts", "silence", "--topic", T, "--for", "2h", "--note", "发布会期间")
    assert r.returncode == 0 and "silenced until" in r.stdout, r.stderr
    r = cli("alerts", "check", "--at", NOW.isoformat(), "--no-deliver")
    assert r.stdout.strip() == "no alerts", r.stdout + r.stderr
    assert "发布会期间" in cli("alerts", "list").stdout
    assert "silence ended" in cli("alerts", "unsilence", "--topic", T).stdout
    r = cli("alerts", "check", "--at", (NOW + td(minutes=1)).isoformat(), "--no-deliver")
    assert "【严重】星河手机 负面声量激增" in r.stdout, r.stdout + r.stderr
    assert cli("alerts", "silence", "--topic", "nope", "--for", "2h").returncode == 2
    bad = cli("alerts", "silence", "--topic", T, "--for", "two hours")
    assert bad.returncode == 2 and "not a duration" in bad.stderr


def test_near_duplicates_count_once(es_node, tmp_path):
    orig = post(T, NOW - td(minutes=12))
    copies = [post(T, NOW - td(minutes=10) + td(seconds=15 * i), dup_of=f"weibo:{orig['post_id']}")
              for i in range(30)]
    for dedup, expected in ((True, []), (False, ["negative_spike"])):
        cfg = make_cfg(es_node, tmp_path, alerts={"dedup": dedup})
        store = Store(cfg.elasticsearch)
        try:
            ingest(cfg, store, [orig, *copies])
            got = engine(cfg, store).run_once(NOW, topics=[T], rules=["negative_spike"])
            assert [a.rule for a in got] == expected
        finally:
            store.drop_all()


def test_backtest_prints_what_live_checks_raised_and_touches_no_state(es_node, tmp_path, cli):
    cfg = make_cfg(es_node, tmp_path, alerts={"recover_after": "5m", "rules": {"negative_spike": {"slow_windows": []}}})
    write_cfg(cfg, tmp_path / "config.yaml")
    store = Store(cfg.elasticsearch)
    try:
        ingest(cfg, store, background(NOW - td(days=2), NOW + td(hours=1)))
        ingest(cfg, store, burst(T, NOW - td(minutes=6), NOW, 24) + burst(T, NOW + td(minutes=4), NOW + td(minutes=6), 50))
        start, end = NOW - td(minutes=8), NOW + td(minutes=30)
        live, eng, t = [], engine(cfg, store), start
        while t <= end:
            live += [as_line(a) for a in flatten(eng.run_once(t, topics=[T], rules=["negative_spike", "keyword"]))]
            t += td(minutes=2)
        assert live[0]["kind"] == "alert" and "escalation" in [x["kind"] for x in live]
        assert live[-1]["kind"] == "recovery" and {x["rule"] for x in live} == {"negative_spike"}
        state_before = StateDocs(store).mget([f"rule:{T}:negative_spike"])

        r = cli("alerts", "backtest", "--since", start.isoformat(), "--until", end.isoformat(), "--topic", T,
                "--rule", "negative_spike", "--rule", "keyword", "--step", "2m")
        assert r.returncode == 0, r.stderr
        replayed = [json.loads(x) for x in r.stdout.splitlines()]
        key = ("topic", "rule", "kind", "severity", "fired_at", "window_start", "window_end", "value", "baseline")
        assert [{k: x[k] for k in key} for x in replayed] == [{k: x[k] for k in key} for x in live]
        assert "20 steps" in r.stderr and f"{len(live)} alerts" in r.stderr
        after = StateDocs(store).mget([f"rule:{T}:negative_spike"])
        assert after[f"rule:{T}:negative_spike"].seq_no == state_before[f"rule:{T}:negative_spike"].seq_no
    finally:
        store.drop_all()


def test_bad_backtest_arguments_are_refused_clearly(cli):
    r = cli("alerts", "backtest", "--since", "yesterday")
    assert r.returncode == 2 and "is not a time" in r.stderr
    r = cli("alerts", "backtest", "--since", "2026-11-20T10:00", "--until", "2026-11-20T09:00")
    assert r.returncode == 2 and "must be after" in r.stderr


@pytest.mark.parametrize("override, message", [
    ({"星河手机": {"negative_spik": {}}}, "unknown rule"),
    ({"星河手机": {"negative_spike": {"min_cnt": 3}}}, "min_cnt"),
])
def test_per_topic_overrides_are_checked_at_load(override, message, tmp_path, es_node):
    from yuqing.app.config import ConfigError

    with pytest.raises(ConfigError) as e:
        make_cfg(es_node, tmp_path, alerts={"topics": override})
    assert message in str(e.value)


def test_two_evaluators_racing_on_one_spike_raise_one_alert(cfg, store):
    from alerts.state import EsState

    ingest(cfg, store, burst(T, NOW - td(minutes=10), NOW, 30))
    other = engine(cfg)

    class Racing(EsState):
        """Lets the other evaluator finish between this one reading state and writing it."""

        raced = False

        def put_rule(self, key, doc, expect):
            if not self.raced:
                self.raced = True
                Racing.others_raised = other.run_once(NOW, topics=[T])
            return super().put_rule(key, doc, expect)

    mine = Engine(cfg, store, state=Racing(store), outbox=None).run_once(NOW, topics=[T])
    assert len(mine) + len(Racing.others_raised) == 1
    assert len(StateDocs(store).alerts(topic=T)) == 1


def test_check_with_elasticsearch_unreachable_says_so(cli, cfg, tmp_path):
    down = cfg.model_copy(update={"elasticsearch": cfg.elasticsearch.model_copy(
        update={"hosts": ["http://127.0.0.1:9"], "max_retries": 0})})
    path = write_cfg(down, tmp_path / "down.yaml")
    r = cli("alerts", "check", "--no-deliver", env={"YUQING_CONFIG": str(path)})
    assert r.returncode == 1 and "unreachable" in r.stderr, r.stdout + r.stderr


def test_a_spike_still_running_after_realert_reminds_once(es_node, tmp_path):
    cfg = make_cfg(es_node, tmp_path, alerts={"realert": "5m"})
    store = Store(cfg.elasticsearch)
    try:
        ingest(cfg, store, burst(T, NOW - td(minutes=10), NOW, 30))
        eng = engine(cfg, store)
        [first] = eng.run_once(NOW, topics=[T], rules=["negative_spike"])
        assert (first.kind, first.rule) == ("alert", "negative_spike")
        first_id = first.id
        assert eng.run_once(NOW + td(minutes=3), topics=[T], rules=["negative_spike"]) == []
        [again] = eng.run_once(NOW + td(minutes=6), topics=[T], rules=["negative_spike"])
        assert again.kind == "reminder" and "仍在持续（首次触发于 11月20日 14:00）" in again.summary
        assert again.title == "【持续·严重】星河手机 负面声量激增仍在持续" and again.id != first_id
        assert eng.run_once(NOW + td(minutes=7), topics=[T], rules=["negative_spike"]) == []
    finally:
        store.drop_all()
