"""Sentiment of posts: `Scorer.load(cfg).predict(texts)` -> (sentiment, label, confidence) each.

The model was fine-tuned on short review texts (≤ `max_length` tokens), and scoring a long title
+ body as one input does much worse than scoring its sentences, so long text is cut at sentence
ends into spans the model knows and the span scores are averaged, weighted by length and by how
sure each span is. Text without any letter or digit (empty, emoji, punctuation) carries nothing
the model was trained on and is neutral by rule.

sentiment = P(positive) - P(negative) in [-1, 1]; inside the neutral band the label is "neutral".
The band is a heuristic, not a trained class: where the model is unsure on the binary validation
reviews after temperature scaling (nlp/train.py `neutral_band`); `yuqing model eval` reports how
often it is right on the author-written posts. Confidence
is the (calibrated) probability of the chosen polarity, or for neutral 1 - |sentiment| / band.
"""
from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import numpy as np

from nlp import convert, ortmodel, tokens
from nlp.modelfiles import ModelError, ensure_model, model_dir  # noqa: F401  (public API)

_SENT_END = re.compile(r"(?<=[。！？!?；;…\n])")
SPAN_CHARS = 180  # chosen on the validation split: 100 lost 12 points on texts over 100 chars
MAX_SPANS = 64    # per text; a huge text keeps its first and last spans (where opinions sit)


def has_words(text: str) -> bool:
    return any(unicodedata.category(c)[0] in "LN" for c in text)


