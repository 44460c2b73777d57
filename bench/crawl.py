"""`yuqing bench --stage crawl`: the weibo spider against the replay site with zero delay, next to
`scrapy bench` measured in the same run on the same machine.

`scrapy bench` follows links on tiny generated HTML pages and stores nothing, so it is the
ceiling of Scrapy itself here; the ratio says how much of it yuqing keeps while parsing JSON,
matching topics and writing every post through the pipeline into Elasticsearch. The replay data
for the run is generated (N search pages of 10 posts over 16 queries, comments off) into a
temporary directory; paging is sequential within a query, as on the platform.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import yaml

from bench.harness import stage
from crawlers.config import BrowserSource
from crawlers.replay.fx_weibo_story import card, mblog, search_page  # moved out of build.py
from crawlers.replay.server import ReplaySite, serve_in_thread
from yuqing.app.crawl_child import run_child
from yuqing.app.config import Config

KEYWORD = "星河手机"
CHAINS = 16  # search paging is sequential per query, so the bench runs several queries at once, as real crawls do
TEXTS = ["星河手机更新后发热严重，客服也联系不上[怒]", "星河手机拍照不错，就是续航一般", "星河手机的屏幕看剧很舒服👍",
         "星河手机信号差到打不了电话", "星河手机售后态度还可以"]


def keywords() -> list[str]:
    return [f"{KEYWORD}{i:02d}" for i in range(CHAINS)]


def make_pages(root: Path, pages: int) -> None:
    per = max(1, pages // CHAINS)
    for c, kw in enumerate(keywords()):
        d = root / "m.weibo.cn" / "search" / kw
        d.mkdir(parents=True)
        for p in range(1, per + 1):
            base = 5200000000000000 + c * 10_000_000 + p * 100
            cards = [card(mblog(base + k, TEXTS[(p + k) % len(TEXTS)] + f" {kw}", p * 10 + k, k, 10 + k, 0, k))
                     for k in range(10)]
            (d / f"{p}.json").write_text(json.dumps(search_page(cards, p, per * 10, wrap=False), ensure_ascii=False),
                                         encoding="utf-8")
    (root / "m.weibo.cn" / "search" / "_default.json").write_text(
        json.dumps({"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}}, ensure_ascii=False), encoding="utf-8")


def scrapy_bench(seconds: int) -> dict:
    p = subprocess.run([sys.executable, "-m", "scrapy", "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}",
                        "-s", "LOG_LEVEL=INFO"], capture_output=True, text=True, timeout=seconds + 120)
    out = p.stdout + p.stderr
    pages = re.search(r"'response_received_count': (\d+)", out)
    elapsed = re.search(r"'elapsed_time_seconds': ([\d.]+)", out)
    if not pages or not elapsed:
        raise RuntimeError(f"scrapy bench gave no stats (exit {p.returncode}): {out[-500:]}")
    return {"pages": int(pages.group(1)), "seconds": float(elapsed.group(1))}


@stage("crawl")
def bench_crawl(cfg: Config, console, pages: int = 400, seconds: int = 10, rounds: int = 2, **_) -> dict:
    """Rounds alternate scrapy bench and the spider (the machine is shared, so noise is real);
    each side's median round is reported."""
    import statistics

    run = uuid.uuid4().hex[:6]
    with tempfile.TemporaryDirectory(prefix="yuqing-bench-crawl-") as tmp:
        tmp_path = Path(tmp)
        make_pages(tmp_path / "data", pages)
        server, url = serve_in_thread(0, ReplaySite(data=tmp_path / "data"))
        raw = cfg.model_dump(mode="json", exclude={"path"})
        raw["home"] = str(tmp_path / "home")
        raw["elasticsearch"]["index_prefix"] = f"bench-{run}-crawl"
        raw["nlp"]["enabled"] = False
        src = raw["sources"]
        src["replay"] = url
        src["defaults"].update(resumable=False, max_pages=pages)
        src["weibo"].update(comments=False, max_pages=pages)
        raw["topics"] = [{"name": KEYWORD, "keywords": keywords()}]
        path = tmp_path / "bench.yaml"
        path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        from yuqing.store import Store

        store = Store(cfg.elasticsearch.model_copy(update={"index_prefix": f"bench-{run}-crawl"}))
        theirs, ours, to_es, row = [], [], [], {}
        try:
            for r in range(rounds):
                ref = scrapy_bench(seconds)
                theirs.append(ref["pages"] / ref["seconds"] * 60)
                store.drop_all()  # every round stores everything anew
                for d in (tmp_path / "home").glob("checkpoints/*"):
                    d.unlink()
                code, rows = run_child(str(path), ["weibo"], nlp=False, zero_delay=True)
                if not rows:
                    raise RuntimeError(f"the bench crawl wrote no summary (exit {code})")
                row = rows[0]
                ours.append(row["pages"] / row["seconds"] * 60)
                to_es.append(row["new"] / row["seconds"])
                console.print(f"bench crawl round {r + 1}: scrapy bench {theirs[-1]:.0f} pages/min, "
                              f"yuqing {ours[-1]:.0f} pages/min, {to_es[-1]:.0f} items/s to Elasticsearch")
        finally:
            server.shutdown()
            server.server_close()
            store.drop_all()
    o, t = statistics.median(ours), statistics.median(theirs)
    return {"spider": "weibo", "rounds": rounds, "pages": row["pages"], "stored": row["new"],
            "yuqing_pages_per_min": round(o), "scrapy_bench_pages_per_min": round(t), "ratio": round(o / t, 3),
            "items_to_es_per_s": round(statistics.median(to_es), 1), "goal_ratio": 0.8,
            "platforms": bench_platforms(cfg, console, run)}


