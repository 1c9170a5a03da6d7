"""`LoRAStudio --self-test`: prove, in the installed or frozen app, that every layer works offline.

It checks what a double-clicking user relies on, in order: the bundled files, reading every supported
file format, the native libraries, the built-in model, a short real training run on the bundled sample,
export to a .zip and reload with identical predictions, the int8 path, and the main window (opened
offscreen, adapter loaded, a text classified through the thread bridge, closed); frozen, that nothing was
loaded from outside the bundle. Any attempt to reach the network fails the test. Exit code 0 only if all
passed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from . import __version__
from .core.artifacts.adapters import export_adapter_zip
from .core.base import events as ev
from .core.disk.atomic import atomic_write_text
from .core.model.base_models import embedded_model_dir, load_tokenizer, resolve_base_model
from .core.model.config import preset
from .core.predict.explain import explain
from . import paths  # paths.sample_dataset looked up at call time: tests patch it

SAMPLE_TEXTS = ["An absolute delight from start to finish, I loved it.",
                "Broke after two days and support never answered. Avoid.",
                "The package arrived on Tuesday and contains one charger."]


@dataclass
class Check:
    name: str
    ok: bool
    seconds: float
    detail: str


class NetworkGuard:
    """Refuses every connection or name lookup that leaves this computer, and remembers each attempt."""

    LOCAL = {"localhost", "127.0.0.1", "::1", ""}

    def __init__(self) -> None:
        self.attempts: list[str] = []
        self._saved: dict = {}

    def _refuse(self, what: str):
        self.attempts.append(what)
        raise OSError(f"network access is disabled during the self-test ({what})")

    def __enter__(self) -> NetworkGuard:
        guard = self
        real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
        real_getaddrinfo = socket.getaddrinfo

        def is_remote(sock, address) -> bool:
            return sock.family in (socket.AF_INET, socket.AF_INET6) and str(address[0]) not in guard.LOCAL

        def connect(sock, address):
            if is_remote(sock, address):
                guard._refuse(f"connect {address[0]}:{address[1]}")
            return real_connect(sock, address)

        def connect_ex(sock, address):
            if is_remote(sock, address):
                guard._refuse(f"connect {address[0]}:{address[1]}")
            return real_connect_ex(sock, address)

        def getaddrinfo(host, *args, **kwargs):
            if host is not None and str(host) not in guard.LOCAL:
                guard._refuse(f"look up {host}")
            return real_getaddrinfo(host, *args, **kwargs)

        self._saved = {"connect": real_connect, "connect_ex": real_connect_ex, "getaddrinfo": real_getaddrinfo}
        socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
        return self

    def __exit__(self, *exc) -> None:
        socket.socket.connect = self._saved["connect"]
        socket.socket.connect_ex = self._saved["connect_ex"]
        socket.getaddrinfo = self._saved["getaddrinfo"]


class SelfTest:
    def __init__(self, work: Path, out=None, screenshot: Path | None = None) -> None:
        self.work = work
        self.out = out
        self.screenshot = screenshot
        self.checks: list[Check] = []
        self.state: dict = {}

    def step(self, name: str, fn: Callable[[], str], needs: tuple[str, ...] = ()) -> bool:
        missing = [n for n in needs if not self.passed(n)]
        if missing:
            return self._record(Check(name, False, 0.0, f"skipped: needs {', '.join(missing)}"))
        start = time.perf_counter()
        try:
            detail = fn()
            ok = True
        except Exception as exc:  # noqa: BLE001 - the report must say what broke, whatever it was
            ok = False
            last = traceback.extract_tb(exc.__traceback__)[-1:]
            where = f" at {Path(last[0].filename).name}:{last[0].lineno}" if last else ""
            detail = f"{type(exc).__name__}: {exc}{where}"
        return self._record(Check(name, ok, time.perf_counter() - start, detail))

    def passed(self, name: str) -> bool:
        return any(c.name == name and c.ok for c in self.checks)

    def _record(self, check: Check) -> bool:
        self.checks.append(check)
        if self.out is not None:
            line = f"{'PASS' if check.ok else 'FAIL'}  {check.name:<18} {check.seconds:6.1f} s  {check.detail}"
            encoding = getattr(self.out, "encoding", None) or "utf-8"  # a Windows console may be cp1252
            print(line.encode(encoding, "replace").decode(encoding), file=self.out, flush=True)
        return check.ok

    # -- the checks ----------------------------------------------------------
    def bundle(self) -> str:
        sample = paths.sample_dataset()
        frozen = "frozen" if getattr(sys, "frozen", False) else "not frozen"
        return f"{frozen}, {platform.system()} {platform.machine()}, Python {platform.python_version()}, " \
               f"sample {sample.stat().st_size // 1024} KB"

    def file_formats(self) -> str:
        """Every format the Dataset step accepts, written from the sample and read back (pyarrow, openpyxl)."""
        # here, not at the top: these load pandas and numpy (start-up speed)
        from .core.data.tables import read_table

        frame = read_table(paths.sample_dataset()).frame
        writers = {".parquet": frame.to_parquet, ".xlsx": lambda p: frame.to_excel(p, index=False),
                   ".jsonl": lambda p: frame.to_json(p, orient="records", lines=True, force_ascii=False),
                   ".tsv": lambda p: frame.to_csv(p, sep="\t", index=False)}
        for suffix, write in writers.items():
            path = self.work / f"sample{suffix}"
            write(path)
            back = read_table(path).frame
            if back.shape != frame.shape or list(back.iloc[0]) != list(frame.iloc[0]):
                raise AssertionError(f"{suffix} did not read back the same table ({back.shape} vs {frame.shape})")
        return f"csv, {', '.join(s.lstrip('.') for s in writers)}: {len(frame)} rows read back from each"

    def libraries(self) -> str:
        from importlib.metadata import PackageNotFoundError, version

        import peft
        import torch
        import transformers

        torch.ones(2) @ torch.ones(2)  # the native library really runs
        import numpy as np
        from cleanlab.filter import find_label_issues  # the label review's confident learning

        if find_label_issues(np.array([0, 1] * 9), np.array([[0.9, 0.1]] * 18))[1::2].sum() < 5:
            raise AssertionError("cleanlab's filter missed the mislabelled rows of a made-up case")
        missing = []
        for dist in ("torch", "transformers", "peft", "accelerate", "tokenizers", "safetensors", "huggingface-hub"):
            try:  # transformers and peft check these versions at run time: a bundle must carry the metadata
                version(dist)
            except PackageNotFoundError:
                missing.append(dist)
        if missing:
            raise AssertionError(f"package metadata missing for {', '.join(missing)}")
        return f"torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__}, " \
               "cleanlab; package metadata present"

    def model(self) -> str:
        base = resolve_base_model("embedded")  # verifies the weights' checksum
        tokens = load_tokenizer(base).tokenize("The film was wonderful.")
        if not tokens or "[UNK]" in tokens:
            raise AssertionError(f"the tokenizer does not know plain English words: {tokens}")
        return f"{base.display_name}, checksum verified, {len(tokens)} tokens in a test sentence"

    def train(self) -> str:
        # here, not at the top: these load pandas and numpy (start-up speed)
        from .core.data.dataset import Examples, Splits, load_dataset, stratified_split
        from .core.train.training import run_training

        dataset = load_dataset(paths.sample_dataset())
        splits = stratified_split(dataset.examples, validation=0.15, seed=7)
        small = Splits(Examples(splits.train.texts[:96], splits.train.labels[:96]),
                       Examples(splits.validation.texts[:48], splits.validation.labels[:48]))
        config = preset("quick").with_overrides(epochs=1, batch_size=16, max_length=64, min_steps=0, device="cpu")
        seen: list = []
        result = run_training(config, small, on_event=seen.append, out_dir=self.work / "adapter")
        steps = [e for e in seen if isinstance(e, ev.StepProgress)]
        if result.status != "completed" or not steps or result.adapter_dir is None:
            raise AssertionError(f"training ended as {result.status!r} after {len(steps)} progress events")
        self.state["result"] = result
        val = result.validation
        return f"{result.steps} steps on {result.device}, validation accuracy {val.accuracy:.0%} (a smoke test)"

    def multi_label(self) -> str:
        """A model with several labels per text: trained (sigmoid head, stratified label sets), saved with its
        thresholds, reloaded to the same probabilities, and predicting label sets."""
        import numpy as np

        # here, not at the top: these load pandas and numpy (start-up speed)
        from .core.data.dataset import Examples, load_dataset, stratified_split
        from .core.predict.inference import Classifier, predict_probabilities
        from .core.train.training import run_training

        examples = load_dataset(paths.sample_dataset()).examples
        sets = [(label, "about a film") if any(w in text.lower() for w in ("film", "movie")) else (label,)
                for text, label in zip(examples.texts[:160], examples.labels[:160])]
        splits = stratified_split(Examples(examples.texts[:160], sets, multi_label=True), validation=0.25, seed=7)
        config = preset("quick").with_overrides(epochs=1, batch_size=16, max_length=64, min_steps=0, device="cpu")
        result = run_training(config, splits, out_dir=self.work / "multi-adapter")
        reloaded = Classifier.load(result.adapter_dir)
        gap = float(np.abs(predict_probabilities(result.model, result.encoder, SAMPLE_TEXTS)
                           - reloaded.predict_proba(SAMPLE_TEXTS)).max())
        if not reloaded.multi_label or len(reloaded.thresholds or ()) != len(reloaded.labels) or gap > 1e-4:
            raise AssertionError(f"the multi-label adapter did not reload as saved (largest gap {gap:.2e})")
        sets = [p.labels for p in reloaded.predict(SAMPLE_TEXTS)]
        return f"{len(reloaded.labels)} labels, validation micro-F1 {result.validation.micro_f1:.2f}; {sets}"

    def small_data(self) -> str:
        """The path a few dozen examples take: cross-validation folds, pair tuning, a head from a linear probe (sklearn),
        mean pooling, the kept model trained on every row, saved with its estimate, reloaded to the same numbers."""
        import numpy as np

        # here, not at the top: these load pandas and numpy (start-up speed)
        from .core.data.dataset import Examples, load_dataset, prepare_training_data
        from .core.predict.inference import Classifier, predict_probabilities
        from .core.train.training import run_training

        examples = load_dataset(paths.sample_dataset()).examples
        rows = {}
        for text, label in zip(examples.texts, examples.labels):  # 8 per class
            rows.setdefault(label, [])
            if len(rows[label]) < 8:
                rows[label].append(text)
        few = Examples([t for ts in rows.values() for t in ts], [k for k, ts in rows.items() for _ in ts])
        config = preset("balanced").with_overrides(folds=2, max_length=64, device="cpu")
        result = run_training(config, prepare_training_data(few, config), out_dir=self.work / "small-adapter")
        reloaded = Classifier.load(result.adapter_dir)
        gap = float(np.abs(predict_probabilities(result.model, result.encoder, SAMPLE_TEXTS)
                           - reloaded.predict_proba(SAMPLE_TEXTS)).max())
        if not reloaded.manifest.estimate.cross_validated or reloaded.manifest.pooling != "mean" or gap > 1e-4:
            raise AssertionError(f"the small-data adapter did not reload as saved (largest gap {gap:.2e})")
        return f"{len(few)} examples, {result.estimate.phrase()}: accuracy {result.estimate.plus_minus('accuracy', True)}"

    def export_reload(self) -> str:
        import numpy as np

        # here, not at the top: these load numpy (start-up speed)
        from .core.predict.inference import Classifier, predict_probabilities

        result = self.state["result"]
        zip_path = export_adapter_zip(result.adapter_dir, self.work / "exported.zip")
        reloaded = Classifier.load(zip_path)
        before = predict_probabilities(result.model, result.encoder, SAMPLE_TEXTS)
        after = reloaded.predict_proba(SAMPLE_TEXTS)
        gap = float(np.abs(before - after).max())
        if gap > 1e-4:
            raise AssertionError(f"the reloaded adapter predicts differently (largest gap {gap:.2e})")
        self.state["zip"] = zip_path
        import zipfile


        here = (str(self.work), str(embedded_model_dir()))
        with zipfile.ZipFile(zip_path) as zf:  # a shared model names no folder of this computer (issue 24)
            card = zf.read("README.md").decode("utf-8")
            leaked = [n for n in zf.namelist() if n != "adapter_model.safetensors" and any(
                folder in zf.read(n).decode("utf-8", "replace") for folder in here)]
        if leaked or not card.startswith("---\nbase_model: sentence-transformers/all-MiniLM-L6-v2"):
            raise AssertionError(f"the export names a local folder ({leaked}) or its card lacks the base's hub id")
        labels = [p.label for p in reloaded.predict(SAMPLE_TEXTS)]
        return f"{zip_path.stat().st_size // 1024} KB .zip with its model card; same probabilities after reload; {labels}"

    def onnx(self) -> str:
        # here, not at the top: these load numpy (start-up speed)
        from .core.artifacts.onnx_export import export_onnx
        from .core.predict.inference import Classifier

        exported = export_onnx(Classifier.load(self.state["zip"]), self.work / "onnx")  # parity checked inside
        return f"{exported.megabytes:.0f} MB model.onnx; ONNX Runtime gives the same probabilities " \
               f"(largest difference {exported.gap:.1e})"

    def int8(self) -> str:
        # here, not at the top: these load numpy (start-up speed)
        from .core.predict.inference import Classifier

        predictions = Classifier.load(self.state["zip"], int8=True).predict(SAMPLE_TEXTS)
        total = [sum(p.probabilities.values()) for p in predictions]
        if any(abs(t - 1) > 1e-3 for t in total):
            raise AssertionError(f"int8 probabilities do not sum to 1: {total}")
        return f"{[p.label for p in predictions]}"

    def explanation(self) -> str:
        """Captum (and what it imports) is in the bundle, and both methods explain a prediction."""
        # here, not at the top: these load numpy (start-up speed)
        from .core.predict.inference import Classifier

        clf = Classifier.load(self.state["zip"])
        fast, careful = (explain(clf, SAMPLE_TEXTS[0], method=m, steps=16) for m in ("fast", "careful"))
        if "".join(w.word for w in fast.words) != SAMPLE_TEXTS[0].replace(" ", "") or \
                len(careful.words) != len(fast.words):
            raise AssertionError(f"the explanation's words differ from the text's: {[w.word for w in fast.words]}")
        return f"“{fast.label}”, top words {fast.top_words(3)} (fast), {careful.top_words(3)} (careful)"

    def window(self) -> str:
        return run_window_check(self.work, self.state["zip"], self.screenshot)

    def self_contained(self) -> str:
        """In the bundle: every module and every Python library that was loaded came from the bundle."""
        bundle = getattr(sys, "_MEIPASS", None)
        if not bundle:
            return "not frozen: checked only inside the bundle"
        root = Path(bundle).resolve()
        files = [getattr(m, "__file__", None) for m in list(sys.modules.values())]
        # Relative names (torch's "_ops.py", PyInstaller's own bootstrap modules) are not files on disk.
        outside = {f for f in files if isinstance(f, str) and os.path.isabs(f) and not _inside(f, root)}
        maps = Path("/proc/self/maps")  # Linux: the shared libraries mapped into this process
        for line in maps.read_text().splitlines() if maps.exists() else []:
            parts = line.split(maxsplit=5)
            path = parts[5] if len(parts) == 6 else ""
            if ("site-packages" in path or "/lib/python3" in path) and not _inside(path, root):
                outside.add(path)
        if outside:
            raise AssertionError(f"{len(outside)} files loaded from outside the bundle: {sorted(outside)[:3]}")
        return f"all {len(sys.modules)} modules" + (" and Python's shared libraries" if maps.exists() else "") + \
            " came from the bundle"

    def offline(self, guard: NetworkGuard) -> str:
        if guard.attempts:
            raise AssertionError(f"{len(guard.attempts)} network attempts: {guard.attempts[:3]}")
        return "no connection or name lookup was attempted"


def _inside(path: str, root: Path) -> bool:
    return Path(path).resolve().is_relative_to(root)


def run_window_check(work: Path, adapter: Path, screenshot: Path | None = None, timeout_s: float = 180.0) -> str:
    """Open the real main window, load the adapter, classify one text through the runners, then close."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QSettings, QTimer, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    # here, not at the top: these load pandas, numpy and Qt (start-up speed)
    from .ui.gc_policy import collected_on_gui_thread
    from .ui.main_window import MainWindow
    from .ui.settings import Settings

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "LoRAStudio"])
    failures: list[str] = []

    def quiet(mode, context, message: str) -> None:  # the offscreen platform's one harmless complaint
        if "propagateSizeHints" not in message:
            print(message, file=sys.stderr)
    previous = qInstallMessageHandler(quiet)

    def wait_for(condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + timeout_s
        loop = QEventLoop()
        while not condition():
            if failures:
                raise AssertionError(f"{what}: {failures[0]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} took longer than {timeout_s:.0f} s")
            QTimer.singleShot(20, loop.quit)
            loop.exec()

    settings = Settings(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat))  # the user's are untouched
    with collected_on_gui_thread():
        return _check_window(app, MainWindow(settings=settings, runs_dir=work / "runs"), adapter, screenshot,
                             failures, wait_for, previous)


