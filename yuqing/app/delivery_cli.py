"""`yuqing alerts test-channel` and `yuqing alerts outbox`: the delivery half of `yuqing alerts`.
Kept apart from the rule commands so each module has one job; yuqing/app/alerts_cli.py adds them to the group."""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone

import click

from yuqing.app import wiring
from yuqing.app.common import config_option, console, err, fail


def sample_alert(cfg, topic: str | None = None):
    """A realistic, harmless alert: what a channel owner should expect to see."""
    from alerts.alert import Alert, AlertPost

    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    name = topic or (cfg.topics[0].name if cfg.topics else "示例专题")
    return Alert(kind="alert", topic=name, rule="negative_spike", severity="warning",
                 title=f"【测试】{name} 负面声量激增（通道测试，请忽略）",
                 summary="这是一条测试预警，用于确认通知通道配置正确。", fired_at=now,
                 window_start=now - timedelta(minutes=15), window_end=now, value=42, baseline=6.5, ratio=6.5,
                 threshold=19.5, top_keywords=["投诉", "退款", "客服"],
                 top_posts=[AlertPost(platform="weibo", post_id="test-1", url="https://weibo.com/",
                                      excerpt=f"{name} 测试帖子：售后客服一直不回复，要求退款。", likes=120,
                                      comments=35, reposts=18, sentiment=-0.8)],
                 id=f"test-{now.strftime('%Y%m%d%H%M%S')}")


@click.command("test-channel")
@click.argument("name")
@click.option("--topic", help="topic to put in the sample alert (default: the first configured)")
@config_option
def test_channel(cfg, name: str, topic: str | None) -> None:
    """Send a sample alert through channel NAME now (bypasses the outbox; nothing is stored)."""
    from alerts.channels import make_channel
    from alerts.channels.base import ChannelError

    ch_cfg = next((c for c in cfg.alerts.channels if c.name == name), None)
    if ch_cfg is None:
        known = ", ".join(c.name for c in cfg.alerts.channels) or "none configured under alerts.channels"
        fail(f"no channel named {name!r} (known: {known})", 2)
    if not ch_cfg.enabled:
        err.print(f"[yellow]note:[/yellow] channel {name} is disabled; sending the test anyway", highlight=False)
    try:
        d = make_channel(ch_cfg, cfg).send(sample_alert(cfg, topic))
    except ChannelError as e:
        fail(f"{name} ({ch_cfg.type}): not delivered: {e}{'' if e.permanent else ' (would be retried)'}")
    console.print(f"sent: {name} ({ch_cfg.type}) → {d.detail}", highlight=False)


@click.command("outbox")
@click.option("--status", type=click.Choice(["pending", "sending", "sent", "failed"]), help="only this status")
@click.option("--topic", help="only this topic")
@click.option("-n", "limit", default=30, show_default=True)
@click.option("--retry-failed", is_flag=True, help="queue failed deliveries again (after fixing the channel)")
@click.option("--channel", help="with --retry-failed: only this channel")
@config_option
def outbox_cmd(cfg, status: str | None, topic: str | None, limit: int, retry_failed: bool,
               channel: str | None) -> None:
    """Deliveries per channel: what is waiting, what was sent, what failed and why.
    Exits 1 while any delivery is failed, so a cron check can notice."""
    from rich.table import Table

    from alerts.channels.text import local_time
    from alerts.delivery import STATUS_ZH
    from yuqing.store import Store, StoreUnavailable

    try:
        ob = wiring.outbox(cfg, Store(cfg.elasticsearch))
        if retry_failed:
            console.print(f"requeued {ob.retry_failed(channel=channel)} failed deliveries", highlight=False)
        counts = ob.docs.counts()
        rows = ob.list(status=status, topic=topic, limit=limit)
    except StoreUnavailable as e:
        fail(str(e))
    except Exception as e:  # elasticsearch transport errors
        fail(f"cannot read the outbox: {type(e).__name__}")
    console.print("  ".join(f"{STATUS_ZH[k]} {k}: {counts.get(k, 0)}" for k in STATUS_ZH), highlight=False)
    t = Table(show_header=True)
    for c in ("状态", "通道", "专题", "规则", "级别", "尝试", "创建", "下次/完成", "说明"):
        t.add_column(c)
    tz = cfg.timezone
    for d in rows:
        when = d.sent_at or d.failed_at or d.next_attempt_at
        t.add_row(STATUS_ZH[d.status], d.channel, d.topic, d.rule, d.severity, str(d.attempts),
                  local_time(d.created_at, tz), local_time(when, tz), (d.last_error or d.detail or "")[:80])
    console.print(t)
    sys.exit(1 if counts.get("failed") else 0)
