"""Why a text got its label: per-word attributions toward a class, with Captum.

Two methods, both on the output of the embedding block (word + position + type, normalised) of the same
model and the same token ids the prediction used (head+tail cut included):
- "fast": integrated gradients with 8 steps in one batch, one backward pass: instant while typing (plain
  gradient × input was measured first, and agreed with full integrated gradients on the top word only 18%
  of the time: a trained model's gradients at the text are saturated);
- "careful": integrated gradients with 48 steps, about half a second a snippet on a CPU.
Both are Captum's LayerIntegratedGradients from a baseline where every word piece is replaced by padding
(the special tokens kept); the scores add up, approximately, to the class's logit minus the baseline's
(completeness; `delta` says how far off, closer with more steps).
Scores are per word piece first, then summed per word (pieces that touch in the text form one word).
A positive score supports the explained class, a negative one speaks against it.

Each explanation also says how far to trust it: the model's own validation score (or its cross-validated
estimate), with a caution when that score is weak or when the scores miss the completeness check.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..base.errors import StudioError

STEPS = {"fast": 8, "careful": 48}  # integrated-gradient steps of each method (bench/bench_explain.py)
METHODS = {name: f"integrated gradients, {n} steps" for name, n in STEPS.items()}

# A model is weak when its score closes less than half the distance from what a model that learnt nothing scores
# on the same rows (always the commonest class; with several labels per text, every label) to a perfect score:
# below 75% accuracy on two balanced classes, 62.5% on four, 95% where one class is 90% of the rows. A fixed bar
# (80%) would pass a useless model on imbalanced data and fail a good one on many classes. Under it the model is
# wrong often enough that the words it leans on may be noise, which the explanation shows as faithfully as sense.
WEAK_SHARE = 0.5
# Completeness: the scores should add up to the explained logit's change from the baseline; `delta` is how far
# they miss. Poor past a quarter of that change (of one logit when the change is smaller: near zero, any gap looks
# large). Measured on MiniLM (3 classes, 20 short reviews): fast (8 steps) misses by a median 10% and by more than
# a quarter on 6 of 20, up to 50%, where its word ranking drifts from careful's (rank correlation 0.77-0.96);
# careful (48 steps) misses by under 0.01%. So the caution fires where Explain carefully is worth the click.
GAP_SHARE, GAP_FLOOR = 0.25, 1.0


class ExplainError(StudioError):
    pass


@dataclass(frozen=True)
class WordScore:
    word: str
    score: float
    start: int  # character offsets in the text
    end: int


@dataclass(frozen=True)
class ModelScore:
    """The explained model's own score, from its manifest: how far its explanations can be trusted."""

    metric: str            # "accuracy", or "micro-F1" for several labels per text
    value: float
    chance: float          # what a model that learnt nothing scores on the same rows
    measured: str          # ScoreEstimate.phrase(): on held-out validation rows, or by k-fold cross-validation
    spread: float | None = None  # cross-validation: the standard deviation over the folds

    @property
    def weak(self) -> bool:
        return self.value < self.chance + WEAK_SHARE * (1 - self.chance)

    def shown(self) -> str:
        """"accuracy 72.0%" or "accuracy 72.0% ± 6.1" (cross-validated)."""
        spread = f" ± {100 * self.spread:.1f}" if self.spread is not None else ""
        return f"{self.metric} {self.value:.1%}{spread}"

    def to_dict(self) -> dict:
        return {"metric": self.metric, "value": round(self.value, 4), "chance": round(self.chance, 4),
                "measured": self.measured, **({"spread": round(self.spread, 4)} if self.spread is not None else {}),
                "weak": self.weak}


def model_score(manifest) -> ModelScore | None:
    """The headline score a manifest records (accuracy; micro-F1 for several labels per text), with the score
    of a model that learnt nothing; None when the model has no validation score (not saved, or never measured)."""
    validation = getattr(manifest, "validation", None)
    if validation is None:
        return None
    multi = manifest.task == "multi_label"
    key, name = ("micro_f1", "micro-F1") if multi else ("accuracy", "accuracy")
    estimate = manifest.estimate
    if estimate.cross_validated and key in (estimate.mean or {}):
        value, spread = estimate.mean[key], (estimate.spread or {}).get(key, 0.0)
    else:
        value, spread = validation.report.get(key), None
    if value is None:  # a multi-label manifest without micro-F1 (written by hand): no headline score to show
        return None
    supports = [c.get("support", 0) for c in validation.report.get("per_class") or []]
    k = len(manifest.labels)
    if multi:  # giving every label: precision is the labels' density d, recall 1, so F1 = 2d / (1 + d)
        density = sum(supports) / (validation.examples * k) if supports and validation.examples else 0.0
        chance = 2 * density / (1 + density)
    else:  # always the commonest class
        chance = max([1 / k] + ([max(supports) / sum(supports)] if sum(supports) else []))
    return ModelScore(name, float(value), chance, estimate.phrase(), spread)


