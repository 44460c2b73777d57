"""The report's chart and list of the aspects with the most negatives, and the anger / disgust
shares, from posts ingested into the real node with the fields the enrich stage stores; and the
Kibana panels that read the same fields."""
from __future__ import annotations

import base64
import json
import re

from dashboards.kibana_objects import build
from tests.conftest import DATA

NOW = "2026-11-24T12:00:00+08:00"
# post_id -> (negative_aspects, emotions), as enrich would have stored them
ENRICHED = {"1001": (["售后", "质量"], ["怒"]), "1003": (["售后"], ["恶"]), "1007": (["售后"], [])}


def test_report_shows_the_aspects_with_the_most_negatives(cli, store, tmp_path):
    src = tmp_path / "posts.jsonl"
    with src.open("w", encoding="utf-8") as out:
        for line in (DATA / "sample_posts.jsonl").read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            if d["post_id"] in ENRICHED:
                neg, emo = ENRICHED[d["post_id"]]
                d["negative_aspects"], d["emotions"] = neg, emo
                d["aspects"] = [{"aspect": a, "sentiment": "negative", "text": "…"} for a in neg]
            out.write(json.dumps(d, ensure_ascii=False) + "\n")
    r = cli("ingest", str(src), "--no-nlp")
    assert r.returncode == 0, r.stdout + r.stderr
    out = tmp_path / "week.html"
    r = cli("report", "--since", "7d", "--now", NOW, "--out", str(out))
    assert r.returncode == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    section = html.split("<h2>星河手机</h2>", 1)[1].split("</section>", 1)[0]
    # three 星河手机 posts are negative about 售后, one of them also about 质量
    assert re.search(r"<span>售后 3（100%）</span><span>质量 1（33%）</span>", section), section
    chart = re.search(r'class="chart aspects" alt="星河手机 负面最多的方面" src="data:image/png;base64,([^"]+)"', section)
    assert chart and base64.b64decode(chart.group(1))[:8] == b"\x89PNG\r\n\x1a\n"
    total = int(re.search(r"<b>(\d+)</b><span>帖子", section).group(1))
    anger = re.search(r'class="neg anger">(\d+)%<', section).group(1)
    assert int(anger) == round(100 / total)  # one post of the topic's `total` expresses 怒
    other = html.split("<h2>青禾奶茶</h2>", 1)[1].split("</section>", 1)[0]
    assert "本期没有帖子对某一方面表达负面" in other and "负面最多的方面\" src" not in other


def test_kibana_has_the_negative_aspects_and_emotions_panels():
    objs = {o["id"]: o for o in build()}
    for key, field in (("negative-aspects", "negative_aspects"), ("emotions", "emotions")):
        lens = objs[f"yuqing-lens-{key}"]
        assert f'"sourceField":"{field}"' in json.dumps(lens, ensure_ascii=False, separators=(",", ":"))
        for d in ("yuqing-dashboard-overview", "yuqing-dashboard-topic"):
            assert lens["id"] in {ref["id"] for ref in objs[d]["references"]}
