"""`yuqing model eval` on more than the shipped sets: a team's own labelled texts (`--set`, how the
model holds on their kind of text: issue #18's other-domain goal is measured this way by whoever
holds such a set) and a harvest's emoticon-labelled eval part (`--distant`). The texts here are
author-written for the test."""
from __future__ import annotations

import io
import json

import pytest
import yaml
from click.testing import CliRunner

from nlp import data, distant


def test_a_labelled_set_reads_as_tsv_or_csv_with_or_without_header(tmp_path):
    tsv = tmp_path / "team.tsv"
    tsv.write_text("\ufefflabel\ttext_a\n1\t新品发布会很成功\n0\t客服一直不回消息\n# a comment\n\n"
                   "neutral\tnews\t公司将于周五召开发布会\n", encoding="utf-8")
    assert data.read_set(tsv) == [("positive", "新品发布会很成功"), ("negative", "客服一直不回消息"),
                                  ("neutral", "公司将于周五召开发布会")]
    csv = tmp_path / "weibo.csv"
    csv.write_text('label,review\n1,"好用，推荐"\n0,太差了\n', encoding="utf-8")
    assert data.read_set(csv) == [("positive", "好用，推荐"), ("negative", "太差了")]
    bad = tmp_path / "bad.tsv"
    bad.write_text("positive\t很好\n2\t三分类的二\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.tsv:2: expected"):
        data.read_set(bad)
    (tmp_path / "empty.tsv").write_text("label\ttext\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no labelled rows"):
        data.read_set(tmp_path / "empty.tsv")


def test_the_best_band_is_the_narrowest_that_separates_the_neutral_texts():
    from nlp.evaluate import best_band

    gold = ["negative"] * 4 + ["neutral"] * 4 + ["positive"] * 4
    scores = [-0.9, -0.8, -0.7, -0.6, -0.25, -0.1, 0.1, 0.25, 0.6, 0.7, 0.8, 0.9]
    assert best_band(gold, scores) == {"band": 0.3, "macro_f1": 1.0}
    assert best_band(["neutral", "positive"], [0.0, 0.05])["band"] == 0.05  # 0.05 itself is polar


def test_eval_scores_a_teams_set_and_a_harvests_eval_part(nlp_cfg, tmp_path):
    """Each extra set is scored by every model: positive vs negative (sign, macro-F1) and, where
    the set has neutral rows, three classes with the neutral band; a harvest's train part is not
    scored; a bad file is one line naming it."""
    from rich.console import Console

    from nlp.evaluate import print_report
    from yuqing.app.nlp_cli import model

    far = tmp_path / "far.tsv"
    distant.write(far, [(0, "eval", "星河手机又黑屏了，售后一直推脱"), (1, "eval", "新款的续航真的很顶，拍照也好"),
                        (0, "eval", "等了一个星期还没发货，客服也不回"), (1, "train", "这一行只用于训练")])
    team = tmp_path / "team.tsv"
    team.write_text("label\ttext\npositive\t这次的新品真的很惊艳，强烈推荐\nnegative\t质量太差了，用了两天就坏\n"
                    "neutral\t公司将于周五召开年度发布会\n", encoding="utf-8")
    cfg_path = tmp_path / "config.yaml"
    cfg_path.write_text(yaml.safe_dump({"home": str(nlp_cfg.home_dir)}))
    r = CliRunner().invoke(model, ["eval", "--no-snownlp", "--no-teacher", "--json", "--distant", str(far),
                                   "--set", str(team), "--config", str(cfg_path)])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)["yuqing"]
    assert report["distant_eval"]["n"] == 3 and report["distant_eval"]["correct"] == 3  # plain complaints, praise
    assert "distant_eval:3class" not in report
    assert report["set:team"]["n"] == 2 and report["set:team"]["correct"] == 2
    assert report["set:team:3class"]["n"] == 3 and 0 <= report["set:team:3class"]["best_band"]["band"] <= 0.95
    out = io.StringIO()
    print_report(json.loads(r.stdout), Console(file=out, width=200))
    assert "yuqing: agrees with the emoticons on 3/3 distant-labelled posts" in out.getvalue()
    assert "not gold" in out.getvalue()
    assert "yuqing on team (positive vs negative): 2/2" in out.getvalue()
    assert "neutral band that fits this set best" in out.getvalue() and "optimistic" in out.getvalue()
    far.write_text("negative\tsomewhere\t文本\n", encoding="utf-8")
    bad = CliRunner().invoke(model, ["eval", "--distant", str(far), "--config", str(cfg_path)])
    assert bad.exit_code == 1 and "far.tsv:1: expected" in bad.output and "Traceback" not in bad.output, bad.output
    team.write_text("positive\t好\nmaybe\t也许\n", encoding="utf-8")
    bad = CliRunner().invoke(model, ["eval", "--set", str(team), "--config", str(cfg_path)])
    assert bad.exit_code == 1 and "team.tsv:2: expected" in bad.output and "Traceback" not in bad.output, bad.output
