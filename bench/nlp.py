"""Bench stage "nlp": posts/s of `Scorer.predict` on 60-character posts, per model variant, with
each variant's accuracy on the same posts (speed that loses accuracy is no gain).

The posts are held-out test reviews (never trained on) cut or extended with another review of the
same label to exactly 60 characters, so they are post-sized and still have a known label.
Variants: torch fp32, torch dynamic int8 and ONNX Runtime int8 on CPU; fp32 and fp16 on CUDA
when a GPU is present; each for the shipped (distilled) model and for the teacher it learnt from.
Then the whole `yuqing score` path in this process, with and without aspects and emotions
(interleaved rounds, medians, wall time and CPU seconds: their cost, goal ≤ 20 %; also alone as
stage `nlp-cost`), and a separate `yuqing score` process's wall time and peak memory (imports and
model load included) for one post and for all of them.
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
    return {"posts_per_s": round(len(texts) / best, 1), "accuracy_60c": _accuracy(preds, labels)}


def _accuracy(preds, labels: list[int]) -> float:
    """Share of texts whose sign of sentiment matches the review label (what `yuqing model eval` counts)."""
    return round(sum((s > 0) == (y == 1) for (s, _, _), y in zip(preds, labels)) / len(labels), 4)


def variants(cuda: bool) -> list[tuple[str, str, str, str, object]]:
    """(name, device, runtime, quantize, dtype) for every way this machine can run a model."""
    from nlp import ortmodel

    out = [("cpu_fp32", "cpu", "torch", "none", None), ("cpu_int8", "cpu", "torch", "int8", None)]
    if ortmodel.available():
        out.append(("cpu_onnx_int8", "cpu", "onnx", "int8", None))
    if cuda:
        out += [("cuda_fp32", "cuda", "torch", "none", None), ("cuda_fp16", "cuda", "torch", "none", torch.float16)]
    return out


@stage("nlp")
def bench_nlp(cfg, console, n_posts: int = 20000, **_) -> dict:
    """Every variant of the shipped model (the distilled student) and of its teacher, each with
    posts/s on 60-character posts and accuracy on those posts and on the held-out test split."""
    from nlp import modelfiles
    from nlp.data import review_split
    from nlp.sentiment import Scorer

    n = min(n_posts, 512)
    texts, labels = sixty_char_posts(n)
    test = review_split().test  # accuracy on the whole held-out split, the figure `yuqing model eval` reports
    test_texts, test_labels = [t for t, _ in test], [y for _, y in test]
    out: dict = {"posts": len(texts), "chars_per_post": CHARS, "threads": torch.get_num_threads(),
                 "batch_size": cfg.nlp.batch_size, "goal_cpu_posts_per_s": 500}
    models = [("model", modelfiles.MANIFEST)]
    if modelfiles.TEACHER.is_file():
        models.append(("teacher", modelfiles.TEACHER))
    for model_name, manifest in models:
        d = modelfiles.ensure_model(cfg, manifest)
        out[f"{model_name}_layers"] = modelfiles.read_manifest(manifest).get("layers", 12)
        for name, device, runtime, quantize, dtype in variants(torch.cuda.is_available()):
            scorer = Scorer.from_dir(d, device=device, batch_size=cfg.nlp.batch_size, quantize=quantize,
                                     runtime=runtime)
            if dtype is not None:
                scorer.model.to(dtype)
            posts = texts if device == "cpu" else texts * 10
            r = _measure(scorer, posts, labels if device == "cpu" else labels * 10)
            r["test_accuracy"] = _accuracy(scorer.predict(test_texts), test_labels)
            console.print(f"bench nlp: {model_name} {name}: {r['posts_per_s']} posts/s, accuracy "
                          f"{r['test_accuracy']:.2%} on the test split, {r['accuracy_60c']:.2%} on 60-char posts")
            for k, v in r.items():
                out[f"{model_name}_{name}_{k}"] = v
    out.update(_aspects_emotions_cost(cfg, texts))
    print_cost(console, out)
    for k, v in _score_process(cfg, texts).items():
        out[f"score_process_{k}"] = v
    console.print(f"bench nlp: a `yuqing score` process: {out['score_process_one_post_s']} s and "
                  f"{out['score_process_one_post_rss_mb']} MB peak for one post, "
                  f"{out['score_process_posts_s']} s and {out['score_process_posts_rss_mb']} MB for {len(texts)}")
    return out


def _score_process(cfg, texts: list[str]) -> dict:
    """Wall time and peak resident memory of a whole `yuqing score` process (start-up, imports and
    model load included): what each crawl or scheduler process that scores posts pays."""
    import json
    import subprocess
    import sys
    import tempfile

    # The peak is read from /proc in the child at exit (VmHWM belongs to the process image after
    # exec); rusage's ru_maxrss would report the bench process's own size, inherited at fork.
    code = ("import atexit, sys\n"
            "def peak():\n"
            "    for line in open('/proc/self/status'):\n"
            "        if line.startswith('VmHWM:'):\n"
            "            sys.stderr.write('\\nVmHWM ' + line.split()[1] + '\\n')\n"
            "atexit.register(peak)\n"
            "from yuqing.app.cli import main\n"
            "main()\n")
    out = {}
    cmd = [sys.executable, "-c", code, "score"] + (["--config", cfg.path] if cfg.path else [])
    for name, batch in (("one_post", texts[:1]), ("posts", texts)):
        with tempfile.TemporaryFile() as stdin:
            stdin.write("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in batch).encode())
            stdin.seek(0)
            t0 = time.perf_counter()
            p = subprocess.run(cmd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            seconds = time.perf_counter() - t0
        err = p.stderr.decode(errors="replace")
        if p.returncode != 0:
            raise RuntimeError(f"bench nlp: `yuqing score` failed: {err[-500:]}")
        peak = [line.split()[1] for line in err.splitlines() if line.startswith("VmHWM ")]
        out[f"{name}_s"] = round(seconds, 2)
        out[f"{name}_rss_mb"] = round(int(peak[-1]) / 1024) if peak else None  # kB; None without /proc
    return out


def _aspects_emotions_cost(cfg, texts: list[str], rounds: int = 7) -> dict:
    """The `yuqing score` path with and without aspects and emotions (nlp.aspects / nlp.emotions
    off) in one process, on one shared scorer: rounds interleaved (A B, then B A, ...) so both see
    the same machine load, median of each. Two costs: from wall time (what a user waits for; noisy
    on a shared box) and from CPU seconds of this process, ONNX Runtime's threads included (what
    the work costs; steadier under load). A round's cost is 1 - (its time without) / (its time with),
