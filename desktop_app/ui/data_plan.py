"""Which path the loaded data will take (core/small_data.plan_for_run), for the Configure page's sentence, and
the rows a run will train on (the run's own split), for the epochs line and the time estimate alike.

Computed on the GUI thread whenever the data, the split or a setting changes: it counts labels.
"""

from __future__ import annotations

from dataclasses import replace

from ..core.base.errors import StudioError
from ..core.data.dataset import Examples, prepare_training_data
from ..core.train.small_data import plan_for_run

_SPLIT_KEPT: list = []  # (key, Splits): the last split made, so a setting that moves no row splits nothing again


def run_plan(examples, config, validation_file: bool = False):
    """The SmallDataPlan a run would follow (core/small_data.plan_for_run decides it as training does)."""

    return plan_for_run(examples, config, validation_file)


def plan_config(configure, selection: dict):
    """The Configure page's settings with the Dataset page's validation and test shares, as a run takes them."""
    return replace(configure.config(), validation_fraction=selection["validation_fraction"],
                   test_fraction=selection["test_fraction"])


def run_split(examples, config, validation_file: bool = False):
    """The rows a run trains on, split by the run's own function (core/dataset.prepare_training_data): the test
    share held out whenever it is set, the validation share too on the usual path (not beside a validation file,
    whose rows are not these), every remaining row on the small-data path. `.plan.small` says which path (a
    validation file's split has no plan: never small). Raises StudioError for shares out of range."""

    key = (id(examples), len(examples), config.validation_fraction, config.test_fraction, config.seed,
           config.small_data, validation_file)
    if _SPLIT_KEPT and _SPLIT_KEPT[0][0] == key and _SPLIT_KEPT[0][1] is examples:
        return _SPLIT_KEPT[0][2]
    # a validation file's own rows do not change which rows train: an empty stand-in takes its place
    validation = Examples([], [], multi_label=examples.multi_label) if validation_file else None
    splits = prepare_training_data(examples, config, validation)
    _SPLIT_KEPT[:] = [(key, examples, splits)]
    return splits


def update_plan(configure, selection: dict, data) -> None:
    """The Configure page's sentence for `data` (jobs.LoadedData or None) with the Dataset page's `selection`,
    and the number of rows the run will train on (for the epochs line)."""

    configure.set_labels_per_text(data is not None and bool(data.report.multi_label))  # its automatic rate
    if data is None or not data.report.ok:
        configure.set_train_size(0)
        configure.set_plan(None, None if data is None else "How LoRA Studio trains and measures your model "
                           "is decided once the data has no blocking problem (step 1).")
        return
    config = plan_config(configure, selection)
    try:
        plan = run_plan(data.examples, config, bool(selection["validation_path"]))
        configure.set_train_size(len(run_split(data.examples, config, bool(selection["validation_path"])).train))
    except StudioError:  # shares out of range: the Dataset step says so, and Start refuses them
        plan = None
    configure.set_plan(plan)