def model_cautions(model: ModelScore | None) -> list[str]:
    """What the explaining model's score says of every explanation it gives (a file's too), in plain words."""
    if model is None:
        return ["This model has no validation score, so how far its explanations hold is unknown."]
    if model.weak:
        return [f"The model is weak ({model.shown()}, where one that learnt nothing scores {model.chance:.0%}): "
                "the words it leans on may not be what decides the label."]
    return []


@dataclass(frozen=True)
class Explanation:
    text: str
    label: str            # the class the scores explain
    predicted: str
    probabilities: dict[str, float]
    method: str           # "fast" | "careful"
    words: list[WordScore]
    delta: float | None = None  # integrated gradients: sum of scores minus the logit difference it explains
    cut: bool = False     # the text was longer than the model reads: its middle is not explained
    change: float | None = None  # what the scores should add up to: the class's logit, text minus baseline
    model: ModelScore | None = None  # the explaining model's own score; None: it has none

    @property
    def incomplete(self) -> bool:
        """The scores miss the logit change they explain by more than GAP_SHARE of it."""
        return self.delta is not None and self.change is not None and \
            self.delta > GAP_SHARE * max(abs(self.change), GAP_FLOOR)

    def cautions(self) -> list[str]:
        """Why to read this explanation with care, in plain words; empty when there is no reason."""
        out = model_cautions(self.model)
        if self.incomplete:
            rest = "Explain carefully for a closer account." if self.method == "fast" else "Read them as rough."
            out.append(f"The scores add up to the model's decision only roughly (off by {self.delta:.2f} of "
                       f"{abs(self.change):.2f}). {rest}")
        return out

    def top_words(self, k: int = 5) -> list[str]:
        """The words that support the class most, strongest first."""
        ranked = sorted((w for w in self.words if w.score > 0), key=lambda w: -w.score)
        return [w.word for w in ranked[:k]]

    def to_dict(self) -> dict:
        return {"label": self.label, "predicted": self.predicted, "probabilities": self.probabilities,
                "method": METHODS[self.method],
                "attributions": [{"token": w.word, "score": round(w.score, 6)} for w in self.words],
                **({"completeness_gap": round(self.delta, 6)} if self.delta is not None else {}),
                **({"explained_change": round(self.change, 6)} if self.change is not None else {}),
                **({"cut": True} if self.cut else {}),
                "model_score": self.model.to_dict() if self.model else None, "cautions": self.cautions()}


def explain(classifier, text: str, target: str | None = None, method: str = "fast", steps: int | None = None,
            prediction=None) -> Explanation:
    """Attributions of `text`'s words toward `target` (default: the predicted class). `prediction`: the
    classifier's prediction for `text` when the caller has it already (else it is made here)."""
    import torch

    if method not in METHODS:
        raise ExplainError(f"Unknown explanation method “{method}”.", "Use fast or careful.")
    if classifier.int8:
        raise ExplainError("Explanations need the full-precision model; this one was quantised to int8, "
                           "whose layers have no gradients.", "Load the adapter without --int8 to explain.")
    if target is not None and target not in classifier.labels:
        raise ExplainError(f"“{target}” is not one of this model's classes ({', '.join(classifier.labels)}).")
    text = str(text)
    pieces = _pieces(classifier.encoder, text)
    ids = torch.tensor([pieces.ids], dtype=torch.long)
    mask = torch.ones_like(ids)
    model = classifier.model
    prediction = prediction or classifier.predict([text])[0]
    index = classifier.labels.index(target or _default_target(prediction))
    with classifier.lock:  # Captum hooks the shared embedding block while it works
        scores, delta, change = _attribute(model, ids, mask, index, pieces, steps or STEPS[method])
    return Explanation(text, classifier.labels[index], prediction.label, prediction.probabilities, method,
                       _words(text, pieces, scores), delta, pieces.cut, change, model_score(classifier.manifest))


def _default_target(prediction) -> str:
    """The predicted class; multi-label: the most probable label chosen, or the most probable of all when
    none is (each label's own logit is then explained: why it was, or almost was, given)."""
    if prediction.labels is None:
        return prediction.label
    candidates = prediction.labels or prediction.probabilities
    return max(candidates, key=prediction.probabilities.get)


# ---------------------------------------------------------------- internals
@dataclass(frozen=True)
class _Pieces:
    ids: list[int]                 # what the model reads: specials + pieces (head+tail cut)
    spans: list[tuple[int, int]]   # per id: character span in the text; (-1, -1) for special tokens
    baseline: list[int]            # the same ids with every piece replaced by padding
    cut: bool
    words: list[int]               # per id: the tokenizer's word index (-1 for specials and spaces)