PLATFORMS = ["weibo", "bilibili", "tieba", "wechat", "xiaohongshu", "douyin", "kuaishou"]


def bench_platforms(cfg: Config, console, run: str) -> dict:
    """Each spider once over the bundled replay site (crawlers/replay/data, the demo's small set:
    a few pages each, so browser start-up is part of the figure), zero delay, into Elasticsearch.
    For the browser spiders, the peak proportional memory (PSS) of the Chromium processes below
    this one, sampled every 0.2 s."""
    from crawlers import browser
    from yuqing.store import Store

    out: dict = {}
    server, url = serve_in_thread(0, ReplaySite())
    try:
        for name in PLATFORMS:
            src = getattr(cfg.sources, name)
            missing = isinstance(src, BrowserSource) and browser.unavailable(src)
            if missing:
                out[name] = {"error": missing}
                continue
            with tempfile.TemporaryDirectory(prefix=f"yuqing-bench-{name}-") as tmp:
                raw = cfg.model_dump(mode="json", exclude={"path"})
                raw.update(home=str(Path(tmp) / "home"), nlp={**raw["nlp"], "enabled": False})
                raw["elasticsearch"]["index_prefix"] = prefix = f"bench-{run}-{name.replace('_', '-')}"
                raw["sources"]["replay"] = url
                raw["sources"]["defaults"].update(resumable=False, lookback="30d")
                path = Path(tmp) / "bench.yaml"
                path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
                peak = PeakMemory()
                peak.start()
                try:
                    code, rows = run_child(str(path), [name], nlp=False, zero_delay=True)
                finally:
                    peak.stop()
                    Store(cfg.elasticsearch.model_copy(update={"index_prefix": prefix})).drop_all()
            row = rows[0] if rows else {"pages": 0, "seconds": 0, "new": 0, "error": f"exit {code}"}
            secs = row["seconds"] or 1e-9
            out[name] = {"pages": row["pages"], "items": row["new"], "seconds": row["seconds"],
                         "pages_per_min": round(row["pages"] / secs * 60), "items_per_s": round(row["new"] / secs, 1)}
            if isinstance(src, BrowserSource):
                out[name]["browser_peak_mb"] = round(peak.peak / 2**20)
            console.print(f"bench crawl {name}: {out[name]}")
    finally:
        server.shutdown()
        server.server_close()
    return out


class PeakMemory:
    """Peak summed PSS of the Chromium processes descending from this process (Linux /proc)."""

    def __init__(self):
        import threading

        self.peak, self.stopped = 0, threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.stopped.set()
        self.thread.join()

    def loop(self):
        import os

        me = os.getpid()
        while not self.stopped.wait(0.2):
            parents, names = {}, {}
            for d in Path("/proc").glob("[0-9]*"):
                try:
                    stat = (d / "stat").read_text()
                    names[int(d.name)] = stat[stat.index("(") + 1:stat.rindex(")")]
                    parents[int(d.name)] = int(stat[stat.rindex(")") + 2:].split()[1])
                except (OSError, ValueError):
                    continue
            total = 0
            for pid, name in names.items():
                p, seen = pid, 0
                while p > 1 and p != me and seen < 64:
                    p, seen = parents.get(p, 0), seen + 1
                if p == me and "chrom" in name:
                    total += _pss(pid)
            self.peak = max(self.peak, total)


def _pss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0
