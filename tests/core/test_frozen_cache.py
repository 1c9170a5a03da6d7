"""The frozen-layer cache: when it is on, that it gives the same logits, that it really skips the frozen
layers, that a wrong replay is caught, and that the model is given back untouched."""

from __future__ import annotations

import pytest

from desktop_app.core.model import frozen_cache
from desktop_app.core.model.config import LoraSettings, TrainConfig


def _lora_model(tiny_bert, **lora):
    from desktop_app.core.train.preparation import attach_lora, prepare_model

    config = TrainConfig(small_data="off", base_model=str(tiny_bert), lora=LoraSettings(**lora))
    prepared = prepare_model(config, ("negative", "positive"))
    return attach_lora(config, prepared.base, prepared.model), prepared


def _batch(prepared, texts, start=0):
    import torch

    from desktop_app.core.model.text import TextEncoder

    encoder = TextEncoder(prepared.tokenizer, 32)
    batch = encoder.collate(encoder.finish(encoder.tokenize(texts)))
    batch[frozen_cache.INDEX_KEY] = torch.arange(start, start + len(texts))
    return batch


def test_plan_says_when_and_why_it_is_off(tiny_bert):
    model, _ = _lora_model(tiny_bert)  # 2 layers, the top half adapted: layer 0 is frozen
    counts = [20] * 100
    on = frozen_cache.plan(model, counts, epochs=3, budget_mb=1024)
    assert on.active and on.frozen == 1 and on.bytes >= 100 * 20 * 32 * 2
    assert "kept after the first epoch" in frozen_cache.describe(on, 1024)
    assert frozen_cache.plan(model, counts, 3, 0).reason == "turned off in the settings"
    assert "on a GPU" in frozen_cache.plan(model, counts, 3, 1024, device="cuda").reason
    assert "one epoch" in frozen_cache.plan(model, counts, 1, 1024).reason
    over = frozen_cache.plan(model, [10**6] * 10, 3, 1)
    assert not over.active and "above the 1 MB budget" in over.reason
    everything, _ = _lora_model(tiny_bert, layer_share=1.0)
    assert "none is frozen" in frozen_cache.plan(everything, counts, 3, 1024).reason


def test_dropout_in_the_frozen_layers_turns_it_off(tiny_bert):
    from desktop_app.core.train.preparation import attach_lora, prepare_model

    config = TrainConfig(small_data="off", base_model=str(tiny_bert), model_dropout=0.1)
    prepared = prepare_model(config, ("a", "b"))
    model = attach_lora(config, prepared.base, prepared.model)
    assert "dropout" in frozen_cache.plan(model, [10], 3, 1024).reason


def _filled_cache(tiny_bert, toy):
    import torch

    model, prepared = _lora_model(tiny_bert)
    model.train()
    cache = frozen_cache.FrozenPrefixCache(model, 1).attach()
    batch = _batch(prepared, toy.texts[:8])
    with torch.no_grad():
        model(**batch)  # the first epoch: captures
    return model, prepared, cache, batch


def test_replay_gives_the_same_logits_and_skips_the_frozen_layer(tiny_bert, toy):
    import torch

    model, prepared, cache, batch = _filled_cache(tiny_bert, toy)
    assert len(cache.store) == 8
    assert "checked: same outputs" in cache.check()
    calls = []
    frozen_attention = cache.frozen_layers[0].attention
    frozen_attention.register_forward_hook(lambda *a: calls.append(1))
    plain = {k: v for k, v in batch.items() if k != frozen_cache.INDEX_KEY}
    with torch.no_grad():
        full = model(**plain).logits
        assert len(calls) == 1
        replayed = model(**batch).logits
    assert len(calls) == 1  # the frozen layer did not run
    # fp16 storage of the hidden states (unit roundoff 2**-11 = 4.9e-4): logits agree to ~1e-3
    assert torch.allclose(full, replayed, atol=2e-3, rtol=2e-3)
    model.eval()
    with torch.no_grad():
        evaluated = model(**batch).logits  # evaluation always runs the whole model
    assert len(calls) == 2 and torch.allclose(evaluated, full, atol=1e-6)
    cache.detach()


