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
from crawlers.replay.build import card, mblog, search_page
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
            "items_to_es_per_s": round(statistics.median(to_es), 1), "goal_ratio": 0.8}
