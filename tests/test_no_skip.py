"""The suite's guard (tests/conftest.py): a run in which any test skipped fails, naming it, so a
broken part or a machine without what `./yq test` installs can never pass as "0 failed"."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

CASES = {
    "test_runtime_skip.py": "import pytest\n\ndef test_ok():\n    assert True\n\n"
                            "def test_skips():\n    pytest.skip('no part')\n",
    "test_module_skip.py": "import pytest\n\npytest.importorskip('yuqing_no_such_part')\n\n"
                           "def test_never_runs():\n    assert True\n",
    "test_marked.py": "import pytest\n\n@pytest.mark.skipif(True, reason='no browser')\n"
                      "def test_marked():\n    assert True\n",
    "test_clean.py": "def test_ok():\n    assert True\n",
}


def run_pytest(tmp_path, name: str, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / name).write_text(CASES[name], encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-p", "no:cacheprovider",
                           *args, "--rootdir", str(tmp_path), str(tmp_path / name)],
                          capture_output=True, text=True, timeout=120, env=env, cwd=str(tmp_path))


@pytest.mark.parametrize("name, skipped", [
    ("test_runtime_skip.py", "test_runtime_skip.py::test_skips"),
    ("test_module_skip.py", "test_module_skip.py"),
    ("test_marked.py", "test_marked.py::test_marked"),
])
def test_a_skipped_test_fails_the_session(tmp_path, name, skipped):
    r = run_pytest(tmp_path, name)
    assert r.returncode == pytest.ExitCode.TESTS_FAILED, r.stdout[-2000:] + r.stderr[-2000:]
    assert f"SKIPPED (not allowed): {skipped}" in r.stdout, r.stdout[-2000:]


@pytest.mark.parametrize("name, skipped", [
    ("test_runtime_skip.py", "test_runtime_skip.py::test_skips"),
    ("test_module_skip.py", "test_module_skip.py"),
])
def test_a_skip_on_a_worker_fails_the_session_too(tmp_path, name, skipped):
    """`./yq test` runs on two pytest-xdist workers: their skips reach the controller's guard."""
    r = run_pytest(tmp_path, name, "-n", "2")
    assert r.returncode == pytest.ExitCode.TESTS_FAILED, r.stdout[-2000:] + r.stderr[-2000:]
    assert f"SKIPPED (not allowed): {skipped}" in r.stdout, r.stdout[-2000:]


def test_a_clean_session_still_passes(tmp_path):
    r = run_pytest(tmp_path, "test_clean.py")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "not allowed" not in r.stdout
