"""One small class per rule; `build_rules(cfg, topic)` gives the enabled ones for a topic."""
from __future__ import annotations

from alerts.rules.base import Context, Rule, context_from
from alerts.rules.influencer import Influencer
from alerts.rules.keyword import Keyword
from alerts.rules.ratio import NegativeRatio
from alerts.rules.spike import NegativeSpike, VolumeSpike
from alerts.rules.surprise import NegativeSurprise

RULES: dict[str, type[Rule]] = {r.name: r for r in (NegativeSpike, NegativeSurprise, NegativeRatio, VolumeSpike,
                                                    Keyword, Influencer)}


def build_rules(cfg, topic: str, only: list[str] | None = None) -> list[Rule]:
    ctx = context_from(cfg)
    rules = cfg.alerts.rules_for(topic)
    out = []
    for name, cls in RULES.items():
        params = getattr(rules, name)
        if params.enabled and (not only or name in only):
            out.append(cls(params, ctx))
    return out


__all__ = ["RULES", "Context", "Rule", "build_rules", "context_from"]
