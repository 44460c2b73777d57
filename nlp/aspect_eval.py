"""`yuqing model eval-aspects`: precision and recall of the aspects on `nlp/data/eval_aspects.tsv`.

That set is small (60 texts) and author-written, by the same hand as the term dictionary, so every
figure carries a Wilson 95 % interval and the README says what it is measured on. Three figures:
- detection: (text, aspect) pairs found vs the gold pairs, whatever the sentiment;
- negative: (text, aspect) pairs in `negative_aspects` vs the gold pairs labelled negative (what
  the alert measures and the report's chart count);
- polarity: on the pairs found that are also gold, the share whose label matches.
"""
from __future__ import annotations

from pathlib import Path

from nlp.analyse import Analyser, score
from nlp.aspects import negative
from nlp.stats import wilson

GOLD = Path(__file__).resolve().parent / "data" / "eval_aspects.tsv"
LABELS = ("negative", "neutral", "positive")


def read_gold(path: Path = GOLD) -> list[tuple[str, dict[str, str]]]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        text, tab, gold = line.partition("\t")
        pairs = {} if gold.strip() == "-" else dict(p.split(":", 1) for p in gold.split())
        if not tab or not text or any(lab not in LABELS for lab in pairs.values()):
            raise ValueError(f"{path}:{n}: expected 'text<TAB>aspect:label ...' or 'text<TAB>-', got {line!r}")
        out.append((text, pairs))
    return out


def _figure(k: int, n: int) -> dict:
    lo, hi = wilson(k, n)
    return {"value": round(k / n, 4) if n else None, "k": k, "n": n, "ci95": [round(lo, 4), round(hi, 4)]}


def evaluate_aspects(analyser: Analyser, scorer, path: Path = GOLD) -> dict:
    gold = read_gold(path)
    found_all = []
    for text, _ in gold:
        a = analyser.analyse(text)
        _, (found,) = score(scorer, [a.text], [a.mentions])
        found_all.append(found)
    tp = fp = fn = ntp = nfp = nfn = right = 0
    for (_, want), found in zip(gold, found_all):
        neg = set(negative(found))
        got = {}
        for e in found:  # one label per aspect: negative when any clause is, else the first clause's
            got.setdefault(e["aspect"], e["sentiment"])
            if e["aspect"] in neg:
                got[e["aspect"]] = "negative"
        tp += len(got.keys() & want.keys())
        fp += len(got.keys() - want.keys())
        fn += len(want.keys() - got.keys())
        right += sum(got[k] == want[k] for k in got.keys() & want.keys())
        want_neg = {k for k, v in want.items() if v == "negative"}
        ntp, nfp, nfn = ntp + len(neg & want_neg), nfp + len(neg - want_neg), nfn + len(want_neg - neg)
    return {"texts": len(gold), "set": str(path.name), "author_written": True,
            "detection_precision": _figure(tp, tp + fp), "detection_recall": _figure(tp, tp + fn),
            "negative_precision": _figure(ntp, ntp + nfp), "negative_recall": _figure(ntp, ntp + nfn),
            "polarity_accuracy": _figure(right, tp)}


def format_report(r: dict) -> list[str]:
    lines = [f"aspects on {r['set']} ({r['texts']} author-written texts; Wilson 95 % intervals):"]
    for key, name in (("detection_precision", "detection precision"), ("detection_recall", "detection recall"),
                      ("negative_precision", "negative-aspect precision"), ("negative_recall", "negative-aspect recall"),
                      ("polarity_accuracy", "polarity accuracy (found and gold)")):
        f = r[key]
        v = "n/a" if f["value"] is None else f"{f['value']:.1%}"
        lines.append(f"  {name:<36} {v:>6}  [{f['ci95'][0]:.1%}, {f['ci95'][1]:.1%}]  ({f['k']}/{f['n']})")
    return lines
