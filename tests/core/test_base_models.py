"""Base-model resolution (embedded, local, HF cache), fingerprints, pickle refusal, LoRA targets."""

import hashlib
import json
import shutil

import pytest

from desktop_app.core.model import base_models
from desktop_app.core.base.errors import ModelError


def test_embedded_model_is_found_and_verified():
    base = base_models.resolve_base_model()
    assert base.kind == "embedded" and base.model_type == "bert" and base.ref == base_models.EMBEDDED_ID
    weights = base.path / "model.safetensors"
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == base_models.EMBEDDED_SHA256 == base_models.fingerprint(base.path)


def test_embedded_checksum_mismatch_is_refused(monkeypatch):
    monkeypatch.setattr(base_models, "EMBEDDED_SHA256", "0" * 64)
    with pytest.raises(ModelError, match="do not match"):
        base_models.resolve_base_model("embedded")


def test_local_folder(tiny_bert):
    base = base_models.resolve_base_model(str(tiny_bert))
    assert base.kind == "local" and base.model_type == "bert" and base.path == tiny_bert.resolve()


def test_local_folder_problems(tmp_path, tiny_bert):
    with pytest.raises(ModelError, match="no config.json"):
        base_models.resolve_base_model(str(tmp_path))
    pickled = tmp_path / "pickled"
    shutil.copytree(tiny_bert, pickled)
    (pickled / "model.safetensors").rename(pickled / "pytorch_model.bin")
    with pytest.raises(ModelError, match="pickle"):
        base_models.resolve_base_model(str(pickled))
    (pickled / "config.json").write_text("{broken")
    with pytest.raises(ModelError, match="damaged"):
        base_models.resolve_base_model(str(pickled))
    with pytest.raises(ModelError, match="does not exist"):
        base_models.resolve_base_model(str(tmp_path / "nope" / "deeper"))


def test_hub_id_is_never_downloaded_without_permission(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ModelError, match="not on this computer"):
        base_models.resolve_base_model("someone/some-model")


def test_hf_cache_is_listed_and_resolved_offline(tmp_path, monkeypatch, tiny_bert):
    snap = tmp_path / "models--acme--tiny-bert" / "snapshots" / "abc123"
    shutil.copytree(tiny_bert, snap)
    (tmp_path / "models--acme--tiny-bert" / "refs").mkdir()
    (tmp_path / "models--acme--tiny-bert" / "refs" / "main").write_text("abc123")
    (tmp_path / "models--broken--thing" / "snapshots" / "x").mkdir(parents=True)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    listed = base_models.list_cached_models()
    assert [m.ref for m in listed] == ["acme/tiny-bert"]
    base = base_models.resolve_base_model("acme/tiny-bert")
    assert base.kind == "hf-cache" and base.path == snap


@pytest.mark.parametrize("model_type,expected", [
    ("bert", ["query", "key", "value"]), ("roberta", ["query", "key", "value"]),
    ("xlm-roberta", ["query", "key", "value"]), ("electra", ["query", "key", "value"]),
    ("distilbert", ["q_lin", "k_lin", "v_lin"]), ("deberta-v2", ["query_proj", "key_proj", "value_proj"]),
    ("mpnet", ["attn.q", "attn.k", "attn.v"]),
])
def test_targets_per_architecture(model_type, expected):
    assert base_models.lora_targets(model_type, "attention") == expected
    assert base_models.lora_targets(model_type, "all")[:3] == expected
    assert len(base_models.lora_targets(model_type, "all")) > 3


def test_targets_match_real_modules(tiny_bert, tiny_roberta):
    for folder in (tiny_bert, tiny_roberta):
        base = base_models.resolve_base_model(str(folder))
        model = base_models.load_classifier(base, ("a", "b"))
        names = [n for n, _ in model.named_modules()]
        for target in base_models.lora_targets(base.model_type, "all"):
            hits = [n for n in names if n == target or n.endswith("." + target)]
            assert hits, target
            assert not any("classifier" in n or "pooler" in n for n in hits), target


