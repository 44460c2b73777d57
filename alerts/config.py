"""Config models for the `alerts:` section (rules and channels)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class AlertsConfig(BaseModel):
    """Placeholder until the alert rules land."""

    model_config = ConfigDict(extra="allow")
