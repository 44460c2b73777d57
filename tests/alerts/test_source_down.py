"""`source_down` (issue 14, item 9): a crawl source whose runs yield nothing while failures
dominate raises an alert through the usual channels, naming the failure kinds and the last good
run, and recovers when it yields again. The rule against recorded runs with an injected clock,
then the whole loop: the daemon crawling the replay site behind a login wall and out again."""
from __future__ import annotations

import json
import signal
from datetime import timedelta as td

import pytest

from alerts.engine import Engine
from alerts.state_docs import StateDocs
from crawlers.runlog import add_runs, run_doc
from tests.app.test_daemon import drop, finished, start, wait_for
from tests.conftest import make_cfg, write_cfg
from tests.support.alertdata import utc
from yuqing.app.job_history import History, state_dir
from yuqing.store import Store

NOW = utc(2026, 11, 20, 6, 0)  # 14:00 in Shanghai


def run(spider: str, at, **counts) -> dict:
    row = {"spider": spider, "requests": 3, "pages": 3, "items": 0, "new": 0, "updated": 0, "spooled": 0,
           "rejected": 0, "seen": 0, "failures": {}, "finish_reason": "finished", **counts}
    return run_doc(row, at - td(minutes=2), at)


def test_source_down_names_failures_and_last_good_run_and_recovers(cfg, store):
    eng = Engine(cfg, store, outbox=None)  # shipped default: 3 runs
    add_runs(store, [
        run("weibo", NOW - td(hours=1), items=5, new=5),  # the last good run, 13:00 in Shanghai
        run("weibo", NOW - td(minutes=40), failures={"login_page": 2}),
        run("weibo", NOW - td(minutes=20), failures={"login_page": 2, "http_403": 1}),
        run("bilibili", NOW - td(minutes=30), items=3, new=3),
        run("bilibili", NOW - td(minutes=20)),  # quiet: nothing new, nothing failed
        run("bilibili", NOW - td(minutes=15), failures={"http_429": 1}, items=10, seen=10),  # one 429 among 10
        run("bilibili", NOW - td(minutes=10), failures={"http_429": 1}, items=10, seen=10),
        run("bilibili", NOW - td(minutes=5), failures={"http_429": 1}, items=10, seen=10),
    ])
    # Two down runs of three, and a clock before the third: nothing (a backtest sees runs as of then).
    add_runs(store, [run("weibo", NOW - td(minutes=5), failures={"captcha": 1}, error="spider failed")])
    assert eng.run_once(NOW - td(minutes=10)) == []
    [a] = eng.run_once(NOW)
    assert (a.topic, a.rule, a.kind, a.severity, a.value, a.threshold) == ("weibo", "source_down", "alert",
                                                                         "warning", 3, 3)
    assert a.top_keywords == ["login_page(4)", "captcha(1)", "error(1)", "http_403(1)"]  # most, then newest
    assert a.title == "【预警】weibo 数据源采集中断"
    assert "连续 3 次采集没有新帖或更新" in a.summary and "上次采到新帖或更新：11月20日 13:00" in a.summary
    assert "13:18–14:00（北京时间）" in a.summary
    assert eng.run_once(NOW + td(minutes=1)) == []  # told once
    add_runs(store, [run("weibo", NOW + td(minutes=10), items=4, new=1, updated=3)])
    [r] = eng.run_once(NOW + td(minutes=10, seconds=30))
    assert (r.kind, r.topic, r.rule) == ("recovery", "weibo", "source_down")
    assert "已恢复" in r.summary and "此前连续 3 次失败" in r.summary
    assert [d["kind"] for d in reversed(StateDocs(store).alerts(topic="weibo"))] == ["alert", "recovery"]


def test_source_alert_reaches_topic_filtered_channels_and_can_be_silenced(es_node, tmp_path, cli):
    """A source collects for every topic, so its source_down reaches a channel limited to some
    topics (unless the channel says `sources: false`); `alerts silence --topic <source>` holds it
    until the silence ends, and then it is told."""
    from alerts.outbox import Outbox
    from alerts.state import EsState

    hook = {"type": "webhook", "url": "http://127.0.0.1:9/x"}
    cfg = make_cfg(es_node, tmp_path, alerts={"channels": [
        {**hook, "name": "brand", "topics": ["星河手机"]},
        {**hook, "name": "brand-only", "topics": ["星河手机"], "sources": False},
        {**hook, "name": "all"}]})
    store = Store(cfg.elasticsearch)
    add_runs(store, [run("weibo", NOW - td(minutes=m), failures={"login_page": 1}) for m in (30, 20, 10)])
    EsState(store).silence("weibo", NOW + td(hours=1), "renewing the login", NOW)
    eng = Engine(cfg, store, outbox=None)
    assert eng.run_once(NOW) == []  # silenced: nothing told, the state untouched
    [a] = eng.run_once(NOW + td(hours=1, minutes=1))  # the outage outlived the silence: told now
    assert (a.topic, a.rule) == ("weibo", "source_down")
    assert [c.name for c in Outbox(cfg, store).channels_for(a)] == ["brand", "all"]
    # The CLI takes a source name as well as a topic, and refuses anything else.
    path = write_cfg(cfg, tmp_path / "c.yaml")
    ok = cli("alerts", "silence", "--topic", "bilibili", "--for", "2h", env={"YUQING_CONFIG": str(path)})
    assert ok.returncode == 0 and "bilibili: silenced until" in ok.stdout, ok.stderr
    bad = cli("alerts", "silence", "--topic", "nosuch", "--for", "2h", env={"YUQING_CONFIG": str(path)})
    assert bad.returncode == 2 and "unknown topic or source 'nosuch'" in bad.stderr, bad.stderr


