"""`yuqing report` end to end: sample posts through `yuqing ingest` into the real node, alerts
recorded in the alerts index, the report rendered by the CLI and read by headless Chromium in a
phone-sized viewport (numbers visible, charts decoded, no console errors, no sideways scroll)."""
from __future__ import annotations

import io
import json
import os
import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from alerts.alert import Alert
from alerts.state_docs import StateDocs
from tests.conftest import DATA, write_cfg
from tests.support.headless import INSTALL, Browser, find_chromium

NOW = "2026-11-24T12:00:00+08:00"
# Keywords as NLP would extract them, so top and rising keywords have something to rank:
# 售后 1 → 2 for 星河手机 (previous day: 1007), 客服 0 → 2 for 青禾奶茶.
KEYWORDS = {"1000": ["续航"], "1001": ["售后", "屏幕"], "1003": ["发热", "售后"], "1007": ["售后"],
            "1011": ["屏幕"], "1015": ["排队", "客服"], "1018": ["珍珠", "涨价"], "1021": ["漏杯", "客服"]}


@pytest.fixture
def loaded(cli, store, tmp_path):
    """Sample posts (with keywords) ingested through the CLI, plus three recorded alerts."""
    src = tmp_path / "posts.jsonl"
    with src.open("w", encoding="utf-8") as out:
        for line in (DATA / "sample_posts.jsonl").read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            d["keywords"] = KEYWORDS.get(d["post_id"], [])
            out.write(json.dumps(d, ensure_ascii=False) + "\n")
    r = cli("ingest", str(src), "--no-nlp")
    assert r.returncode == 0, r.stdout + r.stderr
    t = datetime.fromisoformat
    for topic, rule, kind, sev, fired, title in [
        ("星河手机", "negative_spike", "alert", "warning", "2026-11-24T02:00:00+08:00", "【预警】星河手机 负面声量激增"),
        ("星河手机", "negative_spike", "recovery", "info", "2026-11-24T06:00:00+08:00", "【恢复】星河手机 负面声量回落"),
        ("青禾奶茶", "negative_ratio", "alert", "critical", "2026-11-24T08:40:00+08:00", "【严重】青禾奶茶 负面占比过高"),
    ]:
        a = Alert(topic=topic, rule=rule, kind=kind, severity=sev, title=title, fired_at=t(fired),
                  window_start=t(fired), window_end=t(fired), value=3, baseline=0.5)
        assert StateDocs(store).record(a.model_dump(mode="json"))
    return store


@pytest.fixture
def chromium():
    from dashboards.charts import setup_fonts

    path = find_chromium()
    missing = [what for what, ok in (("headless Chromium", path), ("a CJK font", setup_fonts())) if not ok]
    if missing:
        # `./yq test` installs both; a machine without them fails here rather than skip the check.
        pytest.fail(f"{' and '.join(missing)} needed to check the report as a reader sees it; install: {INSTALL}")
    b = Browser(path)
    yield b
    b.close()


def kpi(html: str, name: str) -> int:
    m = re.search(rf'id="{name}"[^>]*>(\d+)<', html)
    assert m, f"no #{name} in the report"
    return int(m.group(1))


