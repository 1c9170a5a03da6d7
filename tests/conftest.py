import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tiny_models import toy_examples  # noqa: E402


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    from tiny_models import build_tiny_bert

    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"), toy_examples().texts)


@pytest.fixture(scope="session")
def tiny_roberta(tmp_path_factory) -> Path:
    from tiny_models import build_tiny_roberta

    return build_tiny_roberta(tmp_path_factory.mktemp("tiny-roberta"), toy_examples().texts)


@pytest.fixture
def toy():
    return toy_examples()


@pytest.fixture(scope="session")
def trained_adapter(tmp_path_factory, tiny_bert):
    """One tiny trained adapter shared by the adapter/CLI tests (training is the slow part)."""
    from desktop_app.core.config import TrainConfig
    from desktop_app.core.dataset import Dataset
    from desktop_app.core.labels import LabelMap
    from desktop_app.core.training import run_training

    ex = toy_examples()
    out = tmp_path_factory.mktemp("adapters") / "toy-adapter"
    config = TrainConfig(base_model=str(tiny_bert), epochs=2, learning_rate=5e-3, batch_size=16, min_steps=0)
    result = run_training(config, Dataset(ex, LabelMap.from_labels(ex.labels), None), out_dir=out)
    return result
