"""Which path the loaded data will take (core/small_data.plan_for_run), for the Configure page's sentence.

Computed on the GUI thread whenever the data, the split or a setting changes: it counts labels. A method of
the main window, kept here; it takes the window first.
"""

from __future__ import annotations

from dataclasses import replace


def run_plan(examples, config, validation_file: bool = False):
    """The SmallDataPlan a run would follow (core/small_data.plan_for_run decides it as training does)."""
    from ..core.small_data import plan_for_run

    return plan_for_run(examples, config, validation_file)


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
