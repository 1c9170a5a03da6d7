"""A kept model's score in words, read from its ScoreEstimate (core/score_estimate.py), the one record of how
it was measured: "Accuracy 82.5% ± 6.1 … estimated by 5-fold cross-validation on 40 examples", or the held-out
validation split's numbers "measured on 150 held-out validation examples". Never re-derived here."""

from __future__ import annotations

from ...core.metrics.score_estimate import ScoreEstimate


def estimate_of(estimate, report):
    """The estimate, or for a result or adapter made before estimates existed: its validation split."""

    if estimate is not None and (estimate.cross_validated or estimate.examples):
        return estimate
    return ScoreEstimate(examples=report.examples if report is not None else 0)


def cross_validated_scores(estimate, multi_label: bool, strong=lambda s: s) -> str:
    """ "Accuracy 82.5% ± 6.1 · macro-F1 0.812 ± 0.050" (label sets: micro-F1 first)."""
    first = f"micro-F1 {estimate.plus_minus('micro_f1')}" if multi_label else \
        f"Accuracy {estimate.plus_minus('accuracy', percent=True)}"
    return f"{strong(first)} · {strong('macro-F1 ' + estimate.plus_minus('macro_f1'))}"


def cross_validated_tip(estimate) -> str:
    return (f"Mean ± spread (standard deviation) over the {estimate.folds} folds: each fold's model was scored on "
            f"examples it never saw. The kept model then trained on all {estimate.examples:,}. The tables below "
            "pool every example's prediction by the fold model that did not train on it.")


def manifest_scores(manifest) -> str:
    """The Predict page's line for a loaded adapter: its scores and how they were measured."""
    val = manifest.validation
    if val is None:
        return "Scores: none recorded"
    multi = manifest.task == "multi_label"
    estimate = estimate_of(manifest.estimate, val)
    if estimate.cross_validated:
        return f"Score: {cross_validated_scores(estimate, multi)} ({estimate.phrase()})"
    metrics = f"accuracy {val.accuracy:.1%}, macro-F1 {val.macro_f1:.3f}"
    if multi and val.report.get("micro_f1") is not None:
        metrics = (f"micro-F1 {val.report['micro_f1']:.3f}, macro-F1 {val.macro_f1:.3f}, every label right on "
                   f"{val.accuracy:.1%}")
    return f"Validation: {metrics} ({estimate.phrase()})"
