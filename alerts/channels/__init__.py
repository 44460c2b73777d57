"""Channels: each one formats an Alert for one kind of receiver and sends it, nothing more.
Retries, idempotency and bookkeeping belong to the outbox (alerts/outbox.py)."""
from __future__ import annotations

import importlib

_MODULES = {"email": "email", "webhook": "webhook", "dingtalk": "dingtalk", "wecom": "wecom",
            "feishu": "feishu", "slack": "slack"}


def make_channel(ch_cfg, cfg):
    """The Channel object for one `alerts.channels` entry (imported lazily: only used types load)."""
    mod = importlib.import_module(f"alerts.channels.{_MODULES[ch_cfg.type]}")
    return mod.CHANNEL(ch_cfg, cfg)
