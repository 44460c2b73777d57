"""The two receivers `yuqing demo` runs on 127.0.0.1 so an alert really leaves the process:
an HTTP endpoint that files every webhook body it gets, and an SMTP server (aiosmtpd) that
files every mail into a Maildir a person can open with any mail client (or `cat`)."""
from __future__ import annotations

import json
import mailbox
import socket
import threading
import time
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class WebhookReceiver:
    """Files each POST body as `<dir>/<time>-<n>.json` (pretty-printed) and answers 200."""

    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.received: list[Path] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver._file(body, {k: v for k, v in self.headers.items() if k.lower().startswith("x-yuqing")})
                out = b'{"ok": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, fmt, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, name="demo-webhook", daemon=True).start()

    def _file(self, body: bytes, headers: dict) -> None:
        try:
            shown = json.dumps({"headers": headers, "body": json.loads(body)}, ensure_ascii=False, indent=2)
        except ValueError:
            shown = body.decode("utf-8", errors="replace")
        with self._lock:
            path = self.dir / f"{time.strftime('%Y%m%dT%H%M%S')}-{len(self.received) + 1}.json"
            path.write_text(shown, encoding="utf-8")
            self.received.append(path)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MaildirReceiver:
    """An SMTP server on 127.0.0.1 delivering into a Maildir (new mail lands in `<dir>/new/`)."""

    def __init__(self, directory: Path):
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Mailbox

        self.dir = Path(directory)
        self.dir.parent.mkdir(parents=True, exist_ok=True)
        mailbox.Maildir(str(self.dir), create=True)
        self.port = free_port()
        self.controller = Controller(Mailbox(str(self.dir)), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def messages(self) -> list[tuple[Path, str]]:
        """(file, subject) of every mail in the Maildir, oldest first."""
        out = []
        for sub in ("new", "cur"):
            for f in sorted((self.dir / sub).glob("*"), key=lambda p: p.stat().st_mtime):
                msg = BytesParser(policy=policy.default).parsebytes(f.read_bytes(), headersonly=True)
                out.append((f, str(msg.get("Subject", ""))))
        return out

    def stop(self) -> None:
        self.controller.stop()
