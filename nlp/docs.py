"""What the NLP enrichment reads back from the posts, through the store.

Near-duplicates: posts carry `simhash_keys` (see nlp/simhash.py); a batch asks once for every
earlier post that shares any of its keys within a time window, and the caller checks the exact
Hamming distance. Keywords: the stored `tokens` of every post, streamed, to refit IDF.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterator

MAX_CANDIDATES = 10_000  # the default index.max_result_window
KEYS_PER_QUERY = 20_000


def find_simhash_keys(store, keys: list[str], since: datetime | None = None) -> list[dict]:
    """Earlier posts sharing a band key: [{"doc_id", "simhash", "dup_of"}], oldest first.

    Oldest first, so when several earlier copies qualify the caller can prefer the first
    seen. Keys go in chunks below Elasticsearch's terms limit (65,536), so a 10,000-post
    batch (100,000 keys) still works; each chunk returns at most MAX_CANDIDATES posts.
    """
    wanted = sorted(set(keys))
    found: dict[str, dict] = {}
    for i in range(0, len(wanted), KEYS_PER_QUERY):
        filters: list[dict] = [{"terms": {"simhash_keys": wanted[i:i + KEYS_PER_QUERY]}}]
        if since is not None:
            filters.append({"range": {"published_at": {"gte": since.astimezone(timezone.utc).isoformat()}}})
        r = store.search(store.posts_pattern, query={"bool": {"filter": filters}},
                         source=["simhash", "dup_of", "published_at"], size=MAX_CANDIDATES,
                         track_total_hits=False, sort=[{"published_at": "asc"}])
        for h in r.get("hits", {}).get("hits", []):
            src = h.get("_source", {})
            if src.get("simhash"):
                found[h["_id"]] = {"doc_id": h["_id"], "simhash": src["simhash"], "dup_of": src.get("dup_of"),
                                   "published_at": src.get("published_at", "")}
    return sorted(found.values(), key=lambda d: d["published_at"])


def scan_tokens(store, page: int = 2000) -> Iterator[list[str]]:
    """The `tokens` of every post that has some (a scroll: fine for millions of posts)."""
    for h in store.scan(store.posts_pattern, {"exists": {"field": "tokens"}}, size=page, _source=["tokens"]):
        tokens = h.get("_source", {}).get("tokens")
        if tokens:
            yield tokens