def _pieces(encoder, text: str) -> _Pieces:
    """The token ids the classifier reads for `text` (TextEncoder's cut), with each piece's span in `text`."""
    bounds = encoder.precut_bounds(text)  # the same character cut as the prediction's, mapped back
    head_chars, tail_from = bounds if bounds else (len(text), len(text))
    read = text if bounds is None else text[:head_chars] + " " + text[tail_from:]

    def in_text(offset: int) -> int:
        return offset if offset <= head_chars else offset - head_chars - 1 + tail_from

    try:
        encoded = encoder.tokenizer(read, add_special_tokens=False, return_offsets_mapping=True)
    except NotImplementedError as exc:  # a slow (Python) tokenizer has no offsets
        raise ExplainError("This model's tokenizer cannot map word pieces back to the text.") from exc
    spans = [_trimmed(read, a, b, in_text) for a, b in encoded["offset_mapping"]]
    words = [-1 if w is None or span[0] < 0 else w for w, span in zip(encoded.word_ids(), spans)]
    cut = len(encoded["input_ids"]) > encoder.budget or bounds is not None
    ids, spans, words = encoder.keep(encoded["input_ids"]), encoder.keep(spans), encoder.keep(words)
    full = encoder.prefix + ids + encoder.suffix
    if full != encoder.encode([text])[0]:  # the explanation must read exactly what the prediction read
        raise ExplainError("The explanation could not reproduce the prediction's tokens for this text.")
    specials = len(encoder.prefix), len(encoder.suffix)
    return _Pieces(full, [(-1, -1)] * specials[0] + spans + [(-1, -1)] * specials[1],
                   encoder.prefix + [encoder.pad_id] * len(ids) + encoder.suffix, cut,
                   [-1] * specials[0] + words + [-1] * specials[1])


def _trimmed(read: str, start: int, end: int, in_text) -> tuple[int, int]:
    """A piece's span in the user's text without the spaces some tokenizers count in (SentencePiece's ▁);
    (-1, -1) for a piece of spaces only (the space inserted where a huge text was cut, for one)."""
    piece = read[start:end]
    if not piece.strip():
        return -1, -1
    start += len(piece) - len(piece.lstrip())
    end -= len(piece) - len(piece.rstrip())
    return in_text(start), in_text(end)


def _attribute(model, ids, mask, index: int, pieces: _Pieces, steps: int):
    import torch
    from captum.attr import LayerIntegratedGradients

    def logits(input_ids, attention_mask):
        return model(input_ids=input_ids, attention_mask=attention_mask).logits.float()

    baseline = torch.tensor([pieces.baseline], dtype=torch.long)
    # fast is 8 steps in one batch (one backward pass). Measured against 48 steps on 60 Rotten Tomatoes
    # snippets (bench/bench_explain.py): plain gradient x input at the text agreed on the top word 18% of
    # the time (rank correlation 0.07: saturated gradients), 2 midpoint steps 40% (0.58), 8 steps 87% (0.99).
    with torch.enable_grad():
        attributions, gap = LayerIntegratedGradients(logits, _embeddings(model)).attribute(
            ids, baselines=baseline, target=index, additional_forward_args=(mask,), n_steps=steps,
            method="gausslegendre", internal_batch_size=steps, return_convergence_delta=True)
    scores = attributions.sum(dim=-1)[0].detach().float()
    # Captum's gap is the scores' sum minus the logit change, so the change is the sum minus the gap
    return scores.tolist(), float(gap.abs().max()), float(scores.sum() - gap.sum())


def _embeddings(model):
    """The embedding block's output (word + position + type, normalised), as Captum's BERT tutorial does:
    the word embeddings alone feed a LayerNorm that is almost blind to their scale, so gradients there
    are near zero and integrated gradients jump in one step (measured on a tiny BERT)."""
    block = getattr(getattr(model, "base_model", model), "embeddings", None)
    return block if block is not None else model.get_input_embeddings()


def _words(text: str, pieces: _Pieces, scores: list[float]) -> list[WordScore]:
    """The pieces of one word (the tokenizer's own word_ids: "play" + "##ing", but "good" "," "bad" apart, and
    each Chinese character apart, as the tokenizer splits them) become that word, its score theirs summed."""
    words: list[list] = []
    last = None
    for (start, end), word, score in zip(pieces.spans, pieces.words, scores):
        if word < 0:
            continue  # special tokens and spaces are not words of the text
        if words and word == last:
            words[-1][1] = max(words[-1][1], end)
            words[-1][2] += score
        else:
            words.append([start, end, score])
        last = word
    return [WordScore(text[s:e], float(v), s, e) for s, e, v in words]
