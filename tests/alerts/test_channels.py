"""Each channel against a real receiver on loopback: the body is the documented format, the
signature verifies with the secret, and hostile post text arrives inert."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timezone
from urllib.parse import quote_plus

import pytest

from alerts.alert import Alert, AlertPost
from alerts.channels import make_channel
from alerts.channels.base import ChannelError
from alerts.channels.dingtalk import dingtalk_sign
from alerts.channels.feishu import feishu_sign
from tests.support.loopback import HttpReceiver, SmtpServer, make_cert
from yuqing.app import config as config_mod

HOSTILE = ('<script>alert(1)</script> [点我领奖](http://evil.example/x) ![p](http://evil.example/p.png) '
           '@all <at id=all></at> <!channel> <@U123> &lt;b&gt;实体&lt;/b&gt; <font color="red">红</font>\n# 标题 **粗**')
TOPIC = "星河手机"


def alert(**kw) -> Alert:
    t = datetime(2026, 11, 25, 6, 0, tzinfo=timezone.utc)  # 14:00 in Shanghai
    base = dict(topic=TOPIC, rule="negative_spike", severity="critical", title="【严重】星河手机 负面声量激增",
                summary="过去15分钟负面帖子 48 条，为基线的 6 倍。", fired_at=t, window_start=t.replace(minute=0, hour=5),
                window_end=t, value=48, baseline=8, ratio=6.0, top_keywords=["爆炸", "<b>召回</b>"],
                kibana_url="http://127.0.0.1:5601/app/discover#/?_g=(time:(from:now-1h))",
                top_posts=[AlertPost(platform="weibo", post_id="1", url="https://weibo.com/1/AbC", excerpt=HOSTILE,
                                     likes=10, comments=2, reposts=3),
                           AlertPost(platform="zhihu", post_id="2", url="javascript:alert(1)", excerpt="普通帖子")])
    base.update(kw)
    return Alert(**base)


def make_cfg(channels: list[dict], recipients: list[str] | None = None):
    return config_mod.parse({"topics": [{"name": TOPIC, "keywords": ["星河"], "recipients": recipients or []}],
                             "alerts": {"channels": channels}})


def channel(ch: dict, **kw):
    cfg = make_cfg([ch], **kw)
    return make_channel(cfg.alerts.channels[0], cfg)


def assert_inert(text: str) -> None:
    """No markup from the post survives: tags, links, images, mentions, entities, headings."""
    for bad in ("<script", "](http://evil", "![", "@all", "<at ", "<!channel>", "<@U123>", "&lt;b&gt;", "\n# 标题",
                '<font color="red">'):
        assert bad not in text, bad


def test_dingtalk_signed_markdown():
    rcv = HttpReceiver().start()
    try:
        ch = channel({"name": "ding", "type": "dingtalk", "url": rcv.url("/robot/send?access_token=tok"),
                      "secret": "SECabc", "at_mobiles": ["13800000000"]})
        d = ch.send(alert())
        assert d.status == "sent" and d.channel == "ding"
        req = rcv.requests[0]
        ts = req.query["timestamp"][0]
        assert req.query["access_token"] == ["tok"]
        # Recompute as DingTalk documents: HmacSHA256(key=secret, msg=timestamp+"\n"+secret), base64.
        want = base64.b64encode(hmac.new(b"SECabc", f"{ts}\nSECabc".encode(), hashlib.sha256).digest()).decode()
        assert req.query["sign"] == [want]  # parse_qs has url-decoded it once
        body = json.loads(req.body)
        assert body["msgtype"] == "markdown" and body["at"] == {"atMobiles": ["13800000000"], "isAtAll": False}
        text = body["markdown"]["text"]
        assert "星河手机" in text and "2026-11-25 13:00 – 2026-11-25 14:00" in text  # Asia/Shanghai
        assert "[原帖](https://weibo.com/1/AbC)" in text and "javascript:" not in text
        assert "@13800000000" in text
        assert_inert(text)
        assert "＜script＞" in text  # shown, not executed
    finally:
        rcv.stop()


def test_dingtalk_sign_known_vector():
    # Published test vector (dingding crate, src/signature.rs): timestamp 1700000000000, secret "secret".
    assert dingtalk_sign("secret", 1700000000000) == "OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D"
    assert dingtalk_sign("s", 1) == quote_plus(dingtalk_sign("s", 1).replace("%2B", "+").replace(
        "%2F", "/").replace("%3D", "="))


def test_dingtalk_error_code_is_retryable():
    rcv = HttpReceiver(reply='{"errcode":310000,"errmsg":"sign not match"}'.encode()).start()
    try:
        ch = channel({"name": "ding", "type": "dingtalk", "url": rcv.url("/robot/send?access_token=t"), "secret": "x"})
        with pytest.raises(ChannelError) as e:
            ch.send(alert())
        assert not e.value.permanent and "310000" in str(e.value)
    finally:
        rcv.stop()


def test_feishu_signed_card():
    rcv = HttpReceiver(reply=b'{"code":0,"msg":"success"}').start()
    try:
        ch = channel({"name": "fs", "type": "feishu", "url": rcv.url("/open-apis/bot/v2/hook/abc"), "secret": "k3y"})
        ch.send(alert())
        body = json.loads(rcv.requests[0].body)
        ts = body["timestamp"]
        # Feishu: key = timestamp + "\n" + secret, message empty.
        want = base64.b64encode(hmac.new(f"{ts}\nk3y".encode(), b"", hashlib.sha256).digest()).decode()
        assert body["sign"] == want == feishu_sign("k3y", int(ts))
        assert body["msg_type"] == "interactive"
        card = body["card"]
        assert card["header"]["template"] == "red" and card["header"]["title"]["tag"] == "plain_text"
        md = card["elements"][0]["text"]
        assert md["tag"] == "lark_md"
        assert_inert(md["content"])
        assert "[原帖](https://weibo.com/1/AbC)" in md["content"]
    finally:
        rcv.stop()


def test_feishu_unsigned_and_error():
    rcv = HttpReceiver(reply=b'{"code":19021,"msg":"sign match fail or timestamp is not within one hour"}').start()
    try:
        ch = channel({"name": "fs", "type": "feishu", "url": rcv.url()})
        with pytest.raises(ChannelError) as e:
            ch.send(alert())
        assert "19021" in str(e.value) and not e.value.permanent
        assert "sign" not in json.loads(rcv.requests[0].body)
    finally:
        rcv.stop()


def test_wecom_markdown():
    rcv = HttpReceiver().start()
    try:
        ch = channel({"name": "wx", "type": "wecom", "url": rcv.url("/cgi-bin/webhook/send?key=k")})
        long_alert = alert(top_posts=[AlertPost(platform="weibo", post_id=str(i), excerpt="很长" * 200)
                                      for i in range(30)])
        ch.send(alert())
        ch.send(long_alert)
        body = json.loads(rcv.requests[0].body)
        assert body["msgtype"] == "markdown"
        content = body["markdown"]["content"]
        assert content.startswith('<font color="warning">**') and content.count("<font") == 1
        assert_inert(content)
        assert len(json.loads(rcv.requests[1].body)["markdown"]["content"].encode()) <= 4096
    finally:
        rcv.stop()


def test_slack_blocks():
    rcv = HttpReceiver(reply=b"ok").start()
    try:
        ch = channel({"name": "sl", "type": "slack", "url": rcv.url("/services/T/B/X")})
        ch.send(alert())
        body = json.loads(rcv.requests[0].body)
        assert body["blocks"][0]["type"] == "header" and body["text"]
        section = body["blocks"][1]["text"]
        assert section["type"] == "mrkdwn"
        # Slack mrkdwn has no [label](url) links; its live syntax is <…> and entities.
        for bad in ("<script", "<!channel>", "<@U123>", "<at ", "&lt;b&gt;实体", "@all", "<font"):
            assert bad not in section["text"], bad
        assert "&lt;script&gt;" in section["text"] and "&amp;lt;b&amp;gt;" in section["text"]
        assert "<https://weibo.com/1/AbC|原帖>" in section["text"]
    finally:
        rcv.stop()


def test_slack_http_errors_are_classified():
    rcv = HttpReceiver(status=400, reply=b"invalid_payload").start()
    try:
        ch = channel({"name": "sl", "type": "slack", "url": rcv.url()})
        with pytest.raises(ChannelError) as e:
            ch.send(alert())
        assert e.value.permanent
        rcv.status, rcv.reply = 503, b"busy"
        with pytest.raises(ChannelError) as e:
            ch.send(alert())
        assert not e.value.permanent
    finally:
        rcv.stop()


def test_webhook_hmac_signature():
    rcv = HttpReceiver(reply=b"{}").start()
    try:
        ch = channel({"name": "hook", "type": "webhook", "url": rcv.url(), "secret": "s3cret",
                      "headers": {"X-Team": "pr"}})
        a = alert()
        ch.send(a)
        req = rcv.requests[0]
        ts = req.headers["X-Yuqing-Timestamp"]
        mac = hmac.new(b"s3cret", ts.encode() + b"." + req.body, hashlib.sha256).hexdigest()
        assert req.headers["X-Yuqing-Signature"] == f"sha256={mac}"
        assert req.headers["X-Yuqing-Delivery"] == f"{a.id}:hook" and req.headers["X-Team"] == "pr"
        body = json.loads(req.body)
        assert Alert.model_validate(body["alert"]).id == a.id
        assert body["alert"]["top_posts"][0]["excerpt"] == HOSTILE  # JSON carries data as data
        assert "s3cret" not in req.body.decode()
    finally:
        rcv.stop()


def test_webhook_unreachable_is_retryable():
    rcv = HttpReceiver().start()
    rcv.stop()
    ch = channel({"name": "hook", "type": "webhook", "url": rcv.url(), "timeout": 2})
    with pytest.raises(ChannelError) as e:
        ch.send(alert())
    assert not e.value.permanent


# -- e-mail ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return make_cert(tmp_path_factory.mktemp("tls"))


PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_email_html_and_text(cert, mode, monkeypatch):
    crt, key = cert
    srv = SmtpServer(crt, key, mode, "bot@example.test", "pw-from-env")
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "pw-from-env")
    try:
        raw = {"topics": [{"name": TOPIC, "keywords": ["星河"], "recipients": ["pr@example.test"]}],
               "alerts": {"channels": [{"name": "mail", "type": "email", "host": "127.0.0.1", "port": srv.port,
                                        "security": mode, "username": "bot@example.test",
                                        "password": "${TEST_SMTP_PASSWORD}", "sender": "yuqing@example.test",
                                        "to": ["ops@example.test"], "ca_certs": str(crt)}]}}
        cfg = config_mod.parse(raw)
        ch = make_channel(cfg.alerts.channels[0], cfg)
        d = ch.send(alert(chart_png=PNG))
        assert d.status == "sent" and "2 recipient" in d.detail
        assert srv.logins == ["bot@example.test"]
        rcpts, msg = srv.messages[0]
        assert sorted(rcpts) == ["ops@example.test", "pr@example.test"]
        assert msg["Subject"] == "【严重】星河手机 负面声量激增"
        html = msg.get_body(("html",)).get_content()
        text = msg.get_body(("plain",)).get_content()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script" not in html
        assert "&amp;lt;b&amp;gt;" in html  # an entity in the post shows as typed, it is not decoded
        assert "javascript:" not in html and 'href="https://weibo.com/1/AbC"' in html
        assert "2026-11-25 13:00 – 2026-11-25 14:00 (Asia/Shanghai)" in text
        assert HOSTILE.split("\n")[0] in text  # plain text is not interpreted: shown as written
        imgs = [p for p in msg.walk() if p.get_content_type() == "image/png"]
        assert len(imgs) == 1 and imgs[0].get_content() == PNG
        cid = imgs[0]["Content-ID"].strip("<>")
        assert f'src="cid:{cid}"' in html
    finally:
        srv.stop()


def test_email_bad_login_is_retryable_and_secret_free(cert):
    crt, key = cert
    srv = SmtpServer(crt, key, "starttls", "bot", "right")
    try:
        ch = channel({"name": "mail", "type": "email", "host": "127.0.0.1", "port": srv.port, "username": "bot",
                      "password": "wrong-pw", "sender": "y@example.test", "to": ["a@example.test"],
                      "ca_certs": str(crt)})
        with pytest.raises(ChannelError) as e:
            ch.send(alert())
        assert not e.value.permanent and "535" in str(e.value) and "wrong-pw" not in str(e.value)
        assert srv.messages == []
        assert "wrong-pw" not in repr(ch) and "wrong-pw" not in repr(ch.ch)
    finally:
        srv.stop()


def test_email_untrusted_certificate_is_refused(cert):
    crt, key = cert
    srv = SmtpServer(crt, key, "starttls", "bot", "pw")
    try:
        ch = channel({"name": "mail", "type": "email", "host": "127.0.0.1", "port": srv.port, "username": "bot",
                      "password": "pw", "sender": "y@example.test", "to": ["a@example.test"]})
        with pytest.raises(ChannelError):
            ch.send(alert())
        assert srv.messages == []
    finally:
        srv.stop()


def test_channel_config_errors_name_the_key():
    bad = [
        ([{"name": "a", "type": "slack", "url": "http://127.0.0.1/x"}, {"name": "a", "type": "wecom",
                                                                          "url": "http://127.0.0.1/y"}], "used twice"),
        ([{"name": "m", "type": "email", "host": "smtp.example.com", "security": "none", "username": "u",
           "password": "p", "sender": "a@example.com"}], "clear text"),
        ([{"name": "d", "type": "dingtalk", "url": "ftp://x"}], "http(s) URL"),
        ([{"name": "d", "type": "pager", "url": "http://127.0.0.1/"}], "alerts.channels.0"),
    ]
    for channels, words in bad:
        with pytest.raises(config_mod.ConfigError) as e:
            make_cfg(channels)
        assert words in str(e.value), str(e.value)


def test_merged_rules_and_recovery_are_shown():
    rcv = HttpReceiver(reply=b'{"code":0}').start()
    try:
        ch = channel({"name": "fs", "type": "feishu", "url": rcv.url()})
        kw = alert(rule="keyword", severity="warning", value=5)
        ch.send(alert(related=[kw]))
        ch.send(alert(kind="recovery", severity="info", title="", top_posts=[]))
        merged = json.loads(rcv.requests[0].body)["card"]["elements"][0]["text"]["content"]
        assert "同时触发" in merged and "敏感词" in merged
        rec = json.loads(rcv.requests[1].body)["card"]
        assert rec["header"]["template"] == "green" and "恢复" in rec["header"]["title"]["content"]
    finally:
        rcv.stop()
