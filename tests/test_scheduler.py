"""The schedule section and the scheduler set-up in-process: config errors a person can act on,
stored schedules kept across restarts (so missed runs still happen), and one failing job
recorded without raising."""
from __future__ import annotations

import pytest

from tests.conftest import make_cfg
from yuqing import config as config_mod
from yuqing.job_history import History, state_dir
from yuqing.scheduler import Runner, build_scheduler

QUIET = {"alerts": {"enabled": False}, "spool": {"enabled": False}, "retention": {"enabled": False},
         "nlp_refresh": {"enabled": False}}


@pytest.mark.parametrize("schedule, expected", [
    ({"crawls": [{"name": "w", "cron": "every day"}]}, "schedule.crawls.0.cron: not a crontab expression"),
    ({"spool": {"every": "5m", "cron": "* * * * *"}}, "give either every or cron, not both"),
    ({"crawls": [{"name": "a"}], "commands": [{"name": "a", "args": ["report"], "every": "1h"}]}, "used twice"),
    ({"commands": [{"name": "r", "args": ["report"]}]}, "give every or cron"),
    ({"alerts": {"evry": "10s"}}, "schedule.alerts.evry: unknown key; did you mean 'every'?"),
    ({"spool": {"every": "soon"}}, "not a duration"),
])
def test_schedule_config_errors(tmp_path, schedule, expected):
    with pytest.raises(config_mod.ConfigError) as e:
        config_mod.parse({"schedule": schedule}, tmp_path / "c.yaml")
    assert expected.lower() in str(e.value).lower(), str(e.value)


def test_alert_job_follows_alerts_interval(es_node, tmp_path):
    cfg = make_cfg(es_node, tmp_path, schedule={"crawls": []}, alerts={"interval": "20s"})
    runner = Runner(cfg, History(tmp_path / "h.sqlite"))
    assert runner.jobs["alerts"][0].every.total_seconds() == 20
    assert set(runner.jobs) == {"alerts", "spool", "retention", "nlp_refresh"}


def stored(cfg) -> dict:
    runner = Runner(cfg, History(state_dir(cfg) / "history.sqlite"))
    sched = build_scheduler(runner)
    try:
        return {j.id: (str(j.trigger), j.next_run_time) for j in sched.get_jobs()}
    finally:
        sched.shutdown(wait=False)


def test_stored_schedule_kept_changed_or_removed(es_node, tmp_path):
    base = {"crawls": [{"name": "w", "cron": "0 3 * * *"}], "commands": [{"name": "r", "args": ["report"],
                                                                        "cron": "0 8 * * *"}], **QUIET}
    cfg = make_cfg(es_node, tmp_path, schedule=base)
    first = stored(cfg)
    assert set(first) == {"crawl:w", "command:r"}
    # Same config again: the stored next-run times are kept (a run missed while down still fires).
    assert stored(cfg) == first
    # A changed trigger is rescheduled; a job gone from the config is removed from the store.
    raw = cfg.model_dump(mode="json", exclude={"path"})
    raw["schedule"]["crawls"][0]["cron"] = "30 4 * * *"
    raw["schedule"]["commands"] = []
    cfg2 = config_mod.parse(raw, tmp_path / "c.yaml")
    second = stored(cfg2)
    assert set(second) == {"crawl:w"}
    assert second["crawl:w"][0] != first["crawl:w"][0]
    assert second["crawl:w"][1].hour == 4 and second["crawl:w"][1].minute == 30  # in Asia/Shanghai


def test_failing_job_is_recorded_not_raised(es_node, tmp_path):
    cfg = make_cfg(es_node, tmp_path, schedule={"crawls": [], **QUIET, "retention": {"cron": "0 3 * * *"}})
    raw = cfg.model_dump(mode="json", exclude={"path"})
    raw["elasticsearch"]["hosts"] = ["http://127.0.0.1:9"]  # nothing listens there
    raw["elasticsearch"]["max_retries"] = 0
    cfg = config_mod.parse(raw, tmp_path / "c.yaml")
    history = History(tmp_path / "h.sqlite")
    Runner(cfg, history).run("retention")
    [run] = history.runs("retention")
    assert run.status == "error" and run.ended is not None
    assert "Connection" in run.summary, run.summary


def test_nlp_refresh_runs_keywords_fit(cfg, store, tmp_path):
    cfg.path = str(tmp_path / "config.yaml")
    from tests.conftest import write_cfg

    write_cfg(cfg, tmp_path / "config.yaml")
    history = History(tmp_path / "h.sqlite")
    Runner(cfg, history).run("nlp_refresh")
    [run] = history.runs("nlp_refresh")
    # An empty index is too small to fit IDF on: the child says so and the run is an error.
    assert run.status == "error", run
    assert "at least" in run.summary, run.summary
