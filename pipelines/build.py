"""Assemble the one chain from config: validate → dedupe → privacy → enrich (NLP) → store."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pipelines.chain import Pipeline
from pipelines.dedupe import Dedupe
from pipelines.privacy import Privacy
from pipelines.sink import StoreSink
from pipelines.spool import spool_for
from pipelines.validate import Validate
from yuqing.store import Store

if TYPE_CHECKING:  # the root config is the shell's; this stage only reads its sections
    from yuqing.app.config import Config

log = logging.getLogger(__name__)


def build_pipeline(cfg: Config, store: Store | None = None, nlp: bool | None = None) -> Pipeline:
    store = store or Store(cfg.elasticsearch)
    stages: list = [Validate(cfg), Dedupe(), Privacy.from_config(cfg)]
    batch: list = []
    use_nlp = cfg.nlp.enabled if nlp is None else nlp
    if use_nlp:
        enrich = _nlp_stage(cfg, store)
        if enrich is not None:
            batch.append(enrich)
    batch.append(StoreSink(store, spool_for(cfg)))
    return Pipeline(stages, batch, batch_size=cfg.elasticsearch.bulk_chunk)


def _nlp_stage(cfg: Config, store: Store):
    """The NLP enrichment stage (tokens, keywords, near-duplicates, sentiment)."""
    from pipelines.enrich import Enrich  # loads jieba and the model's runtime: only when enriching

    return Enrich.from_config(cfg, store=store)