def _check_window(app, window, adapter, screenshot, failures, wait_for, previous) -> str:
    from PySide6.QtCore import QCoreApplication, qInstallMessageHandler

    for runner in window.runners:
        runner.failed.connect(lambda message, hint: failures.append(f"{message} {hint}".strip()))
    try:
        window.show()
        wait_for(lambda: window.warmed_up, "start-up")
        window.load_adapter(str(adapter))
        wait_for(lambda: window.classifier is not None, "loading the adapter")
        window.inference.text.setPlainText(SAMPLE_TEXTS[0])
        wait_for(lambda: window.inference.verdict.text() not in ("", "–"), "classifying a typed text")
        verdict = window.inference.verdict.text()
        window.steps.setCurrentRow(3)  # the Predict step, where the verdict is shown
        image = window.grab().toImage()
        if image.isNull() or image.width() < 400:
            raise AssertionError("the window did not render")
        if screenshot is not None:
            image.save(str(screenshot))
    finally:
        closed = window.close()
        QCoreApplication.processEvents()
        qInstallMessageHandler(previous)
    if not closed:
        raise AssertionError("the window refused to close")
    busy = [r.name for r in window.runners if r.busy]
    if busy:
        raise AssertionError(f"threads still running after close: {busy}")
    return f"opened on '{app.platformName()}', adapter loaded, typed text classified as '{verdict}', closed"


