"""`yuqing bench --stage alert_latency`: from a spike's posts being indexed to the alert being
raised, and (when the outbox is installed) to a webhook on loopback receiving it.

It runs the same two calls the scheduler's alert job makes (`Engine.run_once`, then
`Engine.deliver`) every `alerts.interval` on a clock of its own, and injects each spike at a
random moment of that cycle, so the figure includes the wait for the next evaluation, which is
what a person waiting for the alert experiences. Each run gets its own index prefix (fresh state,
a day of steady background), so every spike is a first alert rather than a cooled-down repeat.
"""
from __future__ import annotations

import json
import math
import random
import statistics
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from rich.console import Console

from bench.harness import stage
from yuqing.config import Topic
from yuqing.app.config import Config
from yuqing.post import Post

RUNS = 5


def _p(xs: list[float], q: float) -> float:
    """Nearest-rank percentile (with few runs, p95 is the worst run, as it should be)."""
    s = sorted(xs)
    return round(s[max(math.ceil(q * len(s)) - 1, 0)], 2)


class _Receiver:
    def __init__(self):
        self.arrivals: list[tuple[float, dict]] = []
        rcv = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = {}
                rcv.arrivals.append((time.time(), doc))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *a):
                pass

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}/hook"
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()


def _posts(topic: str, start: datetime, end: datetime, step: timedelta, label: str, tag: str) -> list[Post]:
    out, t, i = [], start, 0
    while t < end:
        out.append(Post(platform="bench", post_id=f"{tag}-{label}-{i}", text=f"{topic} 基准帖子 {tag} {i}",
                        published_at=t, sentiment_label=label, topics=[topic], likes=i % 50))
        t, i = t + step, i + 1
    return out


def _one_run(cfg: Config, topic: str, interval: float, receiver: _Receiver | None, console: Console) -> dict:
    from alerts.engine import Engine
    from yuqing.store import Store

    store = Store(cfg.elasticsearch)
    now = datetime.now(timezone.utc)
    tag = uuid.uuid4().hex[:6]
    store.upsert(_posts(topic, now - timedelta(days=1), now, timedelta(minutes=7.5), "negative", tag)
                 + _posts(topic, now - timedelta(days=1), now, timedelta(minutes=3.75), "neutral", tag))
    store.refresh()
    eng = Engine(cfg, store)
    eng.run_once()  # the quiet state before the spike (and index creation) is not part of the figure
    raised: list[tuple[float, float]] = []  # (wall time, seconds run_once took)
    stop = threading.Event()

    def scheduler():
        nxt = time.time()
        while not stop.is_set():
            t0 = time.time()
            got = eng.run_once()
            took = time.time() - t0
            if got:
                raised.append((time.time(), took))
            eng.deliver()
            nxt += interval
            stop.wait(max(nxt - time.time(), 0))

    th = threading.Thread(target=scheduler, daemon=True)
    first = len(receiver.arrivals) if receiver else 0
    try:
        th.start()
        time.sleep(random.uniform(0, interval))  # a spike lands at any moment of the cycle
        spike_at = datetime.now(timezone.utc)
        store.upsert(_posts(topic, spike_at - timedelta(minutes=5), spike_at, timedelta(seconds=7.5), "negative",
                            tag + "s"))
        indexed = time.time()
        deadline = indexed + 4 * interval + 60
        while time.time() < deadline and not (raised and (not receiver or len(receiver.arrivals) > first)):
            time.sleep(0.05)
    finally:
        stop.set()
        th.join(timeout=interval + 30)
        store.drop_all()
    if not raised:
        return {"raised_s": None}
    out = {"raised_s": raised[0][0] - indexed, "eval_s": raised[0][1]}
    if receiver:
        out["webhook_s"] = (receiver.arrivals[first][0] - indexed) if len(receiver.arrivals) > first else None
    return out


@stage("alert_latency")
def bench_alert_latency(cfg: Config, console: Console, runs: int = RUNS, **_) -> dict:
    receiver = _Receiver()
    topic = "基准话题"
    acfg = cfg.alerts.model_dump(mode="json")
    acfg["channels"] = [{"name": "bench-hook", "type": "webhook", "url": receiver.url}]
    acfg["topics"] = {}
    interval = cfg.alerts.interval.total_seconds()
    results = []
    for r in range(runs):
        es = cfg.elasticsearch.model_copy(update={"index_prefix": f"bench-alerts-{uuid.uuid4().hex[:8]}"})
        c = cfg.model_copy(update={"elasticsearch": es, "topics": [Topic(name=topic, keywords=[topic])],
                                   "alerts": type(cfg.alerts).model_validate(acfg)})
        res = _one_run(c, topic, interval, receiver, console)
        console.print(f"  run {r + 1}/{runs}: " + ", ".join(f"{k}={v:.2f}" if v is not None else f"{k}=none"
                                                           for k, v in res.items()))
        results.append(res)
    if receiver:
        receiver.srv.shutdown()
    raised = [x["raised_s"] for x in results if x.get("raised_s") is not None]
    hooks = [x["webhook_s"] for x in results if x.get("webhook_s") is not None]
    out = {"runs": runs, "interval_s": interval, "alerts_raised": len(raised),
           "raised_p50_s": _p(raised, 0.5) if raised else None, "raised_p95_s": _p(raised, 0.95) if raised else None,
           "eval_median_s": round(statistics.median([x["eval_s"] for x in results if "eval_s" in x]), 3) if raised else None}
    if receiver:
        out |= {"webhooks_received": len(hooks), "webhook_p50_s": _p(hooks, 0.5) if hooks else None,
                "webhook_p95_s": _p(hooks, 0.95) if hooks else None}
    out["goal_p95_s"] = 60
    return out
