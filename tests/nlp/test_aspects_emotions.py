"""Aspects (nlp/aspects.py) and emotions (nlp/emotions.py): found per post, aspects scored by the
real model on their own clause in the posts' batch, config extensions typed and checked."""
from __future__ import annotations

import io
import json

import pytest

from nlp.analyse import Analyser, score
from nlp.aspects import AspectError, Aspects, read_terms
from nlp.emotions import CLASSES, Emotions, dutir
from nlp.score_stream import score_lines
from nlp.sentiment import Scorer
from tests.conftest import ROOT
from tests.support.models import share_models
from yuqing.app import config as config_mod


@pytest.fixture(scope="module")
def cfg(tmp_path_factory):
    home = share_models(tmp_path_factory.mktemp("aspects-home"))
    raw = config_mod.load(ROOT / "config.yaml").model_dump(mode="json", exclude={"path"})
    raw["home"] = str(home)
    raw["nlp"]["aspect_terms"] = {"售后": ["不给退"]}
    raw["topics"][0]["aspects"] = {"性能": ["绿线"], "门店": ["门店", "店员"]}
    return config_mod.parse(raw, home / "config.yaml")


@pytest.fixture(scope="module")
def analyser(cfg):
    return Analyser.from_config(cfg)


@pytest.fixture(scope="module")
def scorer(cfg):
    return Scorer.load(cfg)


class Counting:
    """The real scorer, counting how often the model is called and with what (a spy, not a mock)."""

    def __init__(self, real):
        self.real, self.calls = real, []

    def predict(self, texts):
        self.calls.append(list(texts))
        return self.real.predict(texts)


def test_each_aspect_takes_the_sentiment_of_its_own_clause(analyser, scorer):
    a = analyser.analyse("质量不错，做工也很精细，就是物流太慢了，等了一个星期")
    spy = Counting(scorer)
    (post,), (found,) = score(spy, [a.text], [a.mentions])
    by = {}
    for e in found:
        by.setdefault(e["aspect"], []).append(e)
    assert [(e["text"], e["sentiment"]) for e in by["质量"]] == [("质量不错", "positive"), ("做工也很精细", "positive")]
    (logistics,) = by["物流"]
    assert logistics["sentiment"] == "negative" and logistics["text"] == "物流太慢了"
    assert len(spy.calls) == 1  # post and clauses in one model batch
    assert a.text in spy.calls[0] and "质量不错" in spy.calls[0]


def test_the_shipped_aspects_cover_what_a_brand_team_tracks():
    aspects = set(read_terms().values())
    assert {"质量", "物流", "客服", "售后", "价格", "包装", "性能", "安全", "虚假宣传"} <= aspects
    assert len(aspects) > 9


def test_a_clause_met_twice_is_scored_once(analyser, scorer):
    a = analyser.analyse("物流太慢")
    b = analyser.analyse("物流太慢")
    spy = Counting(scorer)
    posts, found = score(spy, [a.text, b.text], [a.mentions, b.mentions])
    assert spy.calls == [["物流太慢"]]
    assert posts[0] == posts[1] and found[0][0]["aspect"] == "物流"


def test_a_one_clause_post_is_one_model_input(analyser, scorer):
    a = analyser.analyse("物流太慢了！")
    spy = Counting(scorer)
    (post,), ((asp,),) = score(spy, [a.text], [a.mentions])
    assert spy.calls == [["物流太慢了!"]]  # NFKC folds the full-width "！"
    assert asp["aspect"] == "物流" and asp["text"] == "物流太慢了" and asp["sentiment"] == post[1]


def test_topic_terms_apply_to_that_topics_posts_only(analyser, cfg):
    topic = cfg.topics[0].name
    text = "屏幕出现绿线，门店店员还说是正常的"
    assert {m.aspect for m in analyser.analyse(text, topics=[topic]).mentions} >= {"性能", "门店"}
    assert "门店" not in {m.aspect for m in analyser.analyse(text).mentions}
    # nlp.aspect_terms extends the shipped dictionary for every post
    assert [m.aspect for m in analyser.analyse("商家就是不给退").mentions] == ["客服", "售后"]


def test_a_term_under_two_aspects_is_refused_with_the_file_and_line(tmp_path):
    f = tmp_path / "aspects.tsv"
    f.write_text("质量\t做工 材质\n包装\t盒子 材质\n", encoding="utf-8")
    with pytest.raises(AspectError, match=r"aspects.tsv:2: '材质' is under both '质量' and '包装'"):
        read_terms(f)


