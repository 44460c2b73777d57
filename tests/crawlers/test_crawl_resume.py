"""An interrupted crawl resumes from Scrapy's JOBDIR; a finished one leaves no job state behind."""
from __future__ import annotations

import json

import pytest

from crawlers.checkpoints import checkpoint_path
from yuqing.app.crawl_child import run_child
from crawlers.settings import job_dir
from tests.conftest import make_cfg
from tests.support.crawling import crawl, replay, sources  # noqa: F401  (fixture)

FULL = 115  # posts and comments of a complete weibo crawl of the replay site


@pytest.fixture
def cfg(es_node, tmp_path, replay):  # noqa: F811
    return make_cfg(es_node, tmp_path, nlp={"enabled": False}, sources=sources(replay))


def test_interrupted_crawl_resumes(cfg, cfg_file, store, monkeypatch, tmp_path):
    monkeypatch.setenv("YUQING_HOME", str(tmp_path / "home"))
    code, rows = run_child(str(cfg_file), ["weibo"], nlp=False, extra={"CLOSESPIDER_PAGECOUNT": 5})
    first = rows[0]
    assert first["finish_reason"] == "closespider_pagecount"
    jobs = job_dir(cfg, "weibo")
    assert (jobs / "requests.seen").exists() and any(jobs.glob("requests.queue/*"))
    assert not checkpoint_path(cfg).exists()  # an unfinished crawl moves no checkpoint
    store.refresh()
    part = store.count()
    assert 0 < part < FULL

    code, rows = run_child(str(cfg_file), ["weibo"], nlp=False)
    second = rows[0]
    assert second["finish_reason"] == "finished"
    assert second["new"] == FULL - part  # carried on where it stopped
    store.refresh()
    assert store.count() == FULL
    assert not any(jobs.iterdir())  # finished: the next crawl starts fresh
    marks = json.loads(checkpoint_path(cfg).read_text(encoding="utf-8"))
    # queries whose first page came in the interrupted run keep no mark until a finished crawl
    assert set(marks["weibo"]) >= {"星河手机", "青禾奶茶"}


def test_checkpoint_file_damaged_means_full_crawl(cli, cfg, store):
    p = checkpoint_path(cfg)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("{not json", encoding="utf-8")
    code, rows, log = crawl(cli, "weibo")
    assert code == 0, log
    assert rows[0]["new"] == FULL
    assert p.with_suffix(".damaged").read_text(encoding="utf-8") == "{not json"
