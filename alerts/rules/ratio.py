"""`negative_ratio`: the negative share of a topic's posts over a window, once there is enough
volume for a share to mean something (1 negative of 2 posts is not 50 % of public opinion)."""
from __future__ import annotations

from datetime import datetime

from alerts.alert import Alert
from alerts.rules.base import Rule


class NegativeRatio(Rule):
    name = "negative_ratio"
    unit = "负面占比"

    def evaluate(self, store, topic: str, now: datetime) -> list[Alert]:
        start, end = self.window(now)
        total, = store.posts.window_counts(topic, [(start, end)], negative_only=False, dedup=self.ctx.dedup)
        if total < self.p.min_volume:
            return []
        neg, = store.posts.window_counts(topic, [(start, end)], negative_only=True, dedup=self.ctx.dedup)
        share = neg / total
        if share < self.p.threshold:
            return []
        a = self.alert(store, topic, now, start, end, value=round(share, 4), threshold=self.p.threshold)
        a.summary = (a.summary.split("，")[0] + f"，{topic} 共 {total} 条帖子，其中负面 {neg} 条，"
                     f"负面占比 {share:.0%}（阈值 {self.p.threshold:.0%}）。")
        return [a]
