import os
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("LORA_STUDIO_LOG_DIR", tempfile.mkdtemp(prefix="lora-studio-test-logs-"))
os.environ.setdefault("LORA_STUDIO_CACHE_DIR", tempfile.mkdtemp(prefix="lora-studio-test-cache-"))
os.environ.setdefault("LORA_STUDIO_DATA_DIR", tempfile.mkdtemp(prefix="lora-studio-test-data-"))  # ownership key
# "auto" precision is measured, and on tiny models the winner is a coin toss: tests that do not choose
# a precision get fp32; tests of the choice clear this and inject timings (tests/core/test_precision.py).
os.environ.setdefault("LORA_STUDIO_PRECISION", "fp32")
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


def _train_toy_adapter(tmp_path_factory, tiny_bert, bf16: bool):
    from desktop_app.core.model.config import TrainConfig
    from desktop_app.core.data.dataset import Dataset
    from desktop_app.core.data.label_map import LabelMap
    from desktop_app.core.train.training import run_training

    from desktop_app.core.data.dataset import Examples

    ex = toy_examples()
    # four labels given wrong, as real files have them: the toy texts are otherwise too easy to get wrong, and the
    # sharing tests need validation mistakes to show that a shared zip leaves them out
    wrong = {5, 42, 77, 110}
    ex = Examples(ex.texts, [("pos" if y == "neg" else "neg") if i in wrong else y for i, y in enumerate(ex.labels)])
    out = tmp_path_factory.mktemp("adapters") / "toy-adapter"
    # Both precision branches run on every machine: bf16 autocast works on any x86 CPU, only slower
    # where the CPU lacks AVX512-BF16/AMX. The branch is chosen, not measured on this machine.
    # fp32: the small-data path (120 rows: cross-validated, mean-pooled head); bf16: the usual path, which honours
    # the number format (small data always trains in fp32), so both kinds of adapter are reloaded by the tests
    config = TrainConfig(base_model=str(tiny_bert), epochs=2, learning_rate=5e-3, batch_size=16, min_steps=0,
                         precision="bf16" if bf16 else "fp32", small_data="off" if bf16 else "auto")
    result = run_training(config, Dataset(ex, LabelMap.from_labels(ex.labels), None), out_dir=out)
    assert result.device.endswith("(bf16)") == bf16
    assert (result.pooling, result.estimate.cross_validated) == (("cls", False) if bf16 else ("mean", True))
    return result


@pytest.fixture(scope="session")
def trained_adapter(tmp_path_factory, tiny_bert):
    """One tiny trained adapter (fp32) shared by the adapter/CLI tests (training is the slow part)."""
    return _train_toy_adapter(tmp_path_factory, tiny_bert, bf16=False)


@pytest.fixture(scope="session")
def bf16_adapter(tmp_path_factory, tiny_bert):
    return _train_toy_adapter(tmp_path_factory, tiny_bert, bf16=True)


@pytest.fixture(params=["fp32", "bf16"])
def any_adapter(request):
    """The toy adapter trained in fp32 and with bf16 autocast: a reload must predict what the trained
    model predicted on both branches, whatever this machine's CPU would choose."""
    return request.getfixturevalue("trained_adapter" if request.param == "fp32" else "bf16_adapter")
