"""The one post schema: spiders, `yuqing ingest`, the pipeline, the store and tests all use it.

A comment or reply is a post with `parent_id`. Each field declares its Elasticsearch type in
`json_schema_extra={"es": ...}`; the index template is generated from this model
(`yuqing.store.mapping()`), so the two cannot drift.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SHANGHAI = ZoneInfo("Asia/Shanghai")
Label = Literal["negative", "neutral", "positive"]


def es(kind: str, **extra: Any) -> dict:
    return {"es": {"type": kind, **extra}}


_COUNT = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(万|w|W|亿|千|k|K)?\+?\s*$")
_UNITS = {"万": 10_000, "w": 10_000, "W": 10_000, "亿": 100_000_000, "千": 1000, "k": 1000, "K": 1000}


def parse_count(value: Any) -> int | None:
    """Platform counters come as 12000, "12000", "1.2万", "3k+", "", None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("a count cannot be true/false")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError("a count cannot be negative")
        return int(value)
    m = _COUNT.match(str(value).replace(",", ""))
    if not m:
        raise ValueError(f"not a count: {value!r} (expected e.g. 1200, '1.2万', '3k')")
    return int(round(float(m.group(1)) * _UNITS.get(m.group(2) or "", 1)))


def parse_time(value: Any, tz: ZoneInfo = SHANGHAI) -> datetime:
    """Accept aware/naive datetimes, ISO strings, epoch seconds or milliseconds.

    Naive values are platform-local time (Asia/Shanghai by default); the result is UTC.
    """
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        secs = value / 1000 if value > 1e11 else value
        dt = datetime.fromtimestamp(secs, tz=timezone.utc)
    elif isinstance(value, str) and value.strip():
        s = value.strip()
        if re.fullmatch(r"\d{9,13}", s):
            return parse_time(int(s), tz)
        try:
            dt = datetime.fromisoformat(s.replace("Z", "+00:00").replace("/", "-"))
        except ValueError:
            try:
                dt = datetime.strptime(s, "%a %b %d %H:%M:%S %z %Y")  # Weibo
            except ValueError:
                raise ValueError(f"not a date: {value!r} (expected ISO 8601 or epoch seconds)") from None
    else:
        raise ValueError(f"not a date: {value!r}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return dt.astimezone(timezone.utc)


class AspectMention(BaseModel):
    """One aspect a post speaks of (nlp/aspects.py): the aspect, the clause that names it and the
    sentiment model's reading of that clause (absent when no model was loaded)."""

    model_config = ConfigDict(extra="ignore")
    aspect: str = Field(min_length=1, max_length=64)
    sentiment: Label | None = None
    score: float | None = Field(None, ge=-1, le=1)
    text: str = Field("", max_length=512)


# Nested, so "negative about 售后" means the same entry holds both (an object array would match a
# post negative about 质量 and neutral about 售后).
_ASPECT_ES = es("nested", properties={"aspect": {"type": "keyword"}, "sentiment": {"type": "keyword"},
                                      "score": {"type": "float"}, "text": {"type": "keyword", "index": False}})


class Post(BaseModel):
    model_config = ConfigDict(extra="ignore", validate_assignment=False)

    platform: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$", json_schema_extra=es("keyword"))
    post_id: str = Field(min_length=1, max_length=256, json_schema_extra=es("keyword"))
    source: str | None = Field(None, json_schema_extra=es("keyword"))
    url: str | None = Field(None, json_schema_extra=es("keyword", index=False))
    title: str | None = Field(None, json_schema_extra=es("text", analyzer="standard"))
    text: str = Field("", json_schema_extra=es("text", analyzer="standard"))
    author_id: str | None = Field(None, json_schema_extra=es("keyword"))
    author_name: str | None = Field(None, json_schema_extra=es("keyword"))
    author_followers: int | None = Field(None, json_schema_extra=es("long"))
    published_at: datetime = Field(json_schema_extra=es("date"))
    crawled_at: datetime | None = Field(None, json_schema_extra=es("date"))
    likes: int | None = Field(None, json_schema_extra=es("long"))
    comments: int | None = Field(None, json_schema_extra=es("long"))
    reposts: int | None = Field(None, json_schema_extra=es("long"))  # shares, forwards
    collects: int | None = Field(None, json_schema_extra=es("long"))  # saves/favourites (Xiaohongshu, Douyin)
    rating: float | None = Field(None, json_schema_extra=es("float"))
    parent_id: str | None = Field(None, json_schema_extra=es("keyword"))
    # A repost (转发) points at the original's post_id, stored as a post of its own.
    repost_of: str | None = Field(None, json_schema_extra=es("keyword"))
    # The platform showed only the start of the text and the full text could not be fetched
    # (yet): a later crawl completes the post and writes False. Unset (None) for every post that
    # never was cut off, so privacy.keep_fields and sources without long texts store nothing.
    text_truncated: bool | None = Field(None, json_schema_extra=es("boolean"))
    # The region the platform shows next to a post ("IP属地"), as it gives it: "广东", "河南".
    ip_location: str | None = Field(None, json_schema_extra=es("keyword"))
    topics: list[str] = Field(default_factory=list, json_schema_extra=es("keyword"))
    tags: list[str] = Field(default_factory=list, json_schema_extra=es("keyword"))
    lang: str | None = Field(None, json_schema_extra=es("keyword"))
    tokens: list[str] = Field(default_factory=list, json_schema_extra=es("keyword"))
    keywords: list[str] = Field(default_factory=list, json_schema_extra=es("keyword"))
    sentiment: float | None = Field(None, ge=-1, le=1, json_schema_extra=es("float"))
    sentiment_label: Label | None = Field(None, json_schema_extra=es("keyword"))
    sentiment_confidence: float | None = Field(None, ge=0, le=1, json_schema_extra=es("float"))
    # Aspects (质量, 物流, 售后 ...) with their clause's sentiment; `negative_aspects` repeats the
    # aspects spoken of negatively as a flat keyword list, which Kibana Lens and plain terms
    # aggregations can read (they cannot reach inside nested objects).
    aspects: list[AspectMention] = Field(default_factory=list, json_schema_extra=_ASPECT_ES)
    negative_aspects: list[str] = Field(default_factory=list, json_schema_extra=es("keyword"))
    # DUTIR emotion classes expressed (乐 好 怒 哀 惧 恶 惊), most frequent first (nlp/emotions.py).
    emotions: list[str] = Field(default_factory=list, json_schema_extra=es("keyword"))
    simhash: str | None = Field(None, json_schema_extra=es("keyword"))
    dup_of: str | None = Field(None, json_schema_extra=es("keyword"))
    # Band keys of `simhash` (nlp/simhash.py): searched, never aggregated or shown.
    simhash_keys: list[str] = Field(default_factory=list, json_schema_extra=es("keyword", doc_values=False))

    @field_validator("post_id", "parent_id", "repost_of", "author_id", mode="before")
    @classmethod
    def _str_id(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError("an id cannot be true/false")
        if isinstance(v, (int, float)):
            return str(int(v))
        if isinstance(v, str):
            v = v.strip()
        return v

    @field_validator("likes", "comments", "reposts", "collects", "author_followers", mode="before")
    @classmethod
    def _count(cls, v: Any) -> int | None:
        return parse_count(v)

    @field_validator("published_at", "crawled_at", mode="before")
    @classmethod
    def _time(cls, v: Any) -> Any:
        if v is None:
            return None
        return parse_time(v)

    @field_validator("topics", "tags", "tokens", "keywords", "negative_aspects", "emotions", mode="before")
    @classmethod
    def _list(cls, v: Any) -> Any:
        if v is None:
            return []
        if isinstance(v, str):
            return [v]
        return v

    @model_validator(mode="after")
    def _utc(self) -> "Post":
        if self.crawled_at is None:
            self.crawled_at = datetime.now(timezone.utc)
        return self

    @property
    def doc_id(self) -> str:
        """Idempotent Elasticsearch `_id`: the same post crawled twice is one document."""
        return f"{self.platform}:{self.post_id}"

    def to_doc(self) -> dict:
        d = self.model_dump(mode="json", exclude_none=True)
        return d


def es_fields() -> dict[str, dict]:
    """Elasticsearch mapping properties derived from the model."""
    props = {}
    for name, f in Post.model_fields.items():
        extra = f.json_schema_extra or {}
        props[name] = dict(extra["es"])  # type: ignore[index]
        if props[name]["type"] == "date":
            props[name]["format"] = "strict_date_optional_time||epoch_millis"
    props["author_name"]["ignore_above"] = 256
    props["text"]["fields"] = {"raw": {"type": "keyword", "ignore_above": 512}}
    props["title"]["fields"] = {"raw": {"type": "keyword", "ignore_above": 512}}
    return props
