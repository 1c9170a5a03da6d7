"""The kept model's numbers: each epoch measured as the saved adapter runs, and one sentence where a number
seen during training differs from the record (TrainResult.validation, which every view reads)."""

from __future__ import annotations

from ..model.precision import attention

MEASURED_AGAIN = "Measured again from the kept weights,"


def shown(accuracy: float, macro_f1: float, micro_f1: float | None = None) -> tuple:
    """The numbers as the log, the window and the CLI print them (what "the same number" means to a user)."""
    return f"{accuracy:.1%}", f"{macro_f1:.3f}", None if micro_f1 is None else f"{micro_f1:.3f}"


def kept_note(history: list[dict], kept_epoch: float | None, validation) -> str:
    """One sentence when an epoch's live numbers and the kept model's differ, "" when nothing needs saying.
    The kept epoch's live numbers and the record must agree (each epoch is measured as the saved model runs);
    if they ever do not, the record wins and the sentence says so. A later, worse epoch is the usual case."""
    if kept_epoch is None or not history:
        return ""

    def words(a, b, c=None):
        acc, macro, micro = shown(a, b, c)
        return f"micro-F1 {micro}, macro-F1 {macro}" if micro is not None else f"accuracy {acc}, macro-F1 {macro}"

    kept = next((h for h in history if h["epoch"] == kept_epoch), None)
    record = (validation.accuracy, validation.macro_f1, validation.micro_f1)
    if kept is not None and shown(kept["accuracy"], kept["macro_f1"], kept.get("micro_f1")) != shown(*record):
        return (f"{MEASURED_AGAIN} epoch {kept_epoch:.2f} gives {words(*record)}, not the "
                f"{words(kept['accuracy'], kept['macro_f1'], kept.get('micro_f1'))} shown while training: the "
                "saved model gives the first.")
    last = history[-1]
    if last["epoch"] == kept_epoch:
        return ""
    scored = words(last["accuracy"], last["macro_f1"], last.get("micro_f1"))
    return (f"These are epoch {kept_epoch:.2f}'s numbers, the best epoch and the one saved; the last epoch "
            f"evaluated ({last['epoch']:.2f}) scored {scored}.")


def drop_mixed_precision_wrapper(model) -> dict:
    """Give the model back its own forward; returns what was removed. With bf16/fp16, accelerate replaces
    `model.forward` by an autocast wrapper stored on the instance, and it stays after training: the in-memory
    model then predicts in bf16 while the saved adapter reloads in fp32, and the two disagree by ~1e-4 (bf16
    keeps 8 bits of mantissa). Evaluation, the Classifier and the saved metrics must all see the fp32 model."""
    return {attribute: model.__dict__.pop(attribute) for attribute in ("forward", "_original_forward")
            if attribute in model.__dict__}


def measured_as_saved(trainer_class, own_attention: str | None):
    """The Trainer, with each epoch's evaluation run as the saved adapter runs: in fp32 (without accelerate's
    bf16/fp16 autocast wrapper) and with the model's own attention (`own_attention`; training may use another,
    precision.attention). Evaluated in bf16, an early epoch's many near-even predictions flipped: "Epoch 2:
    accuracy 72.2%" live, 70.0% from the very same kept weights after training, and the kept epoch was chosen
    on numbers the saved model does not give."""
    class Trainer(trainer_class):
        def evaluate(self, *args, **kwargs):
            wrapper = drop_mixed_precision_wrapper(self.model)
            try:
                with attention(self.model, own_attention):
                    return super().evaluate(*args, **kwargs)
            finally:
                self.model.__dict__.update(wrapper)  # training goes on in its own number format

    return Trainer
