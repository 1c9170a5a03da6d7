"""Tokenisation shared by training and inference: head+tail cut, one-pass finish, per-batch padding."""

from desktop_app.core.model.base_models import load_tokenizer, resolve_base_model
from desktop_app.core.model.text import HEAD_SHARE, TextEncoder, derive_max_length


def _encoder(tiny_bert, max_length):
    return TextEncoder(load_tokenizer(resolve_base_model(str(tiny_bert))), max_length)


def test_long_texts_keep_start_and_end(tiny_bert):
    enc = _encoder(tiny_bert, 16)
    words = ["good"] * 3 + ["the"] * 100 + ["awful"] * 12
    ids = enc.encode([" ".join(words)])[0]
    vocab = enc.tokenizer.convert_ids_to_tokens(ids)
    assert len(ids) == 16 and vocab[0] == "[CLS]" and vocab[-1] == "[SEP]"
    head = int(14 * HEAD_SHARE)
    assert vocab[1:1 + head] == ["good"] * 3
    assert vocab[1 + head:-1] == ["awful"] * (14 - head)
    # counts are exact up to what the encoder could ever keep (texts are pre-cut beyond ~24 chars a token)
    assert _encoder(tiny_bert, 128).token_counts([" ".join(words)]) == [len(words) + 2]


def test_finish_from_a_longer_probe_equals_encode(tiny_bert):
    texts = ["the film was great", " ".join(["bad"] * 90 + ["fun"] * 20), ""]
    probe, enc = _encoder(tiny_bert, 128), _encoder(tiny_bert, 24)
    assert enc.finish(probe.tokenize(texts)) == enc.encode(texts)


def test_collate_pads_to_the_batch_not_the_limit(tiny_bert):
    enc = _encoder(tiny_bert, 128)
    batch = enc.collate(enc.encode(["good", "the film was really really good"]))
    assert batch["input_ids"].shape == (2, 8) and batch["attention_mask"].sum().item() == 3 + 8


def test_derive_max_length():
    assert derive_max_length([10] * 98 + [300, 400], cap=256, model_limit=512) == 16
    assert derive_max_length([100] * 50, cap=64, model_limit=512) == 64
    assert derive_max_length([], cap=64, model_limit=32) == 32


def test_the_length_in_use_is_the_runs_and_the_cut_sentence_counts_at_it():
    from desktop_app.core.model.config import PRESETS
    from desktop_app.core.train.preparation import choose_max_length
    from desktop_app.core.model.text import cut_sentence, length_in_use

    counts = [20] * 98 + [300, 700]
    auto = PRESETS["balanced"]
    assert length_in_use(None, 256, counts, 512) == choose_max_length(auto, counts, 512) == 24
    assert length_in_use(64, 256, counts, 512) == choose_max_length(auto.with_overrides(max_length=64), counts, 512)
    assert length_in_use(600, 256, counts, 512) == 512  # never past the model's limit
    assert cut_sentence(counts, 24).startswith("2 texts (2%) are longer than the 24 tokens training will read")
    assert cut_sentence(counts, 300).startswith("1 text (1%) is longer than the 300 tokens")
    assert cut_sentence(counts, 700) == ""
