"""Would more examples help? The cross-validated score on 25/50/75/100% of the rows, and a sentence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..base.events import CancelToken, LogLine
from ..data.label_map import LabelMap
from .objectives import objective_for
from .pair_tuning import PAIR_BATCH
from .preparation import prepare_model
from .small_data import Progress, Session, fit_steps, fold_of, total_steps
from ..data.small_data_plan import SmallDataPlan, plan_for


@dataclass(frozen=True)
class CurvePoint:
    share: float   # of the rows
    rows: int
    mean: float    # the cross-validated headline metric (accuracy; micro-F1 for label sets)
    spread: float


LEARNING_SHARES = (0.25, 0.5, 0.75, 1.0)
HELPS = 0.02  # a gain of two points from 75% to 100% of the rows: more rows would likely help


def learning_curve(config, examples, emit: Callable | None = None, cancel: CancelToken | None = None,
                   shares=LEARNING_SHARES) -> tuple[list[CurvePoint], str]:
    """The cross-validated score on 25/50/75/100% of the rows (each share a stratified, seeded subset, the same
    fixed settings as training) and a sentence: would more examples likely help? Costs folds × shares fits."""
    emit = emit or (lambda event: None)
    cancel = cancel or CancelToken()
    label_map = LabelMap.from_labels(examples.label_names())
    objective = objective_for(examples, label_map)
    prepared = prepare_model(config, label_map.names, emit, cancel, small=True)
    session = Session(config, examples, label_map, objective, prepared, cancel)
    order = fold_of(examples, 4, config.seed + 7)  # a stratified order: quarter q holds rows with order[i] == q
    subsets = [[i for i in range(len(examples)) if order[i] < round(share * 4)] for share in shares]
    plan = plan_for(examples, config)
    steps = sum(total_steps(SmallDataPlan(True, len(rows), plan.classes, plan.folds, ""),
                            [0] * len(rows)) - fit_steps(len(rows)) for rows in subsets)
    progress = Progress(emit, steps, PAIR_BATCH)
    metric = "micro_f1" if objective.multi_label else "accuracy"
    points = []
    for share, rows in zip(shares, subsets):
        cv = session.cross_validate(rows, plan.folds, progress, lambda event: None)
        mean, spread = cv.spread(metric)
        points.append(CurvePoint(share, len(rows), mean, spread))
        emit(LogLine(f"{len(rows)} examples ({share:.0%}): {mean:.3f} ± {spread:.3f}."))
    return points, curve_verdict(points)


def curve_verdict(points: list[CurvePoint]) -> str:
    if len(points) < 2:
        return ""
    gain = points[-1].mean - points[-2].mean
    if gain >= HELPS:
        return (f"More examples would likely help: the last {points[-1].rows - points[-2].rows} examples added "
                f"{100 * gain:.1f} points.")
    return (f"More examples would help little now: the last {points[-1].rows - points[-2].rows} examples changed the "
            f"score by {100 * gain:+.1f} points. Check the labels, or label the texts the model finds hardest.")
