"""Privacy end to end: posts full of personal data go through the real pipeline into the real
node, and Elasticsearch is then asked directly (raw `_source` and full-text search over every
field) whether anything personal or any raw author id was stored. Erase and export run as the
real CLI."""
from __future__ import annotations

import json
import re

import pytest

from tests.conftest import DATA
from tests.pipelines.test_pii import CARD_16, CARD_19, ID_X, bad_check, luhn
from pipelines.pseudonym import ENV, Pseudonymiser

KEY = "test-key-0123456789abcdef0123456789"
TARGET = "u777001"

PII = ["13812345678", "138-1234-5679", "15912345670", "zhangsan@example.com", ID_X, CARD_19, CARD_16,
       "wxid_pii9999", "Star_Fan_88", "87654321", "5566778", "88886666", "62345678", "139 1234 5678"]
LOOK_ALIKES = ["订单号：13812345670", "SF1234567890123", "快递单号:75123456789012", "¥13999", "X5-138", "VX520",
               "2026-11-25", "20261125", "1732512000", "1732512000123", "400-820-8820", "QQ音乐",
               f"订单编号{luhn('622848001234567890')}", f"编号 {bad_check(ID_X)}"]


def post(pid: str, text: str, author: str, name: str, platform: str = "weibo", when: str = "2026-11-20T10:00:00",
         **kw) -> dict:
    return {"platform": platform, "post_id": pid, "text": text, "author_id": author, "author_name": name,
            "published_at": when, **kw}


def pii_posts() -> list[dict]:
    return [
        post("p1", f"售后电话打不通，我的手机13812345678，邮箱 zhangsan@example.com，身份证{ID_X}，"
                   f"退款打到卡号{CARD_19}，备用卡 {CARD_16[:4]} {CARD_16[4:8]} {CARD_16[8:12]} {CARD_16[12:]}",
             TARGET, "星河受害者", title="投诉 138-1234-5679", url=f"https://weibo.com/{TARGET}/Nabc1"),
        post("p2", "加我微信: wxid_pii9999 或者 vx：Star_Fan_88，QQ 87654321 扣扣号：5566778 @星河受害者 说的对",
             TARGET, "星河受害者", when="2026-10-03T09:00:00", url=f"https://weibo.com/{TARGET}/Nabc2"),
        post("p3", "座机 (0755)88886666 ，北京 010-62345678，+86 139 1234 5678，还有 15912345670",
             "u888002", "路人甲", html="<div>raw page</div>", cookies="SUB=secret-cookie-value"),
        post("p4", "订单号：13812345670 已发货，运单号 SF1234567890123，快递单号:75123456789012，到手价¥13999，"
                   "型号 X5-138 和 VX520，2026-11-25 20261125 时间戳1732512000 毫秒1732512000123，"
                   "客服热线400-820-8820，QQ音乐", "u888002", "路人甲"),
        post("p5", f"订单编号{luhn('622848001234567890')} 查一下，编号 {bad_check(ID_X)} 不是身份证", "u888003", "路人乙"),
        post("b1", "同一个账号名在B站是另一个人", TARGET, "B站同名", platform="bilibili"),
    ]


def all_sources(store) -> list[dict]:
    store.refresh()
    r = store.es.search(index=store.posts_pattern, size=1000, query={"match_all": {}})
    return [h["_source"] for h in r["hits"]["hits"]]


def full_text_hits(store, value: str) -> int:
    """Search every field of every posts index for the value, as an analyst's query would."""
    r = store.es.count(index=store.posts_pattern, query={"multi_match": {
        "query": value, "fields": ["*"], "lenient": True, "type": "phrase"}})
    return int(r["count"])


@pytest.fixture
def ingested(cli, store, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, KEY)
    f = tmp_path / "pii.jsonl"
    f.write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in pii_posts()) + "\n", encoding="utf-8")
    for path in (f, DATA / "sample_posts.jsonl"):
        r = cli("ingest", str(path), "--no-nlp")
        assert r.returncode == 0, r.stderr
        assert "rejected 0" in r.stdout
        for p in pii_posts():  # nothing raw is logged either
            assert p["author_id"] not in r.stderr + r.stdout
    return store


