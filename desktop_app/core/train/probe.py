"""A classification head that starts where a linear probe ends ("linear probe, then fine-tune", Kumar et al.,
ICLR 2022).

A fresh head is random: on a few dozen examples, LoRA's few updates spend themselves teaching it the classes and
barely reach the encoder. Instead, the frozen base reads every training text once, a logistic regression is fitted
on the vectors the head receives (its last linear layer's input), and its weights become the head's. Before any
LoRA step the model then predicts exactly what the probe predicts (tested); fine-tuning starts from there.

Features are scaled to unit mean length for the fit, and the scaling is folded into the weights, so the head
reads the raw vectors. scikit-learn fits the regression (it is a dependency for the label review too).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

PROBE_C = 1.0  # scikit-learn's default regularisation, on standardised features (docs/BENCHMARKS.md, small data)


def head_layer(model):
    """The head's last linear layer (classifier, classifier.out_proj or score), under peft or not."""
    import torch

    for name in ("classifier.out_proj", "classifier", "score"):
        module = model
        for part in name.split("."):
            module = getattr(module, part, None)
            saved = getattr(module, "modules_to_save", None)  # under peft: the trained copy, not the original
            if saved is not None and getattr(module, "active_adapter", None) in saved:
                module = saved[module.active_adapter]
        if isinstance(module, torch.nn.Linear):
            return module
    raise ValueError("this model has no linear classification head")


def head_features(model, encoder, texts: Sequence[str], batch_size: int = 64, between=None) -> np.ndarray:
    """What the head's last layer receives for each text, in the input order (the model in eval mode)."""
    import torch

    layer, seen = head_layer(model), {}
    ids = encoder.encode(list(texts))
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = np.zeros((len(ids), layer.in_features), dtype=np.float32)
    device = next(model.parameters()).device
    handle = layer.register_forward_hook(lambda module, args, output: seen.__setitem__("x", args[0]))
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                if between is not None:
                    between()
                chunk = order[start:start + batch_size]
                batch = {k: v.to(device) for k, v in encoder.collate([ids[i] for i in chunk]).items()}
                model(**batch)
                out[chunk] = seen["x"].float().cpu().numpy()
    finally:
        handle.remove()
        model.train(was_training)
    return out


def fit_probe(features: np.ndarray, targets: np.ndarray, n_labels: int, multi_label: bool = False,
              seed: int = 0, c: float = PROBE_C, balanced: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Weights (n_labels × dim) and bias of a logistic regression on the raw features.

    targets: class ids (one label per text) or a rows × labels 0/1 matrix (several labels per text). A class
    never seen, or a label always or never present, gets zero weights and a bias from its frequency.
    c: the regularisation; balanced: weigh each class by the inverse of its rows (the labelling loop's labels
    come in uneven numbers per class)."""
    from sklearn.linear_model import LogisticRegression

    features = np.asarray(features, dtype=np.float64)
    # one scale for every dimension: the vectors' mean length becomes 1, as for unit-normalised sentence
    # embeddings. Standardising each dimension instead lets a few dozen rows blow up dimensions that barely vary:
    # measured on the snippets at 8 per class, macro-F1 0.461 against 0.58 (docs/BENCHMARKS.md)
    length = float(np.linalg.norm(features, axis=1).mean()) if len(features) else 1.0
    mean, scale = np.zeros(features.shape[1]), np.full(features.shape[1], length if length > 1e-6 else 1.0)
    z = features / scale
    weights, bias = np.zeros((n_labels, features.shape[1])), np.zeros(n_labels)
    if multi_label:
        truth = np.asarray(targets)
        for j in range(n_labels):
            column = truth[:, j]
            if column.min() == column.max():
                rate = np.clip(column.mean(), 0.01, 0.99)
                bias[j] = np.log(rate / (1 - rate))
                continue
            lr = LogisticRegression(C=c, max_iter=2000, random_state=seed, class_weight="balanced" if balanced else None).fit(z, column)
            weights[j], bias[j] = lr.coef_[0], lr.intercept_[0]
    else:
        y = np.asarray(targets, dtype=int)
        present = np.unique(y)
        if len(present) < 2:
            bias[present] = 1.0
        else:
            lr = LogisticRegression(C=c, max_iter=2000, random_state=seed, class_weight="balanced" if balanced else None).fit(z, y)
            if len(present) == 2:  # one coefficient row: split it evenly between the two logits
                weights[present[0]], weights[present[1]] = -lr.coef_[0] / 2, lr.coef_[0] / 2
                bias[present[0]], bias[present[1]] = -lr.intercept_[0] / 2, lr.intercept_[0] / 2
            else:
                weights[present], bias[present] = lr.coef_, lr.intercept_
            missing = np.setdiff1d(np.arange(n_labels), present)
            bias[missing] = bias[present].min() - 10.0  # a class with no example here is never predicted
    folded = weights / scale
    return folded.astype(np.float32), (bias - folded @ mean).astype(np.float32)


def set_head(model, weights: np.ndarray, bias: np.ndarray) -> None:
    import torch

    layer = head_layer(model)
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(weights, dtype=layer.weight.dtype))
        layer.bias.copy_(torch.as_tensor(bias, dtype=layer.bias.dtype))
