"""Logging set-up: human lines by default, one JSON object per line with --log-json.
A filter redacts secrets (cookies, tokens, passwords, signatures) from every record."""
from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime, timezone

_SECRET = re.compile(
    r"(?i)((?:cookie|set-cookie|authorization|password|passwd|token|secret|api[_-]?key|access_token|sign)"
    r"[\"']?\s*[:=]\s*[\"']?)([^\s\"',;&]+)")


def redact(text: str) -> str:
    return _SECRET.sub(lambda m: m.group(1) + "***", text)


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        red = redact(msg)
        if red != msg:
            record.msg, record.args = red, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        d = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
             "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        for k, v in record.__dict__.items():
            if k.startswith("yq_"):
                d[k[3:]] = v
        if record.exc_info:
            d["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(d, ensure_ascii=False, default=str)


def setup_logging(verbose: bool = False, json_lines: bool = False) -> None:
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_yuqing", False):
            root.removeHandler(h)
    h = logging.StreamHandler(sys.stderr)
    h._yuqing = True  # type: ignore[attr-defined]
    h.addFilter(RedactFilter())
    h.setFormatter(JsonFormatter() if json_lines else logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(h)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("elastic_transport", "urllib3", "elasticsearch"):
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.ERROR)