def test_padding_does_not_change_what_is_replayed(tiny_bert, toy):
    """A text cached in a short batch must replay correctly in a batch padded longer (and the reverse)."""
    import torch

    model, prepared, cache, batch = _filled_cache(tiny_bert, toy)
    cache.check()
    longer = sorted(range(len(toy.texts)), key=lambda i: len(toy.texts[i]))[-1]
    mixed = _batch(prepared, [toy.texts[0], toy.texts[longer]], 0)
    mixed[frozen_cache.INDEX_KEY] = torch.tensor([0, 999])  # 999 is not cached: the whole batch runs fully
    with torch.no_grad():
        model(**mixed)
    assert 999 not in cache.store  # nothing is captured after the check
    pair = _batch(prepared, [toy.texts[0], toy.texts[1]], 0)
    pair["input_ids"] = torch.nn.functional.pad(pair["input_ids"], (0, 8), value=prepared.tokenizer.pad_token_id)
    pair["attention_mask"] = torch.nn.functional.pad(pair["attention_mask"], (0, 8))
    if "token_type_ids" in pair:
        pair["token_type_ids"] = torch.nn.functional.pad(pair["token_type_ids"], (0, 8))
    plain = {k: v for k, v in pair.items() if k != frozen_cache.INDEX_KEY}
    with torch.no_grad():
        assert torch.allclose(model(**plain).logits, model(**pair).logits, atol=2e-3, rtol=2e-3)


@pytest.mark.parametrize("damage", ["other values", "wrong width"])
def test_a_replay_that_disagrees_is_caught_and_turned_off(tiny_bert, toy, damage):
    """What an encoder that does more between its layers than the cache assumes (DeBERTa's convolution
    after layer 0, ALBERT's projection of the embeddings) would produce: other values, or a crash."""
    import torch

    model, _, cache, batch = _filled_cache(tiny_bert, toy)
    torch.manual_seed(0)
    for key, value in cache.store.items():
        cache.store[key] = torch.randn_like(value) if damage == "other values" else value[:, :-1]
    assert "did not match" in cache.check()
    assert not cache.usable and cache.store == {}
    with torch.no_grad():
        model(**batch)  # training goes on with the whole model
    cache.detach()


def test_detach_gives_the_model_back(tiny_bert, toy):
    model, _, cache, _ = _filled_cache(tiny_bert, toy)
    patched = [cache.embeddings, *cache.frozen_layers]
    assert all("forward" in m.__dict__ for m in patched)
    cache.detach()
    assert not any("forward" in m.__dict__ for m in patched)
    assert not model._forward_pre_hooks and not cache.frozen_layers[-1]._forward_hooks


@pytest.mark.parametrize("precision_name", ["fp32", "bf16"])
def test_training_with_the_cache_learns_what_training_without_it_learns(tiny_bert, toy, precision_name):
    import torch

    from desktop_app.core.data.dataset import Dataset
    from desktop_app.core.data.label_map import LabelMap
    from desktop_app.core.train.training import run_training

    outcomes = {}
    for budget in (1024, 0):
        seen = []
        config = TrainConfig(small_data="off", base_model=str(tiny_bert), epochs=3, learning_rate=5e-3, batch_size=16, min_steps=0,
                             frozen_cache_mb=budget, precision=precision_name, device="cpu")
        result = run_training(config, Dataset(toy, LabelMap.from_labels(toy.labels), None),
                              on_event=lambda e: seen.append(getattr(e, "message", "")))
        encoder = result.encoder
        batch = encoder.collate(encoder.finish(encoder.tokenize(toy.texts[:16])))
        batch = {k: v.to(result.model.device) for k, v in batch.items()}  # a GPU where one is found
        with torch.no_grad():
            outcomes[budget] = (result.model(**batch).logits, seen, result.model)
    cached_logits, cached_log, model = outcomes[1024]
    plain_logits, plain_log, _ = outcomes[0]
    assert any("skips the frozen layer (checked: same outputs)" in m for m in cached_log)
    assert not any("skips" in m for m in plain_log)
    # the same seed and data; only fp16 rounding of the cached inputs differs over 3 epochs
    assert torch.allclose(cached_logits, plain_logits, atol=0.05 if precision_name == "bf16" else 5e-3)
    assert cached_logits.shape == (16, 2)
    assert not any("forward" in m.__dict__ for m in model.modules())
