"""The Qt-free engine of LoRA Studio. Heavy libraries (torch, transformers, peft) are imported lazily."""

import os

# Strictly offline unless the user explicitly asked for a download (the CLI's --allow-download
# sets HF_HUB_OFFLINE=0 before anything imports huggingface_hub). Tokenizer threads fight the
# Trainer's own threads and misbehave after fork.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
