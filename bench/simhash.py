"""Bench stage "simhash": how many lightly edited copies of a review are linked to it
(distance ≤ 3), per kind of edit and text length, how many distinct reviews are wrongly linked,
and simhash + band-index throughput. Seeded, so runs compare."""
from __future__ import annotations

import difflib
import random
import re
import time

from bench.harness import stage
from bench.segment import review_lines

EDITS = ("punctuation", "decoration", "reply_prefix", "repost_prefix", "reorder", "add_word", "swap_word", "one_char",
         "two_chars")


def edit(text: str, kind: str, rnd: random.Random) -> str:
    if kind == "punctuation":
        return text.replace("，", " ").replace("。", "！！") + "。。。"
    if kind == "decoration":
        return text + "[怒][怒] #避雷#"
    if kind == "reply_prefix":
        return "回复@路人甲:" + text
    if kind == "reorder":
        parts = [p for p in re.split(r"(?<=[，。！？!?,])", text) if p]
        rnd.shuffle(parts)
        return "".join(parts)
    if kind == "repost_prefix":
        return "转发：" + text
    if kind == "add_word":
        i = rnd.randrange(len(text))
        return text[:i] + "真的" + text[i:]
    if kind == "swap_word":
        return text.replace("酒店", "宾馆", 1).replace("书", "本书", 1).replace("很", "非常", 1)
    n = 1 if kind == "one_char" else 2
    for _ in range(n):
        i = rnd.randrange(len(text))
        text = text[:i] + rnd.choice("好差坏棒烂") + text[i + 1:]
    return text


@stage("simhash")
def bench_simhash(cfg, console, n_posts: int = 20000, **_) -> dict:
    from nlp.simhash import MAX_DISTANCE, DupIndex, distance, simhash
    from nlp.text import Cleaner

    rnd = random.Random(8)
    cleaner = Cleaner()
    lines = list(dict.fromkeys(review_lines()))
    rnd.shuffle(lines)
    lines = lines[:min(len(lines), max(2000, n_posts // 4))]
    cores = [cleaner.clean(x).core for x in lines]
    picked = [(x, c) for x, c in zip(lines, cores) if len(c) >= cfg.nlp.dup_min_chars]

    t0 = time.perf_counter()
    hashes = [simhash(c) for _, c in picked]
    t_hash = time.perf_counter() - t0
    idx = DupIndex()
    seen: set[str] = set()
    links: list[tuple[int, int]] = []
    t0 = time.perf_counter()
    for n, ((_, c), h) in enumerate(zip(picked, hashes)):
        if c in seen:
            continue
        seen.add(c)
        hit = idx.nearest(h)
        if hit is not None:
            links.append((n, int(hit[1])))
        idx.add(h, str(n))
    t_index = time.perf_counter() - t0
    # A link between reviews less than half alike (difflib) is a false one; the data set does
    # hold real near-copies (one review posted twice with a word changed).
    alike = [difflib.SequenceMatcher(None, picked[a][1][:400], picked[b][1][:400], autojunk=False).ratio()
             for a, b in links]
    false_links = sum(r < 0.5 for r in alike)

    found: dict[str, list[bool]] = {}
    sample = picked[:2000]
    for (text, c), h in zip(sample, hashes):
        size = "short" if len(c) < 60 else "long"
        for kind in EDITS:
            copy = cleaner.clean(edit(text, kind, rnd)).core
            found.setdefault(f"{kind}_{size}", []).append(distance(h, simhash(copy)) <= MAX_DISTANCE)
    recall = {f"recall_{k}_pct": round(100 * sum(v) / len(v), 1) for k, v in sorted(found.items())}
    return {"posts": len(picked), "distinct": len(seen), "links": len(links), "false_links": false_links,
            "simhash_posts_s": round(len(picked) / t_hash), "index_posts_s": round(len(seen) / t_index),
            "short_copies": len(found.get("one_char_short", [])), **recall}