def test_source_down_is_not_a_topic_override(es_node, tmp_path):
    from yuqing.app.config import ConfigError

    with pytest.raises(ConfigError, match="alerts.rules.source_down"):
        make_cfg(es_node, tmp_path, alerts={"topics": {"星河手机": {"source_down": {"runs": 2}}}})


def test_daemon_raises_source_down_behind_a_login_wall_and_recovers(es_node, tmp_path):
    from crawlers.replay.server import ReplaySite, serve_in_thread
    from yuqing.app import config as config_mod
    from yuqing.app.demo_receivers import WebhookReceiver

    site = ReplaySite()
    server, url = serve_in_thread(0, site)
    hook = WebhookReceiver(tmp_path / "hook")
    raw = make_cfg(es_node, tmp_path, schedule={
        "crawls": [{"name": "weibo", "spiders": ["weibo"], "every": "2s", "timeout": "3m"}],
        "commands": [], "alerts": {"every": "2s"}, "spool": {"enabled": False},
        "retention": {"enabled": False}, "nlp_refresh": {"enabled": False}}).model_dump(mode="json", exclude={"path"})
    raw["sources"]["replay"] = url
    raw["nlp"]["enabled"] = False
    raw["alerts"]["rules"]["source_down"]["runs"] = 2
    raw["alerts"]["channels"] = [{"name": "hook", "type": "webhook", "url": hook.url, "min_severity": "warning"}]
    cfg = config_mod.parse(raw, tmp_path / "config.yaml")
    cfg_file = write_cfg(cfg, tmp_path / "config.yaml")
    history = History(state_dir(cfg) / "history.sqlite")
    log = tmp_path / "daemon.log"
    store = Store(cfg.elasticsearch)

    def told(kind: str) -> list[dict]:
        bodies = [json.loads(f.read_text(encoding="utf-8"))["body"]["alert"] for f in list(hook.received)]
        return [b for b in bodies if b["rule"] == "source_down" and b["kind"] == kind]

    p = start(cfg_file, tmp_path / "home", log)
    try:
        wait_for(lambda: [r for r in finished(history, "crawl:weibo") if r.status == "ok"], "a good crawl", 180)
        site.login_wall = True
        [alert] = wait_for(lambda: told("alert"), "source_down at the webhook", 240)
        site.login_wall = False
        [rec] = wait_for(lambda: told("recovery"), "the recovery at the webhook", 240)
    finally:
        p.send_signal(signal.SIGTERM)
        rc = p.wait(180)
        server.shutdown()
        hook.stop()
    try:
        assert rc == 0, log.read_text()[-3000:]
        assert alert["topic"] == "weibo" and alert["severity"] == "warning"
        assert alert["top_keywords"][0].startswith("login_page(")
        assert "login_page" in alert["summary"] and "上次采到新帖或更新：" in alert["summary"]
        assert "上次采到新帖或更新：没有记录" not in alert["summary"]
        assert rec["topic"] == "weibo" and "已恢复" in rec["summary"]
        assert len(told("alert")) == 1  # and no repeat while it stayed down
    finally:
        drop(store)


def test_retention_deletes_old_crawl_runs_only(cfg, store, tmp_path):
    """`<prefix>-crawls` is one index, so retention deletes its old run documents one by one
    (retention.crawl_runs_days, default 90): older runs go, the rest, source_down's history, stays."""
    from yuqing.app.scheduler import Runner

    add_runs(store, [run("weibo", NOW - td(days=91), new=1), run("weibo", NOW - td(days=89), new=2),
                     run("news", NOW - td(days=200)), run("news", NOW - td(hours=1), new=3)])
    line = Runner(cfg, History(tmp_path / "h.sqlite")).retention(now=NOW)
    assert "deleted 2 crawl runs older than 90 days" in line, line
    left = sorted((d["spider"], d["new"]) for d in store.find(store.crawls_index, {"match_all": {}}))
    assert left == [("news", 3), ("weibo", 2)]
    # A second pass finds nothing more to delete.
    assert "deleted 0 crawl runs" in Runner(cfg, History(tmp_path / "h.sqlite")).retention(now=NOW)
