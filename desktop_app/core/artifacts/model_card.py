"""The model card (README.md) of an exported adapter, in the Hugging Face format.

YAML front matter the Hub reads (base model, library, task, licence, tags, model-index with the validation
scores), then what the model does, its labels, data, scores, settings, the lines that load it with plain
torch + peft + transformers and give LoRA Studio's predictions (tests/core/test_model_card.py runs them against
an exported folder), and its limits in plain words. SetFit's generated cards were the model.

Everything here comes from the manifest, which may come from a stranger: names are escaped for Markdown, the
YAML is written by yaml.safe_dump, the labels reach the code block as Python literals. Local paths never appear:
the base is named by `base_id`, which the caller chooses (base_model.ref and config["base_model"] may be paths).
"""

from __future__ import annotations

import re

from .manifest import MULTI_LABEL
from ..base.sanitize import printable

HUB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?")
FEW_TRAINING_ROWS, FEW_VALIDATION_ROWS = 20, 10  # below these a label's scores rest on a handful of texts
# What Markdown (GFM, and the Hub's $ for maths) reads as markup inside a line; CommonMark lets \ escape each.
# The others (- + . = and so on) are markup only at a line's start, where a name never stands.
_MARKUP = re.compile(r"([\\`*_{}\[\]<>#|~!&$])")
_SETTING_HOW = {"automatic": "chosen by LoRA Studio for this data", "exact": "as set",
                "small-data": "the small-data path's own value"}


def model_card(manifest, base_id: str, *, base_license: str | None = None, base_note: str = "",
               examples_included: bool = False, onnx_usage: str | None = None,
               languages: tuple[str, ...] = (), kept_here: bool = False) -> str:
    """README.md for the exported adapter: `base_id` names the base everywhere (a hub id, or a local folder's
    name with `base_note` saying where it comes from: the YAML then names no base_model); `base_license` is the
    base's licence id (the Hub's, e.g. apache-2.0) when known. `onnx_usage`: the card of an ONNX export, whose
    own section (onnx_export.py) replaces the peft one. `languages`: the base's, as its own card lists them.
    `kept_here`: the card of the folder training wrote, whose manifest keeps texts and the base's folder."""
    m = manifest
    sections = [_front_matter(m, base_id, base_license, base_note, onnx=onnx_usage is not None, languages=languages),
                _summary(m, base_id, base_license, base_note), _labels(m), _data(m, examples_included, kept_here), _scores(m),
                _training(m), onnx_usage if onnx_usage is not None else _usage(m, base_id), _limits(m, languages)]
    return "\n".join(s.strip("\n") + "\n" for s in sections if s)


# ---------------------------------------------------------------- front matter
def _front_matter(m, base_id: str, base_license: str | None, base_note: str, onnx: bool = False,
                  languages: tuple[str, ...] = ()) -> str:
    import yaml

    hub = _is_hub_id(base_id) and not base_note  # a note: the base is a local folder, its name no hub id
    tags = ["lora-studio", "onnx" if onnx else "peft", "lora", "text-classification"]
    if m.task == MULTI_LABEL:
        tags.append("multi-label-classification")
    if hub:  # an ONNX export is the base with the adapter merged in: a finetune of it, no longer an adapter
        tags.append(f"base_model:{'finetune' if onnx else 'adapter'}:{base_id}")
    data = {**({"base_model": base_id} if hub else {}), "library_name": "onnx" if onnx else "peft",
            "pipeline_tag": "text-classification",
            # no licence known: the key is left out (the Hub's "other" asks for a name and a link we lack)
            **({"license": _one_line(base_license)} if base_license else {}),
            **({"language": list(languages)} if languages else {}),  # the base's own, as its card lists them
            "tags": tags}
    index = _model_index(m, base_id)
    if index["results"]:  # the Hub refuses an index without results
        data["model-index"] = [index]
    # width: a long name stays on one line, so no line of the YAML can read as the closing "---"
    return "---\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10**6) + "---\n"


