"""Distant labels from emoticons (nlp/distant.py, `yuqing model harvest`): which posts get a
label and which do not, the emoticons gone from what is kept, copies counted once, evaluation
texts never harvested, and the harvest read from the real node through the CLI. The posts here
are author-written for the test, not collected."""
from __future__ import annotations

import pytest

from nlp import data, distant
from nlp.text import clean
from yuqing.post import Post


@pytest.mark.parametrize("text, label, kept, why", [
    ("客服态度太差了，等了三天没人理[怒][怒]", 0, "客服态度太差了，等了三天没人理", ""),
    ("新款外观真好看，已下单[赞][哈哈]", 1, "新款外观真好看，已下单", ""),
    ("[GOOD]这次的更新很良心", 1, "这次的更新很良心", ""),                    # names are case-blind
    ("售后终于把问题解决了[笑cry][赞]", 1, "售后终于把问题解决了", ""),        # the ambiguous one does not vote
    ("排队两小时只为看这个[笑cry]", None, "排队两小时只为看这个", "only ambiguous emoticons"),
    ("物流太慢[怒]，但是质量不错[赞]", None, "物流太慢 ，但是质量不错", "emoticons of both leanings"),
    ("发布会居然延期了[吃惊]", None, "发布会居然延期了", "no emoticon with a leaning"),  # 惊: neither
    ("今天天气不错", None, "今天天气不错", "no emoticon"),
    ("差评[怒]", None, "差评", "under 6 characters without emoticons"),
])
def test_a_post_is_labelled_only_when_its_emoticons_agree(text, label, kept, why):
    assert distant.Labeler().label(text) == (label, kept, why)


def test_leanings_come_from_the_emotion_table():
    lean = distant.leanings()
    assert lean["怒"] == 0 and lean["吐"] == 0 and lean["泪"] == 0 and lean["害怕"] == 0
    assert lean["赞"] == 1 and lean["哈哈"] == 1 and lean["good"] == 1
    assert "吃惊" not in lean and not set(lean) & distant.AMBIGUOUS


def test_harvest_counts_copies_once_and_keeps_evaluation_texts_out():
    held = data.eval_posts()[0][2]  # an author-written evaluation post, here with an emoticon
    review = next(t for t in data.held_out_reviews() if len(t) > 10 and "[" not in t)
    texts = ["客服态度太差了，等了三天没人理[怒]",
             "客服态度太差了，等了三天没人理！！[怒][怒]",   # the same complaint again (a copy)
             "这家店的包装很用心，下次还来[赞]",
             "这家店的包装很用心，下次还来[吐]",             # the same text, the other leaning
             f"{held}[怒]", f"{review}[赞]", "没有表情的普通帖子", None]
    h = distant.harvest(texts)
    assert h.seen == 8
    assert [(y, t) for y, _, t in h.rows] == [(0, clean("客服态度太差了，等了三天没人理").text)]
    assert h.skipped["in an evaluation set"] == 2
    assert h.skipped["copy or near-copy"] == 1 and h.skipped["copies with both labels"] == 2
    assert h.skipped["no emoticon"] == 2


def test_the_eval_part_is_fixed_by_the_text_and_about_a_fifth():
    cores = [f"第{i}条关于续航的吐槽" for i in range(2000)]
    parts = [distant.part_of(c) for c in cores]
    assert parts == [distant.part_of(c) for c in cores]  # the same text keeps its part
    assert 0.17 < parts.count("eval") / len(parts) < 0.23


def test_a_hand_edited_file_is_refused_with_its_line(tmp_path):
    f = tmp_path / "far.tsv"
    distant.write(f, [(0, "train", "屏幕三天就坏了"), (1, "eval", "拍照效果很好")])
    assert distant.read(f, "train") == [("屏幕三天就坏了", 0)]
    assert distant.read(f, "eval") == [("拍照效果很好", 1)]
    f.write_text(f.read_text(encoding="utf-8") + "maybe\ttrain\t随便写的\n", encoding="utf-8")
    with pytest.raises(distant.DistantError, match=r"far.tsv:4: expected"):
        distant.read(f, "train")
    with pytest.raises(distant.DistantError, match="cannot read"):
        distant.read(tmp_path / "missing.tsv", "eval")


def _post(i: int, text: str, topic: str) -> Post:
    return Post.model_validate({"platform": "weibo", "post_id": f"far{i}", "text": text, "topics": [topic],
                                "published_at": "2026-11-20T10:00:00+08:00"})


def test_harvest_reads_the_posts_in_elasticsearch(cli, store, tmp_path):
    negative = [f"星河手机第{n}次黑屏，售后一直推脱[怒]" for n in "一二三四五"] + ["回复 @网友3242b744:第六次黑屏了，售后还在推脱[怒]"]
    positive = [f"青禾奶茶的{w}真的好喝，还会回购[赞]" for w in ("桂花乌龙", "芋泥波波", "杨枝甘露")]
    store.upsert([_post(i, t, "星河手机") for i, t in enumerate(negative)]
                 + [_post(10 + i, t, "青禾奶茶") for i, t in enumerate(positive)]
                 + [_post(20, "发布会在明天下午两点", "星河手机")])
    store.refresh()
    out = tmp_path / "far.tsv"
    r = cli("model", "harvest", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "10 posts read, 9 labelled by their emoticons" in r.stdout, r.stdout
    assert "skipped 1: no emoticon" in r.stdout
    rows = distant.read(out, "train") + distant.read(out, "eval")
    # kept as the model reads them when scoring: emoticons, @handles and links gone
    want = [(clean(t[:-3]).text, 0) for t in negative] + [(clean(t[:-3]).text, 1) for t in positive]
    assert sorted(rows) == sorted(want)
    assert not any("@" in t for t, _ in rows)
    assert all(distant.part_of(data.normalise(t)) == p for p in ("train", "eval") for t, _ in distant.read(out, p))

    r = cli("model", "harvest", "--out", str(out), "--topic", "青禾奶茶")
    assert r.returncode == 0 and "3 posts read, 3 labelled" in r.stdout, r.stdout + r.stderr
    assert {y for _, y in distant.read(out, "train") + distant.read(out, "eval")} == {1}


    r = cli("model", "harvest", "--out", str(out), "--since", "2026-11-21")  # the posts are of 11-20
    assert r.returncode == 0 and "0 posts read, 0 labelled" in r.stdout, r.stdout + r.stderr
    assert "nothing to train on yet" in r.stderr and distant.read(out, "train") == []
    (tmp_path / "file").write_text("x")
    r = cli("model", "harvest", "--out", str(tmp_path / "file" / "far.tsv"))  # a file where a folder must be
    assert r.returncode == 1 and "cannot write" in r.stderr and "Traceback" not in r.stderr, r.stderr
    r = cli("model", "harvest", "--out", str(out), "--since", "last tuesday")
    assert r.returncode == 2 and "--since" in r.stderr, r.stderr
