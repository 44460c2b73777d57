"""`negative_surprise`: how surprising is this window's count of negative posts, given what the
same time of day held on past days?

A burst on a small brand is strong evidence in small numbers: 7 negative posts in 15 minutes
where 0.3 are usual. A fixed floor of posts (`negative_spike.min_count`) cannot see that in time,
and a ratio against a near-zero baseline fires on anything. Here the count is tested against a
Poisson expectation instead:

- expected = the median, over past days with any post of the topic, of the negative posts in a
  `band` (1 h) centred on this window's time of day, scaled to the window; never below
  `rate_floor`, so a nearly silent topic needs a real pile-up, not one post;
- surprise = -log10 P(X >= count | expected); the rule fires when surprise >= `min_surprise`,
  count >= `min_count` and count >= `multiple` x expected (big brands' counts vary more than a
  Poisson process, so a small relative rise on a large count is not news);
- severity grows with surprise / min_surprise (`warning_at`, `critical_at`).

Only past days form the expectation: a burst that lasts two hours does not raise its own
baseline and stop being news half-way through, and it leaves the window as soon as it is over,
so recovery follows within `recover_after` of its end. A topic with fewer than
`min_history_days` days of posts has no expectation yet; `negative_spike` covers it.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np

from alerts import text
from alerts.alert import Alert
from alerts.rules.base import Finding, Need, Rule, View


def poisson_surprise(k: int, lam: float) -> float:
    """-log10 P(X >= k) for X ~ Poisson(lam), accurate for tail probabilities far below 1e-15
    (summed from the k-th term upward in log space; written out because one tail sum does not
    justify scipy in the install)."""
    if k <= 0:
        return 0.0
    if k <= lam:  # not in the upper tail: 1 - P(X < k) is well conditioned
        below = sum(math.exp(-lam + i * math.log(lam) - math.lgamma(i + 1)) for i in range(k))
        return -math.log10(max(1.0 - below, 1e-300))
    log_first = -lam + k * math.log(lam) - math.lgamma(k + 1)
    rel, term, i = 1.0, 1.0, k
    while term > 1e-17 * rel and i < k + 10_000:
        i += 1
        term *= lam / i
        rel += term
    return -(log_first + math.log(rel)) / math.log(10)


class NegativeSurprise(Rule):
    name = "negative_surprise"
    unit = "条负面帖子"

    def spans(self, now: datetime) -> tuple[tuple[datetime, datetime], list, list]:
        """(this window, the band on each past day, the 24 h around each band: was the topic seen?)"""
        start, end = self.window(now)
        pad = (self.p.band - self.p.window) / 2
        day = timedelta(days=1)
        bands = [(start - d * day - pad, end - d * day + pad) for d in range(1, self.p.history_days + 1)]
        around = [(s + self.p.band / 2 - timedelta(hours=12), s + self.p.band / 2 + timedelta(hours=12))
                  for s, _ in bands]
        return (start, end), bands, around

    def needed(self, lam: float) -> int:
        k = max(self.p.min_count, math.ceil(self.p.multiple * lam))
        while poisson_surprise(k, lam) < self.p.min_surprise:
            k += 1
        return k

    def needs(self, now: datetime) -> list[Need]:
        """The 24 h around each band (all posts: was the topic seen?), then this window and the
        bands (negative posts)."""
        win, bands, around = self.spans(now)
        every, neg = self.series(False), self.series(True)
        return [(every, s, e) for s, e in around] + [(neg, s, e) for s, e in [win, *bands]]

    def judge(self, counts: View, now: datetime) -> dict[int, Finding]:
        hd = self.p.history_days
        needs = self.needs(now)
        seen = np.array([counts.count(*n) for n in needs[:hd]])  # past days × cases
        got = np.array([counts.count(*n) for n in needs[hd:]])  # this window, then the bands
        days = np.sum(seen > 0, axis=0)
        count = got[0]
        lam = np.full(len(count), np.inf)  # too little history: no expectation, never fires
        ok = days >= self.p.min_history_days
        if ok.any():
            rates = np.where(seen[:, ok] > 0, got[1:, ok] * (self.p.window / self.p.band), np.nan)
            lam[ok] = np.maximum(self.p.rate_floor, np.nanmedian(rates, axis=0))
        start, end = self.window(now)

        def make(k: int) -> Finding | None:
            expected, n = float(lam[k]), int(count[k])
            needed = self.needed(expected)
            if n < needed:
                return None
            surprise = poisson_surprise(n, expected)
            sev = text.severity_for(surprise, self.p.min_surprise, self.p.warning_at, self.p.critical_at)
            return Finding(start, end, n, needed, baseline=round(expected, 2), severity=sev,
                           extra={"days": int(days[k]), "surprise": surprise})
        # `needed` is at least these two; the Poisson tail is only computed past them.
        return counts.findings(ok & (count >= self.p.min_count) & (count >= np.ceil(self.p.multiple * lam)), make)

    def finish(self, store, topic: str, now: datetime, f: Finding) -> Alert | None:
        a = super().finish(store, topic, now, f)
        a.summary += (f" 按此前 {f.extra['days']} 天同一时段估计，出现这么多负面帖子的概率约为 "
                      f"{_chance(f.extra['surprise'])}。")
        return a


def _chance(surprise: float) -> str:
    """10^-surprise as people read it: 3×10⁻⁸."""
    exp = math.ceil(surprise)
    mant = 10 ** (exp - surprise)
    if mant >= 9.95:
        mant, exp = 1.0, exp - 1
    sup = str(exp).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"{mant:.0f}×10⁻{sup}"
