"""`negative_ratio`: the negative share of a topic's posts over a window, once there is enough
volume for a share to mean something (1 negative of 2 posts is not 50 % of public opinion).
With `measure: anger | disgust | aspect` the share is that of posts expressing 怒 / 恶, or of
posts negative about one aspect."""
from __future__ import annotations

from datetime import datetime

import numpy as np

from alerts import text
from alerts.alert import Alert
from alerts.rules.base import Finding, Need, Rule, View


class NegativeRatio(Rule):
    name = "negative_ratio"
    unit = "负面占比"

    def needs(self, now: datetime) -> list[Need]:
        start, end = self.window(now)
        match = self.match()
        return [(self.series(False), start, end), (self.series(not match, match), start, end)]

    def judge(self, counts: View, now: datetime) -> dict[int, Finding]:
        start, end = self.window(now)
        every, part = self.needs(now)
        total, neg = counts.count(*every), counts.count(*part)
        share = np.divide(neg, total, out=np.zeros(len(total)), where=total > 0)
        return counts.findings((total >= self.p.min_volume) & (share >= self.p.threshold), lambda k: Finding(
            start, end, round(float(share[k]), 4), self.p.threshold,
            extra={"total": int(total[k]), "neg": int(neg[k]), "share": float(share[k])}))

    def finish(self, store, topic: str, now: datetime, f: Finding) -> Alert | None:
        a = self.alert(store, topic, now, f.start, f.end, value=f.value, threshold=self.p.threshold)
        total, neg, share = f.extra["total"], f.extra["neg"], f.extra["share"]
        what = MEASURE_ZH[self.p.measure].format(aspect=self.p.aspect)
        a.summary = (a.summary.split("，")[0] + f"，{topic} 共 {total} 条帖子，其中{what} {neg} 条，"
                     f"{what}占比 {share:.0%}（阈值 {self.p.threshold:.0%}）。" + text.aspects_zh(a.negative_aspects))
        return a


MEASURE_ZH = {"negative": "负面", "anger": "带愤怒情绪的", "disgust": "带厌恶情绪的", "aspect": "对{aspect}负面的"}
