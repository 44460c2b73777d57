"""`influencer`: a negative post by a big account, or one gathering engagement fast (counted
over posts published within the window, so high engagement there means fast growth)."""
from __future__ import annotations

from datetime import datetime

from alerts.alert import Alert
from alerts.rules.base import Finding, Need, Rule, View


class Influencer(Rule):
    name = "influencer"
    unit = "互动量（最高一条负面帖）"
    final = False  # `finish` reads the posts and measures value and threshold

    def needs(self, now: datetime) -> list[Need]:
        """Candidates: negative posts by an author past `min_followers` or with one engagement
        counter past a third of `min_engagement` (a sum >= E needs one counter >= E/3)."""
        start, end = self.window(now)
        return [(self.series(True, min_followers=self.p.min_followers, min_engagement=self.p.min_engagement),
                 start, end)]

    def judge(self, counts: View, now: datetime) -> dict[int, Finding]:
        """Fires as far as counts can tell; `finish` reads the candidates and keeps the real ones."""
        start, end = self.window(now)
        n = counts.count(*self.needs(now)[0])
        return counts.findings(n > 0, lambda k: Finding(start, end, int(n[k]), 1))

    def finish(self, store, topic: str, now: datetime, f: Finding) -> Alert | None:
        start, end = f.start, f.end
        posts = store.posts.top_posts(topic, start, end, n=max(self.ctx.top_posts, 1), negative_only=True,
                                      dedup=self.ctx.dedup, min_followers=self.p.min_followers,
                                      min_engagement=self.p.min_engagement)
        if not posts:
            return None
        # Measure each post against the bar it cleared, and report the one furthest past it.
        def excess(p: dict) -> float:
            return max((p.get("author_followers") or 0) / self.p.min_followers, p["engagement"] / self.p.min_engagement)

        top = max(posts, key=excess)
        by_followers = (top.get("author_followers") or 0) / self.p.min_followers >= top["engagement"] / self.p.min_engagement
        value, threshold = ((top.get("author_followers") or 0), self.p.min_followers) if by_followers else \
            (top["engagement"], self.p.min_engagement)
        a = self.alert(store, topic, now, start, end, value=value, threshold=threshold, posts=posts)
        who = top.get("author_name") or "某账号"
        a.summary = (a.summary.split("，")[0] + f"，{who}（粉丝 {top.get('author_followers') or 0}）发布负面帖，"
                     f"互动 {top['engagement']}：{a.top_posts[0].excerpt if a.top_posts else ''}")
        return a
