"""A PyTorch classifier's probabilities for texts: batched by length, no gradients, softmax or one sigmoid per label.
Below both ways of predicting (inference.py's Classifier, and onnx_export.py's parity check against ONNX Runtime)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def multi_label_model(model) -> bool:
    return getattr(model.config, "problem_type", None) == "multi_label_classification"


def predict_probabilities(model, encoder, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Class probabilities for each text, in the input order."""
    import torch

    if not texts:
        return np.zeros((0, model.config.num_labels), dtype=np.float32)
    ids = encoder.encode(list(texts))
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # similar lengths share a batch: little padding
    device = next(model.parameters()).device
    out = np.zeros((len(ids), model.config.num_labels), dtype=np.float32)
    multi = multi_label_model(model)  # a sigmoid per label: each label's probability on its own
    was_training = model.training
    if was_training:
        model.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            batch = {k: v.to(device) for k, v in encoder.collate([ids[i] for i in chunk]).items()}
            logits = model(**batch).logits.float()
            probs = torch.sigmoid(logits) if multi else torch.softmax(logits, dim=-1)
            out[chunk] = probs.cpu().numpy()
    if was_training:
        model.train()
    return out
