"""Config models for the `nlp:` section."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from yuqing.config import AspectTerms, Strict


class NlpConfig(Strict):
    enabled: bool = True
    device: str = Field("cpu", pattern=r"^(cpu|cuda(:\d+)?)$")
    batch_size: int = Field(32, ge=1, le=4096)
    # Sentiment model (nlp/sentiment.py). int8 = int8 weights (CPU only; same held-out accuracy,
    # 2-3x fp32 speed); auto = int8 on CPU, none on CUDA.
    quantize: Literal["auto", "none", "int8"] = "auto"
    # onnx = ONNX Runtime with int8 weights per channel (CPU, about twice torch int8's speed, built
    # by `yuqing model build`); auto = onnx for int8 on CPU when onnxruntime is installed, else torch.
    runtime: Literal["auto", "torch", "onnx"] = "auto"
    threads: int | None = Field(None, ge=1, description="CPU threads for scoring (torch or ONNX Runtime); default: one per physical core")
    neutral_band: float | None = Field(None, ge=0, lt=1, description="override the calibrated |sentiment| band")
    # Text side (nlp/text.py, segment.py, keywords.py, simhash.py; pipelines/enrich.py).
    # auto = rjieba (fast) when it keeps every dictionary word whole, else jieba.
    segmenter: Literal["auto", "jieba", "rjieba"] = "auto"
    user_dicts: list[str] = Field(default_factory=list, description="extra jieba-format dictionaries")
    keywords: int = Field(8, ge=0, le=50, description="keywords kept per post")
    # false: tokens, keywords and near-duplicates only, no model loaded (machines without torch).
    sentiment: bool = True
    # Posts that arrive with a sentiment (imports from another tool) keep it unless rescore is on.
    rescore: bool = False
    # Near-duplicates: texts shorter than this (after cleaning) are never linked ("好评", "沙发").
    dup_min_chars: int = Field(12, ge=1)
    dup_window_days: int = Field(30, ge=1, description="how far back earlier copies are looked up")
    # Aspects (nlp/aspects.py: 质量, 物流, 售后 ... each with its clause's sentiment) and DUTIR
    # emotions (nlp/emotions.py) per post; aspect_terms adds words for every topic (each topic's
    # own go under topics[].aspects).
    aspects: bool = True
    emotions: bool = True
    aspect_terms: AspectTerms = {}
