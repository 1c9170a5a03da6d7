"""Tiny BERT and RoBERTa models built in-process (random weights, own tokenizers) for fast tests."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

WORDS = ("good great excellent wonderful love loved fun best enjoyable brilliant superb fantastic bad awful "
         "terrible boring hate hated worst dull poor waste movie film plot acting story the a an and was is it "
         "this that not very really so but of to in with too at all okay fine average").split()


POS = "good great excellent wonderful love fun brilliant superb".split()
NEG = "bad awful terrible boring hate dull poor worst".split()


def toy_examples(n: int = 120, seed: int = 0, labels=("neg", "pos")):
    from desktop_app.core.data.dataset import Examples

    rng = random.Random(seed)
    texts, ys = [], []
    for i in range(n):
        label = labels[i % len(labels)]
        words = POS if label == labels[-1] else NEG
        texts.append(f"the film was {rng.choice(words)} and {rng.choice(words)} {'really ' * (i % 4)}number {i}")
        ys.append(label)
    return Examples(texts, ys)


def write_toy_csv(path, n: int = 120, columns=("review", "sentiment")):
    """toy_examples(n) as a CSV file of two columns, for the tests that load a file."""
    import csv

    ex = toy_examples(n)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(list(columns))
        w.writerows(zip(ex.texts, ex.labels))
    return path


def _bert_vocab(extra_texts=()) -> list[str]:
    words = set(WORDS)
    for text in extra_texts:
        words.update(re.findall(r"[a-z]+", text.lower()))
    return ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + sorted(words)


def build_tiny_bert(folder: Path, texts=()) -> Path:
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocab = _bert_vocab(texts)
    # transformers 5 takes the vocabulary itself (a vocab_file= keyword is silently ignored)
    tokenizer = BertTokenizerFast(vocab={token: i for i, token in enumerate(vocab)}, do_lower_case=True)
    tokenizer.model_max_length = 128
    tokenizer.save_pretrained(str(folder))
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, pad_token_id=0)
    import torch

    torch.manual_seed(0)
    BertForSequenceClassification(config).bert.save_pretrained(str(folder), safe_serialization=True)
    _fix_architecture(folder, "BertModel")
    return folder


def build_tiny_roberta(folder: Path, texts=()) -> Path:
    """A tiny RoBERTa with its own byte-level BPE tokenizer trained on the given texts."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaConfig, RobertaModel, RobertaTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    corpus = list(texts) or [" ".join(WORDS)] * 10
    bpe.train_from_iterator(corpus, vocab_size=400, min_frequency=1,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    bpe.save_model(str(folder))
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    merges = [tuple(line.split()) for line in (folder / "merges.txt").read_text(encoding="utf-8").splitlines()
              if line and not line.startswith("#")]
    tokenizer = RobertaTokenizerFast(vocab=vocab, merges=merges)
    tokenizer.model_max_length = 126
    tokenizer.save_pretrained(str(folder))
    config = RobertaConfig(vocab_size=tokenizer.vocab_size + 5, hidden_size=32, num_hidden_layers=2,
                           num_attention_heads=2, intermediate_size=64, max_position_embeddings=130,
                           pad_token_id=1, bos_token_id=0, eos_token_id=2)
    import torch

    torch.manual_seed(0)
    RobertaModel(config, add_pooling_layer=False).save_pretrained(str(folder), safe_serialization=True)
    _fix_architecture(folder, "RobertaModel")
    return folder


def _fix_architecture(folder: Path, arch: str) -> None:
    cfg = json.loads((folder / "config.json").read_text())
    cfg["architectures"] = [arch]
    (folder / "config.json").write_text(json.dumps(cfg, indent=2))


TOPICS = {"praise": POS, "complaint": NEG, "story": "plot story acting".split()}


def toy_multilabel(n: int = 150, seed: int = 0, none_share: float = 0.0):
    """Multi-label toy texts: each names words of one or two TOPICS (or of none, for a share of rows), and
    those topics are its labels, in TOPICS order."""
    from desktop_app.core.data.dataset import Examples

    rng = random.Random(seed)
    names = list(TOPICS)
    texts, sets = [], []
    for i in range(n):
        chosen = [] if rng.random() < none_share else sorted(rng.sample(names, 1 + i % 2), key=names.index)
        words = [rng.choice(TOPICS[name]) for name in chosen for _ in range(2)]
        rng.shuffle(words)
        texts.append(f"the film was {' and '.join(words) or 'okay fine'} number {i}")
        sets.append(tuple(chosen))
    return Examples(texts, sets, multi_label=True)


def write_toy_multilabel_csv(path, n: int = 150, separator: str = ";", none_share: float = 0.0, binary=False):
    """toy_multilabel(n) as a CSV: text + one joined labels column, or (binary) text + one 0/1 column per topic."""
    import csv

    ex = toy_multilabel(n, none_share=none_share)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        if binary:
            w.writerow(["text", *TOPICS])
            w.writerows([t, *(int(name in s) for name in TOPICS)] for t, s in zip(ex.texts, ex.labels))
        else:
            w.writerow(["text", "labels"])
            w.writerows([t, separator.join(s)] for t, s in zip(ex.texts, ex.labels))
    return path


def plain_peft_model(adapter_dir, problem_type: str | None = None):
    """The adapter loaded with plain peft + transformers by the README's own code block (the one under "Plain
    `peft` loads the folder too"), so the documented snippet is what the tests run."""
    import re

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = re.search(r"Plain `peft` loads the folder too:\n\n```python\n(.*?)```", readme, re.S).group(1)
    manifest = json.loads((Path(adapter_dir) / "manifest.json").read_text(encoding="utf-8"))
    code = block.replace('"my-adapter/manifest.json"', repr(str(Path(adapter_dir) / "manifest.json")))
    code = code.replace('"my-adapter"', repr(str(adapter_dir))).replace("BASE_FOLDER", repr(manifest["base_model"]["ref"]))
    if problem_type:
        code = code.replace("num_labels=len(labels))", f"num_labels=len(labels), problem_type={problem_type!r})", 1)
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 - our own README, in a test
    return scope["model"].eval()
