"""No Kibana runs here, so the saved-objects file is checked the way Kibana would read it: every
line and embedded JSON parses, every reference resolves, every field a panel touches exists in
the real index mappings with a type the operation accepts, and the import request is checked
by a real HTTP server standing in for Kibana."""
from __future__ import annotations

import email
import email.policy
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dashboards.kibana_objects import NDJSON, build, to_ndjson
from yuqing.config import ElasticsearchConfig
from yuqing.store import Store

NUMERIC = {"long", "integer", "short", "byte", "float", "double", "half_float", "scaled_float"}
AGGREGATABLE = NUMERIC | {"keyword", "date", "boolean", "ip"}
OPERATION_TYPES = {
    "date_histogram": {"date"},
    "terms": NUMERIC | {"keyword", "boolean", "ip"},
    "sum": NUMERIC, "avg": NUMERIC, "min": NUMERIC | {"date"}, "max": NUMERIC | {"date"}, "median": NUMERIC,
    "unique_count": AGGREGATABLE, "count": AGGREGATABLE, "last_value": AGGREGATABLE,
}
EMBEDDED = ("panelsJSON", "optionsJSON", "fieldFormatMap", "runtimeFieldMap", "fields", "typeMeta")


def flatten(props: dict, prefix: str = "") -> dict[str, str]:
    """Mapping properties (with multi-fields such as text.raw) as {path: type}."""
    out = {}
    for name, spec in props.items():
        path = prefix + name
        if "properties" in spec:
            out.update(flatten(spec["properties"], path + "."))
            continue
        out[path] = spec.get("type", "object")
        for sub, sspec in spec.get("fields", {}).items():
            out[f"{path}.{sub}"] = sspec["type"]
    return out


def real_mappings(prefix: str = "yuqing") -> dict[str, dict[str, str]]:
    """Data view id -> field types, from the same code that creates the indices."""
    from alerts.state_docs import ALERTS_MAPPING

    store = Store(ElasticsearchConfig(index_prefix=prefix))
    return {f"{prefix}-posts": flatten(store.template()["template"]["mappings"]["properties"]),
            f"{prefix}-alerts": flatten(ALERTS_MAPPING["properties"])}


def kql_fields(query: str) -> set[str]:
    return set(re.findall(r"([A-Za-z_][\w.]*)\s*:", query or ""))


