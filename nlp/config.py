"""Config models for the `nlp:` section."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class NlpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    device: str = "cpu"
    batch_size: int = 32