def _model_index(m, base_id: str) -> dict:
    results = []
    for split, scores in (("validation", m.validation), ("test", m.test)):
        if scores is None:
            continue
        cv = split == "validation" and m.estimate.cross_validated
        multi = m.task == MULTI_LABEL
        metrics = [{"type": "accuracy", "value": scores.accuracy,
                    "name": "Exact-match accuracy" if multi else "Accuracy"},
                   {"type": "f1", "value": scores.macro_f1, "name": "Macro F1", "args": {"average": "macro"}}]
        if multi and scores.report.get("micro_f1") is not None:
            metrics.append({"type": "f1", "value": scores.report["micro_f1"], "name": "Micro F1",
                            "args": {"average": "micro"}})
        results.append({"task": {"type": "text-classification", "name": "Text Classification"},
                        "dataset": {"type": "custom", "name": _one_line(m.training.get("dataset") or "user data"),
                                    "split": f"{m.estimate.folds}-fold cross-validation" if cv else split},
                        "metrics": metrics})
    return {"name": f"LoRA Studio classifier on {_one_line(base_id)}", "results": results}


# ---------------------------------------------------------------- body
def _summary(m, base_id: str, base_license: str | None, base_note: str) -> str:
    n = len(m.labels)
    base = f"[`{base_id}`](https://huggingface.co/{base_id})" if _is_hub_id(base_id) and not base_note \
        else f"“{_md(base_id)}”"
    task = (f"gives each text any number of its {n} labels (none, one or several), each label decided on its own"
            if m.task == MULTI_LABEL else f"gives each text one of {n} labels")
    made = f" on {_md(m.created[:10])}" if m.created else ""
    studio = _md(m.versions.get("lora_studio", ""))
    licence = (f"The base model's licence ({_md(base_license)}) applies to this adapter too."
               if base_license else "The base model's licence is unknown to LoRA Studio: check it before you "
                                    "share or use this adapter.")
    pooling = ("the mean of the token vectors, scaled to unit length, in place of the model's [CLS] pooler"
               if m.pooling == "mean" else "the model's own [CLS] pooler")
    lines = ["# A text classifier made with LoRA Studio\n",
             f"A LoRA adapter for the base model {base} that {task}. It was trained with LoRA Studio"
             f"{' ' + studio if studio else ''}{made}. {licence}",
             *([f"\n{_md(base_note)}"] if base_note else []),
             "\n## Model details\n",
             f"- **Task:** {_task_words(m)}",
             f"- **Base model:** {base} (frozen; LoRA trains small low-rank updates beside its weights)",
             f"- **Text to vector:** {pooling}; a linear head, trained in full, reads that vector"]
    lora = (m.config or {}).get("lora") or {}
    if lora:
        share = lora.get("layer_share", 1.0)
        layers = "every layer" if share >= 1 else f"the top {share:.0%} of the layers"
        targets = lora.get("targets", "all")
        targets = {"all": "attention and feed-forward", "attention": "attention"}.get(targets) \
            if isinstance(targets, str) else ", ".join(_md(t) for t in targets)
        lines.append(f"- **LoRA:** rank {lora.get('r')}, alpha {lora.get('alpha')}, dropout {lora.get('dropout', 0):g}, "
                     f"on the {_md(targets)} weights of {layers}")
    lines.append(f"- **Longest text read:** {m.max_length} tokens (longer texts: see *Limits*)")
    return "\n".join(lines) + "\n"


def _task_words(m) -> str:
    if m.task == MULTI_LABEL:
        return ("multi-label classification: one probability per label (a sigmoid), and a label is given when "
                "its probability reaches that label's threshold (below)")
    return "single-label classification: the probabilities of the labels (a softmax) add up to 1; the most " \
           "probable label is the prediction"


def _counts(m) -> tuple[dict, str]:
    """Rows per label and what they count: the training rows when the run recorded them (or when every row
    trained, as on the small-data path), else the validation rows (each label's support)."""
    recorded = m.training.get("label_counts")
    if isinstance(recorded, dict) and all(isinstance(v, int) and not isinstance(v, bool) for v in recorded.values()):
        return {str(k): v for k, v in recorded.items()}, "training"
    support = {c.get("label"): c.get("support") for c in (m.validation.report.get("per_class") or [])} \
        if m.validation else {}
    return support, "every" if m.estimate.cross_validated else "validation"


def _labels(m) -> str:
    counts, kind = _counts(m)
    multi = m.task == MULTI_LABEL
    header = {"training": "Training rows", "every": "Rows", "validation": "Validation rows"}[kind]
    rows = [[f"{i}", _md(name), _count(counts.get(name))] + ([f"{m.thresholds[i]:.3g}"] if multi else [])
            for i, name in enumerate(m.labels)]
    table = _table(["Id", "Label", header] + (["Threshold"] if multi else []), rows)
    note = {"training": "", "every": "Every row was used for training (and, once, to estimate the score).",
            "validation": "The training rows per label were not recorded with this adapter; the counts are of "
                          "the validation rows."}[kind]
    what = " (a text may have several)" if multi else ""
    cut = " A label's threshold was tuned on the validation rows for its best F1." if multi else ""
    return f"\n## Labels\n\nThe model's outputs, in order{what}.{cut}\n\n{table}\n" + (f"\n{note}\n" if note else "")


