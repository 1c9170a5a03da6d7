"""Tokenisation shared by training and inference: head+tail truncation and per-batch padding.

Texts longer than the limit keep their start and their end (Sun et al., 2019, "How to Fine-Tune BERT
for Text Classification": head+tail beats head-only on long reviews and news), because the verdict
of a review or an e-mail is often in its last lines.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .base_models import peek_model_folder, peek_token_limit

HEAD_SHARE = 0.25
CHARS_PER_TOKEN_CAP = 24  # pre-cut huge texts before tokenising: no token is longer than this


class TextEncoder:
    """Turns texts into input_ids with the model's special tokens, cut head+tail to max_length."""

    def __init__(self, tokenizer, max_length: int) -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length
        full = tokenizer("a")["input_ids"]
        bare = tokenizer("a", add_special_tokens=False)["input_ids"]
        start = next(i for i in range(len(full)) if full[i:i + len(bare)] == bare)
        self.prefix, self.suffix = full[:start], full[start + len(bare):]
        self.budget = max(1, max_length - len(self.prefix) - len(self.suffix))
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    def precut_bounds(self, text: str) -> tuple[int, int] | None:
        """For a huge text, (end of the head, start of the tail) in characters: what could be kept is cut
        before tokenising (a space joins the two). None when the text is tokenised whole."""
        limit = self.budget * CHARS_PER_TOKEN_CAP
        if len(text) <= limit:
            return None
        head = int(limit * HEAD_SHARE)
        return head, len(text) - (limit - head)

    def _precut(self, text: str) -> str:
        bounds = self.precut_bounds(text)
        return text if bounds is None else text[:bounds[0]] + " " + text[bounds[1]:]

    def keep(self, seq: Sequence) -> list:
        """The part of a tokenised text the model reads: head and tail, budget items in all (ids, or anything
        that goes with them one for one, such as their offsets)."""
        if len(seq) <= self.budget:
            return list(seq)
        head = int(self.budget * HEAD_SHARE)
        return list(seq[:head]) + list(seq[len(seq) - (self.budget - head):])

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids without special tokens or truncation (huge texts pre-cut to what could be kept)."""
        return self.tokenizer([self._precut(t) for t in texts], add_special_tokens=False)["input_ids"]

    def lengths(self, raw: Sequence[Sequence[int]]) -> list[int]:
        extra = len(self.prefix) + len(self.suffix)
        return [len(x) + extra for x in raw]

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        return self.lengths(self.tokenize(texts))

    def finish(self, raw: Sequence[Sequence[int]]) -> list[list[int]]:
        """Cut tokenised texts head+tail to max_length and add the special tokens. `raw` may come from
        an encoder with a larger max_length: tokenise once, measure, then finish (training does)."""
        return [self.prefix + self.keep(seq) + self.suffix for seq in raw]

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        return self.finish(self.tokenize(texts))

    def collate(self, batch_ids: Sequence[Sequence[int]], multiple_of: int = 8):
        """Pad a batch to its own longest sequence (not to max_length): the big CPU win."""
        import torch

        longest = max(len(x) for x in batch_ids)
        longest = min(self.max_length, int(math.ceil(longest / multiple_of) * multiple_of)) \
            if multiple_of > 1 else longest
        input_ids = torch.full((len(batch_ids), longest), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch_ids), longest), dtype=torch.long)
        for row, seq in enumerate(batch_ids):
            input_ids[row, :len(seq)] = torch.tensor(seq, dtype=torch.long)
            mask[row, :len(seq)] = 1
        return {"input_ids": input_ids, "attention_mask": mask}


def derive_max_length(token_counts: Sequence[int], cap: int, model_limit: int, quantile: float = 0.98) -> int:
    """The length that covers ~98% of the texts, rounded up to a multiple of 8, within the caps."""
    if not token_counts:
        return min(cap, model_limit)
    ordered = sorted(token_counts)
    covered = ordered[min(len(ordered) - 1, int(math.ceil(quantile * len(ordered))) - 1)]
    length = int(math.ceil(covered / 8) * 8)
    return max(16, min(length, cap, model_limit))


def coverage(token_counts: Sequence[int], max_length: int) -> str:
    """The share of texts read whole at `max_length` tokens, in words that never round a cut text away:
    "all", "over 99%", "98%", "under 1%", "none"."""
    if not token_counts:
        return "all"
    whole = sum(1 for n in token_counts if n <= max_length)
    if whole == len(token_counts):
        return "all"
    if whole == 0:
        return "none"
    share = 100 * whole / len(token_counts)
    return "over 99%" if share > 99 else "under 1%" if share < 1 else f"{min(99, max(1, round(share)))}%"


def length_in_use(max_length: int | None, cap: int, token_counts: Sequence[int], model_limit: int) -> int:
    """The input length a run uses: the one set (within the model's limit), or, unset, the one that covers ~98%
    of the texts within the cap (preparation.choose_max_length, the Configure page and the Dataset page)."""
    return min(max_length, model_limit) if max_length else derive_max_length(token_counts, cap, model_limit)


def cut_sentence(token_counts: Sequence[int], max_length: int) -> str:
    """How many texts are longer than the length the run uses ("" when none is): the Dataset page's warning,
    counted as coverage() counts for the Configure page."""
    cut = sum(1 for n in token_counts if n > max_length)
    if not cut:
        return ""
    share = 100 * cut / len(token_counts)
    shown = "under 1%" if share < 1 else "over 99%" if share > 99 else f"{min(99, max(1, round(share)))}%"
    texts, are = ("texts", "are") if cut != 1 else ("text", "is")
    return (f"{cut:,} {texts} ({shown}) {are} longer than the {max_length} tokens training will read (Configure → "
            "Length); their start and end are kept, the middle is cut.")


def fast_token_counter(model_dir):
    """Count tokens with a model's tokenizer.json through `tokenizers` alone (no torch import),
    for data reports; None when the folder has no tokenizer.json."""
    from pathlib import Path

    path = Path(model_dir) / "tokenizer.json"
    if not path.is_file():
        return None
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    tok.no_truncation()
    tok.no_padding()  # some tokenizer.json files pad every text to a fixed length
    return lambda texts: [len(e.ids) for e in tok.encode_batch(list(texts))]


def token_counting(base_model: str | None = None):
    """(count_tokens or None, token limit) for the chosen base model, without importing torch: the data
    report and the length histogram count with the tokenizer that will really be used."""
    folder = peek_model_folder(base_model)
    try:
        counter = fast_token_counter(folder) if folder else None
    except Exception:  # noqa: BLE001 - a missing/broken tokenizer must not block reading data
        counter = None
    return counter, peek_token_limit(base_model)