def test_fallback_finds_attention_projections():
    import torch

    class Attn(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.q_proj, self.k_proj, self.v_proj, self.o_proj = (torch.nn.Linear(4, 4) for _ in range(4))

    model = torch.nn.Sequential(Attn(), Attn())
    assert base_models.lora_targets("mystery", "all", model) == ["k_proj", "q_proj", "v_proj"]
    with pytest.raises(ModelError, match="No attention layers"):
        base_models.find_attention_projections(torch.nn.Sequential(torch.nn.Linear(2, 2)))
    with pytest.raises(ModelError):
        base_models.lora_targets("mystery")


def test_heads_are_saved_with_the_adapter():
    assert "classifier" in base_models.head_modules("bert")
    assert base_models.head_modules("distilbert") == ["pre_classifier", "classifier"]
    assert "pooler" in base_models.head_modules("deberta-v2")


def test_config_without_model_type(tmp_path, tiny_bert):
    folder = tmp_path / "m"
    shutil.copytree(tiny_bert, folder)
    cfg = json.loads((folder / "config.json").read_text())
    del cfg["model_type"]
    (folder / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelError, match="what kind of model"):
        base_models.resolve_base_model(str(folder))


def test_importing_the_api_leaves_the_environment_alone(tmp_path):
    """A program that imports LoRA Studio keeps its own Hugging Face settings (no HF_HUB_OFFLINE=1 at import)."""
    import os
    import subprocess
    import sys

    code = ("import os, json; before = dict(os.environ)\n"
            "import desktop_app.core, desktop_app.core.model.base_models, desktop_app.core.train.training, desktop_app.ui.app\n"
            "print(json.dumps({k: v for k, v in os.environ.items() if before.get(k) != v}))")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TOKENIZERS", "TRANSFORMERS"))}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "{}"


def test_the_explicit_download_path_is_online_when_the_user_allows_it(tiny_bert, tmp_path):
    """With downloads allowed, the hub is asked (here a fake standing in for huggingface_hub), and the hub
    library is not switched offline behind the user's back, as importing desktop_app.core once did."""
    import os
    import subprocess
    import sys

    code = (f"import desktop_app.core.model.base_models as m\n"  # first, as an application would
            f"import huggingface_hub, huggingface_hub.constants as c\n"
            f"def fake(repo_id, **kw):\n"
            f"    assert not c.HF_HUB_OFFLINE, 'the hub library was switched offline'\n"
            f"    return {str(tiny_bert)!r}\n"
            f"huggingface_hub.snapshot_download = fake\n"
            f"base = m.resolve_base_model('someone/tiny-bert', allow_download=True)\n"
            f"print(base.kind, base.model_type)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env["HF_HOME"] = str(tmp_path / "empty-cache")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["hub", "bert"]


def test_token_limits_are_read_without_loading_the_model(tiny_bert, tiny_roberta):
    from desktop_app.core.model.base_models import EMBEDDED_ID, peek_token_limit

    assert peek_token_limit(EMBEDDED_ID) == 512
    assert peek_token_limit(str(tiny_bert)) == 128
    assert peek_token_limit(str(tiny_roberta)) == 126  # positions 130 - 2 (RoBERTa), tokenizer says 126
    assert peek_token_limit("someone/not-downloaded") == 512


@pytest.mark.parametrize("config", ['{"model_type": ["bert"], "max_position_embeddings": "512"}',
                                    '{"model_type": 5, "max_position_embeddings": true}', '[1, 2]', '"bert"'])
def test_peeking_at_a_hostile_config_never_raises(tmp_path, config):
    from desktop_app.core.model.base_models import peek_model_type, peek_token_limit

    (tmp_path / "config.json").write_text(config)
    (tmp_path / "tokenizer_config.json").write_text('{"model_max_length": "huge"}')
    assert peek_model_type(str(tmp_path)) is None
    assert peek_token_limit(str(tmp_path)) == 512
