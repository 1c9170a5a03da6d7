"""The frozen base model's sentence vectors: what the label review and the labelling loop learn from.

Each text is read once by the base (the unit-length mean of its token vectors, the vector the small path's probe
reads, pooling.py), then every fold and every retrain is a logistic regression on those vectors: seconds, not a
fine-tune per fold. Vectors are kept by text, so the labelling loop never reads a text twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from ..base.events import CancelToken, LogLine, WorkProgress, checkpoint
from ..model import base_models
from ..model.config import TrainConfig
from ..model.pooling import pooling_of
from ..model.text import TextEncoder
from ..predict.inference import Classifier
from ..train.preparation import prepare_model
from ..train.probe import fit_probe, head_features, set_head

MAX_TOKENS = 256  # a text's first 256 tokens: its kind shows there, and a file of long articles stays affordable
CHUNK = 64        # texts per progress step (and per cancel check)


class SentenceVectors:
    """One base model, loaded once; `of(texts)` gives each text's vector, reading only those not seen before."""

    def __init__(self, config: TrainConfig, emit: Callable = lambda event: None, cancel: CancelToken | None = None):
        self.config, self.emit, self.cancel = config, emit, cancel or CancelToken()
        self.prepared = prepare_model(config, ("a", "b"), emit, self.cancel, small=True)
        self.prepared.model.eval()
        limit = min(self.prepared.token_limit, config.max_length or MAX_TOKENS)
        self.encoder = TextEncoder(self.prepared.tokenizer, limit)
        self._known: dict[str, np.ndarray] = {}
        self.rate: float | None = None  # texts per second, once measured

    def of(self, texts: Sequence[str], what: str = "Reading the texts", emit: Callable | None = None,
           cancel: CancelToken | None = None) -> np.ndarray:
        """Unit-length vectors, one row per text (in order). emit / cancel: the calling job's bridge (a model
        loaded in one job is read in later ones); by default those it was made with."""
        emit, cancel = emit or self.emit, cancel or self.cancel
        missing = list(dict.fromkeys(t for t in texts if t not in self._known))
        started = time.monotonic()
        for start in range(0, len(missing), CHUNK):
            checkpoint(cancel)
            chunk = missing[start:start + CHUNK]
            found = head_features(self.prepared.model, self.encoder, chunk)
            found /= np.maximum(np.linalg.norm(found, axis=1, keepdims=True), 1e-12)
            self._known.update(zip(chunk, found))
            emit(WorkProgress(min(start + CHUNK, len(missing)), len(missing), what))
        if missing:
            self.rate = len(missing) / max(time.monotonic() - started, 1e-6)
        dim = self.prepared.model.config.hidden_size
        return np.stack([self._known[t] for t in texts]) if len(texts) else np.zeros((0, dim), np.float32)

    def keep(self, texts: Sequence[str], found: np.ndarray) -> None:
        """Vectors read earlier by this base model (a benchmark's cache): `of` will not read these texts again."""
        self._known.update(zip(texts, np.asarray(found, dtype=np.float32)))

    def seconds_for(self, n_texts: int) -> float:
        """The time `of` would take for n new texts, measured on a first chunk if not yet known."""
        if self.rate is None:
            sample = [f"{i} " + "a short sample text to time the model" * (1 + i % 4) for i in range(16)]
            started = time.monotonic()
            head_features(self.prepared.model, self.encoder, sample)
            self.rate = len(sample) / max(time.monotonic() - started, 1e-6)
            self.emit(LogLine(f"The base model reads about {self.rate:.0f} texts a second here."))
        return n_texts / self.rate

    def classifier(self, vectors: np.ndarray, targets: np.ndarray, labels: tuple[str, ...], multi_label: bool,
                   seed: int = 0):
        """A Classifier (the base with a head from a probe on these vectors): what the explanation view reads."""
        # a head of len(labels) outputs: the one the vectors were read with has two
        model = base_models.load_classifier(self.prepared.base, tuple(labels), multi_label=multi_label,
                                            pooling=pooling_of(self.prepared.model))
        set_head(model, *fit_probe(vectors, targets, len(labels), multi_label, seed))
        model.eval()
        made = Classifier(model, self.encoder, labels, None)
        made.multi_label = multi_label
        return made


def probabilities(weights: np.ndarray, bias: np.ndarray, vectors: np.ndarray, multi_label: bool) -> np.ndarray:
    """What a probe (fit_probe's weights) gives these vectors: softmax, or one sigmoid per label."""
    logits = vectors @ weights.T + bias
    if multi_label:
        return 1.0 / (1.0 + np.exp(-logits))
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)