def _data(m, examples_included: bool, kept_here: bool = False) -> str:
    t, est = m.training, m.estimate
    lines = ["\n## Data\n"]
    if t.get("dataset"):
        lines.append(f"- **Data set:** {_md(t['dataset'])}")
    trained = t.get("examples")
    if est.cross_validated:
        lines.append(f"- **Rows:** {_count(trained or est.examples)}, all of them used for training")
        lines.append(f"- **Split:** none held out: the score was estimated by {est.folds}-fold cross-validation "
                     f"(the small-data path): {est.folds} models, each trained on the other folds and scored on its "
                     "own fold, their held-out predictions pooled; the adapter itself was then trained on every row")
    else:
        held = [f"{_count(s.examples)} for {name}" for name, s in (("validation", m.validation), ("test", m.test)) if s]
        lines.append(f"- **Rows:** {_count(trained) + ' for training' if trained else 'training rows not recorded'}"
                     + "".join(f", {h}" for h in held))
        lines.append("- **Split:** a held-out validation split, stratified by label (the validation rows were "
                     "never trained on; they chose the epoch kept" + (" and the thresholds" if m.thresholds else "")
                     + ")")
    head = m.truncation.get("head_share", 0.25)
    lines.append(f"- **Long texts:** cut to {m.max_length} tokens, keeping their start ({head:.0%} of the "
                 "tokens) and their end")
    if kept_here:
        lines.append("- **Texts in this folder:** as training wrote it, its manifest.json keeps up to 50 example "
                     "mistakes (validation texts) and the base model's folder; to share the model, export it "
                     "(Export adapter… in LoRA Studio, or `lora-studio export`), which leaves both out.")
    else:
        lines.append("- **Texts in this export:** " + (
            "it includes example mistakes: texts from the validation data with their true and predicted labels."
            if examples_included else "none; the export holds none of the training or validation texts."))
    return "\n".join(lines) + "\n"


def _scores(m) -> str:
    if m.validation is None:
        return "\n## Evaluation\n\nThis adapter was saved without validation scores.\n"
    est = m.estimate
    out = ["\n## Evaluation\n"]
    if est.cross_validated:
        spread = ", ".join(f"{name} {est.plus_minus(key)}" for key, name in
                           (("accuracy", "accuracy"), ("macro_f1", "macro F1"), ("micro_f1", "micro F1"))
                           if est.plus_minus(key))
        out.append(f"Cross-validated: the scores were {_md(est.phrase())}, pooled over the folds' held-out "
                   f"predictions; they estimate the adapter, which trained on every row. Mean ± standard deviation "
                   f"over the folds: {spread}.\n")
    else:
        out.append(f"Validation split: the scores were {_md(est.phrase())} that the model never trained on.\n")
    first = "Cross-validation (the folds' held-out predictions)" if est.cross_validated else "Validation"
    for name, scores in ((first, m.validation), ("Test", m.test)):
        if scores is not None:
            out.append(_split_scores(name, scores, m.task == MULTI_LABEL))
    return "\n".join(out)


def _split_scores(name: str, s, multi: bool) -> str:
    r = s.report
    head = [["Examples", _count(s.examples)],
            ["Exact-match accuracy (every label right)" if multi else "Accuracy", f"{s.accuracy:.3f}"],
            ["Macro F1", f"{s.macro_f1:.3f}"]]
    if multi and r.get("micro_f1") is not None:
        head.append(["Micro F1", f"{r['micro_f1']:.3f}"])
    if multi and r.get("hamming_loss") is not None:
        head.append(["Hamming loss (share of wrong label decisions)", f"{r['hamming_loss']:.3f}"])
    per_class = [[_md(c.get("label", "")), _score(c.get("precision")), _score(c.get("recall")),
                  _score(c.get("f1")), _count(c.get("support"))] for c in r.get("per_class") or []]
    text = f"### {name}\n\n{_table(['Metric', 'Value'], head)}\n"
    if per_class:
        text += f"\nPer label:\n\n{_table(['Label', 'Precision', 'Recall', 'F1', 'Support'], per_class)}\n"
    return text


