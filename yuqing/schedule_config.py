"""Config model for the `schedule:` section (what `yuqing run` does, and when)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ScheduleConfig(BaseModel):
    """Placeholder until the scheduler lands."""

    model_config = ConfigDict(extra="allow")
