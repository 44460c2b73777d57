"""`keyword`: negative posts naming sensitive terms (投诉, 维权, 曝光, 假货, 召回, 315 …).
Matched as phrases in title and text, so it works whether or not NLP stored tokens."""
from __future__ import annotations

from datetime import datetime

from alerts.alert import Alert
from alerts.rules.base import Finding, Need, Rule, View


class Keyword(Rule):
    name = "keyword"
    unit = "条含敏感词的负面帖子"

    def needs(self, now: datetime) -> list[Need]:
        start, end = self.window(now)
        return [(self.series(True, terms=tuple(self.p.terms)), start, end)]

    def judge(self, counts: View, now: datetime) -> dict[int, Finding]:
        start, end = self.window(now)
        total = counts.count(*self.needs(now)[0])
        return counts.findings(total >= self.p.min_count,
                               lambda k: Finding(start, end, int(total[k]), self.p.min_count))

    def finish(self, store, topic: str, now: datetime, f: Finding) -> Alert | None:
        _, per_term = store.posts.term_counts(topic, f.start, f.end, self.p.terms, negative_only=True,
                                              dedup=self.ctx.dedup)
        hit = [t for t, n in sorted(per_term.items(), key=lambda kv: -kv[1]) if n]
        a = self.alert(store, topic, now, f.start, f.end, value=f.value, threshold=self.p.min_count, keywords=hit)
        a.summary += f" 命中：{'、'.join(f'{t}({per_term[t]})' for t in hit)}。"
        return a
