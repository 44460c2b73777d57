"""Config models for the `sources:` section (what to crawl, and how politely)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class SourcesConfig(BaseModel):
    """Placeholder until the crawlers land: accepts a mapping of source name -> settings."""

    model_config = ConfigDict(extra="allow")
