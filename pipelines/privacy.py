"""Privacy stage (隐私保护), between dedupe and enrichment: nothing personal reaches the store.

It runs before NLP so that tokens and keywords are computed from masked text and can never
carry a phone number; and after dedupe, which keys on platform and post id only. It pseudonymises
author ids and names (pipelines.pseudonym) and every other @name in title and text with the same
keyed function, so a mention of an author reads as that author's pseudonym (only the accounts in
`privacy.public_accounts`, the brand's own and the media, keep their names, and as authors the
accounts with at least `privacy.public_followers` followers); masks personal data
in title and text (pipelines.pii); replaces the author's own raw id where it is repeated in the URL
or text (weibo.com/<uid>/...); and drops fields the configuration does not keep (数据最小化).
Nothing raw is ever logged: the summary at close has counts only.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from typing import TYPE_CHECKING

from pipelines.pii import mask
from pipelines.pseudonym import Pseudonymiser, is_pseudonym, pipeline_key
from yuqing import mentions
from yuqing.post import Post

if TYPE_CHECKING:  # the root config is the shell's; this stage only reads its sections
    from yuqing.app.config import Config

log = logging.getLogger(__name__)

# Needed to store and address a post at all; kept whatever privacy.keep_fields says.
ALWAYS_KEPT = frozenset({"platform", "post_id", "published_at", "crawled_at"})
MIN_ID_CHARS = 4  # shorter raw ids ("42") would clobber unrelated digits in a URL
_PSEUDO_NAME = re.compile(r"^网友[0-9a-f]{8}$")
_PSEUDO_HEAD = re.compile(r"^网友[0-9a-f]{8}")  # a mention already pseudonymised (a post seen twice)


class Privacy:
    def __init__(self, cfg: Config, key: bytes | None = None):
        p = cfg.privacy
        self.pseudonymise = p.pseudonymise
        self.mask_pii = p.mask_pii
        self.pseudo = Pseudonymiser(key if key is not None else pipeline_key(cfg)) if p.pseudonymise else None
        self.public = {name.casefold() for name in p.public_accounts}
        self.public_followers = p.public_followers
        self.drop = [] if p.keep_fields is None else [
            f for f in Post.model_fields if f not in set(p.keep_fields) | ALWAYS_KEPT]
        self.masked: Counter[str] = Counter()
        self.posts_masked = 0
        self.mentions = 0

    @classmethod
    def from_config(cls, cfg: Config) -> "Privacy":
        return cls(cfg)

    def process(self, post: Post) -> Post:
        if self.pseudo is not None:
            self._pseudonymise(post)
        if self.mask_pii:
            hit = False
            for name in ("title", "text"):
                value = getattr(post, name)
                if value:
                    r = mask(value)
                    if r.counts:
                        setattr(post, name, r.text)
                        self.masked.update(r.counts)
                        hit = True
            self.posts_masked += hit
        for name in self.drop:
            f = Post.model_fields[name]
            setattr(post, name, f.get_default(call_default_factory=True))
        return post

    def _pseudonymise(self, post: Post) -> None:
        assert self.pseudo is not None
        raw_id, raw_name = post.author_id, post.author_name
        if raw_id and not is_pseudonym(raw_id):
            pid = self.pseudo.author_id(post.platform, raw_id)
            post.author_id = pid
            if len(raw_id) >= MIN_ID_CHARS:
                own = re.compile(rf"(?<![0-9A-Za-z_]){re.escape(raw_id)}(?![0-9A-Za-z_])")
                for name in ("url", "title", "text"):
                    value = getattr(post, name)
                    if value and raw_id in value:
                        setattr(post, name, own.sub(pid, value))
        by_reach = self._public_by_reach(post)
        own = raw_name.strip().casefold() if raw_name and by_reach else None  # its own @name stays too
        if raw_name and not _PSEUDO_NAME.match(raw_name) and raw_name.strip().casefold() not in self.public \
                and not by_reach:
            pname = self.pseudo.author_name(post.platform, raw_name)
            post.author_name = pname
            mention = "@" + raw_name  # also a name outside the mention grammar, e.g. with a space
            for name in ("title", "text"):
                value = getattr(post, name)
                if value and mention in value:
                    setattr(post, name, value.replace(mention, "@" + pname))
        for name in ("title", "text"):
            value = getattr(post, name)
            if value and ("@" in value or "＠" in value):
                new, n = mentions.replace(value, lambda m: self._mention(post.platform, m, own))
                if n:
                    setattr(post, name, new)
                    self.mentions += n

    def _public_by_reach(self, post: Post) -> bool:
        """An account at or above `privacy.public_followers` is public: it keeps its name."""
        return self.public_followers is not None and (post.author_followers or 0) >= self.public_followers

    def _mention(self, platform: str, name: str, own: str | None = None) -> str | None:
        """The same keyed function as author names: "@name" becomes that author's pseudonym."""
        assert self.pseudo is not None
        if _PSEUDO_HEAD.match(name) or name.casefold() in self.public or name.casefold() == own:
            return None
        return self.pseudo.author_name(platform, name)

    def close(self) -> None:
        if self.mentions:
            log.info("privacy: pseudonymised %d @mentions", self.mentions)
        if self.masked:
            detail = ", ".join(f"{tag} {n}" for tag, n in sorted(self.masked.items()))
            log.info("privacy: masked personal data in %d posts (%s)", self.posts_masked, detail)