def _training(m) -> str:
    t, c = m.training, m.config or {}
    how = t.get("settings") or {}

    def setting(key: str, value) -> str:
        return f"{value} ({_SETTING_HOW[how[key]]})" if how.get(key) in _SETTING_HOW else f"{value}"

    lines = ["\n## Training\n"]
    if t.get("status"):
        lines.append(f"- **Run:** {_md(t['status'])}" + (f", {_count(t['steps'])} steps" if t.get("steps") else ""))
    if c.get("epochs") is not None or t.get("epochs") is not None:
        epochs = c.get("epochs") if c.get("epochs") is not None else t.get("epochs")
        kept = f"; the model kept is epoch {t['kept_epoch']:g}'s, the best on validation" \
            if t.get("kept_epoch") is not None and not m.estimate.cross_validated else ""
        lines.append(f"- **Epochs:** {setting('epochs', f'{epochs:g}')}{kept}")
    if c.get("learning_rate") is not None:
        rate = f"{c['learning_rate']:g}"
        lines.append(f"- **Learning rate:** {setting('learning_rate', rate)}, "
                     f"weight decay {c.get('weight_decay', 0):g}, warm-up {c.get('warmup', 0):.0%} of the steps")
    batch = t.get("effective_batch") or c.get("batch_size")
    if batch:
        world = t.get("world_size") or 1
        lines.append(f"- **Batch size:** {batch}" + (f", over {world} processes" if world > 1 else ""))
    lines.append(f"- **Max length:** {setting('max_length', f'{m.max_length} tokens')}")
    if c.get("class_weighting"):
        lines.append("- **Class weighting:** on (rarer labels weigh more in the loss)")
    if c.get("seed") is not None:
        lines.append(f"- **Seed:** {c['seed']}")
    if t.get("seconds") is not None:
        on = f" on {_md(t['device'])}" if t.get("device") else ""
        lines.append(f"- **Time:** {_duration(t['seconds'])}{on}")
    if t.get("note"):
        lines.append(f"- **Note:** {_md(t['note'])}")
    versions = ", ".join(f"{_md(k)} {_md(v)}" for k, v in m.versions.items())
    if versions:
        lines.append(f"- **Versions:** {versions}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the loading snippet
def _snippet(m, base_id: str) -> str:
    multi = m.task == MULTI_LABEL
    code = ["import torch", "from peft import PeftModel",
            "from transformers import AutoModelForSequenceClassification, AutoTokenizer", "",
            f"base = {_literal(base_id)}  # or the base model's local folder",
            f"labels = {_literal(list(m.labels))}",
            "tokenizer = AutoTokenizer.from_pretrained(base)",
            "model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=len(labels))"]
    if m.pooling == "mean":  # LoRA Studio's MeanPooler (pooling.py), the attention mask taken by a hook
        code += ["class MeanPooler(torch.nn.Module):  # the head reads the mean of the token vectors, at unit length",
                 "    def forward(self, hidden):",
                 "        w = self.mask.unsqueeze(-1).to(hidden.dtype)",
                 "        return torch.nn.functional.normalize((hidden * w).sum(1) / w.sum(1).clamp(min=1.0), dim=-1)",
                 "model.base_model.pooler = pooler = MeanPooler()",
                 "model.base_model.register_forward_pre_hook(",
                 "    lambda module, args, kwargs: setattr(pooler, \"mask\", kwargs[\"attention_mask\"]), with_kwargs=True)"]
    code += ["model = PeftModel.from_pretrained(model, \".\").eval()  # \".\": this folder", "",
             "texts = [\"a text to classify\", \"another one\"]",
             f"batch = tokenizer(texts, truncation=True, max_length={m.max_length}, padding=True, return_tensors=\"pt\")"]
    if multi:
        code += [f"thresholds = torch.tensor({[float(t) for t in m.thresholds]!r})",
                 "with torch.no_grad():",
                 "    probs = torch.sigmoid(model(**batch).logits)  # each label's own probability",
                 "predicted = [[label for label, yes in zip(labels, row) if yes] for row in (probs >= thresholds).tolist()]"]
    else:
        code += ["with torch.no_grad():",
                 "    probs = torch.softmax(model(**batch).logits, dim=-1)",
                 "predicted = [labels[i] for i in probs.argmax(dim=-1).tolist()]"]
    code.append("print(list(zip(texts, predicted)))")
    return "\n".join(code)


def _usage(m, base_id: str) -> str:
    # A label's backticks cannot close the block: the labels are one literal on a line that starts "labels = "
    code = _snippet(m, base_id)
    versions = ", ".join(f"{k} {_md(m.versions[k])}" for k in ("torch", "transformers", "peft") if k in m.versions)
    made = f" (made with {versions})" if versions else ""
    pooled = (" The `MeanPooler` lines give the model LoRA Studio's mean pooling; without them its predictions "
              "are wrong." if m.pooling == "mean" else "")
    return (f"\n## How to use\n\nWith plain `torch`, `peft` and `transformers`{made}, from inside this folder "
            f"(the unzipped export).{pooled} On texts of up to {m.max_length} tokens (its special tokens "
            "included) this gives LoRA Studio's own predictions; longer texts are cut differently (see *Limits*).\n\n"
            f"```python\n{code}\n```\n\n"
            "LoRA Studio itself opens the folder or its .zip directly (Predict page, or `predict` on the command line).\n")


_LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
                   "pt": "Portuguese", "nl": "Dutch", "zh": "Chinese", "ja": "Japanese", "ko": "Korean",
                   "ru": "Russian", "ar": "Arabic"}


