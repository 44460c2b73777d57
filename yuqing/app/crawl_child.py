"""Crawls in a child process: `run_child` (used by `yuqing crawl`, the scheduler, the demo, the
bench) starts `python -m yuqing.app.crawl_child`, which loads the config, runs
`crawlers.run.run_here` and writes the JSON summary. Twisted's reactor cannot be restarted, so
every crawl gets a fresh process; the child's log goes to the parent's stderr."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from crawlers.run import configured, run_here
from pipelines.pseudonym import PseudoKeyError, pipeline_key
from yuqing.app import config

ROOT = Path(__file__).resolve().parents[2]


def run_child(config_path: str, spiders: list[str], topic: str | None = None, since: str | None = None,
              nlp: bool = True, replay: str | None = None, zero_delay: bool = False,
              log_level: str = "WARNING", timeout: float | None = None,
              extra: dict | None = None, now: str | None = None) -> tuple[int, list[dict]]:
    """Crawl in a child process; returns (child's exit code, summary rows). The child's log goes
    to this process's stderr. `now` (ISO time) is the crawl's clock, for replays and tests."""
    with tempfile.TemporaryDirectory(prefix="yuqing-crawl-") as tmp:
        out = Path(tmp) / "summary.json"
        cmd = [sys.executable, "-m", "yuqing.app.crawl_child", "--config", str(config_path), "--out", str(out),
               "--log-level", log_level]
        if topic:
            cmd += ["--topic", topic]
        if since:
            cmd += ["--since", since]
        if now:
            cmd += ["--now", now]
        if not nlp:
            cmd.append("--no-nlp")
        if replay:
            cmd += ["--replay", replay]
        if zero_delay:
            cmd.append("--zero-delay")
        if extra:
            cmd += ["--settings", json.dumps(extra)]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        proc = subprocess.Popen([*cmd, *spiders], env=env, cwd=str(ROOT))
        try:
            rc = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
        except KeyboardInterrupt:
            # Ctrl-C (or the scheduler's SIGINT to the process group) reached the crawl too: let
            # Scrapy finish its graceful stop, which checkpoints JOBDIR, instead of killing it.
            rc = proc.wait()
        rows = json.loads(out.read_text(encoding="utf-8")) if out.exists() else []
        return rc, rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m yuqing.app.crawl_child")
    ap.add_argument("spiders", nargs="*")
    ap.add_argument("--config", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--topic")
    ap.add_argument("--since")
    ap.add_argument("--now", help="the crawl's clock (ISO time), for replays and tests")
    ap.add_argument("--replay")
    ap.add_argument("--no-nlp", action="store_true")
    ap.add_argument("--zero-delay", action="store_true")
    ap.add_argument("--log-level", default="WARNING")
    ap.add_argument("--settings", help="extra Scrapy settings as JSON")
    a = ap.parse_args(argv)
    cfg = config.load(a.config)
    try:
        pipeline_key(cfg)  # here, not inside Scrapy, where it would only count as a pipeline error
    except PseudoKeyError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if a.replay:
        cfg.sources.replay = a.replay.rstrip("/")
    spiders = a.spiders or configured(cfg)
    rows = run_here(cfg, spiders, topic=a.topic, since=a.since, nlp=False if a.no_nlp else None,
                    zero_delay=a.zero_delay, extra=json.loads(a.settings) if a.settings else None,
                    log_level=a.log_level, now=a.now)
    Path(a.out).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0 if rows and all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
