"""Open a page in headless Chromium the way a phone user would, over the DevTools protocol.

`--remote-debugging-pipe` speaks CDP over fds 3/4 (NUL-separated JSON), so no websocket library
is needed. Collects console errors, uncaught exceptions and failed loads, the visible text, the
images' decoded sizes and a full-page screenshot.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

INSTALL = "apt-get install -y chromium fonts-wqy-zenhei"


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageCheck:
    text: str
    errors: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)  # {"alt", "width", "height"}
    scroll_width: int = 0
    viewport_width: int = 0
    screenshot: bytes = b""


class Browser:
    def __init__(self, binary: str, timeout: float = 30):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="yq-chromium-")
        to_child_r, self._w = os.pipe()
        self._r, from_child_w = os.pipe()

        def fds() -> None:
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--no-first-run",
             "--disable-extensions", "--hide-scrollbars", "--mute-audio", f"--user-data-dir={self.profile}",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=fds, close_fds=False)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []

    def _read(self) -> dict:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buf:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self._r, 1 << 16)
            if not chunk:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(f"Chromium closed the DevTools pipe: {err[-2000:]}")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._id += 1
        msg: dict = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read()
            if m.get("id") == self._id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_for(self, method: str, session: str) -> dict:
        for m in self.events:
            if m.get("method") == method and m.get("sessionId") == session:
                return m
        while True:
            m = self._read()
            self.events.append(m)
            if m.get("method") == method and m.get("sessionId") == session:
                return m

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._r, self._w):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def check(self, path: Path, width: int = 390, height: int = 844) -> PageCheck:
        """Load a local file in a phone-sized viewport and report what a reader would meet."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=s)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True}, session=s)
        self.send("Page.navigate", {"url": path.resolve().as_uri()}, session=s)
        self.wait_for("Page.loadEventFired", s)

        def js(expr: str):
            r = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=s)
            return r["result"].get("value")

        page = PageCheck(text=js("document.body.innerText"),
                         images=js("Array.from(document.images).map(i => ({alt: i.alt, width: i.naturalWidth, "
                                   "height: i.naturalHeight, complete: i.complete}))"),
                         scroll_width=js("document.documentElement.scrollWidth"),
                         viewport_width=js("window.innerWidth"))
        size = self.send("Page.getLayoutMetrics", session=s)["cssContentSize"]
        shot = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": {
            "x": 0, "y": 0, "width": width, "height": min(size["height"], 12000), "scale": 1}}, session=s)
        page.screenshot = base64.b64decode(shot["data"])
        for m in self.events:
            if m.get("sessionId") != s:
                continue
            p = m.get("params", {})
            if m.get("method") == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
                page.errors.append(f"console.{p['type']}: " + " ".join(str(a.get("value", a.get("description")))
                                                                   for a in p.get("args", [])))
            elif m.get("method") == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                page.errors.append(f"exception: {d.get('exception', {}).get('description') or d.get('text')}")
            elif m.get("method") == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
                e = p["entry"]
                page.errors.append(f"log {e['level']} ({e.get('source')}): {e.get('text')} {e.get('url', '')}")
        self.send("Target.closeTarget", {"targetId": target})
        return page
