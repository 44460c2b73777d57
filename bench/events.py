"""Bench stage "events": purity and recall of `alerts.events.find_events` on the author-written
mixture of stories (bench/eventset.py), loaded through the real pipeline (tokens, keywords,
near-duplicate links; sentiment labels as written) into a fresh index prefix of the configured
node, and the clustering time on a window of a few thousand posts.

Purity: of the posts placed in events, the share that belong to their event's majority story.
Recall: of each story's posts, the share in the one event that holds most of them (pooled over
stories). Posts are not independent draws (copies and reposts of one text), so the Wilson
intervals are optimistic; they say how much 130-odd posts can tell, no more.
"""
from __future__ import annotations

import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

from bench.eventset import TOPIC, mixture
from bench.harness import stage


def score(events, labels: dict[str, str]) -> dict:
    """Purity and recall counts of events (with their full post lists) against story labels."""
    placed = majority = 0
    best: dict[str, int] = defaultdict(int)
    for e in events:
        stories = Counter(labels[i] for i in e.all_ids() if i in labels)
        placed += sum(stories.values())
        majority += stories.most_common(1)[0][1] if stories else 0
        for s, k in stories.items():
            if s != "noise":
                best[s] = max(best[s], k)
    totals = Counter(s for s in labels.values() if s != "noise")
    return {"placed": placed, "majority": majority, "recalled": sum(best.values()), "story_posts": sum(totals.values()),
            "per_story": {s: f"{best[s]}/{n}" for s, n in sorted(totals.items())}}


def load(cfg, store, items: list[dict]) -> dict[str, str]:
    """Write the labelled items through the pipeline; doc id -> story."""
    from pipelines.build import build_pipeline

    # sentiment as written (no model needed); the local key file: the names are made up anyway
    run_cfg = cfg.model_copy(update={"nlp": cfg.nlp.model_copy(update={"sentiment": False}),
                                     "privacy": cfg.privacy.model_copy(update={"local_key": True})})
    pipe = build_pipeline(run_cfg, store=store, nlp=True)
    for it in items:
        pipe.feed({k: v for k, v in it.items() if k != "story"})
    rep = pipe.close()
    if rep.rejected or rep.errors:
        raise SystemExit(f"bench events: the mixture did not load: {rep.rejected[:3]} {rep.errors[:3]}")
    store.refresh()
    return {f"{it['platform']}:{it['post_id']}": it["story"] for it in items}


def _timing(topic: str, docs: list[dict], copies: int = 25) -> tuple[int, float]:
    """Clustering alone (no search) on `copies` renamed copies of the stored mixture: a window of
    a few thousand posts, each story `copies` times over (so as many near-duplicate groups)."""
    from alerts.events import cluster

    window = []
    for c in range(copies):
        for d in docs:
            window.append(dict(d, doc_id=f"{d['doc_id']}-{c}", dup_of=f"{d['dup_of']}-{c}" if d.get("dup_of") else None,
                               repost_of=f"{d['repost_of']}-{c}" if d.get("repost_of") else None))
    t0 = time.perf_counter()
    cluster(topic, window)
    return len(window), time.perf_counter() - t0


def _figures(s: dict) -> dict:
    from nlp.stats import wilson

    p_lo, p_hi = wilson(s["majority"], s["placed"])
    r_lo, r_hi = wilson(s["recalled"], s["story_posts"])
    return {"purity": round(s["majority"] / max(1, s["placed"]), 3), "purity_ci95": f"{p_lo:.3f}-{p_hi:.3f}",
            "recall": round(s["recalled"] / max(1, s["story_posts"]), 3), "recall_ci95": f"{r_lo:.3f}-{r_hi:.3f}",
            "per_story_recall": s["per_story"]}


def _timing_distinct(topic: str, docs: list[dict], n: int = 5000) -> float:
    """Clustering alone on `n` posts that are nearly all distinct (8 random words each from the
    mixture's vocabulary plus 4,000 made-up words): a noisy window, many clusters. (From the
    mixture's ~380 words alone, every post shares two words with many clusters: about 0.8 s.)"""
    import random

    from alerts.events import cluster

    rng = random.Random(5)
    vocab = sorted({t for d in docs for t in d.get("tokens") or []}) + [f"词{i}" for i in range(4000)]
    base = docs[0]
    window = [dict(base, doc_id=f"x:{i}", post_id=str(i), dup_of=None, repost_of=None, tokens=rng.sample(vocab, 8))
              for i in range(n)]
    t0 = time.perf_counter()
    cluster(topic, window, min_posts=2)
    return time.perf_counter() - t0


@stage("events")
def bench_events(cfg, console, **_) -> dict:
    from alerts.events import MAX_POSTS, MERGE_THRESHOLD, find_events
    from bench.eventset import HELD_OUT_TOPIC, held_out
    from yuqing.store import Store

    start = datetime(2026, 5, 1, tzinfo=timezone.utc)
    end = start + timedelta(days=2)
    sets = {"tuned": (TOPIC, mixture(start)), "held_out": (HELD_OUT_TOPIC, held_out(start))}
    store = Store(cfg.elasticsearch.model_copy(update={"index_prefix": f"bench-{uuid.uuid4().hex[:6]}-ev"}))
    store.setup()
    out: dict = {"threshold": MERGE_THRESHOLD}
    try:
        labels = load(cfg, store, [it for _, items in sets.values() for it in items])
        own = {name: {f"{it['platform']}:{it['post_id']}" for it in items} for name, (_, items) in sets.items()}
        for name, (topic, items) in sets.items():
            t0 = time.perf_counter()
            events = find_events(store, topic, start, end, limit=1000)
            out[name] = {"posts": len(items), "stories": len({it["story"] for it in items} - {"noise"}),
                         "events": len(events), **_figures(score(events, {k: v for k, v in labels.items()
                                                                          if k in own[name]})),
                         "find_events_s": round(time.perf_counter() - t0, 3)}
        docs = [dict(h["_source"], doc_id=h["_id"]) for h in store.scan(store.posts_pattern, {"term": {"topics": TOPIC}})]
    finally:
        store.drop_all()
    n_docs, cluster_s = _timing(TOPIC, docs)
    return {**out, "cluster_posts": n_docs, "cluster_s": round(cluster_s, 3),
            "cluster_5000_distinct_s": round(_timing_distinct(TOPIC, docs), 3), "max_posts_read": MAX_POSTS}
