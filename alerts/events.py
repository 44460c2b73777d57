"""Events (事件): what a topic's posts in a window are about, not only how many there are.

`find_events(store, topic, start, end)` reads the window's posts (one search, at most
`MAX_POSTS`, the newest first when there are more) and groups them in two steps:

1. Near-duplicate groups, already computed at ingest: a post's `dup_of` names the first copy seen
   (simhash, nlp/simhash.py), and a repost (`repost_of`) joins the post it forwards.
2. Groups about the same story are merged by text similarity: TF-IDF over the stored `tokens`
   (character bigrams of the text where no tokens were stored); largest group first, each group
   joins the cluster whose centroid is most similar (cosine at least `MERGE_THRESHOLD`, sharing
   at least `MIN_SHARED` terms) or starts one. Words in more than half the groups (the brand name
   itself) are dropped, so stories of one brand stay apart. (Joining every similar pair instead
   chained stories through single posts: on the bench set, purity 0.56 at cosine 0.12, and at
   0.25, where purity reached 1.0, recall fell to 0.52.)

Each event has a title (the first clauses of its most representative post), keywords, its
first post and its busiest hour, platforms, post count (copies included: a copy campaign is
posts too), negative share and reach. The bench (`yuqing bench --stage events`) measures purity
and recall on an author-written mixture of stories.
"""
from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from datetime import datetime, timezone
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field, PrivateAttr
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer

from alerts.voices import Voice, key_voices

__all__ = ["Event", "Voice", "find_events", "key_voices", "cluster", "rank", "fetch_posts"]

MAX_POSTS = 5000  # posts read per window; above it the newest are clustered (Event.truncated says so)
MERGE_THRESHOLD = 0.12  # cosine similarity at which two groups are one story (tuned on the bench set)
MIN_SHARED = 2  # terms a group must share with a cluster to join it
SAMPLE_IDS = 200  # post ids an event carries (the full list stays in memory only)
BRIEF_IDS = 20  # of them, what an alert (and so an incident) keeps of its events
TITLE_CHARS = 20
ENGAGEMENT = ("likes", "comments", "reposts")
FIELDS = ["post_id", "platform", "url", "title", "text", "tokens", "keywords", "published_at", "sentiment",
          "sentiment_label", "author_id", "author_name", "author_followers", "dup_of", "repost_of", *ENGAGEMENT]
_SENTENCE = re.compile(r"[。！？!?\n；;]")
_NOISE = re.compile(r"https?://\S+|#[^#]{1,40}#|\[[^\]]{1,8}\]|//@[^:：]{1,30}[:：]|@网友[0-9a-f]{8}|转发微博")
_CLAUSE = re.compile(r"[，,：:]")
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


class Event(BaseModel):
    id: str
    topic: str
    title: str
    keywords: list[str] = Field(default_factory=list)
    first_post: dict = Field(default_factory=dict)  # {id, at, url, platform}
    peak: dict = Field(default_factory=dict)  # {at, count}: the busiest hour (UTC hour start)
    platforms: dict[str, int] = Field(default_factory=dict)
    posts: int = 0
    negative: int = 0
    negative_share: float = 0.0  # negative posts / posts with a sentiment label
    reach: int = 0  # followers of the accounts that posted (each once) + likes, comments, reposts
    post_ids: list[str] = Field(default_factory=list)  # a sample (SAMPLE_IDS), first posts first
    start: datetime
    end: datetime
    truncated: bool = False  # the window had more than MAX_POSTS posts; only the newest were read
    _all_ids: list[str] | None = PrivateAttr(None)

    def summary(self) -> str:
        """"X5 电池鼓包（63 帖，负面 91%）"."""
        return f"{self.title}（{self.posts} 帖，负面 {self.negative_share:.0%}）"

    def all_ids(self) -> list[str]:
        """Every post's doc id when this event was just found, else the stored sample."""
        return self._all_ids or self.post_ids

    def brief(self) -> dict:
        """What an alert carries: {id, title, posts, negative_share, summary, start, post_ids} (the
        last two, its first BRIEF_IDS posts, let a response's effect find the story again later:
        dashboards/effect.py)."""
        return {"id": self.id, "title": self.title, "posts": self.posts,
                "negative_share": round(self.negative_share, 4), "summary": self.summary(),
                "start": self.start.isoformat(), "post_ids": self.post_ids[:BRIEF_IDS]}


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat()


