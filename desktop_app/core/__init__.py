"""The Qt-free engine of LoRA Studio. Heavy libraries (torch, transformers, peft) are imported lazily.

Importing it changes nothing in the process environment: offline loading is an argument
(`local_files_only=True` on every load, `allow_download` for the one explicit download path),
so a program that imports this API keeps its own Hugging Face settings.
"""
