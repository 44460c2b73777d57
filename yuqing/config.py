"""The configuration types every stage shares: the strict base, Elasticsearch, topics, the home folder.

The root config that assembles the stages' sections lives in the shell (`yuqing/app/config.py`);
these are the pieces a stage may take without knowing the others.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Iterable

import opencc
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

_T2S = opencc.OpenCC("t2s")  # topics are written in simplified; posts from 台湾/香港 often are not


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _one_aspect_per_term(v: dict[str, list[str]]) -> dict[str, list[str]]:
    seen: dict[str, str] = {}
    for aspect, terms in v.items():
        if not terms:
            raise ValueError(f"aspect {aspect!r} has no terms; list the words that name it, e.g. {aspect}: [词一, 词二]")
        for t in terms:
            if seen.get(t.lower(), aspect) != aspect:
                raise ValueError(f"term {t!r} is under both {seen[t.lower()]!r} and {aspect!r}; keep it under one")
            seen[t.lower()] = aspect
    return v


_Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
# aspect -> the words that name it (nlp/aspects.py), added to the shipped nlp/data/aspects.tsv:
# `{售后: [退货难, 不给退]}`; a new aspect name is a new aspect.
AspectTerms = Annotated[dict[_Name, list[_Name]], AfterValidator(_one_aspect_per_term)]


class LocalNode(Strict):
    """The single node that `yuqing es up` downloads and runs on this machine (and the loopback
    cluster of `yuqing es up --nodes N`: node i answers HTTP on cluster_port + i, transport + 100)."""

    version: str = "8.19.21"
    port: int = Field(9200, ge=1024, le=65535)
    cluster_port: int = Field(9220, ge=1024, le=65400)
    heap: str = Field("512m", pattern=r"^\d+[mMgG]$")  # per node
    user: str = "yuqing-es"
    java_home: str | None = None


class ElasticsearchConfig(Strict):
    hosts: list[str] = ["http://127.0.0.1:9200"]
    index_prefix: str = Field("yuqing", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    ca_certs: str | None = None
    verify_certs: bool = True
    request_timeout: float = 30
    bulk_chunk: int = Field(500, ge=1, le=10000)
    max_retries: int = Field(5, ge=0, le=20)
    shards: int = Field(1, ge=1)
    replicas: int = Field(0, ge=0)
    local: LocalNode = LocalNode()

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("at least one host is needed, e.g. http://127.0.0.1:9200")
        for h in v:
            if not re.match(r"^https?://[^/\s]+", h):
                raise ValueError(f"{h!r} is not a URL like http://host:9200 or https://host:9200")
        return v


class Topic(Strict):
    """What the team watches: a brand, a product line, an event."""

    name: str = Field(min_length=1)
    keywords: list[str] = Field(min_length=1)
    exclude: list[str] = []
    brands: list[str] = []
    recipients: list[str] = []
    # Aspect words for this topic's posts only (a product's parts, its model names), over the
    # shipped dictionary and nlp.aspect_terms.
    aspects: AspectTerms = {}

    def matches(self, text: str) -> bool:
        return bool(match_topics([self], text))


def match_topics(topics: Iterable[Topic], text: str) -> list[str]:
    """Names of the topics the text is about: one of their keywords and none of their exclusions,
    in the text as written or once converted from traditional to simplified characters.

    The one topic matcher: spiders, validation and the alerts all call this, so a post cannot
    match a topic in one place and not in another. Converting is the slow part, so it happens
    once per text and only when the text as written does not settle every topic."""
    low = text.lower()
    folded: list[str] = []

    def simplified() -> str:
        if not folded:
            folded.append(_T2S.convert(low))
        return folded[0]

    def holds(words: list[str]) -> bool:
        return any(w.lower() in low for w in words) or any(w.lower() in simplified() for w in words)

    return [t.name for t in topics if holds(t.keywords) and not (t.exclude and holds(t.exclude))]


def yuqing_home(override: str | None = None) -> Path:
    p = Path(override or os.environ.get("YUQING_HOME") or Path.home() / ".cache" / "yuqing")
    return p.expanduser()
