"""Slack incoming webhook, Block Kit message with a plain `text` fallback for notifications.

Format: https://api.slack.com/messaging/webhooks and https://api.slack.com/reference/block-kit/blocks
  {"text": "...", "blocks": [{"type": "header", ...}, {"type": "section", "text": {"type": "mrkdwn"}}]}
Escaping: https://api.slack.com/reference/surfaces/formatting#escaping — `&`, `<`, `>` become
entities, which is all Slack needs to ignore <!channel>, <@U…> and <url|label> in post text.
Answers 200 "ok"; errors are 4xx with a short text (invalid_payload, no_service, …).
"""
from __future__ import annotations

from alerts.alert import Alert
from alerts.channels.base import Channel
from alerts.channels.text import facts, heading, local_time, one_line, safe_url, slack_escape
from alerts.delivery import Delivery


def _link(url: str | None, label: str) -> str:
    u = safe_url(url)
    return f"<{u.replace('&', '&amp;')}|{label}>" if u else ""


class SlackChannel(Channel):
    type = "slack"

    def body(self, alert: Alert) -> dict:
        tz = self.cfg.timezone
        title = one_line(heading(alert), 150)  # header blocks are plain_text, max 150 chars
        lines = [f"*{k}*: {slack_escape(v, 200)}" for k, v in facts(alert, tz)]
        if alert.summary:
            lines.insert(0, slack_escape(alert.summary, 400))
        for i, p in enumerate(alert.top_posts[:3], 1):
            lines.append(f"{i}. {slack_escape(p.excerpt)} ({slack_escape(p.platform, 20)}, 互动 {p.engagement}) "
                         f"{_link(p.url, '原帖')}".rstrip())
        kib = _link(alert.kibana_url, "在 Kibana 中查看")
        if alert.incident_url:
            kib = f"{kib} {_link(alert.incident_url, '在控制台处理事件')}".strip()
        blocks = [{"type": "header", "text": {"type": "plain_text", "text": title}},
                  {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}},
                  {"type": "context", "elements": [{"type": "mrkdwn",
                                                    "text": f"触发时间 {local_time(alert.fired_at, tz)} {kib}".strip()}]}]
        return {"text": slack_escape(title, 150), "blocks": blocks}

    def send(self, alert: Alert) -> Delivery:
        r = self.post_json(self.ch.url, self.body(alert))
        return self.sent(alert, f"HTTP {r.status_code} {r.text[:40]}")


CHANNEL = SlackChannel
