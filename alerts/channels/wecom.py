"""WeCom group robot (企业微信群机器人), markdown message.

Format: https://developer.work.weixin.qq.com/document/path/91770
  POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY
  {"msgtype": "markdown", "markdown": {"content": "..."}}  (content at most 4096 bytes, UTF-8)
WeCom markdown also knows <font color="…"> and <@userid> mentions, so post text must carry no
`<` or `@`; md_escape makes them full-width. The robot has no signing: the key in the URL is the
secret. Answers {"errcode": 0, "errmsg": "ok"}; 45009 is its rate limit (retried).
"""
from __future__ import annotations

from alerts.alert import Alert
from alerts.channels.base import Channel
from alerts.channels.text import chat_markdown
from alerts.delivery import Delivery

MAX_BYTES = 4096
_REJECTED = frozenset({40058, 44004})  # content invalid / empty

_COLOR = {"critical": "warning", "warning": "warning", "info": "info"}


def clip_utf8(text: str, limit: int = MAX_BYTES) -> str:
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[: limit - 3].decode("utf-8", errors="ignore") + "…"


class WeComChannel(Channel):
    type = "wecom"

    def body(self, alert: Alert) -> dict:
        md = chat_markdown(alert, self.cfg.timezone)
        first, _, rest = md.partition("\n")
        md = f'<font color="{_COLOR[alert.severity]}">{first}</font>\n{rest}'
        return {"msgtype": "markdown", "markdown": {"content": clip_utf8(md)}}

    def send(self, alert: Alert) -> Delivery:
        r = self.post_json(self.ch.url, self.body(alert))
        return self.sent(alert, self.check_code(r, "errcode", _REJECTED))


CHANNEL = WeComChannel
