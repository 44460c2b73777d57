"""Running crawls: in this process (`run_here`, used by the child) or in a child process
(`run_child`, used by `yuqing crawl` and the scheduler).

Twisted's reactor cannot be restarted within one process, so anything that crawls more than
once (the scheduler, tests, the demo) launches `python -m crawlers.run` and reads the JSON
summary it writes. The summary is per spider: requests, pages, items, new/updated/spooled/
rejected, failures by kind, and how the spider finished.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from yuqing.config import Config

ROOT = Path(__file__).resolve().parent.parent


def configured(cfg: Config) -> list[str]:
    """Spiders that have something to crawl: enabled, with feeds/products/sites where needed, and
    for the browser platforms an account (or the replay site)."""
    from crawlers.config import BrowserSource
    from crawlers.spiders import available

    s = cfg.sources
    out = []
    for name in available():
        src = s.source(name)
        if not src.enabled:
            continue
        if name == "news" and not s.news.feeds or name == "jd_reviews" and not s.jd_reviews.products \
                or name == "generic" and not s.generic.sites:
            continue
        if isinstance(src, BrowserSource) and not src.accounts and not s.replay:
            continue  # logged out, these platforms show a login wall: named explicitly, they still run
        out.append(name)
    return out


def summarise(name: str, stats: dict, error: str | None = None) -> dict:
    failures = {k.removeprefix("yuqing/failures/"): v for k, v in stats.items() if k.startswith("yuqing/failures/")}
    items = stats.get("item_scraped_count", 0)
    row = {
        "spider": name,
        "requests": stats.get("downloader/request_count", 0),
        "pages": stats.get("response_received_count", 0),
        "items": items,
        "new": stats.get("yuqing/new", 0),
        "updated": stats.get("yuqing/updated", 0),
        "spooled": stats.get("yuqing/spooled", 0),
        "rejected": stats.get("yuqing/rejected", 0),
        "duplicates": stats.get("yuqing/duplicates", 0),
        "unmatched": stats.get("yuqing/unmatched", 0),
        "deleted": stats.get("yuqing/deleted", 0),
        "failures": dict(sorted(failures.items())),
        "finish_reason": stats.get("finish_reason", "error" if error else "?"),
        "seconds": round(stats.get("elapsed_time_seconds", 0.0), 2),
    }
    if error:
        row["error"] = error
    # "failures only": something failed and nothing shows the source still works (no item, no
    # post already known, too old, off-topic or deleted). A quiet incremental run is not a failure.
    evidence = items + sum(stats.get(f"yuqing/{k}", 0) for k in ("seen", "too_old", "unmatched", "deleted"))
    row["seen"] = stats.get("yuqing/seen", 0)
    row["ok"] = not error and not (failures and evidence == 0)
    return row


def run_here(cfg: Config, spiders: list[str], topic: str | None = None, since: str | None = None,
             nlp: bool | None = None, zero_delay: bool = False, resumable: bool | None = None,
             extra: dict | None = None, log_level: str = "WARNING") -> list[dict]:
    """Crawl in this process. Call once per process (the reactor does not restart)."""
    from scrapy.crawler import Crawler, CrawlerProcess

    from crawlers.settings import spider_settings
    from crawlers.spiders import load

    process = CrawlerProcess({"LOG_LEVEL": log_level, "TELNETCONSOLE_ENABLED": False})
    crawlers: list[tuple[str, Crawler]] = []
    errors: dict[str, str] = {}
    for name in spiders:
        settings = spider_settings(cfg, name, zero_delay=zero_delay, nlp=nlp, resumable=resumable,
                                   extra={"LOG_LEVEL": log_level, **(extra or {})})
        crawler = Crawler(load(name), settings, init_reactor=not crawlers)  # the first one installs it
        crawlers.append((name, crawler))
        d = process.crawl(crawler, topic=topic, since=since)
        d.addErrback(lambda f, n=name: errors.__setitem__(n, f.getErrorMessage()))
    process.start()
    out = []
    for name, crawler in crawlers:
        stats = crawler.stats.get_stats() if crawler.stats else {}
        row = summarise(name, stats, errors.get(name))
        out.append(row)
        jd = crawler.settings.get("JOBDIR")
        if jd and row["finish_reason"] == "finished":
            _clear(Path(jd))  # finished: the next run starts fresh; interrupted: it resumes
    return out


def _clear(d: Path) -> None:
    for p in sorted(d.rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()


def run_child(config_path: str, spiders: list[str], topic: str | None = None, since: str | None = None,
              nlp: bool = True, replay: str | None = None, zero_delay: bool = False,
              log_level: str = "WARNING", timeout: float | None = None,
              extra: dict | None = None) -> tuple[int, list[dict]]:
    """Crawl in a child process; returns (child's exit code, summary rows). The child's log goes
    to this process's stderr."""
    with tempfile.TemporaryDirectory(prefix="yuqing-crawl-") as tmp:
        out = Path(tmp) / "summary.json"
        cmd = [sys.executable, "-m", "crawlers.run", "--config", str(config_path), "--out", str(out),
               "--log-level", log_level]
        if topic:
            cmd += ["--topic", topic]
        if since:
            cmd += ["--since", since]
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
    from yuqing import config

    ap = argparse.ArgumentParser(prog="python -m crawlers.run")
    ap.add_argument("spiders", nargs="*")
    ap.add_argument("--config", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--topic")
    ap.add_argument("--since")
    ap.add_argument("--replay")
    ap.add_argument("--no-nlp", action="store_true")
    ap.add_argument("--zero-delay", action="store_true")
    ap.add_argument("--log-level", default="WARNING")
    ap.add_argument("--settings", help="extra Scrapy settings as JSON")
    a = ap.parse_args(argv)
    cfg = config.load(a.config)
    if a.replay:
        cfg.sources.replay = a.replay.rstrip("/")
    spiders = a.spiders or configured(cfg)
    rows = run_here(cfg, spiders, topic=a.topic, since=a.since, nlp=False if a.no_nlp else None,
                    zero_delay=a.zero_delay, extra=json.loads(a.settings) if a.settings else None,
                    log_level=a.log_level)
    Path(a.out).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0 if rows and all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