def test_daily_report_reads_right_on_a_phone(loaded, cli, chromium, tmp_path):
    out = tmp_path / "report.html"
    r = cli("report", "--since", "1d", "--now", NOW, "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "7 posts, 2 alerts, 2 topics" in r.stdout
    html = out.read_text(encoding="utf-8")
    assert "http://" not in html.replace('href="https://example.com', "") and "<script" not in html  # self-contained

    page = chromium.check(out)
    shot = tmp_path / "report.png"
    shot.write_bytes(page.screenshot)
    if os.environ.get("YUQING_SCREENSHOT_DIR"):
        shutil.copy(shot, Path(os.environ["YUQING_SCREENSHOT_DIR"]) / "report-1d.png")

    assert page.errors == []
    text = page.text
    assert "舆情日报" in text and "2026-11-23 12:00 至 2026-11-24 12:00（北京时间）" in text
    for number, label in [(7, "相关帖子"), (5, "负面（71%）"), (1, "正面"), (1, "中性"), (2, "预警"), (2, "上期帖子")]:
        assert re.search(rf"\b{number}\s*\n\s*{re.escape(label)}", text), f"{number} {label} not visible"
    assert ("星河手机：近24小时共 3 条相关帖子（环比上升 50%）；其中负面 2 条，占 67%，较上期上升 17 个百分点；"
            "声量主要来自微博（100%）；热议词：售后、发热、屏幕；期间触发 1 次预警（最高级别：预警）。") in text
    assert ("青禾奶茶：近24小时共 4 条相关帖子（上期为 0，本期新增）；其中负面 3 条，占 75%；声量主要来自微博（25%）；"
            "热议词：客服、排队、涨价；期间触发 1 次预警（最高级别：严重）。") in text
    assert "售后 1→2" in text and "客服 0→2" in text
    # top negative post of 星河手机 is 1001 (216+2+0), with its link
    assert "星河手机售后太差了" in text and 'href="https://example.com/weibo/1001"' in html
    # alerts with status: the 星河 warning was followed by a recovery, the 青禾 one was not
    rows = re.findall(r"(\d\d-\d\d \d\d:\d\d)\t(\S+) (\S+)\t[^\t]+\t(已恢复|未恢复)", text)
    assert [(t, topic, sev, status) for t, sev, topic, status in rows] == [
        ("11-24 02:00", "星河手机", "预警", "已恢复"), ("11-24 06:00", "星河手机", "提示", "已恢复"),
        ("11-24 08:40", "青禾奶茶", "严重", "未恢复")]
    # every chart decoded; nothing wider than the phone
    assert len(page.images) == 5 and all(i["complete"] and i["width"] > 300 for i in page.images), page.images
    assert page.scroll_width <= page.viewport_width
    assert page.screenshot[:8] == b"\x89PNG\r\n\x1a\n" and len(page.screenshot) > 50_000


def test_weekly_report_and_topic_filter(loaded, cli, tmp_path):
    out = tmp_path / "week.html"
    r = cli("report", "--since", "7d", "--now", NOW, "--out", str(out))
    assert r.returncode == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    assert "舆情周报" in html
    assert (kpi(html, "total"), kpi(html, "negative"), kpi(html, "positive"), kpi(html, "neutral")) == (22, 9, 7, 6)
    assert html.count("data:image/png;base64,") == 5
    for platform, n, share in [("微博", 7, "32%"), ("哔哩哔哩", 4, "18%"), ("新闻", 3, "14%")]:
        assert f"<td>{platform}</td><td>{n}</td><td>{share}</td>" in html

    only = tmp_path / "qh.html"
    r = cli("report", "--since", "7d", "--now", NOW, "--topic", "青禾奶茶", "--out", str(only))
    assert r.returncode == 0, r.stderr
    html = only.read_text(encoding="utf-8")
    assert kpi(html, "total") == 8 and kpi(html, "negative") == 3 and kpi(html, "alert-count") == 1
    assert "<h2>星河手机</h2>" not in html and "<h2>青禾奶茶</h2>" in html

    r = cli("report", "--topic", "银河奶茶", "--out", str(tmp_path / "x.html"))
    assert r.returncode == 2 and "unknown topic 银河奶茶" in r.stderr
    # the one duration grammar: whole days only, and a clear word otherwise
    r = cli("report", "--since", "90m", "--out", str(tmp_path / "x.html"))
    assert r.returncode == 2 and "whole days" in r.stderr
    r = cli("report", "--since", "a week", "--out", str(tmp_path / "x.html"))
    assert r.returncode == 2 and "--since" in r.stderr and "15m" in r.stderr
    r = cli("report", "--now", "yesterday", "--out", str(tmp_path / "x.html"))
    assert r.returncode == 2 and "--now" in r.stderr


def test_without_topics_the_report_covers_every_post(loaded, cli, cfg, tmp_path):
    bare = write_cfg(cfg.model_copy(update={"topics": []}), tmp_path / "bare.yaml")
    out = tmp_path / "all.html"
    r = cli("report", "--since", "7d", "--now", NOW, "--out", str(out), env={"YUQING_CONFIG": str(bare)})
    assert r.returncode == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    assert kpi(html, "total") == 24 and kpi(html, "alert-count") == 2 and "（未配置话题）" in html


def test_empty_period_still_renders_cleanly(loaded, cli, chromium, tmp_path):
    out = tmp_path / "empty.html"
    r = cli("report", "--since", "1d", "--now", "2027-03-01T12:00:00+08:00", "--out", str(out))
    assert r.returncode == 0, r.stderr
    page = chromium.check(out)
    assert page.errors == []
    assert "星河手机：近24小时未监测到相关帖子。" in page.text and "本期无预警" in page.text
    assert page.images == []


def test_the_browser_check_catches_what_a_reader_would_see(chromium, tmp_path):
    """The checker itself must fail on a broken page, or a clean result means nothing."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><meta charset="utf-8"><p>坏页面</p><img alt="x" src="missing.png">'
                   '<script>console.error("boom"); undefined_fn();</script>', encoding="utf-8")
    page = chromium.check(bad)
    assert "坏页面" in page.text
    joined = "\n".join(page.errors)
    assert "console.error: boom" in joined and "undefined_fn" in joined and "missing.png" in joined


def test_negative_chart_for_alert_emails(loaded):
    """The PNG the alert e-mail attaches: red negative bars, the dashed baseline, the window shaded."""
    from matplotlib import image

    from dashboards.charts import negative_chart

    t = datetime.fromisoformat
    png = negative_chart(loaded, "星河手机", t(NOW), t("2026-11-24T04:00:00+08:00"), t("2026-11-24T05:00:00+08:00"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    px = image.imread(io.BytesIO(png))
    h, w = px.shape[:2]
    assert 250 < h < 500 and 550 < w < 900

    def near(rgb: tuple[int, int, int]) -> int:
        r, g, b = (c / 255 for c in rgb)
        m = (abs(px[..., 0] - r) < 0.03) & (abs(px[..., 1] - g) < 0.03) & (abs(px[..., 2] - b) < 0.03)
        return int(m.sum())

    assert near((0xD6, 0x45, 0x41)) > 200  # negative bars: 1001 and 1003 in the last day
    assert near((0xFC, 0xE7, 0xC6)) > 300  # the alert window (#f5b041 at 30% on white)
    assert near((0x34, 0x49, 0x5E)) > 50  # baseline from the 7 days before
    if os.environ.get("YUQING_SCREENSHOT_DIR"):
        (Path(os.environ["YUQING_SCREENSHOT_DIR"]) / "negative-chart.png").write_bytes(png)


def test_report_by_mail_through_the_email_channel(loaded, cli, cfg, tmp_path):
    """A real SMTP server (STARTTLS, login) receives the report: charts inline as cid: parts,
    the self-contained HTML attached, recipients from the channel and the topics."""
    import yaml

    from tests.support.loopback import SmtpServer, make_cert

    crt, key = make_cert(tmp_path)
    srv = SmtpServer(crt, key, "starttls", "bot@example.test", "s3cret")
    try:
        raw = cfg.model_dump(mode="json", exclude={"path"})
        raw["topics"][1]["recipients"] = ["tea-pr@example.test"]
        raw["alerts"]["channels"] = [{"name": "mail", "type": "email", "host": "127.0.0.1", "port": srv.port,
                                      "username": "bot@example.test", "password": "${REPORT_SMTP_PW}",
                                      "sender": "yuqing@example.test", "to": ["ops@example.test"],
                                      "ca_certs": str(crt)}]
        path = tmp_path / "mail.yaml"
        path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        env = {"YUQING_CONFIG": str(path), "REPORT_SMTP_PW": "s3cret"}
        r = cli("report", "--since", "1d", "--now", NOW, "--out", str(tmp_path / "r.html"), "--mail", env=env)
        assert r.returncode == 0, r.stderr
        assert "mailed to ops@example.test, tea-pr@example.test" in r.stdout
        (rcpts, msg), = srv.messages
        assert sorted(rcpts) == ["ops@example.test", "tea-pr@example.test"] and srv.logins == ["bot@example.test"]
        assert msg["Subject"] == ("【舆情日报】2026-11-23 12:00 至 2026-11-24 12:00（北京时间）：7 条，负面 5 条，预警 2 次")
        html = msg.get_body(("html",)).get_content()
        assert "data:image" not in html and "青禾奶茶：近24小时共 4 条相关帖子" in html
        imgs = [p for p in msg.walk() if p.get_content_type() == "image/png" and p["Content-ID"]]
        assert len(imgs) == 5 and all(f'src="cid:{p["Content-ID"].strip("<>")}"' in html for p in imgs)
        (att,) = [p for p in msg.iter_attachments() if p.get_filename().endswith(".html")]
        assert att.get_filename().startswith("舆情日报-")
        assert att.get_content().count("data:image/png;base64,") == 5  # the attachment stays self-contained

        r = cli("report", "--since", "1d", "--now", NOW, "--out", str(tmp_path / "r.html"), "--mail",
                "--channel", "nope", env=env)
        assert r.returncode == 1 and "no e-mail channel 'nope'" in r.stderr
    finally:
        srv.stop()
