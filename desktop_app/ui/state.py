"""What the user has open, and what each result was made from: one place the window reads (issue 22).

Qt-free on purpose (glue's state objects): the controllers change it, the window listens and derives every
enabled/disabled rule from it, and tests drive it without a window. A result is kept with its provenance,
the identity of the file (path, size, modification time) and of the model (where it came from, its weights'
sha256) it was computed from; when an input changes, the results that depended on it go here, in one place,
and Save acts only on a result whose provenance matches what is selected now.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileId:
    """A file as it was when read: the same path rewritten since is another input."""
    path: str
    size: int
    modified_ns: int

    @classmethod
    def of(cls, path: str | os.PathLike) -> FileId:
        try:
            status = os.stat(path)
        except OSError:  # gone or unreadable: still an identity, never equal to a file that can be read
            return cls(str(path), -1, -1)
        return cls(str(path), status.st_size, status.st_mtime_ns)

    @property
    def name(self) -> str:
        return Path(self.path).name


@dataclass(frozen=True)
class ModelId:
    """A model: where it was loaded from (an adapter folder or .zip, or the run folder just trained) and the
    sha256 of its weights as its manifest records them ("" when it has none)."""
    source: str
    weights: str = ""

    @classmethod
    def of(cls, classifier) -> ModelId:
        manifest = getattr(classifier, "manifest", None)
        files = getattr(manifest, "files", None) or {}
        weights = ",".join(f"{name}={digest}" for name, digest in sorted(files.items()))
        return cls(str(getattr(classifier, "path", "") or ""), weights)


@dataclass(frozen=True)
class Made:
    """A result's provenance: the file and the model it was computed from (None: it did not depend on one)."""
    data: FileId | None = None
    model: ModelId | None = None


@dataclass(frozen=True)
class Stamped:
    """A value with its provenance; `detail` is what else it depended on (the text column of a batch)."""
    value: object
    made: Made
    detail: object = None


class Workspace:
    """The dataset in use, the model in use, the run in progress and the results, with their provenance.

    Listeners (plain callables) are called after every change; the window derives its buttons from `rules()`.
    """

    def __init__(self) -> None:
        self.dataset: FileId | None = None
        self.data = None                  # jobs.LoadedData of `dataset`
        self.model: ModelId | None = None
        self.classifier = None            # core.inference.Classifier of `model`
        self.model_label = ""             # how the Predict page names it ("Trained just now (run-…)")
        self.training = False
        self.runs_started = 0             # Configure is "done" once a run started with its settings
        self.model_pending = False        # a run just ended: its model is being prepared for Predict
        self.run: Stamped | None = None   # the last finished run's TrainResult (data: the file it trained on)
        self.batch_input: Stamped | None = None  # the table chosen in Predict › Classify a whole file
        self.batch: Stamped | None = None        # its predictions (data: that table's file; model: the model)
        self.batch_running = False
        self.deleted: set[str] = set()    # run folders deleted from the history: not exportable any more
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    # -- inputs -----------------------------------------------------------
    def open_data(self, file: FileId, data) -> None:
        """A dataset read (a new file, or the same file read again with other columns or encoding). The last
        run's results describe the data it trained on: they go unless a run is training now (its own data)."""
        self.dataset, self.data = file, data
        if not self.training:
            self.run = None
        self._changed()

    def use_model(self, classifier, label: str) -> None:
        """The model in use changes: predictions made by another model are no longer shown or saved."""
        self.classifier, self.model, self.model_label = classifier, ModelId.of(classifier), label
        self.model_pending = False
        if self.batch is not None and self.batch.made.model != self.model:
            self.batch = None
        self._changed()

    def set_training(self, running: bool) -> None:
        """A run starts: the Train page shows it, not the last one (after a Stop it shows none)."""
        self.training = running
        if running:
            self.run, self.runs_started = None, self.runs_started + 1
        self._changed()

    def finish_run(self, result, trained_on: FileId | None) -> None:
        """A run ended with a model: Predict waits for it (use_model), never leads to the previous one meanwhile."""
        self.run, self.model_pending = Stamped(result, Made(trained_on)), True
        self._changed()

    def model_not_prepared(self) -> None:
        self.model_pending = False
        self._changed()

    def open_batch_input(self, file: FileId, table) -> None:
        """Another file to classify: the predictions of the previous one go (they are not this file's)."""
        self.batch_input, self.batch = Stamped(table, Made(file)), None
        self._changed()

    def batch_request(self, column: str) -> Stamped | None:
        """What a batch run starts from now: the table, its file and the model in use; None when one is missing."""
        if self.batch_input is None or self.classifier is None:
            return None
        return Stamped(self.batch_input.value, Made(self.batch_input.made.data, self.model), column)

    def finish_batch(self, frame, request: Stamped) -> bool:
        """Keep the predictions of `request` only if its file and model are still the ones selected."""
        if not self._current(request.made):
            return False
        self.batch, self.batch_running = Stamped(frame, request.made, request.detail), False
        self._changed()
        return True

    def set_batch_running(self, running: bool) -> None:
        """A new batch replaces the predictions before it, finished or cancelled."""
        self.batch_running = running
        if running:
            self.batch = None
        self._changed()

    def run_deleted(self, folder: str) -> None:
        self.deleted.add(str(folder))
        self._changed()

    # -- derived ----------------------------------------------------------
    def _current(self, made: Made) -> bool:
        return (self.batch_input is not None and made.data == self.batch_input.made.data
                and made.model == self.model)

    def batch_to_save(self) -> Stamped | None:
        """The predictions Save would write: only those of the file and the model selected now."""
        return self.batch if self.batch is not None and self._current(self.batch.made) else None

    def export_source(self, of: str = "run") -> str | None:
        """The adapter folder an Export copies: of="run", the Train page's button: the run it shows, else (no run
        shown, e.g. after a restart) the model in use; of="model", File › Export: the model in use, else the run.
        Only a folder still on disk and not deleted from the history (a .zip is shared as it is)."""
        run = getattr(self.run.value, "adapter_dir", None) if self.run is not None else None
        run = str(run) if run else None
        model = self.model.source if self.model is not None else None
        first, second = (run, model) if of == "run" else (model, run)
        folder = first if first else second  # the one it names, never another in its place
        if folder and folder not in self.deleted and Path(folder).is_dir():
            return folder
        return None

    def rules(self) -> Rules:
        data_ok = self.data is not None and self.data.report.ok
        return Rules(
            data_ok=data_ok,
            can_start=data_ok and not self.training,
            predict_ready=self.classifier is not None and not self.training and not self.model_pending,
            can_export=self.export_source("run") is not None and not self.training,
            can_export_model=self.export_source("model") is not None,
            can_export_onnx=self.classifier is not None,
            can_open_batch=self.classifier is not None and not self.batch_running,
            can_classify=self.batch_request("") is not None and not self.batch_running,
            can_save_batch=self.batch_to_save() is not None and not self.batch_running,
        )


@dataclass(frozen=True)
class Rules:
    """Every enabled/disabled rule of the window, derived from the Workspace alone."""
    data_ok: bool
    can_start: bool
    predict_ready: bool
    can_export: bool        # the Train page's Export adapter…
    can_export_model: bool  # File › Export adapter…: the model in use, also while a run trains
    can_export_onnx: bool
    can_open_batch: bool
    can_classify: bool
    can_save_batch: bool
