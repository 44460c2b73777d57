"""Builders for Kibana 8.x Lens saved objects.

Hand-written Lens JSON drifts and breaks silently on import, so every panel is built from these
few helpers; the shapes follow the 8.x `formBased` datasource as Kibana itself exports it
(sample data sets of elastic/kibana). Column and layer ids are derived from the panel id, so the
generated NDJSON is byte-for-byte reproducible.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

CORE_VERSION = "8.8.0"
LENS_VERSION = "8.9.0"  # state uses `formBased` (renamed from `indexpattern` in 8.6)


def dumps(obj: Any) -> str:
    """Kibana stores several attributes as JSON inside JSON; keep them compact and stable."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


# -- columns --------------------------------------------------------------------------------
def count(label: str = "帖子数", kql: str | None = None) -> dict:
    col = {"label": label, "customLabel": True, "dataType": "number", "operationType": "count",
           "isBucketed": False, "scale": "ratio", "sourceField": "___records___", "params": {"emptyAsNull": False}}
    if kql:
        col["filter"] = {"query": kql, "language": "kuery"}
    return col


def metric(op: str, field_name: str, label: str) -> dict:
    return {"label": label, "customLabel": True, "dataType": "number", "operationType": op, "isBucketed": False,
            "scale": "ratio", "sourceField": field_name, "params": {"emptyAsNull": True}}


def date_histogram(field_name: str, label: str = "时间", interval: str = "auto") -> dict:
    return {"label": label, "customLabel": True, "dataType": "date", "operationType": "date_histogram",
            "sourceField": field_name, "isBucketed": True, "scale": "interval",
            "params": {"interval": interval, "includeEmptyRows": True, "dropPartials": False}}


def terms(field_name: str, label: str, order_by: str, size: int = 10, other: bool = False) -> dict:
    return {"label": label, "customLabel": True, "dataType": "string", "operationType": "terms",
            "sourceField": field_name, "isBucketed": True, "scale": "ordinal",
            "params": {"size": size, "orderBy": {"type": "column", "columnId": order_by}, "orderDirection": "desc",
                       "otherBucket": other, "missingBucket": False, "parentFormat": {"id": "terms"}}}


def ratio_formula(col_id: str, label: str, kql: str) -> tuple[dict[str, dict], dict[str, dict]]:
    """`count(kql=…) / count()` as Lens persists a formula: (the visible column, its hidden parts)."""
    part = f"Part of {label}"
    formula = f"count(kql='{kql}') / count()"
    num, den, math = f"{col_id}X0", f"{col_id}X1", f"{col_id}X2"
    hidden = {
        num: count(part, kql),
        den: count(part),
        math: {"label": part, "customLabel": True, "dataType": "number", "operationType": "math", "isBucketed": False,
               "scale": "ratio", "references": [num, den],
               "params": {"tinymathAst": {"type": "function", "name": "divide", "args": [num, den],
                                          "location": {"min": 0, "max": len(formula)}, "text": formula}}},
    }
    visible = {col_id: {"label": label, "customLabel": True, "dataType": "number", "operationType": "formula",
                        "isBucketed": False, "scale": "ratio", "references": [math],
                        "params": {"formula": formula, "isFormulaBroken": False,
                                   "format": {"id": "percent", "params": {"decimals": 0}}}}}
    return visible, hidden


# -- objects --------------------------------------------------------------------------------
@dataclass
class Lens:
    """One Lens visualisation: a single formBased layer on one data view."""

    id: str
    title: str
    vis_type: str  # lnsXY | lnsPie | lnsTagcloud | lnsDatatable | lnsMetric
    data_view: str
    columns: dict[str, dict]
    visualization: dict
    query: str = ""
    description: str = ""
    layer: str = field(init=False)

    def __post_init__(self) -> None:
        self.layer = f"{self.id}-layer"

    def saved_object(self) -> dict:
        # Bucketed columns first: Lens nests aggregations in columnOrder order.
        order = sorted(self.columns, key=lambda c: (not self.columns[c]["isBucketed"], c.count("X"), c))
        state = {
            "datasourceStates": {"formBased": {"layers": {self.layer: {
                "columns": self.columns, "columnOrder": order, "incompleteColumns": {}}}}},
            "visualization": self.visualization,
            "query": {"query": self.query, "language": "kuery"},
            "filters": [],
            "adHocDataViews": {},
            "internalReferences": [],
        }
        return {
            "id": self.id,
            "type": "lens",
            "coreMigrationVersion": CORE_VERSION,
            "typeMigrationVersion": LENS_VERSION,
            "managed": False,
            "attributes": {"title": self.title, "description": self.description,
                           "visualizationType": self.vis_type, "state": state},
            "references": [{"type": "index-pattern", "id": self.data_view,
                            "name": f"indexpattern-datasource-layer-{self.layer}"}],
        }


def xy(lens_id: str, title: str, data_view: str, x: tuple[str, dict], y: dict[str, dict],
       split: tuple[str, dict] | None = None, series: str = "bar_stacked", query: str = "",
       hidden: dict[str, dict] | None = None) -> Lens:
    """An XY chart: x column, the y columns drawn, optional split; `hidden` holds formula parts."""
    cols = {x[0]: x[1], **y, **(hidden or {})}
    if split:
        cols[split[0]] = split[1]
    accessors = list(y)
    layer = {"layerId": f"{lens_id}-layer", "layerType": "data", "seriesType": series, "xAccessor": x[0],
             "accessors": accessors, "palette": {"type": "palette", "name": "default"}}
    if split:
        layer["splitAccessor"] = split[0]
    vis = {"preferredSeriesType": series, "layers": [layer], "valueLabels": "hide", "fittingFunction": "Linear",
           "legend": {"isVisible": True, "position": "bottom"},
           "axisTitlesVisibilitySettings": {"x": False, "yLeft": True, "yRight": True}}
    return Lens(lens_id, title, "lnsXY", data_view, cols, vis, query=query)


def pie(lens_id: str, title: str, data_view: str, by: tuple[str, dict], value: tuple[str, dict]) -> Lens:
    vis = {"shape": "donut", "layers": [{"layerId": f"{lens_id}-layer", "layerType": "data",
                                         "primaryGroups": [by[0]], "metrics": [value[0]], "numberDisplay": "percent",
                                         "categoryDisplay": "default", "legendDisplay": "default"}]}
    return Lens(lens_id, title, "lnsPie", data_view, {by[0]: by[1], value[0]: value[1]}, vis)


def tagcloud(lens_id: str, title: str, data_view: str, tags: tuple[str, dict], value: tuple[str, dict]) -> Lens:
    vis = {"layerId": f"{lens_id}-layer", "tagAccessor": tags[0], "valueAccessor": value[0], "maxFontSize": 72,
           "minFontSize": 18, "orientation": "single", "showLabel": True}
    return Lens(lens_id, title, "lnsTagcloud", data_view, {tags[0]: tags[1], value[0]: value[1]}, vis)


def table(lens_id: str, title: str, data_view: str, rows: list[tuple[str, dict]], values: list[tuple[str, dict]],
          query: str = "") -> Lens:
    cols = {c: v for c, v in rows + values}
    vis = {"layerId": f"{lens_id}-layer", "layerType": "data",
           "columns": [{"columnId": c, "isTransposed": False} for c in cols]}
    return Lens(lens_id, title, "lnsDatatable", data_view, cols, vis, query=query)
