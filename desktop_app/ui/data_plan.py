"""Which path the loaded data will take (core/small_data.plan_for_run), for the Configure page's sentence.

Computed on the GUI thread whenever the data, the split or a setting changes: it counts labels.
"""

from __future__ import annotations

from dataclasses import replace


def run_plan(examples, config, validation_file: bool = False):
    """The SmallDataPlan a run would follow (core/small_data.plan_for_run decides it as training does)."""
    from ..core.small_data import plan_for_run

    return plan_for_run(examples, config, validation_file)


def update_plan(configure, selection: dict, data) -> None:
    """The Configure page's sentence for `data` (jobs.LoadedData or None) with the Dataset page's `selection`."""
    from ..core.errors import StudioError

    configure.set_labels_per_text(data is not None and bool(data.report.multi_label))  # its automatic rate
    if data is None or not data.report.ok:
        configure.set_plan(None, None if data is None else "How LoRA Studio trains and measures your model "
                           "is decided once the data has no blocking problem (step 1).")
        return
    config = replace(configure.config(), validation_fraction=selection["validation_fraction"],
                     test_fraction=selection["test_fraction"])
    try:
        plan = run_plan(data.examples, config, bool(selection["validation_path"]))
    except StudioError:  # shares out of range: the Dataset step says so, and Start refuses them
        plan = None
    configure.set_plan(plan)
