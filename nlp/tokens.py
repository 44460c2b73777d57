"""Text to token ids, without torch: the ONNX Runtime path scores with this and numpy alone, so a
scoring process does not pay torch's ~500 MB import (measured: `yuqing bench --stage nlp`)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

PREFIX = "query: "  # e5 was trained with an instruction prefix; classification uses "query: "
PAD_ID = 1
N_CLASSES = 2  # negative, positive (the review data is binary; neutral is a calibrated band)


def load_tokenizer(source: Path | str, max_length: int):
    """From a tokenizer.json path, or from its JSON text (what `modelfiles.base_state` returns)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(source)) if isinstance(source, Path) else Tokenizer.from_str(source)
    tok.enable_truncation(max_length=max_length)
    tok.no_padding()
    return tok


def encode(tok, texts: list[str]) -> list[list[int]]:
    return [e.ids for e in tok.encode_batch([PREFIX + t for t in texts])]


def pad(batch: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(ids, attention mask) as int64 arrays, padded to the longest in the batch."""
    n = max(len(x) for x in batch)
    ids = np.full((len(batch), n), PAD_ID, dtype=np.int64)
    mask = np.zeros((len(batch), n), dtype=np.int64)
    for i, x in enumerate(batch):
        ids[i, :len(x)] = x
        mask[i, :len(x)] = 1
    return ids, mask
