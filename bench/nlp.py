"""Bench stage "nlp": posts/s of `Scorer.predict` on 60-character posts, per model variant, with
each variant's accuracy on the same posts (speed that loses accuracy is no gain).

The posts are held-out test reviews (never trained on) cut or extended with another review of the
same label to exactly 60 characters, so they are post-sized and still have a known label.
Variants: fp32 and dynamic int8 on CPU; fp32 and fp16 on CUDA when a GPU is present.
"""
from __future__ import annotations

import time

import torch

from bench.harness import stage

CHARS = 60


def sixty_char_posts(n: int) -> tuple[list[str], list[int]]:
    from nlp.data import review_split

    test = review_split().test
    by_label = {0: [t for t, y in test if y == 0], 1: [t for t, y in test if y == 1]}
    texts, labels = [], []
    for i, (t, y) in enumerate(test[:n]):
        pool = by_label[y]
        k = i
        while len(t) < CHARS:
            k += 1
            t = t + "。" + pool[k % len(pool)]
        texts.append(t[:CHARS])
        labels.append(y)
    return texts, labels


def _measure(scorer, texts: list[str], labels: list[int], rounds: int = 2) -> dict:
    scorer.predict(texts[:scorer.batch_size])  # warm-up (allocations, one-off kernels)
    best = float("inf")
    preds = None
    for _ in range(rounds):
        t0 = time.perf_counter()
        preds = scorer.predict(texts)
        if scorer.device.startswith("cuda"):
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    acc = sum((s > 0) == (y == 1) for (s, _, _), y in zip(preds, labels)) / len(labels)
    return {"posts_per_s": round(len(texts) / best, 1), "accuracy": round(acc, 4)}


@stage("nlp")
def bench_nlp(cfg, console, n_posts: int = 20000, **_) -> dict:
    from nlp.sentiment import Scorer, ensure_model

    d = ensure_model(cfg)
    n = min(n_posts, 512)
    texts, labels = sixty_char_posts(n)
    out: dict = {"posts": len(texts), "chars_per_post": CHARS, "threads": torch.get_num_threads(),
                 "batch_size": cfg.nlp.batch_size, "goal_cpu_posts_per_s": 500}
    variants = [("cpu_fp32", "cpu", "none", None), ("cpu_int8", "cpu", "int8", None)]
    if torch.cuda.is_available():
        variants += [("cuda_fp32", "cuda", "none", None), ("cuda_fp16", "cuda", "none", torch.float16)]
    for name, device, quantize, dtype in variants:
        scorer = Scorer.from_dir(d, device=device, batch_size=cfg.nlp.batch_size, quantize=quantize)
        if dtype is not None:
            scorer.model.to(dtype)
        posts = texts if device == "cpu" else texts * 10
        r = _measure(scorer, posts, labels if device == "cpu" else labels * 10)
        console.print(f"bench nlp: {name}: {r['posts_per_s']} posts/s, accuracy {r['accuracy']:.2%}")
        for k, v in r.items():
            out[f"{name}_{k}"] = v
    return out
