"""Issue 24's done-when, with the real embedded model: an adapter trained on the sample (30 reviews per class)
and exported from the CLI
holds no absolute path, no training text and no "[More Information Needed]"; its card's YAML parses and names the
hub id; the card's loading snippet (plain peft + transformers, no LoRA Studio) gives the app's predictions; and the
zip reopens in the app with the same predictions."""

import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import pandas as pd
import pytest
import yaml

from desktop_app.cli import main
from desktop_app.core.data.dataset import load_dataset
from desktop_app.core.predict.inference import Classifier
from desktop_app.core.model.base_models import embedded_model_dir
from desktop_app.core.artifacts.sharing import EMBEDDED_HUB_ID
from desktop_app.paths import sample_dataset

TEXTS = ["The hotel room was dirty and noisy.", "The concert was simply wonderful!", "Battery died in two days."]


@pytest.mark.slow
def test_the_sample_trained_and_exported_from_the_cli_is_clean_documented_and_reloads(tmp_path, capsys):
    adapter, shared = tmp_path / "adapter", tmp_path / "shared.zip"
    rows = pd.read_csv(sample_dataset())
    rows = rows.groupby(rows.columns[1], group_keys=False).head(30)  # 30 per class: the default path, in a minute
    rows.to_csv(tmp_path / "sample.csv", index=False)
    assert main(["train", str(tmp_path / "sample.csv"), "--out", str(adapter)]) == 0, capsys.readouterr().err[-2000:]
    assert main(["export", str(adapter), str(shared)]) == 0, capsys.readouterr().err[-2000:]
    with zipfile.ZipFile(shared) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    texts = {n: (data[8:8 + int.from_bytes(data[:8], "little")] if n.endswith(".safetensors") else data).decode()
             for n, data in files.items()}
    where = [str(tmp_path), tempfile.gettempdir(), os.path.expanduser("~"), "site-packages", str(embedded_model_dir())]
    for name, text in texts.items():
        assert not [w for w in where if w in text] and not re.search(r"\b[A-Za-z]:[\\/]", text), name
        assert "[More Information Needed]" not in text, name
    training_texts = load_dataset(tmp_path / "sample.csv").examples.texts
    assert not [t for t in training_texts if len(t) > 20 and any(t in text for text in texts.values())]

    card = texts["README.md"]
    front = yaml.safe_load(re.match(r"---\n(.*?)\n---\n", card, re.S).group(1))
    assert front["base_model"] == EMBEDDED_HUB_ID and front["library_name"] == "peft"
    assert json.loads(texts["adapter_config.json"])["base_model_name_or_path"] == EMBEDDED_HUB_ID

    app = Classifier.load(shared)
    assert max(app.encoder.token_counts(TEXTS)) <= app.manifest.max_length  # short texts: cut the same way
    from_folder = Classifier.load(adapter).predict_proba(TEXTS)
    np.testing.assert_allclose(app.predict_proba(TEXTS), from_folder, atol=1e-6)  # the zip reopens the same

    snippet = re.search(r"^(`{3,})python\n(.*?)\n\1$", card, re.S | re.M).group(2)
    snippet, swapped = re.subn(r"^base = .*$", f"base = {str(embedded_model_dir())!r}", snippet, count=1, flags=re.M)
    snippet, given = re.subn(r"^texts = .*$", f"texts = {TEXTS!r}", snippet, count=1, flags=re.M)
    assert swapped == given == 1
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(shared) as zf:
        zf.extractall(unpacked)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    done = subprocess.run([sys.executable, "-c", snippet + "\nimport json\nprint('RESULT', json.dumps("
                           "{'probs': probs.tolist(), 'predicted': predicted}))"],
                          cwd=unpacked, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1].removeprefix("RESULT "))
    np.testing.assert_allclose(np.asarray(got["probs"]), app.predict_proba(TEXTS), atol=1e-4)
    assert got["predicted"] == [p.label for p in app.predict(TEXTS)]
