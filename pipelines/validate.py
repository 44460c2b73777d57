"""First stage: turn whatever a spider or a JSON line gave into a valid `Post`, or reject it."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from pipelines.chain import Rejected
from yuqing.post import Post

if TYPE_CHECKING:  # the root config is the shell's; this stage only reads its sections
    from yuqing.app.config import Config

MAX_TEXT = 100_000  # characters; longer bodies are cut, never rejected


def describe(e: ValidationError) -> str:
    parts = []
    for err in e.errors():
        key = ".".join(str(p) for p in err["loc"]) or "post"
        if err["type"] == "missing":
            parts.append(f"{key}: missing")
        else:
            parts.append(f"{key}: {err['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)


class Validate:
    def __init__(self, cfg: Config):
        self.cfg = cfg

    def process(self, item: Any) -> Post:
        if isinstance(item, Post):
            post = item
        else:
            if hasattr(item, "items") and not isinstance(item, dict):  # scrapy.Item
                item = dict(item)
            if not isinstance(item, dict):
                raise Rejected(f"expected a JSON object, got {type(item).__name__}")
            try:
                post = Post.model_validate(item)
            except ValidationError as e:
                raise Rejected(describe(e)) from None
        if len(post.text) > MAX_TEXT:
            post.text = post.text[:MAX_TEXT]
        if not post.topics and self.cfg.topics:
            post.topics = self.cfg.match_topics(f"{post.title or ''}\n{post.text}")
        return post
