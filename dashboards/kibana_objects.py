"""The Kibana 8.x saved objects for yuqing: data views, Lens panels, saved searches, dashboards.

Generated, not hand-edited, so `dashboards/yuqing.ndjson` can be rebuilt after a mapping change:

    python -m dashboards.kibana_objects            # rewrites dashboards/yuqing.ndjson

`yuqing kibana import` builds the same objects for the configured index prefix and adds one
drill-down dashboard per configured topic (the committed file carries the generic drill-down,
whose 话题 control picks the topic).
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from dashboards import lens
from dashboards.lens import CORE_VERSION, dumps
from yuqing.store import index_name

NDJSON = Path(__file__).with_name("yuqing.ndjson")
NEGATIVE = 'sentiment_label : "negative"'


def data_views(prefix: str) -> list[dict]:
    def view(suffix: str, time_field: str, name: str) -> dict:
        return {"id": index_name(prefix, suffix), "type": "index-pattern", "coreMigrationVersion": CORE_VERSION,
                "typeMigrationVersion": "8.0.0", "managed": False, "references": [],
                "attributes": {"title": f"{index_name(prefix, suffix)}*", "name": name, "timeFieldName": time_field,
                               "fieldFormatMap": "{}", "runtimeFieldMap": "{}", "fields": "[]", "typeMeta": "{}"}}

    return [view("posts", "published_at", "舆情帖子"), view("alerts", "fired_at", "舆情预警")]


def lens_panels(prefix: str) -> dict[str, lens.Lens]:
    posts, alerts = index_name(prefix, "posts"), index_name(prefix, "alerts")
    i = lambda name: f"{prefix}-lens-{name}"  # noqa: E731
    p = {}
    k = i("volume-sentiment")
    p["volume"] = lens.xy(k, "声量趋势（按情感）", posts, (f"{k}-x", lens.date_histogram("published_at")),
                          {f"{k}-y": lens.count()},
                          split=(f"{k}-s", lens.terms("sentiment_label", "情感", f"{k}-y", size=3)))
    k = i("negative-share")
    shown, parts = lens.ratio_formula(f"{k}-y", "负面占比", NEGATIVE)
    p["negative_share"] = lens.xy(k, "负面占比趋势", posts, (f"{k}-x", lens.date_histogram("published_at")),
                                  shown, series="line", hidden=parts)
    k = i("platform")
    p["platform"] = lens.pie(k, "平台声量分布", posts, (f"{k}-g", lens.terms("platform", "平台", f"{k}-v", size=10,
                                                                          other=True)),
                             (f"{k}-v", lens.count()))
    k = i("topic-sentiment")
    p["topic_sentiment"] = lens.xy(k, "话题情感分布", posts, (f"{k}-x", lens.terms("topics", "话题", f"{k}-y", size=20)),
                                   {f"{k}-y": lens.count()},
                                   split=(f"{k}-s", lens.terms("sentiment_label", "情感", f"{k}-y", size=3)),
                                   series="bar_horizontal_stacked")
    k = i("keywords")
    p["keywords"] = lens.tagcloud(k, "热门关键词", posts, (f"{k}-t", lens.terms("keywords", "关键词", f"{k}-v", size=50)),
                                  (f"{k}-v", lens.count()))
    k = i("negative-authors")
    p["negative_authors"] = lens.table(
        k, "负面声量来源（作者 × 平台）", posts,
        [(f"{k}-a", lens.terms("author_name", "作者", f"{k}-e", size=20)),
         (f"{k}-p", lens.terms("platform", "平台", f"{k}-e", size=5))],
        [(f"{k}-c", lens.count("负面帖子")), (f"{k}-e", lens.metric("sum", "likes", "点赞")),
         (f"{k}-r", lens.metric("sum", "reposts", "转发")), (f"{k}-m", lens.metric("sum", "comments", "评论"))],
        query=NEGATIVE)
    k = i("negative-aspects")  # the flat keyword list: Lens cannot aggregate inside the nested `aspects`
    p["negative_aspects"] = lens.xy(k, "负面最多的方面", posts,
                                    (f"{k}-x", lens.terms("negative_aspects", "方面", f"{k}-y", size=12)),
                                    {f"{k}-y": lens.count("负面帖子")}, series="bar_horizontal")
    k = i("emotions")
    p["emotions"] = lens.xy(k, "情绪分布（DUTIR 七类）", posts, (f"{k}-x", lens.terms("emotions", "情绪", f"{k}-y", size=7)),
                            {f"{k}-y": lens.count("帖子")}, series="bar_horizontal")
    k = i("alerts-over-time")
    p["alerts"] = lens.xy(k, "预警趋势", alerts, (f"{k}-x", lens.date_histogram("fired_at")),
                          {f"{k}-y": lens.count("预警数")},
                          split=(f"{k}-s", lens.terms("severity", "级别", f"{k}-y", size=3)))
    return p


def saved_search(obj_id: str, title: str, data_view: str, columns: list[str], sort: list[list[str]],
                 query: str = "") -> dict:
    source = {"query": {"query": query, "language": "kuery"}, "filter": [],
              "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"}
    return {"id": obj_id, "type": "search", "coreMigrationVersion": CORE_VERSION, "typeMigrationVersion": "8.0.0",
            "managed": False,
            "attributes": {"title": title, "description": "", "columns": columns, "sort": sort, "grid": {},
                           "hideChart": True, "isTextBasedQuery": False,
                           "kibanaSavedObjectMeta": {"searchSourceJSON": dumps(source)}},
            "references": [{"type": "index-pattern", "id": data_view,
                            "name": "kibanaSavedObjectMeta.searchSourceJSON.index"}]}


def searches(prefix: str) -> dict[str, dict]:
    return {
        "negative_posts": saved_search(
            f"{prefix}-search-negative-posts", "高互动负面帖子", f"{prefix}-posts",
            ["platform", "author_name", "text", "likes", "comments", "reposts", "topics", "url"],
            [["likes", "desc"], ["comments", "desc"], ["reposts", "desc"]], NEGATIVE),
        "alert_table": saved_search(
            f"{prefix}-search-alerts", "预警列表", f"{prefix}-alerts",
            ["topic", "severity", "kind", "rule", "title", "value", "baseline"], [["fired_at", "desc"]]),
    }


# Grid is 48 columns wide; (panel key, x, y, w, h).
OVERVIEW = [("volume", 0, 0, 32, 12), ("platform", 32, 0, 16, 12), ("negative_share", 0, 12, 24, 10),
            ("topic_sentiment", 24, 12, 24, 10), ("keywords", 0, 22, 16, 14), ("negative_posts", 16, 22, 32, 14),
            ("alerts", 0, 36, 16, 12), ("alert_table", 16, 36, 32, 12), ("negative_authors", 0, 48, 48, 12),
            ("negative_aspects", 0, 60, 24, 12), ("emotions", 24, 60, 24, 12)]
DRILL = [("volume", 0, 0, 32, 12), ("platform", 32, 0, 16, 12), ("negative_share", 0, 12, 24, 12),
         ("keywords", 24, 12, 24, 12), ("negative_posts", 0, 24, 48, 14), ("negative_authors", 0, 38, 24, 12),
         ("alert_table", 24, 38, 24, 12), ("negative_aspects", 0, 50, 24, 12), ("emotions", 24, 50, 24, 12)]


def dashboard(obj_id: str, title: str, description: str, layout: list[tuple], objects: dict[str, dict],
              query: str = "", topic_control: str | None = None, drilldowns: dict[str, str] | None = None) -> dict:
    """`drilldowns` maps a panel key to a dashboard id: clicking a bar there opens that dashboard
    with the clicked value as a filter (Kibana's dashboard-to-dashboard drilldown)."""
    panels, refs = [], []
    for n, (key, x, y, w, h) in enumerate(layout, 1):
        obj = objects[key]
        idx = str(n)
        enhancements: dict = {}
        if drilldowns and key in drilldowns:
            event = f"{obj_id}-{idx}-drilldown"
            enhancements = {"dynamicActions": {"events": [{
                "eventId": event, "triggers": ["FILTER_TRIGGER"],
                "action": {"factoryId": "DASHBOARD_TO_DASHBOARD_DRILLDOWN", "name": "查看话题详情",
                           "config": {"useCurrentFilters": True, "useCurrentDateRange": True,
                                      "openInNewTab": False}}}]}}
            refs.append({"type": "dashboard", "id": drilldowns[key],
                         "name": f"{idx}:drilldown:DASHBOARD_TO_DASHBOARD_DRILLDOWN:{event}:dashboardId"})
        panels.append({"version": "8.8.0", "type": obj["type"], "panelIndex": idx,
                       "gridData": {"x": x, "y": y, "w": w, "h": h, "i": idx},
                       "embeddableConfig": {"enhancements": enhancements}, "panelRefName": f"panel_{idx}"})
        refs.append({"type": obj["type"], "id": obj["id"], "name": f"{idx}:panel_{idx}"})
    attrs = {"title": title, "description": description, "version": 1, "timeRestore": True,
             "timeFrom": "now-7d", "timeTo": "now", "refreshInterval": {"pause": False, "value": 300000},
             "optionsJSON": dumps({"useMargins": True, "syncColors": True, "syncCursor": True,
                                   "syncTooltips": False, "hidePanelTitles": False}),
             "panelsJSON": dumps(panels),
             "kibanaSavedObjectMeta": {"searchSourceJSON": dumps({"query": {"query": query, "language": "kuery"},
                                                                  "filter": []})}}
    if topic_control:
        cid = f"{obj_id}-topic"
        control = {cid: {"order": 0, "width": "medium", "grow": True, "type": "optionsListControl",
                         "explicitInput": {"id": cid, "fieldName": "topics", "title": "话题", "singleSelect": True,
                                           "enhancements": {}}}}
        attrs["controlGroupInput"] = {
            "controlStyle": "oneLine", "chainingSystem": "HIERARCHICAL", "panelsJSON": dumps(control),
            "ignoreParentSettingsJSON": dumps({"ignoreFilters": False, "ignoreQuery": False,
                                               "ignoreTimerange": False, "ignoreValidations": False})}
        refs.append({"type": "index-pattern", "id": topic_control, "name": f"controlGroup_{cid}:optionsListDataView"})
    return {"id": obj_id, "type": "dashboard", "coreMigrationVersion": CORE_VERSION, "typeMigrationVersion": "8.7.0",
            "managed": False, "attributes": attrs, "references": refs}


def topic_slug(topic: str) -> str:
    """Saved-object ids must be stable and URL-safe; topic names are Chinese."""
    return hashlib.sha1(topic.encode()).hexdigest()[:10]


def build(prefix: str = "yuqing", topics: list[str] | None = None) -> list[dict]:
    """All saved objects, referenced objects before the objects that use them."""
    objects: dict[str, dict] = {k: v.saved_object() for k, v in lens_panels(prefix).items()}
    objects.update(searches(prefix))
    out = data_views(prefix) + list(objects.values())
    out.append(dashboard(f"{prefix}-dashboard-overview", "舆情总览",
                         "全部话题的声量、情感、平台、关键词与预警（时间为浏览器时区，建议设为 Asia/Shanghai）",
                         OVERVIEW, objects, drilldowns={"topic_sentiment": f"{prefix}-dashboard-topic"}))
    out.append(dashboard(f"{prefix}-dashboard-topic", "舆情话题详情", "用顶部“话题”控件选择一个话题下钻",
                         DRILL, objects, topic_control=f"{prefix}-posts"))
    for t in topics or []:
        q = f'topics : "{t}"'
        out.append(dashboard(f"{prefix}-dashboard-topic-{topic_slug(t)}", f"舆情话题 · {t}",
                             f"话题“{t}”的声量、情感与预警", DRILL, objects, query=q))
    return out


def to_ndjson(objects: list[dict]) -> str:
    return "".join(dumps(o) + "\n" for o in objects)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else NDJSON
    out.write_text(to_ndjson(build()), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
