"""`yuqing score`: JSON lines in, the same objects plus sentiment, tokens, keywords, emotions and
aspects out (aspect clauses are scored in the same model batch as the texts).

A filter for people who have posts in files or other tools: one output line per input line, in
order, so outputs can be pasted next to inputs. A line that cannot be scored (not JSON, not an
object, no string "text", undecodable bytes) becomes `{"line": n, "error": "..."}` and the rest
goes on. Lines are grouped into batches so the model runs on many texts at once; output is
flushed after every batch, so a pipe sees results while the input is still being read.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import IO, Iterable

from nlp.analyse import Analyser, score
from nlp.aspects import negative


@dataclass
class Counts:
    scored: int = 0
    errors: int = 0


def _parse(n: int, raw: bytes) -> dict:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"not UTF-8 (byte {e.start})") from None
    if not line.strip():
        raise ValueError("empty line")
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise ValueError(f"not valid JSON ({e.msg} at column {e.colno})") from None
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    if not isinstance(obj.get("text"), str):
        raise ValueError('needs a string field "text"' if "text" not in obj
                         else f'"text" must be a string, got {type(obj["text"]).__name__}')
    if obj.get("title") is not None and not isinstance(obj["title"], str):
        raise ValueError(f'"title" must be a string, got {type(obj["title"]).__name__}')
    return obj


def _emit(out: IO[bytes], obj: dict) -> None:
    out.write(json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n")


def score_batch(batch: list[tuple[int, bytes]], analyser: Analyser, scorer, out: IO[bytes], counts: Counts) -> None:
    results: list[dict] = []  # one per input line, in order
    errors: set[int] = set()  # positions in `results` that are error objects
    todo: list[tuple[int, str]] = []  # (position, text for the model)
    mentions = []
    for n, raw in batch:
        try:
            obj = _parse(n, raw)
        except ValueError as e:
            errors.add(len(results))
            results.append({"line": n, "error": str(e)})
            continue
        topics = obj.get("topics") if isinstance(obj.get("topics"), list) else ()
        a = analyser.analyse(obj["text"], obj.get("title"), [t for t in topics if isinstance(t, str)])
        obj["tokens"] = a.tokens
        obj["keywords"] = a.keywords
        obj["emotions"] = a.emotions
        todo.append((len(results), a.text))
        mentions.append(a.mentions)
        results.append(obj)
    if todo:
        try:
            scores, aspects = score(scorer, [t for _, t in todo], mentions)
        except Exception as e:  # one failing batch is reported per line; the next batch still runs
            for i, _ in todo:
                results[i] = {"line": batch[i][0], "error": f"scoring failed ({type(e).__name__}: {e})"}
                errors.add(i)
        else:
            for (i, _), (s, label, conf), found in zip(todo, scores, aspects):
                results[i]["sentiment"] = round(float(s), 4)
                results[i]["sentiment_label"] = label
                results[i]["sentiment_confidence"] = round(float(conf), 4)
                results[i]["aspects"] = found
                results[i]["negative_aspects"] = negative(found)
    for r in results:
        _emit(out, r)
    counts.errors += len(errors)
    counts.scored += len(results) - len(errors)
    out.flush()


def score_lines(lines: Iterable[bytes], analyser: Analyser, scorer, out: IO[bytes], batch_size: int = 256) -> Counts:
    counts = Counts()
    batch: list[tuple[int, bytes]] = []
    for n, raw in enumerate(lines, 1):
        batch.append((n, raw))
        if len(batch) >= batch_size:
            score_batch(batch, analyser, scorer, out, counts)
            batch = []
    if batch:
        score_batch(batch, analyser, scorer, out, counts)
    return counts
