"""Spikes against a robust seasonal baseline: `negative_spike` and `volume_spike`.

The reference is the same window at the same time of day on each of the past `history_days`
days (nights are quiet, evenings busy) and the `recent_windows` windows just before this one.
The baseline is the larger of the two medians (unusual for the hour AND for the last hours), the
spread a MAD floored at Poisson noise. The rule fires only when the current count clears all
three: `min_count` (0 → 3 at night is not an event), `multiple` x baseline, and baseline +
`margin` x spread. ElastAlert's spike compared one window with the previous one, with both
thresholds 0 by default, and forgot its windows on restart; this reads everything from the store.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.alert import Alert
from alerts.rules.base import Rule


@dataclass
class Baseline:
    value: float
    spread: float
    seasonal: list[float]
    recent: list[float]


def robust_baseline(seasonal: list[float], recent: list[float]) -> Baseline:
    meds = [statistics.median(x) for x in (seasonal, recent) if x]
    base = float(max(meds)) if meds else 0.0
    samples = seasonal + recent
    mad = statistics.median([abs(x - statistics.median(samples)) for x in samples]) * 1.4826 if samples else 0.0
    spread = max(mad, math.sqrt(max(base, 1.0)))
    return Baseline(base, spread, seasonal, recent)


class NegativeSpike(Rule):
    name = "negative_spike"
    negative_only = True

    def reference_windows(self, now: datetime) -> tuple[list, list]:
        start, end = self.window(now)
        w = self.p.window
        seasonal = [(start - timedelta(days=d), end - timedelta(days=d)) for d in range(1, self.p.history_days + 1)]
        recent = [(start - k * w, end - k * w) for k in range(1, self.p.recent_windows + 1)]
        return seasonal, recent

    def measure(self, store, topic: str, now: datetime) -> tuple[int, float, Baseline, float]:
        """(posts now, value now, baseline, threshold); value is the count or the weighted count."""
        start, end = self.window(now)
        seasonal, recent = self.reference_windows(now)
        windows = [(start, end), *seasonal, *recent]
        if self.p.measure == "weighted":
            sums = store.window_sums(topic, windows, ["likes", "comments", "reposts", "author_followers"],
                                     negative_only=self.negative_only, dedup=self.ctx.dedup)
            values = [w["count"] + (w["likes"] + w["comments"] + w["reposts"]) / self.p.engagement_unit
                      + w["author_followers"] / self.p.followers_unit for w in sums]
            posts = sums[0]["count"]
        else:
            values = store.window_counts(topic, windows, negative_only=self.negative_only, dedup=self.ctx.dedup)
            posts = values[0]
        b = robust_baseline(values[1:1 + len(seasonal)], values[1 + len(seasonal):])
        threshold = max(float(self.p.min_count), self.p.multiple * b.value, b.value + self.p.margin * b.spread)
        return posts, round(values[0], 2), b, threshold

    def evaluate(self, store, topic: str, now: datetime) -> list[Alert]:
        posts, value, b, threshold = self.measure(store, topic, now)
        if posts < self.p.min_count or value < threshold:
            return []
        start, end = self.window(now)
        a = self.alert(store, topic, now, start, end, value=value, threshold=round(threshold, 2),
                       baseline=round(b.value, 2))
        if self.p.measure == "weighted":
            a.summary += f" 按互动与粉丝加权（帖子 {posts} 条）。"
        return [a]


class VolumeSpike(NegativeSpike):
    name = "volume_spike"
    negative_only = False
    unit = "条帖子（全部情感）"
