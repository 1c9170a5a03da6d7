"""End to end with the real embedded model (all-MiniLM-L6-v2) on a small slice of real reviews."""

import numpy as np
import pytest

from desktop_app.core.artifacts.adapters import export_adapter_zip
from desktop_app.core.model.config import preset
from desktop_app.core.data.dataset import Dataset, Examples, load_dataset
from desktop_app.core.predict.inference import Classifier, predict_probabilities
from desktop_app.core.train.training import run_training
from desktop_app.paths import sample_dataset


@pytest.mark.slow
def test_real_model_trains_exports_and_reloads_identically(tmp_path):
    full = load_dataset(sample_dataset())
    ex = Examples(full.examples.texts[:240], full.examples.labels[:240])
    config = preset("balanced")  # the default, as a user gets it
    result = run_training(config, Dataset(ex, full.label_map, full.report), out_dir=tmp_path / "adapter")
    assert result.status in ("completed", "stopped_early")
    assert result.validation.accuracy >= 0.8  # the sample is easy: a real model must learn it
    zip_path = export_adapter_zip(result.adapter_dir, tmp_path / "shared.zip")
    clf = Classifier.load(zip_path)
    probe = ["The hotel room was dirty and noisy.", "The concert was simply wonderful!",
             "The battery broke after two days. Never again."]
    np.testing.assert_allclose(clf.predict_proba(probe), predict_probabilities(result.model, result.encoder, probe),
                               atol=1e-5)
    assert [p.label for p in clf.predict(probe)] == ["negative", "positive", "negative"]
    assert clf.manifest.base_model.ref == "embedded:all-MiniLM-L6-v2"
