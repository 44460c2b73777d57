"""Import yuqing's saved objects into a Kibana through its saved-objects import API.

Kibana answers 200 even when some objects fail (`success: false` plus an `errors` list), so the
caller must read the body, not just the status, and show Kibana's own reasons to the user.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx

ENV_API_KEY = "YUQING_KIBANA_API_KEY"
ENV_USER = "YUQING_KIBANA_USER"
ENV_PASSWORD = "YUQING_KIBANA_PASSWORD"


class ImportFailed(Exception):
    """The import did not fully succeed; `problems` are one line each, in Kibana's words."""

    def __init__(self, summary: str, problems: list[str] | None = None):
        self.summary = summary
        self.problems = problems or []
        super().__init__("\n".join([summary, *(f"  - {p}" for p in self.problems)]))


@dataclass
class ImportResult:
    imported: int
    objects: list[tuple[str, str, str]] = field(default_factory=list)  # (type, id, title)


def import_url(base: str, space: str | None) -> str:
    base = base.rstrip("/")
    prefix = f"/s/{quote(space, safe='')}" if space and space != "default" else ""
    return f"{base}{prefix}/api/saved_objects/_import?overwrite=true"


def auth_from_env(env: dict[str, str] | None = None) -> tuple[dict[str, str], httpx.BasicAuth | None]:
    """API key wins over user/password; neither means an open Kibana (local or behind a proxy)."""
    env = os.environ if env is None else env
    if env.get(ENV_API_KEY):
        return {"Authorization": f"ApiKey {env[ENV_API_KEY]}"}, None
    if env.get(ENV_USER):
        return {}, httpx.BasicAuth(env[ENV_USER], env.get(ENV_PASSWORD, ""))
    return {}, None


def describe_error(e: dict) -> str:
    obj = f"{e.get('type', '?')} {e.get('id', '?')}"
    title = e.get("title") or (e.get("meta") or {}).get("title")
    if title:
        obj += f" ({title})"
    err = e.get("error") or {}
    kind = err.get("type", "error")
    if kind == "missing_references":
        refs = ", ".join(f"{r.get('type')} {r.get('id')}" for r in err.get("references", []))
        return f"{obj}: missing references: {refs}"
    if kind == "conflict":
        return f"{obj}: conflict with an existing object"
    return f"{obj}: {kind}" + (f": {err['message']}" if err.get("message") else "")


def import_ndjson(url: str, ndjson: str, space: str | None = None, timeout: float = 60,
                  env: dict[str, str] | None = None) -> ImportResult:
    headers, auth = auth_from_env(env)
    headers["kbn-xsrf"] = "true"
    target = import_url(url, space)
    files = {"file": ("yuqing.ndjson", ndjson.encode("utf-8"), "application/ndjson")}
    try:
        r = httpx.post(target, headers=headers, auth=auth, files=files, timeout=timeout)
    except httpx.HTTPError as e:
        raise ImportFailed(f"cannot reach Kibana at {url}: {type(e).__name__}: {e}") from e
    try:
        body = r.json()
    except ValueError:
        body = None
    if r.status_code in (401, 403):
        raise ImportFailed(f"Kibana refused the credentials (HTTP {r.status_code}); set {ENV_API_KEY} or "
                           f"{ENV_USER}/{ENV_PASSWORD}", [body.get("message", "")] if isinstance(body, dict) else [])
    if r.status_code == 404 and space:
        raise ImportFailed(f"Kibana has no space {space!r} (HTTP 404 at {target})")
    if r.status_code >= 400 or not isinstance(body, dict):
        msg = body.get("message") if isinstance(body, dict) else r.text[:500]
        raise ImportFailed(f"Kibana import failed: HTTP {r.status_code} at {target}", [str(msg)])
    ok = [(s.get("type", "?"), s.get("id", "?"), (s.get("meta") or {}).get("title", ""))
          for s in body.get("successResults", [])]
    if not body.get("success", False) or body.get("errors"):
        problems = [describe_error(e) for e in body.get("errors", [])]
        raise ImportFailed(f"Kibana imported {body.get('successCount', 0)} objects but rejected "
                           f"{len(problems)}", problems)
    return ImportResult(imported=int(body.get("successCount", len(ok))), objects=ok)
