"""Shared fixtures. Tests talk to the real local Elasticsearch node (started if needed), each
test in its own index prefix so tests never see each other's data."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from tests.support.loopback import HttpReceiver
from yuqing.app import config as config_mod
from yuqing.store import Store

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


@pytest.fixture(scope="session")
def es_node():
    """The project's local node on the configured port: started once if it is not running."""
    from yuqing.es_local import LocalNode

    cfg = config_mod.load(ROOT / "config.yaml")
    node = LocalNode(cfg.elasticsearch, cfg.home_dir)
    h = node.health()
    if not h or h.get("status") not in ("green", "yellow"):
        node.up(echo=lambda m: None)
    return node.url


def make_cfg(es_url: str, tmp_path: Path, **overrides) -> config_mod.Config:
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    raw["elasticsearch"]["hosts"] = [es_url]
    raw["elasticsearch"]["index_prefix"] = f"t{uuid.uuid4().hex[:10]}"
    raw["home"] = str(tmp_path / "home")
    for k, v in overrides.items():
        raw[k] = v
    # The tests' explicit opt-in to a generated key file (a real crawl or ingest refuses without
    # YUQING_PSEUDO_KEY); a test of that refusal passes privacy={"local_key": False}.
    raw["privacy"] = {"local_key": True, **(raw.get("privacy") or {})}
    return config_mod.parse(raw, tmp_path / "config.yaml")


def write_cfg(cfg: config_mod.Config, path: Path) -> Path:
    """Write a Config back to YAML (for CLI subprocesses)."""
    path.write_text(yaml.safe_dump(cfg.model_dump(mode="json", exclude={"path"}), allow_unicode=True),
                    encoding="utf-8")
    return path


@pytest.fixture
def cfg(es_node, tmp_path) -> config_mod.Config:
    """A config for the real node with a unique index prefix and a private YUQING_HOME."""
    return make_cfg(es_node, tmp_path)


@pytest.fixture
def store(cfg):
    s = Store(cfg.elasticsearch)
    yield s
    s.drop_all()


@pytest.fixture
def hook():
    """A real HTTP receiver on 127.0.0.1 recording every POST (tests/support/loopback.py)."""
    r = HttpReceiver().start()
    yield r
    r.stop()


@pytest.fixture
def cfg_file(cfg, tmp_path) -> Path:
    return write_cfg(cfg, tmp_path / "config.yaml")


@pytest.fixture
def cli(cfg_file, tmp_path):
    """Run `yuqing ARGS` as a real subprocess with the test config; returns CompletedProcess."""

    def run(*args: str, input: str | None = None, timeout: float = 300, env: dict | None = None):
        e = {**os.environ, "YUQING_CONFIG": str(cfg_file), "YUQING_HOME": str(tmp_path / "home"),
             "COLUMNS": "200", **(env or {})}
        return subprocess.run([sys.executable, "-m", "yuqing.app", *args], input=input, capture_output=True,
                              text=True, timeout=timeout, env=e, cwd=str(ROOT))

    return run


# -- no test may skip ---------------------------------------------------------------------------
# Every part ships, so a test that cannot run is a broken part or a broken machine: either way the
# run must not pass. Skips (pytest.skip, importorskip, skip markers, xfail) are noted here, and a
# session that had any ends as failed, naming them.
_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_collectreport(report):
    if report.skipped:
        _skipped.append(report.nodeid or str(report.fspath))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    if _skipped and exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    if _skipped:
        terminalreporter.section("a skipped test fails the run", sep="=", red=True, bold=True)
        for nodeid in _skipped:
            terminalreporter.line(f"SKIPPED (not allowed): {nodeid}", red=True)
