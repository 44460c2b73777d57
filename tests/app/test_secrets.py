"""Secrets stay out of logs and out of the config file."""
from __future__ import annotations

import logging
import subprocess
import sys

import pytest
import yaml

from tests.conftest import ROOT
from yuqing.app import config as config_mod
from yuqing.logs import RedactFilter, RedactingFormatter, redact


@pytest.mark.parametrize("line, secret", [
    ("Cookie: SUB=abc123; SUBP=def456", "def456"),
    ("request headers {'Cookie': 'SUB=abc; SUBP=def', 'User-Agent': 'x'}", "SUBP=def"),
    ("set-cookie: a=tok9; Path=/; HttpOnly", "tok9"),
    ("Authorization: Bearer eyJhbGciOi.abc", "eyJhbGciOi"),
    ("login failed password=hunter2 user=bob", "hunter2"),
    ("POST https://oapi.dingtalk.com/robot/send?access_token=abcd1234&timestamp=1&sign=XyZ%3D", "abcd1234"),
    ("POST https://oapi.dingtalk.com/robot/send?access_token=abcd1234&timestamp=1&sign=XyZ%3D", "XyZ"),
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7aaa failed", "693a91f6"),
    ("POST https://open.feishu.cn/open-apis/bot/v2/hook/2f5a-bc9e returned 500", "2f5a-bc9e"),
    ("https://hooks.slack.com/services/T000/B000/XXXX returned 404", "T000/B000/XXXX"),
    ("smtp://mailer:s3cr3t@smtp.example.com:465 refused", "s3cr3t"),
    ("env YUQING_PSEUDO_KEY=abcdef0123456789", "abcdef0123456789"),
    ('{"api_key": "AbCdEf", "secret": "sEcReT"}', "AbCdEf"),
])
def test_log_lines_lose_their_secrets(line, secret):
    out = redact(line)
    assert secret not in out and "***" in out


def test_harmless_lines_are_untouched():
    for line in ("indexed 24 posts into http://127.0.0.1:9200", "weibo: 3 pages, 120 posts", "星河X5 负面 12 条"):
        assert redact(line) == line


def test_handler_redacts_messages_args_and_tracebacks():
    fmt = RedactingFormatter("%(message)s")
    rec = logging.LogRecord("t", logging.ERROR, __file__, 1, "fetch with Cookie: %s", ("SUB=zzz; X=yyy",), None)
    assert RedactFilter().filter(rec)
    assert "zzz" not in fmt.format(rec) and "yyy" not in fmt.format(rec)
    try:
        raise RuntimeError("token=leaky123")
    except RuntimeError:
        rec = logging.LogRecord("t", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    assert "leaky123" not in fmt.format(rec)


def test_config_check_warns_on_credentials_written_in_the_file(tmp_path):
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    raw["elasticsearch"]["hosts"] = ["https://elastic:changeme@es.example.com:9200"]
    raw["x_webhook"] = {"url": "https://oapi.dingtalk.com/robot/send?access_token=abc123",
                        "ok": "https://oapi.dingtalk.com/robot/send?access_token=${DING_TOKEN}",
                        "headers": {"Authorization": "Bearer abc"}, "cookies": ["SUB=1"]}
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    warnings = config_mod.secret_warnings(p)
    assert sorted(w.split(":")[0] for w in warnings) == [
        "elasticsearch.hosts.0", "x_webhook.cookies", "x_webhook.headers.Authorization", "x_webhook.url"]
    # The CLI prints them (the unknown key x_webhook makes the check itself fail, after warning).
    del raw["x_webhook"]
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "yuqing.app", "config", "check", "--config", str(p)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "elasticsearch.hosts.0: this URL carries a credential" in r.stderr