def test_no_personal_data_or_raw_author_id_is_stored(ingested):
    store = ingested
    docs = all_sources(store)
    assert len(docs) == 6 + 24
    raw_ids = {p["author_id"] for p in pii_posts()}
    raw_names = {p["author_name"] for p in pii_posts()}
    for line in (DATA / "sample_posts.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        raw_ids.add(str(d["author_id"]))
        raw_names.add(d["author_name"])
    dump = json.dumps(docs, ensure_ascii=False)
    squeezed = re.sub(r"(?<=\d)[ -](?=\d)", "", dump)  # "138-1234-5679" must not survive as digits either
    for value in PII:
        assert value not in dump, value
        assert re.sub(r"[ -]", "", value) not in squeezed, value
        assert full_text_hits(store, value) == 0, value
    for raw in raw_ids | raw_names:
        assert raw not in dump, raw
        for field in ("author_id", "author_name"):
            assert store.count({"term": {field: raw}}) == 0
    assert "raw page" not in dump and "secret-cookie-value" not in dump
    # Look-alikes are still there, and findable.
    for value in LOOK_ALIKES:
        assert value in dump, value
    assert full_text_hits(store, "SF1234567890123") == 1
    # Per-author aggregation still works on the pseudonym.
    pseudo = Pseudonymiser(KEY.encode()).author_id("weibo", TARGET)
    assert store.count({"term": {"author_id": pseudo}}) == 2
    by_id = {d["post_id"]: d for d in docs}
    assert by_id["p1"]["url"] == f"https://weibo.com/{pseudo}/Nabc1"
    assert by_id["p1"]["title"] == "投诉 [手机号]"
    assert "@网友" in by_id["p2"]["text"] and "星河受害者" not in by_id["p2"]["text"]


def test_export_then_erase_exactly_one_author(ingested, cli, cfg):
    store = ingested
    store.refresh()
    before = {(d["platform"], d["post_id"]) for d in all_sources(store)}
    pseudo = Pseudonymiser(KEY.encode()).author_id("weibo", TARGET)
    assert len(store.posts_indices()) >= 2  # the author's posts span two monthly indices

    r = cli("privacy", "export", "--author", TARGET, "--platform", "weibo")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert sorted(x["post_id"] for x in rows) == ["p1", "p2"]
    assert {x["author_id"] for x in rows} == {pseudo} and len({x["_index"] for x in rows}) == 2
    assert "[微信号]" in next(x for x in rows if x["post_id"] == "p2")["text"]
    assert "exported 2 posts" in r.stderr

    r = cli("privacy", "erase", "--author", TARGET, "--platform", "weibo", "--yes")
    assert r.returncode == 0, r.stderr
    assert "erased 2 posts" in r.stdout
    after = {(d["platform"], d["post_id"]) for d in all_sources(store)}
    assert after == before - {("weibo", "p1"), ("weibo", "p2")}

    # Without --platform the same account id is looked up everywhere: the bilibili namesake goes too.
    r = cli("privacy", "export", "--author", TARGET)
    assert [json.loads(x)["post_id"] for x in r.stdout.splitlines()] == ["b1"]
    r = cli("privacy", "erase", "--author", TARGET, "--yes")
    assert r.returncode == 0 and "erased 1 posts" in r.stdout
    assert {(d["platform"], d["post_id"]) for d in all_sources(store)} == after - {("bilibili", "b1")}
    r = cli("privacy", "erase", "--author", TARGET, "--yes")
    assert r.returncode == 0 and "erased 0 posts" in r.stdout and "spool" not in r.stderr
    # Posts spooled during an outage are invisible to search: erase says so instead of a silent zero.
    from pipelines.spool import spool_for
    from yuqing.post import Post

    spool_for(cfg).put([Post.model_validate(post("s1", "x", "ps_" + "0" * 32, "网友00000000"))])
    r = cli("privacy", "erase", "--author", TARGET, "--yes")
    assert r.returncode == 0 and "1 posts wait in the spool" in r.stderr


def test_erase_needs_the_key_the_posts_were_stored_with(cli, store, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    r = cli("privacy", "erase", "--author", TARGET, "--yes")
    assert r.returncode == 2
    assert "no local key file" in r.stderr and "YUQING_PSEUDO_KEY" in r.stderr
    # ingest without the variable generates the local key and says so once; erase then finds the posts.
    r = cli("ingest", str(DATA / "sample_posts.jsonl"), "--no-nlp")
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("generated a local pseudonymisation key") == 1
    first = json.loads((DATA / "sample_posts.jsonl").read_text(encoding="utf-8").splitlines()[0])
    r = cli("privacy", "erase", "--author", str(first["author_id"]), "--platform", first["platform"], "--yes")
    assert r.returncode == 0 and re.search(r"erased [1-9]\d* posts", r.stdout), r.stdout + r.stderr


def test_keep_fields_drops_what_is_not_listed(es_node, tmp_path, monkeypatch):
    from pipelines.build import build_pipeline
    from tests.conftest import make_cfg
    from yuqing.store import Store

    monkeypatch.setenv(ENV, KEY)
    cfg = make_cfg(es_node, tmp_path, privacy={"keep_fields": ["text", "author_id", "likes"]})
    store = Store(cfg.elasticsearch)
    try:
        pipe = build_pipeline(cfg, store=store, nlp=False)
        pipe.feed(post("k1", "电话13812345678", TARGET, "某人", url="https://x/1", likes=3, author_followers=99))
        assert pipe.close().created == 1
        [doc] = all_sources(store)
        assert {k for k, v in doc.items() if v != []} == {"platform", "post_id", "published_at", "crawled_at", "text", "author_id", "likes"}
        assert doc["text"] == "电话[手机号]" and doc["author_id"].startswith("ps_")
    finally:
        store.drop_all()


def test_erase_and_export_say_when_elasticsearch_is_unreachable(cli, cfg, tmp_path, monkeypatch):
    from tests.conftest import write_cfg

    monkeypatch.setenv(ENV, KEY)
    down = cfg.model_copy(deep=True)
    down.elasticsearch.hosts = ["http://127.0.0.1:9"]
    down.elasticsearch.max_retries = 0
    path = write_cfg(down, tmp_path / "down.yaml")
    r = cli("privacy", "erase", "--author", TARGET, "--yes", "--config", str(path))
    assert r.returncode == 1 and "127.0.0.1:9 is unreachable" in r.stderr and "nothing was changed" in r.stderr
    r = cli("privacy", "export", "--author", TARGET, "--config", str(path))
    assert r.returncode == 1 and "the export is incomplete" in r.stderr and r.stdout == ""


def test_every_mention_is_pseudonymised_but_the_public_accounts(es_node, tmp_path, monkeypatch):
    """Text in the shape of a genuine Weibo timeline (a lottery result naming its winner and the
    platform's lottery account; a repost chain `//@name:`): every @name but the configured public
    accounts is stored as the same pseudonym its author would get."""
    from pipelines.build import build_pipeline
    from tests.conftest import make_cfg
    from yuqing.store import Store

    monkeypatch.setenv(ENV, KEY)
    cfg = make_cfg(es_node, tmp_path, privacy={"public_accounts": ["微博抽奖平台", "@星河手机官方"]})
    store = Store(cfg.elasticsearch)
    winner, reposter = "蓝色降落伞蓝", "路人甲乙丙"
    try:
        pipe = build_pipeline(cfg, store=store, nlp=False)
        pipe.feed(post("m1", f"恭喜@{winner} 等3名用户获得【星河X5手机壳】。微博官方唯一抽奖工具@微博抽奖平台 "
                             "-http://t.cn/A6abcd12对本次抽奖进行监督", "u900001", "星河手机官方"))
        pipe.feed(post("m2", f"谢谢@星河手机官方，已收到//@{reposter}:恭喜 发到 zhang.san@example.com @ab",
                       "u900002", winner, title=f"@{winner}的晒单"))
        pipe.feed(post("m3", f"@{winner}你好请私信这一段话很长很长很长很长很长", "u900001", "星河手机官方"))
        assert pipe.close().created == 3
        docs = {d["post_id"]: d for d in all_sources(store)}
    finally:
        store.drop_all()
    dump = json.dumps(docs, ensure_ascii=False)
    for raw in (winner, reposter):
        assert raw not in dump, raw
    pseudo = Pseudonymiser(KEY.encode())
    assert docs["m2"]["author_name"] == pseudo.author_name("weibo", winner)
    # The winner mentioned in m1 is the author of m2, under the same keyed pseudonym.
    assert docs["m1"]["text"].startswith(f"恭喜@{docs['m2']['author_name']} 等3名用户")
    assert "工具@微博抽奖平台 -http" in docs["m1"]["text"]
    assert docs["m1"]["author_name"] == "星河手机官方"  # a public account keeps its name as author too
    assert docs["m2"]["text"].startswith("谢谢@星河手机官方，已收到//@" + pseudo.author_name("weibo", reposter) + ":恭喜")
    assert docs["m2"]["title"] == f"@{docs['m2']['author_name']}的晒单"
    assert "[邮箱]" in docs["m2"]["text"] and docs["m2"]["text"].endswith(" @ab")  # no name is 2 bytes long
    # Written with no space after it, a mention is read as Weibo reads it: at most 30 bytes of name.
    assert docs["m3"]["text"] == "@" + pseudo.author_name("weibo", f"{winner}你好请私信这一段话") + "很长" * 5


def test_accounts_at_the_public_follower_threshold_keep_their_name(es_node, tmp_path, monkeypatch):
    """privacy.public_followers: a media account (at or above it) is stored by name, so a brand can
    contact it; one follower fewer and the author is a pseudonym as always. Ids stay pseudonyms."""
    from pipelines.build import build_pipeline
    from tests.conftest import make_cfg
    from yuqing.store import Store

    monkeypatch.setenv(ENV, KEY)
    cfg = make_cfg(es_node, tmp_path, privacy={"public_followers": 100_000})
    store = Store(cfg.elasticsearch)
    try:
        pipe = build_pipeline(cfg, store=store, nlp=False)
        pipe.feed(post("f1", "星河X5电池鼓包调查 @数码日报 出品", "u500001", "数码日报", author_followers="10万"))
        pipe.feed(post("f2", "我也鼓包了，@数码日报 帮帮忙", "u500002", "小明同学", author_followers=99_999))
        pipe.feed(post("f3", "没写粉丝数的账号", "u500003", "无名氏"))
        assert pipe.close().created == 3
        docs = {d["post_id"]: d for d in all_sources(store)}
    finally:
        store.drop_all()
    pseudo = Pseudonymiser(KEY.encode())
    assert docs["f1"]["author_name"] == "数码日报" and docs["f1"]["text"] == "星河X5电池鼓包调查 @数码日报 出品"
    assert docs["f1"]["author_id"] == pseudo.author_id("weibo", "u500001")
    assert docs["f2"]["author_name"] == pseudo.author_name("weibo", "小明同学")
    # A mention elsewhere is not known to be that account: it is pseudonymised like any other.
    assert docs["f2"]["text"] == f"我也鼓包了，@{pseudo.author_name('weibo', '数码日报')} 帮帮忙"
    assert docs["f3"]["author_name"] == pseudo.author_name("weibo", "无名氏")
    dump = json.dumps(docs, ensure_ascii=False)
    assert "小明同学" not in dump and "无名氏" not in dump and "u500001" not in dump


def test_public_followers_must_be_a_positive_count(tmp_path):
    from yuqing.app import config as config_mod

    with pytest.raises(config_mod.ConfigError) as e:
        config_mod.parse({"privacy": {"public_followers": 0}}, tmp_path / "config.yaml")
    assert "public_followers" in str(e.value)


def test_crawl_and_ingest_refuse_without_the_key(es_node, tmp_path):
    """Outside the demo and tests (privacy.local_key), nothing is stored under a key made up on
    the fly: `yuqing ingest`, `yuqing crawl` and the crawl child exit 2 with one line naming the
    variable, and create no key file."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT, make_cfg, write_cfg
    from pipelines.pseudonym import key_path
    from yuqing.store import Store

    cfg = make_cfg(es_node, tmp_path, privacy={"local_key": False})
    path = write_cfg(cfg, tmp_path / "prod.yaml")
    env = {k: v for k, v in os.environ.items() if k != ENV} | {"YUQING_CONFIG": str(path), "COLUMNS": "200"}

    def run(*args: str, **extra) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120,
                              env=env | extra, cwd=str(ROOT))

    runs = [run("-m", "yuqing.app", "ingest", str(DATA / "sample_posts.jsonl"), "--no-nlp"),
            run("-m", "yuqing.app", "crawl", "weibo"),
            run("-m", "yuqing.app.crawl_child", "--config", str(path), "--out", str(tmp_path / "summary.json"), "weibo")]
    for r in runs:
        assert r.returncode == 2, r.stdout + r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and ENV in lines[0] and "is not set" in lines[0], r.stderr
        assert "Traceback" not in r.stderr and "$(cat" not in r.stderr
    assert not key_path(cfg).exists() and not (tmp_path / "summary.json").exists()
    store = Store(cfg.elasticsearch)
    assert store.posts_indices() == []
    # A key file left by an earlier version: still refused, and the line says how to keep its pseudonyms.
    key_path(cfg).parent.mkdir(parents=True)
    key_path(cfg).write_text("0123456789abcdef0123456789abcdef\n")
    r = run("-m", "yuqing.app", "ingest", str(DATA / "sample_posts.jsonl"), "--no-nlp")
    assert r.returncode == 2 and f"export {ENV}=$(cat {key_path(cfg)})" in r.stderr, r.stderr
    # With the variable set the same command stores the posts.
    r = run("-m", "yuqing.app", "ingest", str(DATA / "sample_posts.jsonl"), "--no-nlp", **{ENV: KEY})
    try:
        assert r.returncode == 0 and "indexed 24" in r.stdout, r.stdout + r.stderr
    finally:
        store.drop_all()
