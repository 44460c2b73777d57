"""The summary `yuqing demo` ends with: every number is read back from the index, the alert
store and the receivers' folders, so the summary shows what really happened, not what was meant
to happen."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from rich.table import Table

from alerts.state_docs import StateDocs
from yuqing.app.common import console

LABELS = ("negative", "neutral", "positive")
LABELS_ZH = {"negative": "负面", "neutral": "中性", "positive": "正面"}


def print_summary(cfg, store, hook, mail, seconds: float) -> None:
    tz = ZoneInfo(cfg.timezone)
    now = datetime.now(timezone.utc)
    store.refresh()
    total = store.count()
    console.rule(f"yuqing demo: {total} posts in {cfg.elasticsearch.index_prefix}-posts")

    t = Table(title="平台 posts per platform")
    t.add_column("platform")
    t.add_column("posts", justify="right")
    for k, v in store.breakdown("platform").get("platform", {}).items():
        t.add_row(str(k), str(v))
    console.print(t)

    split = store.cross_breakdown("topics", "sentiment_label")
    t = Table(title="情感 sentiment per topic")
    t.add_column("topic")
    for lab in LABELS:
        t.add_column(f"{LABELS_ZH[lab]} {lab}", justify="right")
    t.add_column("not scored", justify="right")
    since = now - timedelta(days=30)
    keywords = {}
    for topic in cfg.topic_names():
        row = split.get(topic, {})
        n_topic = store.count({"term": {"topics": topic}})
        unscored = n_topic - sum(row.values())
        keywords[topic] = store.posts.top_keywords(topic, since, now + timedelta(days=1), n=10, negative_only=False)
        t.add_row(topic, *(str(row.get(lab, 0)) for lab in LABELS), str(unscored))
    console.print(t)
    console.print("关键词 keywords")
    for topic, kws in keywords.items():
        console.print(f"  {topic}: {'、'.join(kws) or '-'}", highlight=False, markup=False)

    t = Table(title="预警 alerts (last 24 h)")
    for col in ("fired (" + cfg.timezone + ")", "topic", "rule", "severity", "title"):
        t.add_column(col, overflow="fold")
    found = 0
    for topic in cfg.topic_names():
        for a in StateDocs(store).alerts(topic=topic, since=now - timedelta(days=1), size=20):
            found += 1
            fired = datetime.fromisoformat(a["fired_at"]).astimezone(tz).strftime("%m-%d %H:%M") if a.get("fired_at") else "-"
            t.add_row(fired, topic, a.get("rule", ""), a.get("severity", ""), a.get("title", ""))
    if found:
        console.print(t)
    quiet = [tp for tp in cfg.topic_names() if not StateDocs(store).alerts(topic=tp, since=now - timedelta(days=1), size=1)]
    if quiet:
        console.print(f"no alert in the last 24 h for: {', '.join(quiet)}", highlight=False)

    print_incidents(cfg, store, now)

    mails = mail.messages()
    hooks = sorted(hook.dir.glob("*.json"))
    console.print(f"\nmail: {len(mails)} messages in the Maildir {mail.dir} (open it with `mutt -f {mail.dir}`"
                  " or read the files)", highlight=False)
    for f, subject in mails[-3:]:
        console.print(f"  {f}  {subject}", highlight=False, markup=False)
    console.print(f"webhook: {len(hooks)} bodies received, filed in {hook.dir}", highlight=False)
    for f in hooks[-3:]:
        console.print(f"  {f}", highlight=False, markup=False)
    console.print(f"\ndashboards: `yuqing kibana import --config {cfg.path}` with Kibana on "
                  f"{cfg.alerts.kibana_url or 'http://127.0.0.1:5601'}, then open its 舆情总览 dashboard;\n"
                  f"            `yuqing report --config {cfg.path} --out report.html` for the HTML report.", highlight=False)
    console.print(f"demo config: {cfg.path}   took {seconds:.0f}s", highlight=False)


def print_incidents(cfg, store, now: datetime) -> None:
    """The incidents the demo's alerts opened (read back from `<prefix>-incidents`), with the
    console link each alert message carried."""
    from alerts.incidents import STATUS_ZH, Incidents

    found = Incidents(store, cfg).list("active", limit=10)
    if not found:
        console.print("事件 incidents: none open", highlight=False)
        return
    base = cfg.alerts.incidents.console_url.rstrip("/")
    console.print("\n事件 incidents", highlight=False)
    for inc in found:
        overdue = len(inc.overdue(now))
        console.print(f"  {inc.id}  {STATUS_ZH[inc.status]}  {inc.title}  告警 {len(inc.alert_ids)} 条"
                      + (f"，预案步骤逾期 {overdue} 个" if overdue else ""), highlight=False, markup=False)
        console.print(f"  打开控制台: yuqing serve --config {cfg.path} → {base}/incidents/{inc.id}", highlight=False,
                      markup=False)
        console.print(f"  或命令行: yuqing incidents show {inc.id} --config {cfg.path}", highlight=False, markup=False)
