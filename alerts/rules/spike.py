"""Spikes against a robust seasonal baseline: `negative_spike` and `volume_spike`.

The reference is the same window at the same time of day on each of the past `history_days`
days (nights are quiet, evenings busy) and the `recent_windows` windows just before this one.
Besides the short `window` (a sharp burst), each of `slow_windows` is measured the same way, so a
small brand whose complaints build up over hours (30 in an afternoon, against a few a week) is
caught too; the alert names the window where the topic stands out most. A slow window alone
fires only while the short window is still above its usual level: once a burst is over, the 2 h
window would go on counting it for 2 h, and the episode would outlast the event by as much.
The baseline is the larger of the two medians (unusual for the hour AND for the last hours), the
spread a MAD floored at Poisson noise. The rule fires only when the current count clears all
three: `min_count` (0 → 3 at night is not an event), `multiple` x baseline, and baseline +
`margin` x spread. ElastAlert's spike compared one window with the previous one, with both
thresholds 0 by default, and forgot its windows on restart; this reads everything from the store.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from alerts.alert import Alert
from alerts.rules.base import Finding, Need, Rule, View


@dataclass
class Measure:
    """One window length, for every case of a View at once (arrays indexed by case)."""

    span: tuple[datetime, datetime]
    posts: np.ndarray
    value: np.ndarray  # rounded to 0.01, as reported
    baseline: np.ndarray
    threshold: np.ndarray


def robust_baseline(seasonal: np.ndarray, recent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(baseline, spread) per case from (days × cases) and (windows × cases) arrays: the larger
    of the two medians; the MAD of all samples, floored at Poisson noise."""
    n = max(seasonal.shape[1], recent.shape[1])
    meds = [np.median(x, axis=0) for x in (seasonal, recent) if len(x)]
    base = np.maximum.reduce(meds) if meds else np.zeros(n)
    samples = np.concatenate([seasonal, recent])
    mad = np.median(np.abs(samples - np.median(samples, axis=0)), axis=0) * 1.4826 if len(samples) else np.zeros(n)
    return base, np.maximum(mad, np.sqrt(np.maximum(base, 1.0)))


def still_above(short: Measure, slow: Measure) -> np.ndarray:
    """The short window still runs clearly above the rate this time of day usually has: at least
    two posts (one proves nothing) and two Poisson deviations over the slow window's baseline
    scaled down to the short window (steadier than the short window's own baseline of 0 or 1).
    Then the event the slow window measures is not over yet."""
    usual = slow.baseline * ((short.span[1] - short.span[0]) / (slow.span[1] - slow.span[0]))
    return (short.posts >= 2) & (short.value >= usual + 2 * np.sqrt(usual))


class NegativeSpike(Rule):
    name = "negative_spike"
    negative_only = True

    def spans(self, now: datetime, length: timedelta) -> list[tuple[datetime, datetime]]:
        """The current window, then the same window on past days, then the windows just before."""
        end = now
        start = end - length
        seasonal = [(start - timedelta(days=d), end - timedelta(days=d)) for d in range(1, self.p.history_days + 1)]
        recent = [(start - k * length, end - k * length) for k in range(1, self.p.recent_windows + 1)]
        return [(start, end), *seasonal, *recent]

    def lengths(self) -> list[timedelta]:
        return [self.p.window, *self.p.slow_windows]

    def needs(self, now: datetime) -> list[Need]:
        """Every span of every window length, counted (or summed, `measure: weighted`) in one go."""
        weighted = ("likes", "comments", "reposts", "author_followers") if self.p.measure == "weighted" else ()
        series = self.series(self.negative_only, self.match(), fields=weighted)
        return [(series, s, e) for length in self.lengths() for s, e in self.spans(self.window(now)[1], length)]

    def value(self, w: dict[str, np.ndarray]) -> np.ndarray:
        """A span's value: the count, or the weighted count."""
        if self.p.measure != "weighted":
            return w["count"]
        return (w["count"] + (w["likes"] + w["comments"] + w["reposts"]) / self.p.engagement_unit
                + w["author_followers"] / self.p.followers_unit)

    def measure(self, counts: View, now: datetime) -> list[Measure]:
        """One measurement per window length (the window, then each slow window)."""
        per = 1 + self.p.history_days + self.p.recent_windows
        needs = self.needs(now)
        rows = [counts.row(*n) for n in needs]
        posts = np.array([w["count"] for w in rows])
        values = np.array([self.value(w) for w in rows])
        out = []
        for i in range(len(self.lengths())):
            v = values[i * per:(i + 1) * per]
            base, spread = robust_baseline(v[1:1 + self.p.history_days], v[1 + self.p.history_days:])
            threshold = np.maximum.reduce([np.full(len(base), float(self.p.min_count)), self.p.multiple * base,
                                           base + self.p.margin * spread])
            out.append(Measure(needs[i * per][1:], posts[i * per], np.round(v[0], 2), base, threshold))
        return out

    def judge(self, counts: View, now: datetime) -> dict[int, Finding]:
        ms = self.measure(counts, now)
        fired = [(m.posts >= self.p.min_count) & (m.value >= m.threshold) for m in ms]
        # A slow window alone fires only while the short window is still above its usual level.
        fired = [fired[0]] + [f & (fired[0] | still_above(ms[0], m)) for f, m in zip(fired[1:], ms[1:])]
        excess = np.where(fired, [m.value / m.threshold for m in ms], -np.inf)
        best = np.argmax(excess, axis=0)  # the window where it stands out most (the first on a tie)

        def make(k: int) -> Finding:
            m = ms[best[k]]
            return Finding(*m.span, value=float(m.value[k]), threshold=round(float(m.threshold[k]), 2),
                           baseline=round(float(m.baseline[k]), 2), extra={"posts": int(m.posts[k])})
        return counts.findings(np.any(fired, axis=0), make)

    def finish(self, store, topic: str, now: datetime, f: Finding) -> Alert | None:
        a = super().finish(store, topic, now, f)
        if self.p.measure == "weighted":
            a.summary += f" 按互动与粉丝加权（帖子 {f.extra['posts']} 条）。"
        return a


class VolumeSpike(NegativeSpike):
    name = "volume_spike"
    negative_only = False
    unit = "条帖子（全部情感）"
