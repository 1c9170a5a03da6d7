"""`predict --explain` says how far to trust the explanation: the model's own score, and a caution when it is weak."""

import json
import shutil

from desktop_app.cli import main


def test_explain_prints_the_models_score_and_a_caution_when_it_is_weak(tmp_path, capsys, trained_adapter):
    adapter = shutil.copytree(trained_adapter.adapter_dir, tmp_path / "adapter")
    manifest = json.loads((adapter / "manifest.json").read_text())
    text = "the film was great and wonderful"
    for accuracy in (0.95, 0.6):  # the same adapter, said to score this over the folds (two balanced classes)
        manifest["estimate"]["mean"]["accuracy"] = accuracy
        (adapter / "manifest.json").write_text(json.dumps(manifest))
        assert main(["predict", str(adapter), "--text", text, "--explain"]) == 0
        out = capsys.readouterr().out
        assert f"  Model: accuracy {accuracy:.1%} ± " in out and "5-fold cross-validation on 120 examples" in out
        assert ("caution" in out) is (accuracy == 0.6)
    assert "  caution: The model is weak (accuracy 60.0% ± " in out and "learnt nothing scores 50%" in out
    assert main(["predict", str(adapter), "--text", text, "--explain", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["model_score"]["weak"] is True and data["cautions"][0].startswith("The model is weak")


def test_explaining_a_file_says_once_how_far_its_top_words_hold(tmp_path, capsys, trained_adapter):
    adapter = shutil.copytree(trained_adapter.adapter_dir, tmp_path / "adapter")
    manifest = json.loads((adapter / "manifest.json").read_text())
    data = tmp_path / "in.csv"
    data.write_text("text\nthe film was great\na dull and tedious plot\n")
    for accuracy in (0.95, 0.6):
        manifest["estimate"]["mean"]["accuracy"] = accuracy
        (adapter / "manifest.json").write_text(json.dumps(manifest))
        assert main(["predict", str(adapter), str(data), "--explain", "--out", str(tmp_path / f"{accuracy}.csv"),
                     "--overwrite"]) == 0
        err = capsys.readouterr().err
        assert f"top_words: explained by a model with accuracy {accuracy:.1%} ± " in err
        assert err.count("caution: The model is weak") == (1 if accuracy == 0.6 else 0)
    assert main(["predict", str(adapter), str(data)]) == 0  # no explanations asked: nothing said of them
    assert "top_words" not in capsys.readouterr().err