def run_self_test(report: Path | None = None, out=None, screenshot: Path | None = None) -> int:
    out = out if out is not None else sys.stdout
    print(f"LoRA Studio {__version__} self-test", file=out, flush=True)
    with tempfile.TemporaryDirectory(prefix="lora-studio-self-test-") as tmp, NetworkGuard() as guard:
        test = SelfTest(Path(tmp), out, screenshot)
        test.step("bundled files", test.bundle)
        test.step("file formats", test.file_formats, needs=("bundled files",))
        test.step("libraries", test.libraries)
        test.step("built-in model", test.model, needs=("libraries",))
        test.step("training", test.train, needs=("bundled files", "built-in model"))
        test.step("export + reload", test.export_reload, needs=("training",))
        test.step("ONNX export", test.onnx, needs=("export + reload",))
        test.step("int8 prediction", test.int8, needs=("export + reload",))
        test.step("explanation", test.explanation, needs=("export + reload",))
        test.step("multi-label", test.multi_label, needs=("bundled files", "built-in model"))
        test.step("small data", test.small_data, needs=("bundled files", "built-in model"))
        test.step("main window", test.window, needs=("export + reload",))
        test.step("self-contained", test.self_contained)
        test.step("offline", lambda: test.offline(guard))
    ok = all(c.ok for c in test.checks)
    print(f"{'All checks passed' if ok else 'SELF-TEST FAILED'} "
          f"({sum(c.ok for c in test.checks)}/{len(test.checks)}).", file=out, flush=True)
    if report is not None:
        atomic_write_text(report, json.dumps({"version": __version__, "ok": ok,
                                              "checks": [asdict(c) for c in test.checks]}, indent=2))
    return 0 if ok else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="LoRAStudio --self-test",
                                     description="Check that this copy of LoRA Studio works, offline.")
    parser.add_argument("--report", type=Path, help="also write the results as JSON (windowed builds have no console)")
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the main window as the test saw it")
    args = parser.parse_args(argv)
    return run_self_test(args.report, screenshot=args.screenshot)
