"""One plain-words line for every Configure field (shown as its tooltip), kept out of the panel's layout code."""

from __future__ import annotations

TIPS = {
    "model_combo": "The pretrained language model your classifier starts from; the built-in one works offline.",
    "hub_id": "The Hugging Face name of the model to download, for example distilroberta-base.",
    "allow_download": "Lets LoRA Studio fetch the model from the internet once; later runs use the copy.",
    "preset_combo": "A ready-made set of settings: Fast to try things, Balanced for most data, Thorough for best "
                    "accuracy.",
    "device_combo": "Where training runs: a graphics card if there is one, else the processor.",
    "epochs": "How many times training reads all of your examples. A number typed here runs exactly that many.",
    "auto_epochs": "Let LoRA Studio choose: the preset's epochs, more on small data so the model gets enough updates.",
    "class_weighting": "Counts mistakes on rare classes more, so a small class is not ignored.",
    "precision": "Number format for training; Automatic measures which one is faster on this computer.",
    "frozen_cache": "Memory kept for reusing the unchanged layers' results after the first epoch (CPU only).",
    "rank": "Adapter size: higher learns more, trains slower and gives a larger file.",
    "alpha": "How strongly the adapter changes the model; usually twice the rank.",
    "lora_dropout": "Randomly hides some inputs while training to reduce over-fitting; slower on a CPU.",
    "targets": "Which layers of the model get an adapter.",
    "layer_share": "Adapt only the top layers: faster, usually as accurate.",
    "lr": "Step size of each update; LoRA learns best around 0.0002–0.001. A rate typed here is used exactly.",
    "auto_lr": "Let LoRA Studio choose: the preset's rate, doubled for several labels per text.",
    "batch": "Examples per update: larger is faster per example but needs more memory.",
    "auto_length": "Cut texts at the length that covers 98% of your texts, at most the preset's cap; the line below "
                   "says how many really fit whole. Longer texts keep their start and end.",
    "max_length": "The longest text, in tokens (word pieces), the model reads; the rest is cut off.",
    "patience": "Stop when the validation score has not improved this many times; the best epoch is kept.",
    "small_data": "With few examples, holding some out to pick an epoch wastes them: LoRA Studio then trains on all of "
                  "them and estimates the score by cross-validation. Automatic decides by the data's size.",
    "folds": "Small-data path: the examples are cut into this many parts; each part is scored by a model trained on "
             "the others. More folds: a steadier estimate, a longer run (fewer when a class has fewer examples).",
    "seed": "Starting point of the random numbers: the same seed and data give the same model.",
}