def load(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def field_problems(objects: list[dict], mappings: dict[str, dict[str, str]]) -> list[str]:
    """Every field use in every object, checked against the mapping of the data view it reads."""
    problems: list[str] = []
    by_id = {o["id"]: o for o in objects}

    def need(view: str, fname: str, allowed: set[str] | None, where: str) -> None:
        types = mappings.get(view)
        if types is None:
            problems.append(f"{where}: unknown data view {view}")
        elif fname not in types:
            problems.append(f"{where}: field {fname} is not in the {view} mapping")
        elif allowed is not None and types[fname] not in allowed:
            problems.append(f"{where}: field {fname} is {types[fname]}, needs one of {sorted(allowed)}")

    for o in objects:
        where = f"{o['type']} {o['id']}"
        a = o["attributes"]
        if o["type"] == "index-pattern":
            need(o["id"], a["timeFieldName"], {"date"}, where)
        elif o["type"] == "lens":
            state = a["state"]
            for layer_id, layer in state["datasourceStates"]["formBased"]["layers"].items():
                ref = next(r for r in o["references"] if r["name"] == f"indexpattern-datasource-layer-{layer_id}")
                view = ref["id"]
                for f in kql_fields(state["query"]["query"]):
                    need(view, f, None, where)
                for cid, col in layer["columns"].items():
                    src = col.get("sourceField")
                    if src and src != "___records___":
                        need(view, src, OPERATION_TYPES.get(col["operationType"], AGGREGATABLE), f"{where} {cid}")
                    for f in kql_fields((col.get("filter") or {}).get("query", "")):
                        need(view, f, None, f"{where} {cid} filter")
        elif o["type"] == "search":
            view = o["references"][0]["id"]
            src = json.loads(a["kibanaSavedObjectMeta"]["searchSourceJSON"])
            for f in a["columns"]:
                need(view, f, None, f"{where} column")
            for f, _dir in a["sort"]:
                need(view, f, AGGREGATABLE, f"{where} sort")
            for f in kql_fields(src["query"]["query"]):
                need(view, f, None, f"{where} query")
        elif o["type"] == "dashboard":
            src = json.loads(a["kibanaSavedObjectMeta"]["searchSourceJSON"])
            posts = next(k for k in mappings if k.endswith("-posts"))
            for f in kql_fields(src["query"]["query"]):
                need(posts, f, None, f"{where} query")
            if "controlGroupInput" in a:
                for cid, c in json.loads(a["controlGroupInput"]["panelsJSON"]).items():
                    ref = next(r for r in o["references"] if r["name"].startswith(f"controlGroup_{cid}:"))
                    need(ref["id"], c["explicitInput"]["fieldName"], AGGREGATABLE, f"{where} control")
    return problems


@pytest.fixture(scope="module")
def objects() -> list[dict]:
    return load(NDJSON.read_text(encoding="utf-8"))


def test_committed_file_is_what_the_generator_writes():
    assert NDJSON.read_text(encoding="utf-8") == to_ndjson(build()), \
        "dashboards/yuqing.ndjson is stale: run `python -m dashboards.kibana_objects`"


def test_every_line_and_embedded_json_parses(objects):
    for line in NDJSON.read_text(encoding="utf-8").splitlines():
        assert isinstance(json.loads(line), dict)
    ids = [(o["type"], o["id"]) for o in objects]
    assert len(ids) == len(set(ids))
    for o in objects:
        a = o["attributes"]
        for k in EMBEDDED:
            if k in a:
                json.loads(a[k])
        if "kibanaSavedObjectMeta" in a:
            json.loads(a["kibanaSavedObjectMeta"]["searchSourceJSON"])
        if "controlGroupInput" in a:
            json.loads(a["controlGroupInput"]["panelsJSON"])
            json.loads(a["controlGroupInput"]["ignoreParentSettingsJSON"])


def test_contents_match_the_issue(objects):
    views = {o["attributes"]["title"]: o["attributes"]["timeFieldName"] for o in objects if o["type"] == "index-pattern"}
    assert views == {"yuqing-posts*": "published_at", "yuqing-alerts*": "fired_at"}
    dash = {o["attributes"]["title"] for o in objects if o["type"] == "dashboard"}
    assert {"舆情总览", "舆情话题详情"} <= dash
    overview = next(o for o in objects if o["attributes"]["title"] == "舆情总览")
    assert {"type": "dashboard", "id": "yuqing-dashboard-topic"} in \
        [{"type": r["type"], "id": r["id"]} for r in overview["references"]]  # drill-down from the topic chart
    vis = {o["attributes"]["visualizationType"] for o in objects if o["type"] == "lens"}
    assert {"lnsXY", "lnsPie", "lnsTagcloud", "lnsDatatable"} <= vis
    formulas = [c for o in objects if o["type"] == "lens"
                for layer in o["attributes"]["state"]["datasourceStates"]["formBased"]["layers"].values()
                for c in layer["columns"].values() if c["operationType"] == "formula"]
    assert formulas and "sentiment_label" in formulas[0]["params"]["formula"]


def test_every_reference_resolves(objects):
    have = {(o["type"], o["id"]) for o in objects}
    for o in objects:
        refs = {r["name"]: r for r in o["references"]}
        assert len(refs) == len(o["references"]), f"{o['id']}: duplicate reference names"
        for r in o["references"]:
            assert (r["type"], r["id"]) in have, f"{o['id']} -> missing {r['type']} {r['id']}"
        a = o["attributes"]
        if o["type"] == "lens":
            state = a["state"]
            for layer_id, layer in state["datasourceStates"]["formBased"]["layers"].items():
                assert f"indexpattern-datasource-layer-{layer_id}" in refs
                cols = layer["columns"]
                assert sorted(layer["columnOrder"]) == sorted(cols)
                for c in cols.values():
                    for dep in c.get("references", []):
                        assert dep in cols, f"{o['id']}: column refers to missing {dep}"
                    if c["operationType"] == "terms":
                        assert c["params"]["orderBy"]["columnId"] in cols
            vis = state["visualization"]
            used = [vis.get(k) for k in ("tagAccessor", "valueAccessor")]
            for layer in vis.get("layers", []):
                used += layer.get("accessors", []) + layer.get("metrics", []) + layer.get("primaryGroups", [])
                used += [layer.get("xAccessor"), layer.get("splitAccessor")]
            used += [c["columnId"] for c in vis.get("columns", [])]
            all_cols = {c for layer in state["datasourceStates"]["formBased"]["layers"].values()
                        for c in layer["columns"]}
            assert {u for u in used if u} <= all_cols
        elif o["type"] == "search":
            src = json.loads(a["kibanaSavedObjectMeta"]["searchSourceJSON"])
            assert src["indexRefName"] in refs
        elif o["type"] == "dashboard":
            for p in json.loads(a["panelsJSON"]):
                ref = refs[f"{p['panelIndex']}:{p['panelRefName']}"]
                assert ref["type"] == p["type"]
                for ev in p["embeddableConfig"]["enhancements"].get("dynamicActions", {}).get("events", []):
                    assert ev["action"]["factoryId"] == "DASHBOARD_TO_DASHBOARD_DRILLDOWN"
                    r = refs[f"{p['panelIndex']}:drilldown:DASHBOARD_TO_DASHBOARD_DRILLDOWN:{ev['eventId']}:dashboardId"]
                    assert r["type"] == "dashboard"
                g = p["gridData"]
                assert g["x"] + g["w"] <= 48 and g["i"] == p["panelIndex"]
            if "controlGroupInput" in a:
                for cid in json.loads(a["controlGroupInput"]["panelsJSON"]):
                    assert f"controlGroup_{cid}:optionsListDataView" in refs


def test_every_field_exists_in_the_mapping_with_a_compatible_type(objects):
    assert field_problems(objects, real_mappings()) == []
    with_topics = build("yuqing", ["星河手机", "青禾奶茶"])
    assert sum(o["type"] == "dashboard" for o in with_topics) == 4
    assert field_problems(with_topics, real_mappings()) == []


@pytest.mark.parametrize("change, expected", [
    (lambda m: m["yuqing-posts"].pop("sentiment_label"), "sentiment_label is not in the yuqing-posts mapping"),
    (lambda m: m["yuqing-posts"].__setitem__("published_at", "keyword"), "published_at is keyword, needs"),
    (lambda m: m["yuqing-posts"].__setitem__("likes", "text"), "likes is text, needs"),
    (lambda m: m["yuqing-alerts"].pop("severity"), "severity is not in the yuqing-alerts mapping"),
])
def test_a_mapping_change_is_caught(objects, change, expected):
    mappings = real_mappings()
    change(mappings)
    assert any(expected in p for p in field_problems(objects, mappings))


# -- the import request, against a real HTTP server standing in for Kibana -----------------------
class FakeKibana(BaseHTTPRequestHandler):
    requests: list[dict] = []
    reply: tuple[int, dict] = (200, {})

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).requests.append({"method": "POST", "path": self.path, "headers": dict(self.headers.items()),
                                    "body": body})
        status, payload = type(self).reply
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


