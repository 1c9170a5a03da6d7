"""What the command line prints: progress, data reports, evaluation tables and single predictions.
Every string that comes from a file or an adapter goes through `printable` (no terminal escapes run)."""

from __future__ import annotations

import json
import sys

from ..core.base import events as ev
from ..core.base.sanitize import printable
from ..core.predict.explain import explain, model_cautions, model_score
from ..formatting import clock


class ProgressPrinter:
    """A one-line terminal progress bar plus a line per evaluation."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.last_pct = -1

    def __call__(self, event) -> None:
        if isinstance(event, ev.Started):
            kinds = "labels, several per text" if event.multi_label else "classes"
            measured = f"validating on {event.validation_examples:,}" if event.validation_examples else \
                "cross-validated, then every example trains the kept model"
            self._line(f"Training {event.train_examples:,} examples ({len(event.labels)} {kinds}), {measured}; "
                       f"{event.total_steps} steps on {event.device}, max length {event.max_length}.")
        elif isinstance(event, ev.StepProgress):
            pct = int(100 * event.step / max(1, event.total_steps))
            if not self.tty and pct // 10 == self.last_pct // 10 and event.step < event.total_steps:
                return
            self.last_pct = pct
            bar = "#" * (pct // 4) + "-" * (25 - pct // 4)
            eta = clock(event.eta_s) if event.eta_s is not None else "?"
            loss = f"{event.loss:.4f}" if event.loss is not None else "-"
            text = (f"[{bar}] {pct:3d}%  step {event.step}/{event.total_steps}  epoch {event.epoch:.2f}  "
                    f"loss {loss}  elapsed {clock(event.elapsed_s)}  ETA {eta}")
            self.stream.write(("\r" + text) if self.tty else text + "\n")
            self.stream.flush()
        elif isinstance(event, ev.Evaluated):
            best = "  (best so far)" if event.is_best else ""
            if event.micro_f1 is not None:
                self._line(f"epoch {event.epoch:.2f}: validation micro-F1 {event.micro_f1:.3f}, macro-F1 "
                           f"{event.macro_f1:.3f}, all labels right {event.accuracy:.1%}{best}")
            else:
                self._line(f"epoch {event.epoch:.2f}: validation accuracy {event.accuracy:.1%}, "
                           f"macro-F1 {event.macro_f1:.3f}{best}")
        elif isinstance(event, ev.LogLine):
            self._line(("warning: " if event.level == "warning" else "") + printable(event.message))

    def _line(self, text: str) -> None:
        self.stream.write(("\r\033[K" if self.tty else "") + text + "\n")
        self.stream.flush()


def print_report(report, stream=None) -> None:
    stream = stream or sys.stdout
    if report.multi_label:
        print(f"micro-F1 {report.micro_f1:.3f}   macro-F1 {report.macro_f1:.3f}   every label right "
              f"{report.accuracy:.1%}   Hamming loss {report.hamming_loss:.3f}   ({report.examples:,} texts)",
              file=stream)
    else:
        print(f"Accuracy {report.accuracy:.1%}   macro-F1 {report.macro_f1:.3f}   weighted-F1 "
              f"{report.weighted_f1:.3f}   ({report.examples:,} examples)", file=stream)
    width = max([len(printable(c.label)) for c in report.per_class] + [5])
    extra = "  threshold  missed  added" if report.multi_label else ""
    print(f"  {'label' if report.multi_label else 'class':<{width}}  precision  recall     f1  support{extra}",
          file=stream)
    for i, c in enumerate(report.per_class):
        line = f"  {printable(c.label):<{width}}  {c.precision:9.3f}  {c.recall:6.3f}  {c.f1:5.3f}  {c.support:7,}"
        if report.multi_label:
            errors = report.label_errors[i]
            line += f"  {report.thresholds[i]:9.2f}  {errors.missed:6,}  {errors.added:5,}"
        print(line, file=stream)


def estimate_line(estimate) -> str:
    """The cross-validated scores with their spread over the folds, headline metric first."""
    parts = [f"micro-F1 {estimate.plus_minus('micro_f1')}"] if "micro_f1" in (estimate.mean or {}) else \
        [f"accuracy {estimate.plus_minus('accuracy', percent=True)}"]
    return ", ".join(parts + [f"macro-F1 {estimate.plus_minus('macro_f1')}"])


def print_estimate(estimate, stream=None) -> None:
    print(f"  {estimate_line(estimate)}  (mean ± spread over the folds)", file=stream or sys.stdout)


def print_scores_and_record(manifest) -> None:
    """`info`'s scores, then which epoch they are from, the run's note (why a number seen while it trained
    differs) and how each adjustable setting was set: what the window's history and Compare say."""
    val, training = manifest.validation, manifest.training or {}
    if val and manifest.estimate.cross_validated:
        print(f"Score:      {estimate_line(manifest.estimate)} ({manifest.estimate.phrase()})")
    elif val:
        micro = val.report.get("micro_f1")
        print(f"Validation: micro-F1 {micro:.3f}, macro-F1 {val.macro_f1:.3f} on {val.examples:,} texts" if micro is not None
              else f"Validation: accuracy {val.accuracy:.1%}, macro-F1 {val.macro_f1:.3f} on {val.examples:,} examples")
    epochs, kept = training.get("epochs"), training.get("kept_epoch")
    if epochs is not None:
        print(f"Epochs:     {epochs:g} trained" + (f"; the scores are epoch {kept:g}'s, the one kept"
                                                   if kept is not None and abs(kept - epochs) > 1e-6 else ""))
    if training.get("note"):
        print(f"Note:       {printable(training['note'])}")
    chosen, config = training.get("settings") or {}, manifest.config or {}
    if chosen:
        print("Settings:   " + ", ".join(f"{name.replace('_', ' ')} " + (
            "automatic" if config.get(name) is None else f"{config[name]:g} ({how})") for name, how in chosen.items()))


