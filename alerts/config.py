"""Config models for the `alerts:` section (rules and channels)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

from alerts.channels.config import ChannelConfig, DeliveryConfig, check_unique


class AlertsConfig(BaseModel):
    """Placeholder until the alert rules land."""

    model_config = ConfigDict(extra="allow")

    # Delivery (alerts/outbox.py, alerts/channels/): where alerts go and how hard we try.
    channels: list[ChannelConfig] = []
    delivery: DeliveryConfig = DeliveryConfig()

    @field_validator("channels")
    @classmethod
    def _unique_channels(cls, v: list) -> list:
        return check_unique(v)
