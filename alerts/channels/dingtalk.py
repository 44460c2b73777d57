"""DingTalk group robot (钉钉自定义机器人), markdown message, optionally signed (加签).

Format: https://open.dingtalk.com/document/orgapp/custom-bot-send-message-type
  {"msgtype": "markdown", "markdown": {"title", "text"}, "at": {"atMobiles", "isAtAll"}}
Signing: https://open.dingtalk.com/document/robots/customize-robot-security-settings
  string_to_sign = timestamp_ms + "\\n" + secret; sign = urlencode(base64(HmacSHA256(key=secret,
  msg=string_to_sign))); both go into the query string next to access_token; the server accepts a
  timestamp within one hour. Answers {"errcode": 0, "errmsg": "ok"}.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus

from alerts.alert import Alert
from alerts.channels.base import Channel
from alerts.channels.text import chat_markdown, heading, md_escape
from alerts.delivery import Delivery

# 460101: message too long / 40035: bad parameters. Other codes (token, sign, IP list) are config.
_REJECTED = frozenset({460101, 40035})


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The url-encoded `sign` query value."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


class DingTalkChannel(Channel):
    type = "dingtalk"

    def body(self, alert: Alert) -> dict:
        text = chat_markdown(alert, self.cfg.timezone)
        # A mobile is only notified when it also appears as @mobile in the text (config, not post text).
        if self.ch.at_mobiles:
            text += "\n\n" + " ".join(f"@{m}" for m in self.ch.at_mobiles)
        return {"msgtype": "markdown", "markdown": {"title": md_escape(heading(alert), 60), "text": text},
                "at": {"atMobiles": list(self.ch.at_mobiles), "isAtAll": bool(self.ch.at_all)}}

    def signed_url(self, now_ms: int | None = None) -> str:
        url = self.ch.url
        if self.ch.secret is None:
            return url
        ts = now_ms or int(time.time() * 1000)
        sep = "&" if "?" in url else "?"
        return f"{url}{sep}timestamp={ts}&sign={dingtalk_sign(self.ch.secret.get_secret_value(), ts)}"

    def send(self, alert: Alert) -> Delivery:
        r = self.post_json(self.signed_url(), self.body(alert))
        return self.sent(alert, self.check_code(r, "errcode", _REJECTED))


CHANNEL = DingTalkChannel
