"""`source_down`: a source (spider) whose last `runs` crawl runs yielded no new or updated post
while failures dominated: an expired login, a captcha wall, a changed layout. Without it the team
sees calm and believes all is well (ElastAlert users ask for this as "flatline").

Judged per source, not per topic, from the crawl runs `yuqing crawl` records in
`<prefix>-crawls` (crawlers/runlog.py writes them), all sources in one request. A run is down when it
yielded nothing and its failures outnumber the posts it found at all (new or already known): a
quiet incremental run is not a failure, nor is one 429 among fifty known posts. The alert names
the failure kinds and the last run that yielded; the first run that yields again ends it.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from datetime import datetime, timezone

from alerts import text
from alerts.alert import Alert
from alerts.rules.base import Rule
from alerts.state import parse_dt


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat()


def latest_runs(store, now: datetime, since: datetime, n: int) -> dict[str, dict]:
    """Per spider with runs finished in [since, now]: its `n` latest runs (newest first) and
    when it last yielded a new or updated post (`last_yield`, any time before now, or None)."""
    r = store.search(store.crawls_index, size=0, query={"range": {"finished_at": {"lte": _iso(now)}}},
                     aggs={"s": {"terms": {"field": "spider", "size": 500}, "aggs": {
                         "recent": {"filter": {"range": {"finished_at": {"gte": _iso(since)}}}, "aggs": {
                             "runs": {"top_hits": {"size": n, "sort": [{"finished_at": "desc"}]}}}},
                         "yielded": {"filter": {"term": {"yielded": True}}, "aggs": {
                             "last": {"max": {"field": "finished_at"}}}}}}})
    out = {}
    for b in r.get("aggregations", {}).get("s", {}).get("buckets", []):
        runs = [h["_source"] for h in b["recent"]["runs"]["hits"]["hits"]]
        last = b["yielded"]["last"].get("value")
        if runs:
            out[b["key"]] = {"runs": runs, "last_yield": datetime.fromtimestamp(last / 1000, tz=timezone.utc)
                             if last is not None else None}
    return out


class CrawlHistory:
    """Every crawl run finished by `until`, read once, for backtests: `latest(now, since, n)`
    answers what `latest_runs` would have answered at `now`, in memory."""

    def __init__(self, store, until: datetime):
        per: dict[str, list[tuple[datetime, dict]]] = {}
        for h in store.scan(store.crawls_index, {"range": {"finished_at": {"lte": _iso(until)}}}):
            d = h["_source"]
            per.setdefault(d["spider"], []).append((parse_dt(d["finished_at"]), d))
        self.spiders = {}
        for spider, runs in per.items():
            runs.sort(key=lambda x: x[0])
            last, ylast = None, [None]
            for fin, d in runs:
                last = fin if d.get("yielded") else last
                ylast.append(last)
            self.spiders[spider] = ([f for f, _ in runs], [d for _, d in runs], ylast)

    def latest(self, now: datetime, since: datetime, n: int) -> dict[str, dict]:
        out = {}
        for spider, (fins, docs, ylast) in self.spiders.items():
            lo, hi = bisect_left(fins, since), bisect_right(fins, now)
            if hi > lo:
                out[spider] = {"runs": docs[max(lo, hi - n):hi][::-1], "last_yield": ylast[hi]}
        return out


def is_down(run: dict) -> bool:
    if run.get("yielded"):
        return False
    failures = run.get("failures_total", 0) + (1 if run.get("error") else 0)
    return failures > 0 and failures > run.get("items", 0) + run.get("seen", 0)


class SourceDown(Rule):
    name = "source_down"
    unit = "次采集无新帖且以失败为主"

    def evaluate_sources(self, store, now: datetime, history: CrawlHistory | None = None) -> dict[str, Alert | None]:
        """Every source with runs in the last `window`: its alert, or None when it is fine
        (read from `history` in a backtest)."""
        args = (now, now - self.p.window, min(3 * self.p.runs, 100))
        latest = history.latest(*args) if history is not None else latest_runs(store, *args)
        out: dict[str, Alert | None] = {}
        for source, info in sorted(latest.items()):
            runs = info["runs"]
            streak = next((i for i, r in enumerate(runs) if not is_down(r)), len(runs))
            out[source] = self._alert(source, runs[:streak], info["last_yield"], now) \
                if streak >= self.p.runs else None
        return out

    def evaluate(self, store, topic: str, now: datetime) -> list[Alert]:
        """The rule contract for one source (`topic` names the spider)."""
        a = self.evaluate_sources(store, now).get(topic)
        return [a] if a else []

    def _alert(self, source: str, streak: list[dict], last_yield: datetime | None, now: datetime) -> Alert:
        kinds: Counter = Counter()
        for r in streak:
            kinds.update(r.get("failures") or {})
            if r.get("error"):
                kinds["error"] += 1
        first = parse_dt(streak[-1].get("started_at") or streak[-1]["finished_at"])
        a = Alert(topic=source, rule=self.name, fired_at=now, window_start=first, window_end=now,
                  value=len(streak), threshold=self.p.runs,
                  severity=text.severity_for(len(streak), self.p.runs, self.p.warning_at, self.p.critical_at),
                  top_keywords=[f"{k}({n})" for k, n in kinds.most_common()])
        a.title = text.title(a)
        good = f"{text.local(last_yield, self.ctx.tz):%m月%d日 %H:%M}" if last_yield else "没有记录"
        a.summary = (f"数据源 {source} 在 {text.window_zh(first, now, self.ctx.tz)} 连续 {len(streak)} 次采集"
                     f"没有新帖或更新，失败为主：{'、'.join(a.top_keywords) or '未知'}。上次采到新帖或更新：{good}。"
                     "请检查登录状态（Cookie）、验证码或页面改版。")
        return a

    @staticmethod
    def recovered(note: Alert) -> Alert:
        note.summary = (f"数据源 {note.topic} 已恢复：最近一次采集拿到了新帖或更新"
                        f"（此前连续 {note.value:g} 次失败）。")
        return note