def spans(text: str, size: int = SPAN_CHARS, limit: int = MAX_SPANS) -> list[str]:
    """Sentences packed greedily into spans of at most `size` characters."""
    out: list[str] = []
    cur = ""
    for sent in _SENT_END.split(text):
        sent = sent.strip()
        while len(sent) > size:  # a "sentence" with no punctuation at all
            if cur:
                out.append(cur)
                cur = ""
            out.append(sent[:size])
            sent = sent[size:]
        if len(cur) + len(sent) > size and cur:
            out.append(cur)
            cur = ""
        cur += sent
    if cur:
        out.append(cur)
    out = [s for s in out if has_words(s)]
    if len(out) > limit:
        out = out[: limit // 2] + out[-(limit - limit // 2):]
    return out


_FFN_OUT = re.compile(r"layer\.\d+\.output\.dense$")


def quantize_int8(model):
    """Dynamic int8 for the linear layers, except each FFN's output projection and the head.

    The FFN output projection reads post-GELU activations with large outliers, which one
    per-tensor int8 scale per batch cannot hold: quantising it too cost 3.5 points on held-out
    reviews (and made scores depend on what else was in the batch); without it validation
    accuracy is unchanged (87.44 %) at about twice the fp32 speed."""
    import warnings

    import torch

    names = {n for n, m in model.named_modules()
             if isinstance(m, torch.nn.Linear) and n.startswith("bert.") and not _FFN_OUT.search(n)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, names, dtype=torch.qint8)


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


class Scorer:
    """`model` is called as model(ids, mask) -> logits: the torch network (nlp/net.py) or the
    ONNX Runtime session (nlp/ortmodel.py). Only the torch path imports torch."""

    def __init__(self, model, tokenizer, meta: dict, device: str = "cpu",
                 batch_size: int = 32, neutral_band: float | None = None):
        self.model = model
        self.tok = tokenizer
        self.meta = meta
        self.device = device
        self.batch_size = batch_size
        self.band = float(meta.get("neutral_band", 0.3) if neutral_band is None else neutral_band)
        self.temperature = float(meta.get("temperature", 1.0))

    @classmethod
    def load(cls, cfg, quantize: str | None = None, runtime: str | None = None,
             manifest: Path | None = None) -> "Scorer":
        """The configured model; `manifest` picks another than nlp/data/sentiment.json (the teacher)."""
        convert.env_offline()
        nlp = cfg.nlp
        device = nlp.device
        if device.startswith("cuda") and not _cuda_available():
            raise ModelError(f"nlp.device is {device!r} but torch sees no CUDA device; set nlp.device: cpu")
        quantize = nlp.quantize if quantize is None else quantize
        if quantize == "auto":
            quantize = "int8" if device == "cpu" else "none"
        if quantize == "int8" and device != "cpu":
            raise ModelError("nlp.quantize: int8 is a CPU optimisation; use quantize: none with a GPU")
        runtime = nlp.runtime if runtime is None else runtime
        if runtime == "onnx" and (device != "cpu" or quantize != "int8"):
            raise ModelError("nlp.runtime: onnx runs the int8 model on CPU only; use runtime: torch for "
                             f"device {device!r} / quantize {quantize!r}")
        d = ensure_model(cfg, manifest) if manifest else ensure_model(cfg)
        if runtime == "auto":  # the fastest that exists: no ONNX file (export failed, no onnxruntime) -> torch
            runtime = "onnx" if device == "cpu" and quantize == "int8" and (d / ortmodel.INT8).is_file() else "torch"
        return cls.from_dir(d, device=device, batch_size=nlp.batch_size, quantize=quantize,
                            neutral_band=nlp.neutral_band, runtime=runtime, threads=nlp.threads)

    @classmethod
    def from_dir(cls, d: Path, device: str = "cpu", batch_size: int = 32, quantize: str = "none",
                 neutral_band: float | None = None, runtime: str = "torch", threads: int | None = None) -> "Scorer":
        meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
        tok = tokens.load_tokenizer(d / "tokenizer.json", int(meta["max_length"]))
        if runtime == "onnx":
            path = d / ortmodel.INT8
            if not path.is_file():
                failed = d / ortmodel.FAILED
                why = (f"the export failed: {failed.read_text(encoding='utf-8').strip()}" if failed.is_file()
                       else "onnx/onnxruntime were not installed when the model was built")
                raise ModelError(f"{path} is missing ({why}); run ./yq setup, then `yuqing model build --force`, "
                                 "or set nlp.runtime: torch")
            model = ortmodel.OrtModel(path, threads=threads)
            return cls(model, tok, meta, device="cpu", batch_size=batch_size, neutral_band=neutral_band)
        if runtime != "torch":
            raise ModelError(f"unknown runtime {runtime!r}; use torch or onnx")
        import torch
        from safetensors.torch import load_file
        from transformers import BertConfig

        from nlp import net

        if threads:
            torch.set_num_threads(threads)
        config = BertConfig.from_json_file(str(d / "config.json"))
        model = net.SentimentNet(config)
        model.load_state_dict(load_file(str(d / "model.safetensors")))
        model.eval()
        if quantize == "int8":
            model = quantize_int8(model)
        elif quantize not in ("none", None):
            raise ModelError(f"unknown quantize mode {quantize!r}; use none or int8")
        model.to(device)
        return cls(model, tok, meta, device=device, batch_size=batch_size, neutral_band=neutral_band)

    def logits(self, ids: list[list[int]]) -> np.ndarray:
        """Raw (negative, positive) logits per token-id list, batched by length (less padding)."""
        out = np.zeros((len(ids), tokens.N_CLASSES), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        run = self.model if isinstance(self.model, ortmodel.OrtModel) else self._torch_logits
        for s in range(0, len(order), self.batch_size):
            idx = order[s:s + self.batch_size]
            out[idx] = run(*tokens.pad([ids[i] for i in idx]))
        return out

    def _torch_logits(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            x, m = torch.from_numpy(ids).to(self.device), torch.from_numpy(mask).to(self.device)
            return self.model(x, m).float().cpu().numpy()

    def span_scores(self, texts: list[str]) -> np.ndarray:
        """P(positive) - P(negative) per short text."""
        # numpy, not torch, after the model: a torch op between two ONNX Runtime calls wakes
        # torch's thread pool, which then competes with ONNX Runtime's (-25 % speed).
        z = self.logits(tokens.encode(self.tok, texts)).astype(np.float64) / self.temperature
        p = np.exp(z - z.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        return (p[:, 1] - p[:, 0]).astype(np.float32)

    def label(self, s: float) -> tuple[float, str, float]:
        s = float(max(-1.0, min(1.0, s)))
        if abs(s) < self.band:
            return s, "neutral", 1.0 - abs(s) / self.band if self.band > 0 else 1.0
        return s, ("positive" if s > 0 else "negative"), (1.0 + abs(s)) / 2

    def predict(self, texts: list[str]) -> list[tuple[float, str, float]]:
        if isinstance(texts, str):
            raise TypeError("predict takes a list of texts, not one string")
        owner: list[int] = []
        flat: list[str] = []
        for i, t in enumerate(texts):
            if t is None:
                t = ""
            if not isinstance(t, str):
                raise TypeError(f"text {i} is {type(t).__name__}, not str")
            for sp in spans(t):
                owner.append(i)
                flat.append(sp)
        scores = self.span_scores(flat) if flat else np.zeros(0, dtype=np.float32)
        lengths = np.array([len(s) for s in flat], dtype=np.float32)
        weights = lengths * (np.abs(scores) + 0.1)
        num = np.zeros(len(texts))
        den = np.zeros(len(texts))
        np.add.at(num, owner, weights * scores)
        np.add.at(den, owner, weights)
        return [self.label(num[i] / den[i]) if den[i] > 0 else (0.0, "neutral", 1.0) for i in range(len(texts))]


def load_scorer(cfg) -> tuple[Scorer | None, str | None]:
    """(scorer, None) or (None, why not): a pipeline stores posts without sentiment rather than
    losing them when the model cannot be loaded, and says why."""
    try:
        return Scorer.load(cfg), None
    except Exception as e:  # ModelError, a missing or corrupt file, torch refusing the device
        return None, f"the sentiment model could not be loaded ({type(e).__name__}: {e})"