def _limits(m, languages: tuple[str, ...] = ()) -> str:
    counts, kind = _counts(m)
    few = FEW_VALIDATION_ROWS if kind == "validation" else FEW_TRAINING_ROWS
    small = [name for name in m.labels if isinstance(counts.get(name), int) and counts[name] < few]
    rows = m.estimate.examples or (m.validation.examples if m.validation else 0)
    words = int(m.max_length * 0.75)
    names = [_LANGUAGE_NAMES.get(code, _md(code)) for code in languages[:5]]
    read = f"in {', '.join(names)}, the language{'s' if len(names) > 1 else ''} its base model was trained on" \
        if names else "in the languages its base model reads"
    lines = ["\n## Limits\n",
             f"- **Language and topic:** it knows only what its training rows showed it, {read}. Texts in another language, on other subjects or in another style are likely to be "
             "misclassified, and its probabilities can stay high when they are.",
             f"- **Text length:** it reads at most {m.max_length} tokens (about {words} English words). LoRA Studio "
             f"keeps the start and the end of a longer text; the code above (`truncation=True`) keeps only its "
             f"start, so on such texts the two can disagree.",
             "- **Fixed labels:** " + ("a text that fits none of these labels may still get some."
                                       if m.task == MULTI_LABEL else
                                       "every text gets one of these labels, even one that fits none of them.")]
    if small:
        shown = ", ".join(f"“{_md(name)}”" for name in small[:10]) + (" …" if len(small) > 10 else "")
        where = "validation" if kind == "validation" else "training"
        lines.append(f"- **Small classes:** {shown} had fewer than {few} {where} rows: the model knows them less "
                     "well, and their scores above rest on a handful of texts.")
    if rows:
        how = "estimated by cross-validation on models like this one, not measured on this one" \
            if m.estimate.cross_validated \
            else "measured once, on one split"
        lines.append(f"- **Scores:** {how}, from {_count(rows)} examples; on new data expect them to differ.")
    if m.task == MULTI_LABEL:
        lines.append("- **Thresholds:** tuned on the validation rows; other data may want others.")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- helpers
def _is_hub_id(name: str) -> bool:
    return bool(HUB_ID.fullmatch(name or "")) and ".." not in name


def _literal(value) -> str:
    """A Python literal for a string or list of strings, in double quotes (JSON's) where they read back the same."""
    import ast
    import json

    text = json.dumps(value, ensure_ascii=False)
    try:
        return text if ast.literal_eval(text) == value else repr(value)
    except (ValueError, SyntaxError):
        return repr(value)


def _one_line(text) -> str:
    """Whitespace of any kind (line breaks included) as single spaces, control characters escaped."""
    return printable(" ".join(str(text).split()))


def _score(value) -> str:
    """A score from the manifest (a stranger's may hold null where a number belongs)."""
    return f"{value:.3f}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "?"


def _md(text) -> str:
    """Text shown as written in Markdown: one line, its markup characters escaped (| < * _ ` [ # …)."""
    return _MARKUP.sub(r"\\\1", _one_line(text))


def _count(n) -> str:
    return f"{n:,}" if isinstance(n, int) and not isinstance(n, bool) else "?"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _duration(seconds: float) -> str:
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {secs} s"