def print_inspect(report) -> None:
    print(f"File:      {printable(report.file)}")
    print(f"Format:    {report.format}" + (f", {report.encoding}" if report.encoding else ""))
    print(f"Columns:   {printable(', '.join(report.columns))}")
    labels = ", ".join(report.label_columns) if report.label_columns else report.label_column
    print(f"Text:      {printable(report.text_column)}    Label{'s' if report.label_columns else ''}: "
          f"{printable(labels)}")
    print(f"Rows:      {report.rows_read:,} read, {report.rows_usable:,} usable")
    if report.ok and report.multi_label:  # one label per text: the report reads as it always did
        print(f"Labels:    {printable(report.describe_labels())}")
    if report.class_counts:
        width = max(len(printable(k)) for k in report.class_counts)
        print("Texts per label:" if report.multi_label else "Classes:")
        for name, count in report.class_counts.items():
            print(f"  {printable(name):<{width}}  {count:>7,}")
    for w in report.warnings:
        print(f"warning: {printable(w)}")
    for e in report.errors:
        print(f"error: {printable(e)}", file=sys.stderr)


def predict_text(clf, text: str, method: str | None, as_json: bool) -> int:
    p = clf.predict([text])[0]
    explained = None
    if method:
        explained = explain(clf, text, method=method, prediction=p)
    if as_json:
        out = {"text": text, "label": p.label, "confidence": p.confidence, "probabilities": p.probabilities}
        if p.labels is not None:
            out.update(labels=list(p.labels), thresholds=dict(zip(clf.labels, map(float, clf.cut_points()))))
        if explained is not None:
            out.update(explained.to_dict(), label=p.label, explained_label=explained.label)
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    if p.labels is not None:
        cuts = dict(zip(clf.labels, clf.cut_points()))
        print(printable(p.label) if p.labels else "(none of the labels)")
        for name, prob in sorted(p.probabilities.items(), key=lambda kv: -kv[1]):
            mark = "✓" if name in p.labels else " "
            print(f"  {mark} {printable(name)}: {prob:.3f}  (threshold {cuts[name]:.2f})")
    else:
        print(f"{printable(p.label)}\t{p.confidence:.3f}")
        for name, prob in sorted(p.probabilities.items(), key=lambda kv: -kv[1]):
            print(f"  {printable(name)}: {prob:.3f}")
    if explained is not None:
        print(f"Why “{printable(explained.label)}” ({explained.to_dict()['method']}; + for it, - against it):")
        print("  " + " ".join(f"{printable(w.word)}({w.score:+.2f})" for w in explained.words))
        if explained.cut:
            print("  (the text is longer than the model reads: its middle was not read, nor explained)")
        if explained.model is not None:
            print(f"  Model: {explained.model.shown()}, {explained.model.measured}.")
        for caution in explained.cautions():
            print(f"  caution: {caution}")
    return 0


def print_file_explanation_trust(clf, stream=None) -> None:
    """For a file's top_words column: the model's score and what it says of every explanation, once."""

    stream = stream or sys.stderr
    score = model_score(getattr(clf, "manifest", None))
    if score is not None:
        print(f"top_words: explained by a model with {score.shown()}, {score.measured}.", file=stream)
    for caution in model_cautions(score):
        print(f"caution: {caution}", file=stream)
