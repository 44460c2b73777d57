"""Feishu / Lark custom bot (飞书自定义机器人), interactive card with lark_md, optionally signed.

Format and signing: https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
  {"timestamp": "<seconds>", "sign": "...", "msg_type": "interactive", "card": {...}}
  sign = base64(HmacSHA256(key = timestamp + "\\n" + secret, message = "")) — the key is the
  string to sign and the message is empty, unlike DingTalk; timestamp within one hour.
lark_md knows <at id=all></at> and [label](url): md_escape makes `<`, `[`, `@` inert.
Answers {"code": 0, "msg": "success"} (older deployments: {"StatusCode": 0}).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time

from alerts.alert import Alert
from alerts.channels.base import Channel
from alerts.channels.text import chat_markdown, heading, one_line
from alerts.delivery import Delivery

_TEMPLATE = {"critical": "red", "warning": "orange", "info": "blue"}
_REJECTED = frozenset({9499})  # bad request; sign/keyword/IP mismatches (19021…) are config


def feishu_sign(secret: str, timestamp_s: int) -> str:
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


class FeishuChannel(Channel):
    type = "feishu"

    def body(self, alert: Alert, now_s: int | None = None) -> dict:
        md = chat_markdown(alert, self.cfg.timezone)
        _, _, rest = md.partition("\n")  # the heading goes into the card header instead
        body: dict = {"msg_type": "interactive", "card": {
            "config": {"wide_screen_mode": True},
            # plain_text: the header is never parsed, one_line is enough.
            "header": {"title": {"tag": "plain_text", "content": one_line(heading(alert), 100)},
                       "template": "green" if alert.kind == "recovery" else _TEMPLATE[alert.severity]},
            "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": rest.strip()}}],
        }}
        if self.ch.secret is not None:
            ts = now_s or int(time.time())
            body = {"timestamp": str(ts), "sign": feishu_sign(self.ch.secret.get_secret_value(), ts), **body}
        return body

    def send(self, alert: Alert) -> Delivery:
        r = self.post_json(self.ch.url, self.body(alert))
        return self.sent(alert, self.check_code(r, "code", _REJECTED))


CHANNEL = FeishuChannel
