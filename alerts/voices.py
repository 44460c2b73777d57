"""Key voices (意见领袖): the accounts with the most reach in a topic or an event, and their stance.

Reach of an account = followers × (1 + engagement), where engagement is the likes, comments and
reposts its posts in the window drew: a big account nobody answered still ranks by its audience,
a small one that drew a crowd ranks by the crowd. Names are what the store holds: the privacy
stage keeps the real name only for accounts at or above `privacy.public_followers` followers (and
those in `privacy.public_accounts`), every other author is a keyed pseudonym (网友xxxxxxxx), so a
brand can contact a media account by name and no private person is named (PRIVACY.md).
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from pydantic import BaseModel

if TYPE_CHECKING:
    from alerts.events import Event

ENGAGEMENT = ("likes", "comments", "reposts")
STANCE_ZH = {"negative": "负面", "neutral": "中性", "positive": "正面"}
MAX_POSTS = 5000
_PSEUDONYM = re.compile(r"^网友[0-9a-f]{8}$")
_FIELDS = ["platform", "author_id", "author_name", "author_followers", "sentiment", "sentiment_label", *ENGAGEMENT]


class Voice(BaseModel):
    name: str  # the public name, or the pseudonym the store holds
    public: bool  # shown by its real name (an account at or above the public follower threshold)
    platform: str
    followers: int = 0
    engagement: int = 0
    reach: int = 0
    posts: int = 0
    stance: float | None = None  # mean sentiment score of its posts, -1..1 (None: none scored)
    stance_label: str = "中性"  # 正面 / 中性 / 负面: the most frequent label of its posts

    def line(self) -> str:
        """"新华网（weibo，粉丝 1200000，负面）"."""
        return f"{self.name}（{self.platform}，粉丝 {self.followers}，{self.stance_label}）"


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat()


def _posts(store, topic: str, start: datetime, end: datetime, ids: list[str] | None) -> list[dict]:
    f: list[dict] = [{"term": {"topics": topic}},
                     {"range": {"published_at": {"gte": _iso(start), "lt": _iso(end)}}},
                     {"exists": {"field": "author_name"}}]
    if ids is not None:
        f.append({"ids": {"values": ids[:MAX_POSTS]}})
    r = store.search(store.posts_pattern, query={"bool": {"filter": f}}, size=MAX_POSTS, source=_FIELDS,
                     sort=[{"published_at": "desc"}])
    return [h["_source"] for h in r.get("hits", {}).get("hits", [])]


def aggregate(docs: list[dict], n: int = 10) -> list[Voice]:
    """Per account (platform + author id, else name): followers, engagement, reach, stance."""
    acc: dict[tuple[str, str], dict] = {}
    for d in docs:
        name = d.get("author_name")
        if not name:
            continue
        key = (d["platform"], d.get("author_id") or name)
        a = acc.setdefault(key, {"name": name, "platform": d["platform"], "followers": 0, "engagement": 0,
                                 "posts": 0, "scores": [], "labels": Counter()})
        a["followers"] = max(a["followers"], int(d.get("author_followers") or 0))
        a["engagement"] += sum(int(d.get(f) or 0) for f in ENGAGEMENT)
        a["posts"] += 1
        if d.get("sentiment") is not None:
            a["scores"].append(float(d["sentiment"]))
        if d.get("sentiment_label"):
            a["labels"][d["sentiment_label"]] += 1
    out = []
    for a in acc.values():
        label = "neutral"
        if a["labels"]:
            (top, k), *rest = a["labels"].most_common()
            label = top if not rest or rest[0][1] < k else "neutral"  # a tie reads as neutral
        out.append(Voice(name=a["name"], public=not _PSEUDONYM.match(a["name"]), platform=a["platform"],
                         followers=a["followers"], engagement=a["engagement"],
                         reach=a["followers"] * (1 + a["engagement"]), posts=a["posts"],
                         stance=round(sum(a["scores"]) / len(a["scores"]), 4) if a["scores"] else None,
                         stance_label=STANCE_ZH[label]))
    out.sort(key=lambda v: (-v.reach, -v.engagement, -v.posts, v.name))
    return out[:n]


def key_voices(store, topic: str, start: datetime, end: datetime, event: Event | None = None,
               n: int = 10) -> list[Voice]:
    """The `n` accounts with the most reach in the topic's window (or in one event's posts)."""
    ids = event.all_ids() if event is not None else None
    return aggregate(_posts(store, topic, start, end, ids), n)