@pytest.fixture
def kibana():
    FakeKibana.requests = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), FakeKibana)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", FakeKibana
    srv.shutdown()
    srv.server_close()


def multipart_files(req: dict) -> dict[str, tuple[str, str, bytes]]:
    headers = {k.lower(): v for k, v in req["headers"].items()}
    msg = email.message_from_bytes(f"Content-Type: {headers['content-type']}\r\n\r\n".encode() + req["body"],
                                   policy=email.policy.HTTP)
    assert msg.is_multipart()
    out = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        out[name] = (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
    return out


def test_import_posts_multipart_ndjson_with_xsrf_and_auth(kibana, cli, cfg):
    url, srv = kibana
    srv.reply = (200, {"success": True, "successCount": 15, "successResults": [
        {"type": "dashboard", "id": f"{cfg.elasticsearch.index_prefix}-dashboard-overview", "meta": {"title": "舆情总览"}}]})
    r = cli("kibana", "import", "--url", url, "--space", "ops", env={"YUQING_KIBANA_API_KEY": "c2VjcmV0"})
    assert r.returncode == 0, r.stderr
    assert "imported 15 saved objects" in r.stdout and "/s/ops/app/dashboards#/view/" in r.stdout
    (req,) = srv.requests
    assert req["method"] == "POST"
    assert req["path"] == "/s/ops/api/saved_objects/_import?overwrite=true"
    h = {k.lower(): v for k, v in req["headers"].items()}
    assert h["kbn-xsrf"] == "true"
    assert h["authorization"] == "ApiKey c2VjcmV0"
    assert h["content-type"].startswith("multipart/form-data; boundary=")
    files = multipart_files(req)
    assert list(files) == ["file"]
    filename, ctype, payload = files["file"]
    assert filename.endswith(".ndjson") and ctype == "application/ndjson"
    sent = load(payload.decode("utf-8"))
    prefix = cfg.elasticsearch.index_prefix
    assert {o["attributes"]["title"] for o in sent if o["type"] == "index-pattern"} == \
        {f"{prefix}-posts*", f"{prefix}-alerts*"}
    titles = {o["attributes"]["title"] for o in sent if o["type"] == "dashboard"}
    assert {"舆情总览", "舆情话题详情", "舆情话题 · 星河手机", "舆情话题 · 青禾奶茶"} <= titles
    assert field_problems(sent, real_mappings(prefix)) == []


def test_import_default_space_basic_auth_and_committed_file(kibana, cli):
    url, srv = kibana
    srv.reply = (200, {"success": True, "successCount": 13, "successResults": []})
    r = cli("kibana", "import", "--url", url + "/", "--file", str(NDJSON),
            env={"YUQING_KIBANA_USER": "elastic", "YUQING_KIBANA_PASSWORD": "pw"})
    assert r.returncode == 0, r.stderr
    (req,) = srv.requests
    assert req["path"] == "/api/saved_objects/_import?overwrite=true"
    h = {k.lower(): v for k, v in req["headers"].items()}
    assert h["authorization"] == "Basic ZWxhc3RpYzpwdw=="
    assert multipart_files(req)["file"][2] == NDJSON.read_bytes()


def test_import_shows_kibanas_own_errors(kibana, cli):
    url, srv = kibana
    srv.reply = (200, {"success": False, "successCount": 11, "errors": [
        {"id": "yuqing-lens-keywords", "type": "lens", "meta": {"title": "热门关键词"},
         "error": {"type": "missing_references", "references": [{"type": "index-pattern", "id": "nope"}]}},
        {"id": "yuqing-dashboard-overview", "type": "dashboard", "title": "舆情总览",
         "error": {"type": "unknown", "message": "Document uses an unknown field"}}]})
    r = cli("kibana", "import", "--url", url)
    assert r.returncode == 1
    assert "imported 11 objects but rejected 2" in r.stderr
    assert "lens yuqing-lens-keywords (热门关键词): missing references: index-pattern nope" in r.stderr
    assert "Document uses an unknown field" in r.stderr


def test_import_reports_http_errors(kibana, cli):
    url, srv = kibana
    srv.reply = (401, {"statusCode": 401, "error": "Unauthorized", "message": "[security_exception] missing credentials"})
    r = cli("kibana", "import", "--url", url)
    assert r.returncode == 1
    assert "refused the credentials (HTTP 401)" in r.stderr and "missing credentials" in r.stderr
    srv.reply = (400, {"statusCode": 400, "error": "Bad Request", "message": "Unsupported file type"})
    r = cli("kibana", "import", "--url", url)
    assert r.returncode == 1 and "HTTP 400" in r.stderr and "Unsupported file type" in r.stderr
    r = cli("kibana", "import", "--url", "http://127.0.0.1:9")
    assert r.returncode == 1 and "cannot reach Kibana" in r.stderr
