"""The PII maskers on tricky cases, and the pseudonymisation key rules (no Elasticsearch needed)."""
from __future__ import annotations

import logging
import stat

import pytest

from tests.conftest import make_cfg
from yuqing.app.config import ConfigError
from pipelines.pii import (BANK_CARD, EMAIL, LANDLINE, MOBILE, QQ, RESIDENT_ID, WECHAT, luhn_valid, mask,
                        resident_id_valid)
from pipelines.pseudonym import (ENV, PseudoKeyError, Pseudonymiser, is_pseudonym, key_path, pseudo_key,
                              require_pseudo_key)


def resident_id(first17: str) -> str:
    """Complete 17 digits with the GB 11643 check character."""
    w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(c) * x for c, x in zip(first17, w)) % 11]


def luhn(prefix: str) -> str:
    return next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))


ID_X = resident_id("11010519491231002")  # check character X
ID_7 = resident_id("44030619990101123")
CARD_19 = luhn("622202123456789012")
CARD_16 = luhn("455612345678901")


def bad_check(s: str) -> str:
    last = s[-1]
    return s[:-1] + ("0" if last != "0" else "1")


@pytest.mark.parametrize("text, expected", [
    ("电话13812345678谢谢", f"电话{MOBILE}谢谢"),
    ("打 138-1234-5678 或 139 1234 5678", f"打 {MOBILE} 或 {MOBILE}"),
    ("+86 15912345678 / 8617712345678", f"{MOBILE} / {MOBILE}"),
    ("座机010-62345678，深圳(0755)88886666，广州（020）3888 6666", f"座机{LANDLINE}，深圳{LANDLINE}，广州{LANDLINE}"),
    ("分机 021-64381234转806", f"分机 {LANDLINE}"),
    ("发邮件到zhang.san+yq@mail.example.com.cn投诉", f"发邮件到{EMAIL}投诉"),
    ("QQ邮箱12345678@qq.com", f"QQ邮箱{EMAIL}"),
    (f"身份证{ID_X}，另一个{ID_X.lower()}", f"身份证{RESIDENT_ID}，另一个{RESIDENT_ID}"),
    (f"身份证号：{ID_7}", f"身份证号：{RESIDENT_ID}"),
    (f"退款到卡号{CARD_19}", f"退款到卡号{BANK_CARD}"),
    (f"卡 {CARD_16[:4]} {CARD_16[4:8]} {CARD_16[8:12]} {CARD_16[12:]} 被盗刷", f"卡 {BANK_CARD} 被盗刷"),
    ("加我微信: wxid_ab12cd34 私聊", f"加我微信: {WECHAT} 私聊"),
    ("vx：Star_Fan_88 / VX abc12345 / 微信号是 13912345678", f"vx：{WECHAT} / VX {WECHAT} / 微信号是 {WECHAT}"),
    ("加v 17612345678 领券", f"加v {WECHAT} 领券"),
    ("有事找 wxid_k3j2h1g0f9 ，或者wxid_ab_12-cd", f"有事找 {WECHAT} ，或者{WECHAT}"),
    ("wx号abcdef1 私聊，WX号abc_123456，vx号 Star_Fan_88", f"wx号{WECHAT} 私聊，WX号{WECHAT}，vx号 {WECHAT}"),
    ("QQ 12345678，扣扣号：98765，QQ号:1234567890", f"QQ {QQ}，扣扣号：{QQ}，QQ号:{QQ}"),
    ("手机１３８１２３４５６７８，邮箱ａ@ｂ.cn 也不行 abc＠example.com", f"手机{MOBILE}，邮箱ａ@ｂ.cn 也不行 {EMAIL}"),
])
def test_personal_data_is_masked(text, expected):
    assert mask(text).text == expected


@pytest.mark.parametrize("text", [
    "订单号：13812345678 已发货",                   # an 11-digit order number shaped like a phone
    "订单号 202611250001234567 退款中",
    f"订单编号{CARD_19}",                           # Luhn-valid, but labelled as an order
    "顺丰运单号 SF1234567890123，中通快递单号:75123456789012",
    "京东物流 JDVA12345678901 已签收",
    "到手价¥13999，原价 15999 元，优惠 2000",
    "发布会 2026-11-25 20:00，生产日期 20261125",
    "时间戳1732512000，毫秒 1732512000123",
    "型号 X5-138，VX520 手柄，SM-G9980，RTX4090，iPhone15 Pro 256G",
    "QQ音乐会员，微信支付 ￥39，微信群里都在说",
    "客服热线 400-820-8820，800-810-8888",
    f"不是身份证: {bad_check(ID_7)}",               # wrong check digit
    "不是身份证: 110105199002301234",               # 30 February
    f"不是卡号: {bad_check(CARD_19)}",              # fails Luhn
    "@星河手机官方 回复 @网友4506 :已私信",
    "版本 v2.3.1，sign 12345",
    "IMEI 861234567890123 序列号：13812345678",
    "",
])
def test_look_alikes_are_kept(text):
    r = mask(text)
    assert r.text == text and r.masked == 0


def test_validators():
    assert resident_id_valid(ID_X) and resident_id_valid(ID_X.lower()) and resident_id_valid(ID_7)
    assert not resident_id_valid(bad_check(ID_7))
    assert not resident_id_valid("990101199901011234")  # region must start 1-8
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")


def test_counts_by_kind_and_none_passes_through():
    r = mask(f"13812345678 a@b.cn {ID_X} {CARD_19} 13912345678")
    assert r.counts == {MOBILE: 2, EMAIL: 1, RESIDENT_ID: 1, BANK_CARD: 1}
    from pipelines.pii import mask_text

    assert mask_text(None) is None


