"""The files an adapter folder (and its .zip) holds, by name: what the manifest, the zip reader and the adapter
folder all agree on, below each of them."""

MANIFEST = "manifest.json"
WEIGHTS = "adapter_model.safetensors"
PEFT_CONFIG = "adapter_config.json"
README = "README.md"  # the model card (model_card.py)
ALLOWED_FILES = frozenset({WEIGHTS, PEFT_CONFIG, MANIFEST, README})  # what an adapter may contain, nothing else
