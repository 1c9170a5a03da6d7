"""Classify new text with a trained adapter: batched, sorted by length, no gradients."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    probabilities: dict[str, float]


def predict_probabilities(model, encoder, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Class probabilities for each text, in the input order."""
    import torch

    if not texts:
        return np.zeros((0, model.config.num_labels), dtype=np.float32)
    ids = encoder.encode(list(texts))
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # similar lengths share a batch: little padding
    device = next(model.parameters()).device
    out = np.zeros((len(ids), model.config.num_labels), dtype=np.float32)
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            batch = {k: v.to(device) for k, v in encoder.collate([ids[i] for i in chunk]).items()}
            logits = model(**batch).logits.float()
            out[chunk] = torch.softmax(logits, dim=-1).cpu().numpy()
    if was_training:
        model.train()
    return out


class Classifier:
    """A loaded adapter ready to predict. Use Classifier.load(path)."""

    def __init__(self, model, encoder, labels: tuple[str, ...], manifest: dict, path: Path | None = None) -> None:
        self.model, self.encoder, self.labels, self.manifest, self.path = model, encoder, labels, manifest, path

    @classmethod
    def load(cls, adapter: str | Path, base_model: str | None = None) -> "Classifier":
        """Load and verify an adapter folder or exported .zip (see adapters.py for every check)."""
        from .adapters import load_adapter

        return load_adapter(adapter, base_model=base_model)

    def predict_proba(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        return predict_probabilities(self.model, self.encoder, [str(t) for t in texts], batch_size)

    def predict(self, texts: Sequence[str] | str, batch_size: int = 64) -> list[Prediction]:
        if isinstance(texts, str):
            texts = [texts]
        probs = self.predict_proba(texts, batch_size)
        return [Prediction(self.labels[int(row.argmax())], float(row.max()),
                           {name: float(p) for name, p in zip(self.labels, row)}) for row in probs]
