"""Config errors must name the key, the bad value and the fix."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from yuqing.app import config as config_mod
from yuqing.app.config import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def shipped() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))


def test_shipped_config_is_valid_and_has_no_literal_secrets():
    cfg = config_mod.load(ROOT / "config.yaml")
    assert cfg.topics and cfg.elasticsearch.hosts
    assert config_mod.secret_warnings(ROOT / "config.yaml") == []


def test_unknown_key_suggests_the_close_match():
    raw = shipped()
    raw["elasticsearch"]["hostz"] = ["http://x:9200"]
    with pytest.raises(ConfigError) as e:
        config_mod.parse(raw, "c.yaml")
    msg = str(e.value)
    assert "elasticsearch.hostz: unknown key; did you mean 'hosts'?" in msg


def test_wrong_type_names_key_and_value():
    raw = shipped()
    raw["elasticsearch"]["bulk_chunk"] = "lots"
    raw["topics"][0]["keywords"] = []
    with pytest.raises(ConfigError) as e:
        config_mod.parse(raw, "c.yaml")
    problems = e.value.problems
    assert any(p.startswith("elasticsearch.bulk_chunk:") and "'lots'" in p for p in problems), problems
    assert any(p.startswith("topics.0.keywords:") for p in problems), problems


def test_inhibit_names_the_unknown_rule():
    raw = shipped()
    raw["alerts"]["inhibit"] = {"negative_spike": ["negative_suprise"]}
    with pytest.raises(ConfigError) as e:
        config_mod.parse(raw, "c.yaml")
    assert "inhibit.negative_spike.negative_suprise: unknown rule; known: negative_spike, negative_surprise" in str(e.value)


def test_bad_host_and_timezone():
    raw = shipped()
    raw["elasticsearch"]["hosts"] = ["localhost:9200"]
    raw["timezone"] = "Mars/Olympus"
    with pytest.raises(ConfigError) as e:
        config_mod.parse(raw, "c.yaml")
    text = str(e.value)
    assert "elasticsearch.hosts" in text and "http://host:9200" in text
    assert "timezone" in text and "Asia/Shanghai" in text


def test_env_substitution(monkeypatch):
    raw = shipped()
    raw["elasticsearch"]["password"] = "${YQ_TEST_PW}"
    raw["elasticsearch"]["username"] = "${YQ_TEST_USER:-elastic}"
    monkeypatch.setenv("YQ_TEST_PW", "s3cret")
    monkeypatch.delenv("YQ_TEST_USER", raising=False)
    cfg = config_mod.parse(raw)
    assert cfg.elasticsearch.password == "s3cret"
    assert cfg.elasticsearch.username == "elastic"


def test_missing_env_var_names_variable_and_key(monkeypatch):
    raw = shipped()
    raw["elasticsearch"]["api_key"] = "${YQ_SURELY_UNSET_KEY}"
    monkeypatch.delenv("YQ_SURELY_UNSET_KEY", raising=False)
    with pytest.raises(ConfigError) as e:
        config_mod.parse(raw, "c.yaml")
    assert "elasticsearch.api_key: environment variable YQ_SURELY_UNSET_KEY is not set" in str(e.value)


def test_yaml_syntax_error_has_line(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("elasticsearch:\n  hosts: [http://a\n  bulk_chunk: 3\n")
    with pytest.raises(ConfigError) as e:
        config_mod.load(p)
    assert "line" in str(e.value) and "not valid YAML" in str(e.value)


def test_config_check_cli(tmp_path):
    good = tmp_path / "good.yaml"
    raw = shipped()
    raw["elasticsearch"]["password"] = "hunter2"  # a literal secret: valid, but warned about
    good.write_text(yaml.safe_dump(raw, allow_unicode=True))
    r = subprocess.run([sys.executable, "-m", "yuqing.app", "config", "check", "--config", str(good)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("OK:")
    assert "elasticsearch.password: a secret is written in the file" in r.stderr
    bad = tmp_path / "bad.yaml"
    raw["retention"] = {"dayz": 3}
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True))
    r = subprocess.run([sys.executable, "-m", "yuqing.app", "config", "check", "--config", str(bad)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2
    assert "retention.dayz: unknown key; did you mean 'days'?" in r.stderr


def test_config_check_warns_about_products_of_unknown_topics(tmp_path):
    raw = shipped()
    raw["sources"]["jd_reviews"]["products"] = [
        {"id": "100071383534", "name": "星河X5", "topic": "星河手机"},
        {"id": "100071383535", "name": "星河X6", "topic": "星河手几"},
        {"id": "100071383536", "name": "别的", "topic": "没有这个"},
        {"id": "100071383537", "name": "无主题"}]
    assert config_mod.config_warnings(config_mod.parse(shipped())) == []
    warned = config_mod.config_warnings(config_mod.parse(raw))
    assert len(warned) == 2
    assert warned[0].startswith("sources.jd_reviews.products.1.topic: '星河手几' is not a topic under `topics:`")
    assert "did you mean '星河手机'?" in warned[0]
    assert warned[1].startswith("sources.jd_reviews.products.2.topic:") and "add the topic or use one of: 星河手机" in warned[1]
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "yuqing.app", "config", "check", "--config", str(path)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and r.stdout.startswith("OK:"), r.stderr
    assert f"warning: {path}: sources.jd_reviews.products.1.topic: '星河手几'" in r.stderr
    assert "products.2.topic: '没有这个'" in r.stderr and "products.0" not in r.stderr


def test_config_check_warns_that_local_key_is_for_the_demo_and_tests():
    raw = shipped()
    raw["privacy"]["local_key"] = True
    [w] = config_mod.config_warnings(config_mod.parse(raw))
    assert w.startswith("privacy.local_key: true is for the demo and tests") and "YUQING_PSEUDO_KEY" in w
