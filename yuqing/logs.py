"""Logging set-up: human lines by default, one JSON object per line with --log-json.
A filter redacts secrets (cookies, tokens, passwords, signatures) from every record."""
from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime, timezone

_SECRET = re.compile(
    r"(?i)((?:cookie|set-cookie|authorization|password|passwd|pwd|token|secret|api[_-]?key|access_token|sign"
    r"|\b(?:\w+_)?key)"
    r"[\"']?\s*[:=]\s*[\"']?(?:(?:bearer|basic|token|apikey)\s+)?)([^\s\"',;&]+)")
# A cookie header carries many name=value pairs: everything up to the end of the header goes.
_COOKIE = re.compile(r"(?i)(\b(?:set-)?cookies?[\"']?\s*[:=]\s*[\"']?)([^\"'\r\n]+)")
# Secrets that live in a URL: user:password@host, and webhook paths that are the credential
# themselves (Feishu/Lark bot hooks, Slack hooks, WeCom ?key=).
_URL_SECRETS = [
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)([^@\s/]+)(@)"), r"\1***\3"),
    (re.compile(r"(?i)(/open-apis/bot/v2/hook/)([\w-]+)"), r"\1***"),
    (re.compile(r"(?i)(hooks\.slack\.com/(?:services|workflows|triggers)/)(\S+?)(?=[\s\"'<>]|$)"), r"\1***"),
]


def redact(text: str) -> str:
    """Replace secret values with *** wherever a log line, error or job summary might carry them."""
    text = _COOKIE.sub(lambda m: m.group(1) + "***", text)
    text = _SECRET.sub(lambda m: m.group(1) + "***", text)
    for pattern, repl in _URL_SECRETS:
        text = pattern.sub(repl, text)
    return text


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        red = redact(msg)
        if red != msg:
            record.msg, record.args = red, None
        return True


class RedactingFormatter(logging.Formatter):
    """Tracebacks bypass the filter (they are formatted later), so the whole line is redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


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
    h.setFormatter(JsonFormatter() if json_lines else RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(h)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("elastic_transport", "urllib3", "elasticsearch"):
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.ERROR)