def test_pseudonyms_are_keyed_stable_and_per_platform():
    a, b = Pseudonymiser(b"k" * 32), Pseudonymiser(b"j" * 32)
    pid = a.author_id("weibo", "u26225")
    assert is_pseudonym(pid) and "26225" not in pid
    assert a.author_id("weibo", " u26225 ") == pid
    assert a.author_id("tieba", "u26225") != pid
    assert b.author_id("weibo", "u26225") != pid
    assert a.author_name("weibo", "网友4506").startswith("网友") and "4506" not in a.author_name("weibo", "网友4506")


def test_local_key_is_generated_once_with_mode_600(tmp_path, monkeypatch, caplog):
    monkeypatch.delenv(ENV, raising=False)
    cfg = make_cfg("http://127.0.0.1:9200", tmp_path)
    with pytest.raises(PseudoKeyError, match="no local key file"):
        pseudo_key(cfg, create=False)
    with caplog.at_level(logging.INFO, logger="pipelines.pseudonym"):
        k1 = pseudo_key(cfg)
        k2 = pseudo_key(cfg)
    assert k1 == k2 and len(k1) >= 32
    assert stat.S_IMODE(key_path(cfg).stat().st_mode) == 0o600
    said = [r.getMessage() for r in caplog.records if "generated a local pseudonymisation key" in r.getMessage()]
    assert len(said) == 1
    assert pseudo_key(cfg, create=False) == k1


def test_daemon_refuses_without_key_and_bad_keys_are_explained(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    cfg = make_cfg("http://127.0.0.1:9200", tmp_path)
    with pytest.raises(PseudoKeyError, match="YUQING_PSEUDO_KEY is not set.*export YUQING_PSEUDO_KEY"):
        require_pseudo_key(cfg)
    monkeypatch.setenv(ENV, "short")
    with pytest.raises(PseudoKeyError, match="too short"):
        require_pseudo_key(cfg)
    monkeypatch.setenv(ENV, "x" * 40)
    assert require_pseudo_key(cfg) == b"x" * 40 == pseudo_key(cfg)
    off = make_cfg("http://127.0.0.1:9200", tmp_path, privacy={"pseudonymise": False})
    monkeypatch.delenv(ENV)
    assert require_pseudo_key(off) is None


def test_keep_fields_must_name_post_fields(tmp_path):
    with pytest.raises(ConfigError, match=r"privacy.keep_fields: 'auther_name' is not a post field; did you mean"):
        make_cfg("http://127.0.0.1:9200", tmp_path, privacy={"keep_fields": ["text", "auther_name"]})


@pytest.mark.parametrize("text, expected", [
    ("恭喜@蓝色降落伞蓝 等10名用户", "恭喜@<蓝色降落伞蓝> 等10名用户"),          # ends at whitespace
    ("抽奖工具@微博抽奖平台 -http://t.cn/x", "抽奖工具@<微博抽奖平台> -http://t.cn/x"),
    ("太坑了//@张三丰:同感//@Li_Si-2024: 再也不买了", "太坑了//@<张三丰>:同感//@<Li_Si-2024>: 再也不买了"),
    ("谢谢@星河手机官方，已收到", "谢谢@<星河手机官方>，已收到"),                  # ends at punctuation
    ("全角＠路人甲乙 也是", "全角＠<路人甲乙> 也是"),
    ("@" + "长" * 20 + "。", "@<" + "长" * 15 + ">" + "长" * 5 + "。"),        # at most 30 bytes of name
    ("@abc @张 @abcd", "@abc @张 @<abcd>"),                                      # under 4 bytes: not a name
    ("发到 zhang.san@example.com 或 a@b.cn", "发到 zhang.san@example.com 或 a@b.cn"),  # e-mail, not a mention
])
def test_mentions_follow_weibo_name_rules(text, expected):
    from yuqing.mentions import replace

    got, n = replace(text, lambda name: f"<{name}>")
    assert got == expected and n == expected.count("<")


def test_public_accounts_must_be_names_a_mention_can_carry(tmp_path):
    cfg = make_cfg("http://127.0.0.1:9200", tmp_path, privacy={"public_accounts": ["@星河手机官方", "XingHe_CN"]})
    assert cfg.privacy.public_accounts == ["星河手机官方", "XingHe_CN"]
    with pytest.raises(ConfigError, match=r"privacy.public_accounts.1: cannot be an @name: a name is 4-30 bytes"):
        make_cfg("http://127.0.0.1:9200", tmp_path, privacy={"public_accounts": ["星河手机官方", "星河 官方"]})


def test_pipeline_key_refuses_without_the_variable_unless_the_config_opts_in(tmp_path, monkeypatch):
    from pipelines.pseudonym import pipeline_key

    monkeypatch.delenv(ENV, raising=False)
    prod = make_cfg("http://127.0.0.1:9200", tmp_path, privacy={"local_key": False})
    with pytest.raises(PseudoKeyError) as e:
        pipeline_key(prod)
    assert str(e.value).startswith(f"{ENV} is not set") and "\n" not in str(e.value)
    assert not key_path(prod).exists()
    demo = make_cfg("http://127.0.0.1:9200", tmp_path)  # the tests' opt-in, as the demo's config has it
    assert demo.privacy.local_key and pipeline_key(demo) == pseudo_key(demo, create=False)
    with pytest.raises(PseudoKeyError, match=r"export YUQING_PSEUDO_KEY=\$\(cat .*pseudo.key\)"):
        pipeline_key(prod)  # the file now exists: still refused, with the way to keep its pseudonyms
    monkeypatch.setenv(ENV, "y" * 32)
    assert pipeline_key(prod) == b"y" * 32
    assert pipeline_key(make_cfg("http://127.0.0.1:9200", tmp_path, privacy={"pseudonymise": False})) is None
