"""LoRA Studio: fine-tune a transformer text classifier on your own data, offline, with LoRA."""

__version__ = "0.1.0"
