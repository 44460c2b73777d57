"""ONNX Runtime for CPU scoring: the same network, exported once at `yuqing model build`.

On two cores ONNX Runtime with int8 weights (per output channel) ran the twelve-layer encoder at
about twice torch's dynamic-int8 speed and, unlike torch's per-tensor scheme, kept accuracy
without leaving the FFN output projections in fp32 (per-channel scales hold their outliers). The
export is cached in the model folder next to the safetensors, so it follows the same READY stamp
and is redone whenever the weights change. CUDA keeps the torch path (no onnxruntime-gpu here).
"""
from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np

INT8 = "model.int8.onnx"
FAILED = "onnx-export-failed.txt"  # why there is no INT8 file, when the export raised


def available() -> bool:
    try:
        import onnx  # noqa: F401  (the quantiser needs it)
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def export(model, dest: Path) -> Path:
    """Write `dest/model.int8.onnx`: export fp32 (TorchScript exporter, no onnxscript needed), then
    quantise the MatMul weights to int8 per channel; the fp32 file is only a step and is removed."""
    import torch

    fp32 = dest / "model.fp32.onnx"
    ids = torch.full((2, 8), 5, dtype=torch.long)
    mask = torch.ones_like(ids)
    model.eval()
    quiet = logging.root.manager.disable
    logging.disable(logging.WARNING)  # the quantiser logs one line per tensor on the root logger
    try:
        _export(model, ids, mask, fp32, dest)
    finally:
        logging.disable(quiet)
        for step in dest.glob(fp32.name + "*"):  # the fp32 file (+ external data), also when the export fails
            step.unlink()
    return dest / INT8


def _export(model, ids, mask, fp32: Path, dest: Path) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (ids, mask), str(fp32), input_names=["input_ids", "attention_mask"],
                          output_names=["logits"], opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                        "attention_mask": {0: "batch", 1: "tokens"}, "logits": {0: "batch"}})
        quantize_dynamic(fp32, dest / INT8, weight_type=QuantType.QInt8, per_channel=True,
                         extra_options={"DefaultTensorType": 1})


class OrtModel:
    """(input_ids, attention_mask) int64 arrays -> logits, like the torch model but numpy only."""

    def __init__(self, path: Path, threads: int | None = None):
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads or 0  # 0: ONNX Runtime's default, one per physical core
        so.inter_op_num_threads = 1
        # Threads sleep between calls instead of spinning: the crawler and the pipeline share
        # these cores, and measured speed was the same or better (2 cores).
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.path = path
        self.session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"input_ids": np.asarray(input_ids, dtype=np.int64),
                                       "attention_mask": np.asarray(attention_mask, dtype=np.int64)})[0]

    def to(self, device: str) -> "OrtModel":
        if device != "cpu":
            raise ValueError("the ONNX Runtime model runs on CPU only; use runtime: torch for CUDA")
        return self
