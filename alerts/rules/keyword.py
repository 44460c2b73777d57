"""`keyword`: negative posts naming sensitive terms (投诉, 维权, 曝光, 假货, 召回, 315 …).
Matched as phrases in title and text, so it works whether or not NLP stored tokens."""
from __future__ import annotations

from datetime import datetime

from alerts.alert import Alert
from alerts.rules.base import Rule


class Keyword(Rule):
    name = "keyword"
    unit = "条含敏感词的负面帖子"

    def evaluate(self, store, topic: str, now: datetime) -> list[Alert]:
        start, end = self.window(now)
        total, per_term = store.posts.term_counts(topic, start, end, self.p.terms, negative_only=True, dedup=self.ctx.dedup)
        if total < self.p.min_count:
            return []
        hit = [t for t, n in sorted(per_term.items(), key=lambda kv: -kv[1]) if n]
        a = self.alert(store, topic, now, start, end, value=total, threshold=self.p.min_count, keywords=hit)
        a.summary += f" 命中：{'、'.join(f'{t}({per_term[t]})' for t in hit)}。"
        return [a]