@pytest.mark.parametrize("where, value, message", [
    ("nlp", {"aspect_terms": {"售后": []}}, "nlp.aspect_terms: aspect '售后' has no terms; list the words that name it"),
    ("nlp", {"aspect_terms": {"售后": ["退货"], "质量": ["退货"]}}, "'退货' is under both '售后' and '质量'"),
    ("nlp", {"aspect_terms": {"售后": "退货"}}, "nlp.aspect_terms.售后"),
    ("topic", {"售后": [""]}, "topics.0.aspects.售后.0"),
])
def test_bad_aspect_config_names_the_key(where, value, message, tmp_path):
    raw = config_mod.load(ROOT / "config.yaml").model_dump(mode="json", exclude={"path"})
    if where == "nlp":
        raw["nlp"].update(value)
    else:
        raw["topics"][0]["aspects"] = value
    with pytest.raises(config_mod.ConfigError) as e:
        config_mod.parse(raw, tmp_path / "config.yaml")
    assert message in str(e.value)


def test_topic_terms_that_clash_with_each_other_fail_at_start_up():
    with pytest.raises(AspectError, match="topics.t.aspects: '做工' is listed under both"):
        Aspects({"质量": "质量"}, {"t": {"质量": ["做工"], "外观": ["做工"]}})


def test_emotions_come_from_the_dutir_lexicon_and_the_emoticon_table(analyser):
    lex = dutir()
    assert len(lex) > 20000 and set(lex.values()) == set(CLASSES)
    assert analyser.analyse("太让人愤怒了").emotions == ["怒"]
    assert analyser.analyse("今天又是这样[怒][怒]").emotions == ["怒"]
    assert analyser.analyse("收到就是坏的[泪]").emotions[0] == "哀"
    assert analyser.analyse("垃圾产品，恶心").emotions == ["恶"]
    assert analyser.analyse("今天的天气").emotions == []


@pytest.mark.parametrize("text, gone", [("一点都不开心", "乐"), ("我不害怕", "惧"), ("没有满意的地方", "好"),
                                        ("别生气", "恶")])
def test_a_negated_emotion_word_is_dropped(analyser, text, gone):
    assert gone not in analyser.analyse(text).emotions


def test_negation_does_not_reach_past_the_clause(analyser):
    assert analyser.analyse("不是我说，真的很开心").emotions == ["乐"]
    emo = Emotions({"开心": "乐"}, {})
    assert emo.classify(["不", "开心"]) == [] and emo.classify(["不", "，", "开心"]) == ["乐"]


def test_yuqing_score_writes_aspects_and_emotions(analyser, scorer):
    lines = [json.dumps({"text": t}, ensure_ascii=False).encode() + b"\n"
             for t in ("外观好看，但是续航太差，售后还推来推去[怒]", "今天天气不错")]
    out = io.BytesIO()
    counts = score_lines(lines, analyser, scorer, out)
    first, second = [json.loads(x) for x in out.getvalue().splitlines()]
    assert counts.scored == 2 and counts.errors == 0
    assert {"外观", "性能", "售后"} <= {a["aspect"] for a in first["aspects"]}
    assert "性能" in first["negative_aspects"] and "外观" not in first["negative_aspects"]
    assert "怒" in first["emotions"]
    assert second["aspects"] == [] and second["negative_aspects"] == []


def test_wilson_interval_matches_the_textbook_values():
    from nlp.stats import wilson

    # the other closed form, (2np + z² ± z·sqrt(z² + 4np(1-p))) / (2(n + z²)), worked out separately
    lo, hi = wilson(54, 56)
    assert (round(lo, 4), round(hi, 4)) == (0.8788, 0.9902)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == 1.0 and wilson(0, 0) == (0.0, 1.0)


def test_model_eval_aspects_reports_precision_and_recall_with_intervals(cfg, tmp_path):
    import subprocess
    import sys

    from tests.conftest import write_cfg

    path = write_cfg(cfg, tmp_path / "config.yaml")
    r = subprocess.run([sys.executable, "-m", "yuqing.app", "model", "eval-aspects", "--json", "--config", str(path)],
                       capture_output=True, text=True, cwd=str(ROOT), timeout=600)
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["texts"] == 60 and rep["author_written"] is True
    for key in ("detection_precision", "detection_recall", "negative_precision", "negative_recall",
                "polarity_accuracy"):
        f = rep[key]
        assert f["n"] > 0 and f["ci95"][0] <= f["value"] <= f["ci95"][1]
