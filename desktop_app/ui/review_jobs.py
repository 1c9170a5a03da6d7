"""Jobs of the Review labels view, for the Runner: plain callables `job(emit, cancel)` over core/curate, built from
values read on the GUI thread. Nothing here touches a widget."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.base.events import checkpoint
from ..core.base.logs import report
from ..core.curate.label_files import LabelFile, reviewed_table
from ..core.curate.label_review import check_reviewable, review_labels, targets_of
from ..core.curate.vectors import SentenceVectors
from .jobs import heavy_libraries

SUFFIX = "reviewed"  # the new file: "<stem>-reviewed.csv" beside the user's


@dataclass
class ReviewOutcome:
    review: object      # core.curate.label_review.Review
    classifier: object  # a Classifier on the same sentence vectors: what explains a suggestion (None: none made)
    no_explanations: str = ""  # why there is no classifier to explain with


def estimate_review_job(config, examples, folds: int):
    """A large file: the base model loaded, and how long reading every text would take here. Returns
    (SentenceVectors, seconds); the review that follows reuses the model."""
    def job(emit, cancel):
        check_reviewable(examples, folds)  # a sentence at once, before the model loads
        heavy_libraries()
        vectors = SentenceVectors(config, emit, cancel)
        return vectors, vectors.seconds_for(len(examples))
    return job


def review_job(config, examples, folds: int, vectors=None):
    """The review, then a classifier on every row's vectors (read once, kept by SentenceVectors) for the
    explanations. Bad input raises DataError before the model loads. vectors: a base model loaded already."""
    def job(emit, cancel):
        label_map = check_reviewable(examples, folds)  # a sentence at once, before the model loads
        heavy_libraries()
        nonlocal vectors
        vectors = vectors or SentenceVectors(config, emit, cancel)
        checkpoint(cancel)
        review = review_labels(examples, vectors, folds, emit=emit, cancel=cancel)
        checkpoint(cancel)
        found = vectors.of(examples.texts, emit=emit, cancel=cancel)  # known already: no text is read twice
        try:
            classifier = vectors.classifier(found, targets_of(examples, label_map), tuple(label_map.names),
                                            examples.multi_label)
        except Exception as exc:  # noqa: BLE001 - the review stands without explanations; the log says why
            report(exc)
            return ReviewOutcome(review, None, "the explaining model could not be made (the log has the details).")
        return ReviewOutcome(review, classifier)
    return job


def save_reviewed_job(source: str, frame, fixes: dict, drops: set, label_column, spec, multi_label: bool):
    """The user's table with the fixes and without the dropped rows, as a NEW file beside `source` (never over
    it). Returns the path written."""
    def job(emit, cancel):
        out = LabelFile.beside(source, SUFFIX)
        return str(out.write(reviewed_table(frame, fixes, drops, label_column, spec, multi_label)))
    return job
