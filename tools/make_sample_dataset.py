"""Regenerate resources/sample_reviews.csv: short product/film/place reviews written for LoRA Studio.

The fragments are our own writing; a seeded shuffle combines them so the sample is varied yet stable.
Run: python tools/make_sample_dataset.py
"""

import csv
import random
from pathlib import Path

SUBJECTS = ["The film", "This phone", "The hotel room", "Our waiter", "The sequel", "This blender",
            "The paperback", "The soundtrack", "The delivery", "The laptop", "This café", "The museum tour",
            "The headset", "Customer support", "The ending", "The pasta", "This app", "The battery",
            "The lead actor", "The train ride", "The tent", "The novel", "The coffee machine", "The concert",
            "The update", "The keyboard", "The spa", "The documentary", "Our guide", "The mattress"]
POSITIVE = ["was an absolute delight", "exceeded every expectation I had", "works perfectly, every single time",
            "is worth every penny", "made my whole week", "felt warm, clever and surprisingly moving",
            "arrived early and in perfect shape", "is the best I have tried in years",
            "was friendly, quick and genuinely helpful", "kept me smiling from start to finish",
            "is beautifully made and a joy to use", "sounds rich and clear", "was spotless and comfortable",
            "is fast, quiet and reliable", "deserves all the praise it gets", "was simply wonderful",
            "had me hooked from the first page", "is a real gem", "did exactly what it promised",
            "was fresh, tasty and generously served", "lasted far longer than I hoped",
            "is one I would happily recommend to friends", "was a lovely surprise", "was brilliant, honestly"]
NEGATIVE = ["was a complete waste of money", "broke after two days", "was rude and slow",
            "is the worst I have tried in years", "dragged on forever and went nowhere",
            "arrived late and damaged", "stopped working after the first week", "was dirty and noisy",
            "felt cheap, flimsy and overpriced", "left me bored and annoyed", "is a total disappointment",
            "crashes every time I open it", "was cold, bland and tiny", "never did what it promised",
            "sounds tinny and distorted", "made the whole trip miserable", "was badly written and dull",
            "is not worth half the price", "drains in a couple of hours", "was a mess from start to finish",
            "ignored my emails for weeks", "smelled awful", "fell apart in the first rain", "was painfully slow"]
NEUTRAL = ["arrived on a Tuesday", "comes in three colours", "was released last spring", "is about two hours long",
           "has a blue cover", "was roughly what I expected", "is similar to the previous one", "uses a USB-C cable",
           "was delivered by a courier", "is sold in most shops", "was neither good nor bad", "does the job, nothing more",
           "is average in every way", "was fine, I suppose", "is okay for the price", "has a manual in four languages",
           "opens at nine on weekdays", "weighs a little under a kilo", "was on the second floor",
           "is based on a true story"]
POS_TAILS = ["", "", " Highly recommended.", " Five stars.", " I'd buy it again.", " Loved it!",
             " Can't wait to go back.", ", and the price was fair too."]
NEG_TAILS = ["", "", " Avoid.", " One star.", " Never again.", " I want a refund.",
             " What a letdown.", ", and nobody seemed to care."]
NEU_TAILS = ["", "", " Three stars.", " No strong feelings.", " It is what it is.", ", as described."]
CLASSES = {"positive": (POSITIVE, POS_TAILS), "negative": (NEGATIVE, NEG_TAILS), "neutral": (NEUTRAL, NEU_TAILS)}


def main() -> None:
    rng = random.Random(7)
    rows = set()
    while len(rows) < 420:
        label = rng.choices(list(CLASSES), weights=[3, 3, 2])[0]
        clauses, tails = CLASSES[label]
        tail = rng.choice(tails)
        text = f"{rng.choice(SUBJECTS)} {rng.choice(clauses)}" + ("." + tail if tail.startswith(" ") else tail)
        text = text if text.endswith((".", "!", "?")) else text + "."
        rows.add((text, label))
    out = Path(__file__).resolve().parent.parent / "resources" / "sample_reviews.csv"
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["review", "sentiment"])
        writer.writerows(sorted(rows, key=lambda r: rng.random()))


if __name__ == "__main__":
    main()
