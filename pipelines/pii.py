"""Find and mask personal data (个人信息) in free text before anything is stored.

Posts about a brand are full of numbers that are not personal: order and tracking numbers,
prices, dates, epoch timestamps, product models. Masking those would ruin the analysis, so each
pattern is narrow and, where a format has one, checked: resident ID numbers by their birth date
and ISO 7064 check digit, bank cards by Luhn, and a long number right after a label such as
订单号 or 快递单号 is left alone. Masks are readable Chinese tags, never partial digits, so a
masked value cannot be recovered from what is kept.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

MOBILE = "[手机号]"
LANDLINE = "[电话]"
EMAIL = "[邮箱]"
RESIDENT_ID = "[身份证号]"
BANK_CARD = "[银行卡号]"
WECHAT = "[微信号]"
QQ = "[QQ号]"

# Not inside a longer run of digits or latin letters (tracking numbers like SF1234567890123).
_L = r"(?<![0-9A-Za-z])"
_R = r"(?![0-9A-Za-z])"

_EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-])", re.ASCII)

# "微信: abc_123", "vx：wxid_xxx", "加v 13812345678", "wx号abcdef1", "QQ 12345678", "扣扣号：12345".
# Latin labels need a separator, so "VX520" (a model) and "QQ音乐" stay; with 号 after them
# ("wx号", "vx号") they are labels whatever follows.
_WX_LABEL = (r"(?:微信号?|薇信|威信|[vV]信|加[vV微]|(?<![A-Za-z])(?:wechat|weixin|vx|wx)号"
             r"|(?<![A-Za-z])(?:wechat|weixin|vx|wx)(?:id)?(?=\s*[:：]|\s)"
             r"|(?<![A-Za-z])[vV](?:号)?(?=\s*[:：]))")
_WX_VALUE = r"(?:wxid_[A-Za-z0-9]{4,30}|[A-Za-z][-_A-Za-z0-9]{5,19}|\+?\d{5,13})"
_WECHAT = re.compile(rf"({_WX_LABEL}\s*(?:是|为)?\s*[:：]?\s*)({_WX_VALUE}){_R}", re.I)
# A bare "wxid_..." needs no label: it is WeChat's own id format and names a person whatever precedes it.
_WXID = re.compile(r"(?<![0-9A-Za-z_])wxid_[A-Za-z0-9_-]{4,30}(?![0-9A-Za-z_-])")
_QQ_LABEL = r"(?:(?<![A-Za-z])QQ(?:号码|号)?|扣扣(?:号)?|企鹅号)"
_QQ = re.compile(rf"({_QQ_LABEL}\s*(?:是|为)?\s*[:：]?\s*)([1-9]\d{{4,11}}){_R}", re.I)

_RESIDENT_ID = re.compile(rf"{_L}([1-8]\d{{5}})((?:18|19|20)\d{{2}})(\d{{2}})(\d{{2}})(\d{{3}})([\dXx]){_R}")
_CARD = re.compile(rf"{_L}(\d{{16,19}}|\d{{4}}(?:[ -]\d{{4}}){{3}}(?:[ -]?\d{{1,3}})?){_R}")
_MOBILE = re.compile(rf"(?<![0-9A-Za-z+])(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{{4}}){{2}}{_R}")
# Area code 0xx / 0xxx with a separator or brackets; a bare 11-digit run is too often an order number.
# 400/800 service hotlines are a company's public number, not personal data, and are kept.
_LANDLINE = re.compile(
    rf"{_L}(?:\(0[1-9]\d{{1,2}}\)\s?|（0[1-9]\d{{1,2}}）\s?|0[1-9]\d{{1,2}}[ -])[2-9]\d{{2,3}}[ -]?\d{{4}}"
    rf"(?:\s?(?:-|转|ext\.?)\s?\d{{1,5}})?{_R}")

# A number right after one of these labels is an identifier of a thing, not of a person.
_THING_LABEL = re.compile(
    r"(?:单号|订单号?|订单编号|编号|型号|货号|流水号|交易号|批次号?|序列号|串号|条形码|条码|发票号码?|券码|(?<![A-Za-z])(?:IMEI|S/?N)"
    r"|(?<![A-Za-z])(?:order|tracking|invoice|serial)(?:\s*(?:no\.?|id|number|#))?|(?<![A-Za-z])model)"
    r"\s*(?:是|为)?\s*[:：#＃]?\s*$", re.I)


# Full-width digits (１３８…) are a common way to slip a number past filters; they are folded to
# ASCII before matching, which changes nothing a reader or the tokenizer cares about.
_FOLD = str.maketrans("０１２３４５６７８９＠－", "0123456789@-")
_FULLWIDTH = re.compile("[０-９＠]")


@dataclass
class MaskResult:
    text: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def masked(self) -> int:
        return sum(self.counts.values())


def resident_id_valid(s: str) -> bool:
    """GB 11643: a plausible birth date and the ISO 7064 MOD 11-2 check character."""
    m = _RESIDENT_ID.fullmatch(s)
    if not m:
        return False
    y, mo, d = int(m.group(2)), int(m.group(3)), int(m.group(4))
    try:
        born = date(y, mo, d)
    except ValueError:
        return False
    if born > date.today():
        return False
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(s[:17], weights))
    return "10X98765432"[total % 11] == s[17].upper()


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        n = int(c)
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _labelled_thing(text: str, start: int) -> bool:
    return bool(_THING_LABEL.search(text[max(0, start - 16):start]))


def mask(text: str | None) -> MaskResult:
    """Mask personal data in `text`; returns the new text and how many of each kind were masked."""
    if not text:
        return MaskResult(text or "")
    if _FULLWIDTH.search(text):
        text = text.translate(_FOLD)
    counts: dict[str, int] = {}

    def bump(tag: str) -> None:
        counts[tag] = counts.get(tag, 0) + 1

    def email(m: re.Match) -> str:
        bump(EMAIL)
        return EMAIL

    def labelled(tag: str):
        def repl(m: re.Match) -> str:
            bump(tag)
            return m.group(1) + tag
        return repl

    def resident(m: re.Match) -> str:
        if not resident_id_valid(m.group(0)):
            return m.group(0)
        bump(RESIDENT_ID)
        return RESIDENT_ID

    def card(m: re.Match) -> str:
        digits = re.sub(r"[ -]", "", m.group(0))
        if not (16 <= len(digits) <= 19 and digits[0] in "3456" and luhn_valid(digits)):
            return m.group(0)
        if _labelled_thing(m.string, m.start()):
            return m.group(0)
        bump(BANK_CARD)
        return BANK_CARD

    def plain(tag: str):
        def repl(m: re.Match) -> str:
            bump(tag)
            return tag
        return repl

    def simple(tag: str):
        def repl(m: re.Match) -> str:
            if _labelled_thing(m.string, m.start()):
                return m.group(0)
            bump(tag)
            return tag
        return repl

    t = _EMAIL.sub(email, text)
    t = _WECHAT.sub(labelled(WECHAT), t)
    t = _WXID.sub(plain(WECHAT), t)
    t = _QQ.sub(labelled(QQ), t)
    t = _RESIDENT_ID.sub(resident, t)
    t = _CARD.sub(card, t)
    t = _MOBILE.sub(simple(MOBILE), t)
    t = _LANDLINE.sub(simple(LANDLINE), t)
    return MaskResult(t, counts)


def mask_text(text: str | None) -> str | None:
    """`mask` for optional fields: None stays None."""
    if text is None:
        return None
    return mask(text).text
