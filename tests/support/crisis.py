"""A crisis replay for the alert rules: 10 days of author-written posts for three brands (issue 14,
item 8). Nothing here was collected; counts are drawn from a seeded Poisson process, so every run
writes the same posts.

- BURST (星河手机): a daily rhythm (quiet nights, ~40 posts an hour in the afternoon, about 0.3
  negative posts per 15 minutes at 14:00) and, on the last day from 14:00 to 16:00 Shanghai time,
  a negative burst of 51 posts: 7 in its first 15 minutes, 6 in the next, 6 or 7 in each after.
  Neutral chatter stays as usual, so negatives stay under half of all posts.
- STEADY (云帆汽车): about half of its ~10 posts an hour are negative, every day; its 15-minute
  windows now and then hold 5 negatives against 1 in the window before.
- SILENT (松果家电): no post for 10 days except three negative ones at 02:07-02:21 on the last night.

`python -m tests.support.crisis DIR` writes DIR/config.yaml (config.yaml with these three topics) and
DIR/posts.jsonl, for `yuqing ingest --no-nlp` and `yuqing alerts backtest` (see the README).
"""
from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import yaml

from tests.support.alertdata import post

SH = ZoneInfo("Asia/Shanghai")
BURST, STEADY, SILENT = "星河手机", "云帆汽车", "松果家电"
FIRST_DAY = datetime(2026, 11, 11, tzinfo=SH)
DAYS = 10
BURST_START = datetime(2026, 11, 20, 14, 0, tzinfo=SH)
BURST_END = BURST_START + timedelta(hours=2)
BURST_QUARTERS = [7, 6, 7, 6, 6, 7, 6, 6]  # negative posts in each 15 minutes of the burst
NIGHT_POSTS = [datetime(2026, 11, 20, 2, m, tzinfo=SH) for m in (7, 13, 21)]
END = FIRST_DAY + timedelta(days=DAYS)
Q = timedelta(minutes=15)

TOPICS = [
    {"name": BURST, "keywords": [BURST, "星河X5"], "exclude": ["星河战队", "银河"], "brands": ["星河"]},
    {"name": STEADY, "keywords": [STEADY], "brands": ["云帆"]},
    {"name": SILENT, "keywords": [SILENT], "brands": ["松果"]},
]


def _burst_rates(hour: int) -> tuple[float, float]:
    """(negative, neutral) posts per 15 minutes at this Shanghai hour."""
    if hour < 7:
        return 0.05, 0.6
    if hour < 9:
        return 0.15, 3.0
    if hour < 23:
        return 0.3, 10.0
    return 0.1, 1.5


def _steady_rates(hour: int) -> tuple[float, float]:
    return (0.4, 0.4) if hour < 8 else (1.3, 1.3)


def _stream(topic: str, rates, rng: np.random.Generator) -> list[dict]:
    out, t = [], FIRST_DAY
    while t < END:
        for rate, label in zip(rates(t.hour), ("negative", "neutral")):
            for off in sorted(rng.uniform(0, Q.total_seconds(), rng.poisson(rate))):
                out.append(post(topic, t + timedelta(seconds=float(off)), label))
        t += Q
    return out


def posts(seed: int = 14) -> list[dict]:
    """Every post of the scenario, in no particular order."""
    rng = np.random.default_rng(seed)
    items = _stream(BURST, _burst_rates, rng) + _stream(STEADY, _steady_rates, rng)
    for i, n in enumerate(BURST_QUARTERS):
        start = BURST_START + i * Q
        items += [post(BURST, start + timedelta(seconds=float(off)))
                  for off in sorted(rng.uniform(0, Q.total_seconds(), n))]
    items += [post(SILENT, t) for t in NIGHT_POSTS]
    return items


def scenario_config(base: Path, prefix: str = "crisis") -> dict:
    """config.yaml as shipped (its `alerts:` untouched), with the scenario's topics and prefix."""
    raw = yaml.safe_load(base.read_text(encoding="utf-8"))
    raw["topics"] = TOPICS
    raw["elasticsearch"]["index_prefix"] = prefix
    return raw


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.support.crisis DIR", file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    root = Path(__file__).resolve().parents[2]
    (out / "config.yaml").write_text(yaml.safe_dump(scenario_config(root / "config.yaml"), allow_unicode=True),
                                     encoding="utf-8")
    with (out / "posts.jsonl").open("w", encoding="utf-8") as f:
        for p in posts():
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    print(f"wrote {out / 'config.yaml'} and {out / 'posts.jsonl'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
