"""`negative_ratio`: the negative share of a topic's posts over a window, once there is enough
volume for a share to mean something (1 negative of 2 posts is not 50 % of public opinion).
With `measure: anger | disgust | aspect` the share is that of posts expressing 怒 / 恶, or of
posts negative about one aspect."""
from __future__ import annotations

from datetime import datetime

from alerts import text
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
        match = self.match()
        neg, = store.posts.window_counts(topic, [(start, end)], negative_only=not match, dedup=self.ctx.dedup,
                                         match=match)
        share = neg / total
        if share < self.p.threshold:
            return []
        a = self.alert(store, topic, now, start, end, value=round(share, 4), threshold=self.p.threshold)
        what = MEASURE_ZH[self.p.measure].format(aspect=self.p.aspect)
        a.summary = (a.summary.split("，")[0] + f"，{topic} 共 {total} 条帖子，其中{what} {neg} 条，"
                     f"{what}占比 {share:.0%}（阈值 {self.p.threshold:.0%}）。" + text.aspects_zh(a.negative_aspects))
        return [a]


MEASURE_ZH = {"negative": "负面", "anger": "带愤怒情绪的", "disgust": "带厌恶情绪的", "aspect": "对{aspect}负面的"}