def _at(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(timezone.utc)


def fetch_posts(store, topic: str, start: datetime, end: datetime, max_posts: int = MAX_POSTS,
                negative_only: bool = False) -> tuple[list[dict], bool]:
    """The window's posts (copies included), newest first, and whether there were more."""
    f: list[dict] = [{"term": {"topics": topic}},
                     {"range": {"published_at": {"gte": _iso(start), "lt": _iso(end)}}}]
    if negative_only:
        f.append({"term": {"sentiment_label": "negative"}})
    r = store.search(store.posts_pattern, query={"bool": {"filter": f}}, size=max_posts, source=FIELDS,
                     sort=[{"published_at": "desc"}], track_total_hits=max_posts + 1)
    hits = r.get("hits", {}).get("hits", [])
    total = r.get("hits", {}).get("total", {}).get("value", len(hits))
    docs = []
    for h in hits:
        d = h["_source"]
        d["doc_id"] = h["_id"]
        docs.append(d)
    return docs, total > len(hits)


class _Union:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def near_duplicate_groups(docs: list[dict]) -> list[list[int]]:
    """Indices grouped by the stored near-duplicate root (`dup_of`) and repost links."""
    u = _Union(len(docs))
    by_id = {d["doc_id"]: i for i, d in enumerate(docs)}
    root_of: dict[str, int] = {}
    for i, d in enumerate(docs):
        root = d.get("dup_of") or d["doc_id"]
        if root in by_id:
            u.join(i, by_id[root])
        elif root in root_of:  # the original is outside the window: its copies still group
            u.join(i, root_of[root])
        root_of.setdefault(root, i)
        if d.get("repost_of"):
            src = f"{d['platform']}:{d['repost_of']}"
            if src in by_id:
                u.join(i, by_id[src])
    groups: dict[int, list[int]] = {}
    for i in range(len(docs)):
        groups.setdefault(u.find(i), []).append(i)
    return list(groups.values())


def _clean(text: str) -> str:
    return _NOISE.sub(" ", text or "")


def _bigrams(text: str) -> list[str]:
    core = _PUNCT.sub("", _clean(text).lower())
    return [core[i:i + 2] for i in range(len(core) - 1)] or ([core] if core else [])


def doc_terms(d: dict) -> list[str]:
    """The terms a post is compared by: its stored tokens, else character bigrams of its text."""
    toks = [t.lower() for t in d.get("tokens") or [] if len(t) > 1 or not t.isascii()]
    return toks or _bigrams(f"{d.get('title') or ''} {d.get('text') or ''}")


def merge_groups(docs: list[dict], groups: list[list[int]], threshold: float = MERGE_THRESHOLD):
    """Clusters of groups (lists of group indices) and the groups' TF-IDF matrix and vocabulary."""
    texts = [[t for i in g[:5] for t in doc_terms(docs[i])] for g in groups]
    if not any(texts):
        return [[k] for k in range(len(groups))], None, []
    vec = TfidfVectorizer(analyzer=lambda x: x, sublinear_tf=True, max_df=0.5 if len(groups) >= 20 else 1.0)
    try:
        X = vec.fit_transform(texts)
    except ValueError:  # every term in more than max_df of the groups
        return [[k] for k in range(len(groups))], None, []
    return _leader(X, [len(g) for g in groups], threshold), X, vec.get_feature_names_out()


def _leader(X, sizes: list[int], threshold: float) -> list[list[int]]:
    """Greedy centroid clustering, largest groups first: a group joins the cluster whose centroid
    (sum of its groups' unit vectors) is most similar, if at least `threshold` and sharing at
    least MIN_SHARED terms, else starts one. Unlike joining every similar pair, one post that
    shares words with two stories cannot chain them. An inverted index (term -> clusters holding
    it) finds the candidates, so the cost follows the shared terms, not the number of clusters."""
    X = X.tocsr()
    postings: dict[int, dict[int, float]] = {}  # term -> {cluster: its centroid's weight of the term}
    norm2: list[float] = []
    clusters: list[list[int]] = []
    for g in sorted(range(X.shape[0]), key=lambda i: -sizes[i]):
        lo, hi = X.indptr[g], X.indptr[g + 1]
        row = list(zip(X.indices[lo:hi].tolist(), X.data[lo:hi].tolist()))
        dots: dict[int, float] = {}
        shared: dict[int, int] = {}
        for t, v in row:
            for j, w in postings.get(t, {}).items():
                dots[j] = dots.get(j, 0.0) + v * w
                shared[j] = shared.get(j, 0) + 1
        best, best_sim, best_dot = -1, threshold, 0.0
        for j, dot in dots.items():
            if shared[j] < MIN_SHARED:
                continue  # one common word is not a story
            sim = dot / math.sqrt(norm2[j])
            if sim > best_sim or sim == best_sim and (best < 0 or j < best):
                best, best_sim, best_dot = j, sim, dot
        if best < 0:
            best = len(clusters)
            clusters.append([])
            norm2.append(0.0)
        for t, v in row:
            post = postings.setdefault(t, {})
            post[best] = post.get(best, 0.0) + v
        norm2[best] += 2 * best_dot + 1.0  # |c + x|^2 = |c|^2 + 2 c.x + |x|^2, x a unit vector
        clusters[best].append(g)
    return clusters


def describe(X, terms, clusters: list[list[int]], n_keywords: int = 5) -> list[tuple[int, list[str]]]:
    """Per cluster: (position of its most representative group, keywords), from the clusters'
    TF-IDF centroids, computed for all clusters at once."""
    rows = np.asarray([g for cl in clusters for g in cl], dtype=np.int64)
    label = np.asarray([c for c, cl in enumerate(clusters) for _ in cl], dtype=np.int64)
    Xs = X[rows]
    member = csr_matrix((np.ones(len(rows)), (label, np.arange(len(rows)))), shape=(len(clusters), len(rows)))
    cent = (member @ Xs).tocsr()
    fit = np.asarray(Xs.multiply(cent[label]).sum(axis=1)).ravel()  # each group against its centroid
    start = np.cumsum([0] + [len(cl) for cl in clusters])
    out = []
    for c, cl in enumerate(clusters):
        lo, hi = cent.indptr[c], cent.indptr[c + 1]
        order = np.argsort(-cent.data[lo:hi], kind="stable")[:n_keywords]
        out.append((int(np.argmax(fit[start[c]:start[c + 1]])), [str(terms[cent.indices[lo + j]]) for j in order]))
    return out


def _title(d: dict) -> str:
    body = _clean(d.get("title") or d.get("text") or "").strip()
    first = next((s.strip() for s in _SENTENCE.split(body) if s.strip()), body)
    first = re.sub(r"\s+", " ", first)
    if len(first) > TITLE_CHARS:  # whole clauses while they fit: "又一台星河X5电池鼓包"
        clauses = [c for c in _CLAUSE.split(first) if c.strip()]
        kept = ""
        for c in clauses:
            if len(kept) + len(c) + 1 > TITLE_CHARS:
                break
            kept = f"{kept}，{c.strip()}" if kept else c.strip()
        if len(kept) >= TITLE_CHARS // 3:
            return kept
    return first[:TITLE_CHARS] + ("…" if len(first) > TITLE_CHARS else "")


def build_event(topic: str, docs: list[dict], members: list[int], rep: dict, keywords: list[str],
                truncated: bool) -> Event:
    posts = sorted((docs[i] for i in members), key=lambda d: (d["published_at"], d["doc_id"]))
    first = posts[0]
    hours = Counter(_at(d["published_at"]).replace(minute=0, second=0, microsecond=0) for d in posts)
    peak_at, peak_n = max(hours.items(), key=lambda kv: (kv[1], -kv[0].timestamp()))
    labelled = [d for d in posts if d.get("sentiment_label")]
    negative = sum(d.get("sentiment_label") == "negative" for d in labelled)
    followers: dict[str, int] = {}
    for d in posts:
        who = d.get("author_id") or d.get("author_name")
        if who:
            key = f"{d['platform']}:{who}"
            followers[key] = max(followers.get(key, 0), int(d.get("author_followers") or 0))
    engagement = sum(int(d.get(f) or 0) for d in posts for f in ENGAGEMENT)
    eid = hashlib.sha256(f"{topic}|{first['doc_id']}".encode()).hexdigest()[:16]
    ev = Event(id=eid, topic=topic, title=_title(rep) or "、".join(keywords[:3]) or first["doc_id"],
               keywords=keywords,
               first_post={"id": first["doc_id"], "at": _at(first["published_at"]).isoformat(),
                           "url": first.get("url"), "platform": first["platform"]},
               peak={"at": peak_at.isoformat(), "count": peak_n},
               platforms=dict(Counter(d["platform"] for d in posts).most_common()),
               posts=len(posts), negative=negative, negative_share=round(negative / len(labelled), 4) if labelled else 0.0,
               reach=sum(followers.values()) + engagement, post_ids=[d["doc_id"] for d in posts[:SAMPLE_IDS]],
               start=_at(first["published_at"]), end=_at(posts[-1]["published_at"]), truncated=truncated)
    ev._all_ids = [d["doc_id"] for d in posts]
    return ev


def cluster(topic: str, docs: list[dict], threshold: float = MERGE_THRESHOLD, truncated: bool = False,
            min_posts: int = 1) -> list[Event]:
    """Every event in `docs` (unsorted); the bench and tests call this on posts they hold."""
    if not docs:
        return []
    groups = near_duplicate_groups(docs)
    clusters, X, terms = merge_groups(docs, groups, threshold)
    clusters = [cl for cl in clusters if sum(len(groups[k]) for k in cl) >= min_posts]
    if X is not None and clusters:
        described = describe(X, terms, clusters)
    else:  # no terms at all: the most frequent words
        described = [(0, [w for w, _ in Counter(t for k in cl for i in groups[k] for t in doc_terms(docs[i]))
                          .most_common(5)]) for cl in clusters]
    out = []
    for cl, (best, keywords) in zip(clusters, described):
        members = [i for k in cl for i in groups[k]]
        # the group's original: not a near copy nor a repost where there is one, else the first
        rep = min((docs[i] for i in groups[cl[best]]),
                  key=lambda d: (bool(d.get("dup_of")), bool(d.get("repost_of")), d["published_at"]))
        out.append(build_event(topic, docs, members, rep, keywords, truncated))
    return out


Order = Literal["posts", "negative", "reach"]


def rank(events: list[Event], order: Order = "posts") -> list[Event]:
    """Most important first: by posts (or negative posts, or reach), then reach, then earliest."""
    def key(e: Event):
        main = {"posts": e.posts, "negative": e.negative, "reach": e.reach}[order]
        return (-main, -e.posts, -e.reach, e.start, e.id)
    return sorted(events, key=key)


def find_events(store, topic: str, start: datetime, end: datetime, limit: int = 10, order: Order = "posts",
                min_posts: int = 2, threshold: float = MERGE_THRESHOLD, max_posts: int = MAX_POSTS,
                negative_only: bool = False) -> list[Event]:
    """The window's events for `topic`, most important first (one search, then clustering here).

    min_posts: an event needs at least this many posts (a lone post is not an event)."""
    docs, truncated = fetch_posts(store, topic, start, end, max_posts, negative_only)
    events = cluster(topic, docs, threshold, truncated, min_posts)
    return rank(events, order)[:limit]
