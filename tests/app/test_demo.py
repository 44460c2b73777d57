"""`yuqing demo` end to end as a subprocess, with a test config (its own index prefix and home).
Run twice to show it is idempotent: the same posts, and no alert raised or delivered twice."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from alerts.incidents import Incidents
from alerts.state_docs import StateDocs
from yuqing.app import config as config_mod
from yuqing.store import Store


@pytest.fixture
def demo_store(cfg):
    demo_cfg = cfg.elasticsearch.model_copy(update={"index_prefix": f"{cfg.elasticsearch.index_prefix}-demo"})
    s = Store(demo_cfg)
    yield s
    s.drop_all()
    s.es.indices.delete(index=f"{demo_cfg.index_prefix}-outbox*", ignore_unavailable=True, allow_no_indices=True)


def webhook_bodies(home) -> list[dict]:
    return [json.loads(f.read_text(encoding="utf-8")) for f in sorted((home / "demo" / "webhook").glob("*.json"))]


def mails(home) -> list:
    d = home / "demo" / "maildir" / "new"
    return sorted(d.glob("*")) if d.exists() else []


def test_demo_end_to_end_and_idempotent(cli, cfg, demo_store, tmp_path):
    home = tmp_path / "home"
    r = cli("demo", env={"YUQING_PSEUDO_KEY": ""}, timeout=600)
    out = r.stdout + r.stderr
    assert "generated a local key file" in out, out[-3000:]
    assert (home / "pseudo.key").exists()
    assert (home / "demo" / "config.yaml").exists()
    dcfg = config_mod.load(home / "demo" / "config.yaml")
    assert dcfg.elasticsearch.index_prefix == demo_store.cfg.index_prefix
    demo_store.refresh()
    n_posts = demo_store.count()

    # Every part ships: the demo crawls the replay site and alerts; nothing is reported missing.
    assert "not available" not in out, out[-3000:]
    platforms = demo_store.breakdown("platform")["platform"]
    assert len(platforms) >= 3, platforms
    spike = StateDocs(demo_store).alerts(topic="星河手机")
    calm = StateDocs(demo_store).alerts(topic="青禾奶茶")
    assert spike, "the demo data's spike for 星河手机 raised no alert"
    assert not calm, calm
    bodies = webhook_bodies(home)
    assert any(b["body"]["alert"]["topic"] == "星河手机" for b in bodies)
    assert mails(home), "no mail reached the demo Maildir"
    # The spike opened an incident; the summary says how to open it, the alerts carried its link.
    [inc] = Incidents(demo_store, dcfg).list("active")
    assert inc.topic == "星河手机"
    assert f"打开控制台: yuqing serve --config {dcfg.path} → http://127.0.0.1:8765/incidents/{inc.id}" in out, out[-3000:]
    assert any(b["body"]["alert"].get("incident_id") == inc.id for b in bodies)

    # Second run: same documents, nothing raised or delivered again.
    hooks_before, mails_before = len(webhook_bodies(home)), len(mails(home))
    alerts_before = len(StateDocs(demo_store).alerts(size=100))
    r2 = cli("demo", env={"YUQING_PSEUDO_KEY": ""}, timeout=600)
    out2 = r2.stdout + r2.stderr
    assert "using the local key file" in out2, out2[-3000:]
    demo_store.refresh()
    assert demo_store.count() == n_posts
    assert len(StateDocs(demo_store).alerts(size=100)) == alerts_before
    assert len(webhook_bodies(home)) == hooks_before
    assert len(mails(home)) == mails_before
    assert [i.id for i in Incidents(demo_store, dcfg).list()] == [inc.id]  # no second incident
    # Last, so the checks above run even while a part is still failing: every step succeeded.
    failed = [line for line in (out + out2).splitlines() if line.startswith("✗")]
    assert r.returncode == 0 and r2.returncode == 0 and not failed, failed or out[-3000:]
    # The fixtures' deliberate failures show in the summary's failures column only: no Scrapy ERROR
    # lines, no per-glyph font warnings.
    noise = [line for line in (out + out2).splitlines() if "ERROR" in line or "Glyph" in line
             or "Traceback" in line]
    assert not noise, noise[:5]


def test_demo_config_opts_in_to_the_local_key_the_users_config_does_not(tmp_path):
    """The generated key file is the demo's explicit opt-in (privacy.local_key in its own config):
    the user's config, which a real crawl uses, does not get it."""
    from tests.conftest import make_cfg, write_cfg
    from yuqing.app.demo import demo_config

    user = make_cfg("http://127.0.0.1:9200", tmp_path, privacy={"local_key": False})
    user.path = str(write_cfg(user, tmp_path / "config.yaml"))
    dcfg, password = demo_config(user, None, "http://127.0.0.1:9/hook", 2525)
    assert dcfg.privacy.local_key and not config_mod.load(user.path).privacy.local_key
    # With no console user configured, the demo's file gets `demo` (responder) whose random
    # password is printed once: its argon2 hash only is written.
    from argon2 import PasswordHasher

    [acct] = dcfg.console.users
    assert (acct.name, acct.role) == ("demo", "responder") and len(password) >= 12
    assert PasswordHasher().verify(acct.password_hash, password)
    assert password not in Path(dcfg.path).read_text(encoding="utf-8")
    assert dcfg.elasticsearch.index_prefix == f"{user.elasticsearch.index_prefix}-demo"
