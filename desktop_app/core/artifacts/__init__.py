"""What is written and shared: the manifest, adapter folders and zips, peft's config, job folders, runs, base models found by fingerprint, sharing, the model card, the ONNX export."""
