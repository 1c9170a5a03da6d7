"""The recipe most people copy: padding="max_length" 128, batch 8, lr 2e-5, LoRA r=8/alpha 16 on
query/value, 3 epochs, plain Trainer + peft. Deliberately independent of LoRA Studio's training code."""

from __future__ import annotations

import time

import numpy as np


def train_classic(splits, model_dir: str, epochs: float = 3) -> dict:
    import torch
    from peft import LoraConfig, TaskType, get_peft_model
    from transformers import (AutoModelForSequenceClassification, AutoTokenizer, Trainer, TrainingArguments,
                              logging as hf_logging)

    hf_logging.set_verbosity_error()
    labels = sorted(set(splits.train.labels))
    tok = AutoTokenizer.from_pretrained(model_dir)

    class DS(torch.utils.data.Dataset):
        def __init__(self, ex):
            self.enc = tok(ex.texts, padding="max_length", truncation=True, max_length=128)
            self.y = [labels.index(x) for x in ex.labels]

        def __len__(self):
            return len(self.y)

        def __getitem__(self, i):
            item = {k: torch.tensor(v[i]) for k, v in self.enc.items()}
            item["labels"] = torch.tensor(self.y[i])
            return item

    model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=len(labels))
    model = get_peft_model(model, LoraConfig(task_type=TaskType.SEQ_CLS, r=8, lora_alpha=16, lora_dropout=0.1,
                                             target_modules=["query", "value"]))
    train, val = DS(splits.train), DS(splits.validation)

    def metrics(p):
        pred = np.argmax(p.predictions, axis=1)
        return {"accuracy": float((pred == p.label_ids).mean())}

    import tempfile

    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(output_dir=out, per_device_train_batch_size=8, per_device_eval_batch_size=8,
                                 learning_rate=2e-5, num_train_epochs=epochs, eval_strategy="epoch",
                                 save_strategy="no", report_to="none", disable_tqdm=True, use_cpu=True,
                                 logging_strategy="no", seed=42)
        trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=val, compute_metrics=metrics)
        start = time.monotonic()
        out_state = trainer.train()
        seconds = time.monotonic() - start
    pred = trainer.predict(val)
    y_pred = np.argmax(pred.predictions, axis=1)
    from desktop_app.core.metrics.evaluation import scores

    s = scores(pred.label_ids, y_pred, len(labels))
    return {"seconds": seconds, "samples_per_s": len(train) * float(out_state.metrics.get("epoch", epochs)) / seconds,
            "accuracy": s["accuracy"], "macro_f1": s["macro_f1"], "epochs": float(out_state.metrics.get("epoch", epochs))}
