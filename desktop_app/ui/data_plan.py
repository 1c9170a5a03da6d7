"""Which path the loaded data will take (core/small_data.plan_for), for the Configure page's sentence.

Computed on the GUI thread whenever the data, the split or a setting changes: it counts labels. A method of
the main window, kept here; it takes the window first.
"""

from __future__ import annotations

from dataclasses import replace


def run_plan(examples, config, validation_file: bool = False):
    """The SmallDataPlan a run would follow: as dataset.prepare_training_data decides it (the test share held
    out first, then plan_for), and never the small path beside a validation file."""
    from ..core.dataset import stratified_split
    from ..core.small_data import MAX_SMALL_ROWS, SmallDataPlan, plan_for

    held = examples
    # the split costs ~0.3 s on 100,000 rows; when the rows left cannot take the small path by size, only the
    # count in the sentence would change, so the split is made only when it can change the path
    if config.test_fraction and (config.small_data == "on"
                                 or len(examples) * (1 - config.test_fraction) < MAX_SMALL_ROWS):
        held = stratified_split(examples, config.test_fraction, 0.0, config.seed).train
    plan = plan_for(held, config)
    if validation_file:
        return SmallDataPlan(False, plan.rows, plan.classes, 0, f"{plan.rows:,} examples: LoRA Studio measures "
                             "each epoch on your validation file and keeps the best one.")
    return plan


def update_plan(window) -> None:
    from ..core.errors import StudioError

    data = window.data
    if data is None or not data.report.ok:
        window.configure.set_plan(None, None if data is None else "How LoRA Studio trains and measures your model "
                                  "is decided once the data has no blocking problem (step 1).")
        return
    sel = window.dataset.selection()
    config = replace(window.configure.config(), validation_fraction=sel["validation_fraction"],
                     test_fraction=sel["test_fraction"])
    try:
        plan = run_plan(data.examples, config, bool(sel["validation_path"]))
    except StudioError:  # shares out of range: the Dataset step says so, and Start refuses them
        plan = None
    window.configure.set_plan(plan)
