"""Send a report by e-mail through one of the configured `alerts.channels` e-mail channels.

Mail clients (Gmail, Outlook) block `data:` images, so the body carries the charts as inline
`cid:` parts, and the self-contained HTML file rides along as an attachment for forwarding or
opening offline. The SMTP connection (TLS, CA, login from the environment) is the e-mail
channel's own, so reports and alerts leave through the same, already-tested path.
"""
from __future__ import annotations

import base64
import re
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from zoneinfo import ZoneInfo

from dashboards.report import ReportData

_DATA_IMG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


class MailError(Exception):
    pass


def pick_channel(cfg, name: str | None):
    """The named e-mail channel, or the first enabled one."""
    mails = [c for c in cfg.alerts.channels if c.type == "email" and c.enabled]
    if name:
        mails = [c for c in cfg.alerts.channels if c.type == "email" and c.name == name]
        if not mails:
            known = ", ".join(c.name for c in cfg.alerts.channels if c.type == "email") or "(none)"
            raise MailError(f"no e-mail channel {name!r} in alerts.channels (e-mail channels: {known})")
    if not mails:
        raise MailError("no enabled e-mail channel in alerts.channels; add one with type: email")
    return mails[0]


def subject(data: ReportData) -> str:
    neg = data.labels.get("negative", 0)
    return f"【{data.title}】{data.period_label}：{data.total} 条，负面 {neg} 条，预警 {data.fired} 次"


def report_message(data: ReportData, html: str, sender: str, to: list[str], filename: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject(data)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = format_datetime(datetime.now(ZoneInfo(data.tz)))
    msg["Message-ID"] = make_msgid(domain="yuqing")
    lines = [subject(data), ""] + [t.summary for t in data.topics] + ["", f"完整报告见附件 {filename}。"]
    msg.set_content("\n".join(lines))
    images: list[tuple[str, bytes]] = []

    def to_cid(m: re.Match) -> str:
        cid = make_msgid(domain="yuqing")[1:-1]
        images.append((cid, base64.b64decode(m.group(1))))
        return f'src="cid:{cid}"'

    msg.add_alternative(_DATA_IMG.sub(to_cid, html), subtype="html")
    body = msg.get_payload()[1]
    for i, (cid, png) in enumerate(images, 1):
        body.add_related(png, "image", "png", cid=f"<{cid}>", filename=f"chart-{i}.png")
    msg.add_attachment(html.encode("utf-8"), maintype="text", subtype="html", filename=filename)
    return msg


def send_report(cfg, data: ReportData, html: str, channel: str | None = None) -> list[str]:
    """Send to the channel's `to` plus the reported topics' `recipients`; returns who got it."""
    from alerts.channels import make_channel

    ch_cfg = pick_channel(cfg, channel)
    names = {t.name for t in data.topics}
    to = list(ch_cfg.to) + [r for t in cfg.topics if t.name in names for r in t.recipients]
    to = list(dict.fromkeys(a.strip() for a in to if a.strip()))
    if not to:
        raise MailError(f"e-mail channel {ch_cfg.name}: no recipients (set `to` or topics[].recipients)")
    day = datetime.now(timezone.utc).astimezone(ZoneInfo(data.tz)).strftime("%Y-%m-%d")
    msg = report_message(data, html, ch_cfg.sender, to, f"{data.title}-{day}.html")
    channel_obj = make_channel(ch_cfg, cfg)
    try:
        with channel_obj._connect() as s:  # the channel's TLS and CA handling
            if ch_cfg.username:
                s.login(ch_cfg.username, ch_cfg.password.get_secret_value() if ch_cfg.password else "")
            refused = s.send_message(msg)
    except Exception as e:  # smtplib, ssl and socket errors alike: one line for the user
        raise MailError(f"e-mail channel {ch_cfg.name}: {type(e).__name__}: {str(e)[:200]}") from None
    return [a for a in to if a not in refused]
