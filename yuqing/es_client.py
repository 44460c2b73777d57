"""Connecting to Elasticsearch, and the errors the store raises instead of the client's."""
from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch

from yuqing.config import ElasticsearchConfig


class StoreError(Exception):
    """Elasticsearch refused a request (a bad query, a mapping error): the reason is in the message."""


class StoreUnavailable(StoreError):
    """Elasticsearch cannot be reached (after the client's own retries)."""


class Doc(dict):
    """A stored document plus the version it was read at, for the conditional write that follows."""

    id: str = ""
    seq_no: int | None = None
    primary_term: int | None = None

    @classmethod
    def from_hit(cls, hit: dict) -> Doc:
        d = cls(hit.get("_source") or {})
        d.id, d.seq_no, d.primary_term = hit.get("_id", ""), hit.get("_seq_no"), hit.get("_primary_term")
        return d


def make_client(cfg: ElasticsearchConfig) -> Elasticsearch:
    kw: dict[str, Any] = {
        "request_timeout": cfg.request_timeout,
        "max_retries": cfg.max_retries,
        "retry_on_timeout": True,
        "retry_on_status": (429, 502, 503, 504),
    }
    if cfg.api_key:
        kw["api_key"] = cfg.api_key
    elif cfg.username:
        kw["basic_auth"] = (cfg.username, cfg.password or "")
    if any(h.startswith("https") for h in cfg.hosts):
        kw["verify_certs"] = cfg.verify_certs
        if cfg.ca_certs:
            kw["ca_certs"] = cfg.ca_certs
    return Elasticsearch(cfg.hosts, **kw)