the two runs of a round being next to each other in time; the cost reported is the median round's."""
    import io
    import json
    import os
    import statistics

    from nlp.analyse import Analyser
    from nlp.score_stream import score_lines
    from nlp.sentiment import Scorer

    bare = cfg.model_copy(update={"nlp": cfg.nlp.model_copy(update={"aspects": False, "emotions": False})})
    scorer = Scorer.load(cfg)
    paths = {"with": Analyser.from_config(cfg), "without": Analyser.from_config(bare)}
    lines = [json.dumps({"text": t}, ensure_ascii=False).encode() + b"\n" for t in texts]
    wall: dict[str, list[float]] = {k: [] for k in paths}
    cpu: dict[str, list[float]] = {k: [] for k in paths}
    for analyser in paths.values():  # warm-up (dictionary load, first batch)
        score_lines(lines[:64], analyser, scorer, io.BytesIO())
    load = [os.getloadavg()[0]]
    for r in range(rounds):
        for k in (("with", "without") if r % 2 == 0 else ("without", "with")):
            c0, t0 = time.process_time(), time.perf_counter()
            counts = score_lines(lines, paths[k], scorer, io.BytesIO())
            wall[k].append(time.perf_counter() - t0)
            cpu[k].append(time.process_time() - c0)
            if counts.scored != len(lines) or counts.errors:
                raise RuntimeError(f"bench nlp: `yuqing score` path lost lines: {counts}")
    load.append(os.getloadavg()[0])
    w = {k: statistics.median(v) for k, v in wall.items()}
    c = {k: statistics.median(v) for k, v in cpu.items()}
    return {"score_e2e_posts_per_s": round(len(lines) / w["with"], 1),
            "score_e2e_without_aspects_emotions_posts_per_s": round(len(lines) / w["without"], 1),
            "aspects_emotions_cost": _paired_cost(wall),
            "score_e2e_cpu_s": round(c["with"], 3), "score_e2e_without_aspects_emotions_cpu_s": round(c["without"], 3),
            "aspects_emotions_cost_cpu": _paired_cost(cpu),
            "aspects_emotions_rounds": rounds, "aspects_emotions_goal_max_cost": 0.2,
            "load_average_1min": [round(x, 2) for x in load],
            "aspects_emotions_rounds_s": {k: {"wall": [round(x, 3) for x in wall[k]], "cpu": [round(x, 3) for x in cpu[k]]}
                                          for k in paths}}


def _paired_cost(times: dict[str, list[float]]) -> float:
    import statistics

    return round(statistics.median(1 - b / a for a, b in zip(times["with"], times["without"])), 4)


def print_cost(console, out: dict) -> None:
    console.print(f"bench nlp: `yuqing score` path with this config, median of {out['aspects_emotions_rounds']} "
                  f"interleaved rounds: {out['score_e2e_posts_per_s']} posts/s (JSON in → clean, segment, keywords, "
                  "emotions, sentiment + aspect clauses → JSON out; goal ≥ 500), "
                  f"{out['score_e2e_without_aspects_emotions_posts_per_s']} posts/s without aspects and emotions: "
                  f"cost {out['aspects_emotions_cost']:.1%} on wall time, {out['aspects_emotions_cost_cpu']:.1%} on "
                  f"CPU seconds ({out['score_e2e_cpu_s']} vs {out['score_e2e_without_aspects_emotions_cpu_s']} s); "
                  f"goal ≤ 20 %; load average {out['load_average_1min'][0]} → {out['load_average_1min'][1]}")


@stage("nlp-cost")
def bench_nlp_cost(cfg, console, n_posts: int = 20000, **_) -> dict:
    """Only the aspects-and-emotions cost of the `nlp` stage (same posts, same measure): quick to
    repeat on a busy machine."""
    texts, _ = sixty_char_posts(min(n_posts, 512))
    out = {"posts": len(texts), "chars_per_post": CHARS, **_aspects_emotions_cost(cfg, texts)}
    print_cost(console, out)
    return out
