"""The data loop, above training: find the labels that are likely wrong (label_review.py) and choose the texts worth
labelling next (next_texts.py), both from the frozen base model's sentence vectors (vectors.py); labels made or
fixed are saved as a new file beside the user's (label_files.py)."""
