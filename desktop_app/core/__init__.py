"""The Qt-free engine of LoRA Studio. Heavy libraries (torch, transformers, peft, pandas, onnxruntime, ...) are
imported inside the functions that use them, and so are the few core modules that load one at import: start-up
speed (tests/test_architecture.py checks that importing the core loads no torch). Imports of light core modules
are at the top; a function tests patch is looked up on its module at call time.

Importing it changes nothing in the process environment: offline loading is an argument
(`local_files_only=True` on every load, `allow_download` for the one explicit download path),
so a program that imports this API keeps its own Hugging Face settings.
"""
