"""Trim the e5 vocabulary to the scripts Chinese posts are written in.

multilingual-e5-small carries 250,002 sentencepiece pieces for ~100 languages; two thirds are
Cyrillic, Arabic, Indic, Thai… pieces a Chinese brand's posts never use, yet the tokenizer holds
them all in memory (~280 MB in `tokenizers`) and the embedding table is 96 % of the model's
parameters. Keeping only pieces made of the scripts below changes nothing for text written in
them: a unigram tokenizer picks the best path through the pieces that match the text, and every
piece that can match such text is kept, as is the lowest-scoring piece (the unknown-character
penalty is derived from it). Text in a dropped script becomes <unk> tokens, as an unknown
character always did.
"""
from __future__ import annotations

import copy
import unicodedata

import numpy as np

SPECIAL = 4  # <s> <pad> </s> <unk> come first and keep their ids
_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO", "GREEK", "HALFWIDTH", "FULLWIDTH")


def kept_char(c: str) -> bool:
    """Latin-1, the CJK family, Greek (α/β/γ in posts), and every symbol, digit, space, mark and
    format character (emoji with their variation selectors and joiners)."""
    if ord(c) < 0x100 or c == "\u2581":
        return True
    if unicodedata.category(c)[0] in "PSZNMC":
        return True
    name = unicodedata.name(c, "")
    return name.startswith(_SCRIPTS) or "CJK" in name


def kept_ids(pieces: list) -> list[int]:
    """Indices of the pieces to keep, in their original order (so the special ids stay put)."""
    lowest = min(range(SPECIAL, len(pieces)), key=lambda i: pieces[i][1])
    keep = [i for i, (piece, _score) in enumerate(pieces)
            if i < SPECIAL or i == lowest or all(kept_char(c) for c in piece)]
    if keep[-1] != len(pieces) - 1:  # <mask>, the last special token
        keep.append(len(pieces) - 1)
    return keep


def trim(tokenizer: dict, embeddings: np.ndarray) -> tuple[dict, np.ndarray, list[int]]:
    """(trimmed tokenizer.json object, its embedding rows, the kept ids of the full vocabulary)."""
    model = tokenizer.get("model", {})
    # The table has 35 more rows than pieces (padding of the original model): never looked up.
    if model.get("type") != "Unigram" or len(model["vocab"]) > embeddings.shape[0]:
        raise ValueError("vocabulary trimming expects the e5 Unigram tokenizer and its embedding table "
                         f"(got {model.get('type')} with {len(model.get('vocab', []))} pieces, "
                         f"{embeddings.shape[0]} embedding rows)")
    keep = kept_ids(model["vocab"])
    new_id = {old: new for new, old in enumerate(keep)}
    out = copy.deepcopy(tokenizer)
    out["model"]["vocab"] = [model["vocab"][i] for i in keep]
    out["model"]["unk_id"] = new_id[model["unk_id"]]
    for tok in out.get("added_tokens", []):
        tok["id"] = new_id[tok["id"]]
    for special in (out.get("post_processor") or {}).get("special_tokens", {}).values():
        special["ids"] = [new_id[i] for i in special["ids"]]
    return out, np.ascontiguousarray(embeddings[keep]), keep
