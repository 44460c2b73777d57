"""The console's browser scenario, shared by tests/app/test_console_browser.py and the README
screenshot: the crisis replay's burst (tests/support/crisis.py, author-written posts) through the
real alert engine opens an incident; a responder then works it in headless Chromium (Playwright
driving the system Chromium: nothing is downloaded).

`python -m tests.support.console_scenario docs/console-incident.png` runs it against the local
node (a throwaway index prefix) and writes the incident page's screenshot.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from alerts.engine import Engine
from alerts.incidents import Incidents
from tests.support import crisis
from tests.support.alertdata import ingest
from tests.support.console import ACCOUNTS, console_cfg, fixed_clock
from yuqing.app.console.app import create_app
from yuqing.app.console.server import Background

# The console is looked at three hours after the burst began; the response went out at 15:00.
NOW = crisis.BURST_START + timedelta(hours=3)
RESPONSE_AT = "2026-11-20T15:00"  # Shanghai, as typed into the form
NOTE = "已联系售后负责人，核实电池批次"


def scenario_cfg(es_url: str, tmp_path):
    """The test accounts, the burst topic, and the shipped negative_spike playbooks also for the
    negative_surprise rule (the one that tells this burst first), so the incident has its steps."""
    cfg = console_cfg(es_url, tmp_path, topics=crisis.TOPICS[:1])
    cfg.alerts.playbooks.setdefault("negative_surprise", cfg.alerts.playbooks["negative_spike"])
    return cfg


def spike_incident(cfg, store):
    """Ingest the burst topic's posts and run the engine every 5 minutes from the burst's start
    until an incident is open; returns it."""
    ingest(cfg, store, [p for p in crisis.posts() if p["text"].startswith(crisis.BURST)])
    engine = Engine(cfg, store)
    incidents = Incidents(store, cfg)
    for minutes in range(0, 61, 5):
        engine.run_once(now=crisis.BURST_START + timedelta(minutes=minutes), topics=[crisis.BURST])
        found = incidents.list(status="active", topic=crisis.BURST)
        if found:
            return found[0]
    raise AssertionError("the burst opened no incident within an hour")


def serve(cfg, store) -> Background:
    return Background(create_app(cfg, store, fixed_clock(NOW)))


def work_incident(base: str, incident_id: str, screenshot: Path | None = None) -> dict:
    """Log in as the responder, find the incident from the list, acknowledge, assign, note,
    record a response; returns what the page showed at each step."""
    from playwright.sync_api import sync_playwright

    seen: dict = {"errors": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.on("console", lambda m: seen["errors"].append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: seen["errors"].append(str(e)))
        page.goto(base + "/")
        seen["login_url"] = page.url
        page.fill("input[name=username]", "zhou")
        page.fill("input[name=password]", ACCOUNTS["zhou"][1])
        page.click("button[type=submit]")
        seen["overview"] = page.inner_text("main")
        page.click("header >> text=事件处置")
        page.click(f"a[href='/incidents/{incident_id}'] >> nth=1")
        seen["incident"] = page.inner_text("main")
        seen["events"] = page.locator("#events tr").count() - 1
        seen["playbook"] = page.inner_text("#playbook") if page.locator("#playbook").count() else ""
        page.click("#ack")
        seen["after_ack"] = page.inner_text("#status")
        page.select_option("#owner-select", "admin")
        page.click("#assign")
        seen["owner"] = page.inner_text("#owner")
        page.fill("#note-text", NOTE)
        page.click("#note")
        seen["overdue"] = page.locator("#playbook .tag.critical").count()
        page.click("#playbook li >> nth=0 >> button")  # the first step of the playbook: done
        seen["after_step"] = page.inner_text("#playbook")
        page.fill("#resp-at", RESPONSE_AT)
        page.fill("#resp-url", "https://weibo.com/xinghe/official-statement")
        page.fill("#resp-text", "关于部分星河X5电池问题的说明：已开通免费检测与更换通道。")
        page.click("#respond")
        seen["after_respond"] = page.inner_text("main")
        seen["status"] = page.inner_text("#status")
        seen["playbook_after"] = page.inner_text("#playbook") if page.locator("#playbook").count() else ""
        seen["charts"] = page.eval_on_selector_all(
            "img.effect-chart", "els => els.map(i => ({w: i.naturalWidth, h: i.naturalHeight, done: i.complete}))")
        if screenshot:
            page.screenshot(path=str(screenshot), full_page=True)
        page.click(f"header >> text={crisis.BURST} 事件")
        seen["topic_events"] = page.locator("#events tr").count() - 1
        seen["topic_events_text"] = page.inner_text("main")
        page.click("header >> text=回应效果")
        seen["effect_page"] = page.inner_text("main")
        seen["effect_page_charts"] = page.locator("img.effect-chart").count()
        browser.close()
    return seen


def main(argv: list[str]) -> int:
    """Write the README's screenshot of the incident page."""
    from tests.conftest import ROOT
    from yuqing.app import config as config_mod
    from yuqing.store import Store

    if len(argv) != 1:
        print("usage: python -m tests.support.console_scenario OUT.png", file=sys.stderr)
        return 2
    es = config_mod.load(ROOT / "config.yaml").elasticsearch.hosts[0]
    with tempfile.TemporaryDirectory() as tmp:
        cfg = scenario_cfg(es, Path(tmp))
        store = Store(cfg.elasticsearch)
        try:
            inc = spike_incident(cfg, store)
            with serve(cfg, store) as server:
                work_incident(server.url, inc.id, Path(argv[0]))
        finally:
            store.drop_all()
    print(f"wrote {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
