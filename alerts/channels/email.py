"""E-mail over SMTP: HTML and plain text from jinja2 templates (alerts/templates/), an optional
chart inline (multipart/related, cid:), STARTTLS or implicit TLS, login from the environment.

The HTML template is rendered with autoescape on, so a post's <script> or &entity; arrives as
text. The Message-ID is derived from the delivery key, so a receiver or a mail client sees a
resend after a crash as the same message. Recipients: the channel's `to` plus the topic's
`recipients` from config.
"""
from __future__ import annotations

import smtplib
import socket
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from alerts.alert import Alert
from alerts.channels.base import Channel, ChannelError
from alerts.channels.text import facts, heading, local_time, one_line, safe_url
from alerts.delivery import Delivery

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_COLOR = {"critical": "#c62828", "warning": "#ef6c00", "info": "#1565c0"}


def template_env(tz: str) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=False, keep_trailing_newline=True)
    env.filters["local"] = lambda dt: local_time(dt, tz)
    env.filters["safe_url"] = safe_url
    env.filters["one_line"] = lambda s: one_line(s, 300)
    return env


class EmailChannel(Channel):
    type = "email"

    def recipients(self, alert: Alert) -> list[str]:
        out = list(self.ch.to)
        for t in self.cfg.topics:
            if t.name == alert.topic:
                out += t.recipients
        return list(dict.fromkeys(a.strip() for a in out if a.strip()))

    def message(self, alert: Alert) -> EmailMessage:
        to = self.recipients(alert)
        if not to:
            raise ChannelError(f"email {self.name}: no recipients (set `to` or topics[].recipients)", permanent=True)
        tz = self.cfg.timezone
        chart_cid = make_msgid(domain="yuqing")[1:-1] if alert.chart_png else None
        ctx = {"alert": alert, "title": heading(alert), "facts": facts(alert, tz), "posts": alert.top_posts[:5],
               "color": _COLOR[alert.severity], "tz": tz, "chart_cid": chart_cid}
        env = template_env(tz)
        msg = EmailMessage()
        msg["Subject"] = one_line(heading(alert), 200)
        msg["From"] = self.ch.sender
        msg["To"] = ", ".join(to)
        msg["Date"] = format_datetime(datetime.now(ZoneInfo(tz)))
        msg["Message-ID"] = f"<{alert.id}.{self.name}@yuqing>"
        msg["X-Yuqing-Alert"] = alert.id
        msg.set_content(env.get_template("alert.txt").render(**ctx))
        msg.add_alternative(env.get_template("alert.html").render(**ctx), subtype="html")
        if chart_cid:
            msg.get_payload()[1].add_related(alert.chart_png, "image", "png", cid=f"<{chart_cid}>",
                                             filename="chart.png")
        return msg

    def _tls(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.ch.ca_certs) if self.ch.ca_certs else ssl.create_default_context()
        if not self.ch.verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def _connect(self) -> smtplib.SMTP:
        c = self.ch
        if c.security == "ssl":
            return smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=self._tls())
        s = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        if c.security == "starttls":
            s.starttls(context=self._tls())
        return s

    def send(self, alert: Alert) -> Delivery:
        msg = self.message(alert)
        c = self.ch
        try:
            with self._connect() as s:
                if c.username:
                    s.login(c.username, c.password.get_secret_value() if c.password else "")
                refused = s.send_message(msg)
        except smtplib.SMTPRecipientsRefused as e:
            raise ChannelError(f"email {self.name}: every recipient refused ({len(e.recipients)})", permanent=True) from None
        except smtplib.SMTPResponseException as e:
            # 5xx on the message itself cannot succeed later; auth (535) and 4xx are worth retrying.
            permanent = 500 <= e.smtp_code < 600 and e.smtp_code not in (530, 534, 535)
            raise ChannelError(f"email {self.name}: SMTP {e.smtp_code} {e.smtp_error!r:.120}", permanent=permanent) from None
        except (smtplib.SMTPException, OSError, socket.timeout, ssl.SSLError) as e:
            raise ChannelError(f"email {self.name}: {type(e).__name__}: {str(e)[:120]}") from None
        ok = len(msg["To"].split(", ")) - len(refused)
        note = f", refused {sorted(refused)}" if refused else ""
        return self.sent(alert, f"SMTP accepted for {ok} recipient(s){note}")


CHANNEL = EmailChannel
