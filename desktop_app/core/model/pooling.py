"""How a text becomes one vector for the classifier: the model's own [CLS] pooler, or the mean of its tokens.

Sentence-transformer bases such as the built-in all-MiniLM-L6-v2 are trained so that the mean of their token
vectors describes the text; their [CLS] pooler (dense + tanh over the first token) was never trained for it.
Measured with a linear probe on the frozen built-in model (docs/BENCHMARKS.md, small data): the mean beats the
[CLS] pooler at every size. BERT-family heads read `bert.pooler(last_hidden_state)`, so mean pooling swaps that
one module for `MeanPooler`, which takes the attention mask from a forward pre-hook on the encoder: the
architecture, the weights' names and the saved adapter stay those of a plain BertForSequenceClassification.

The manifest records the pooling (`pooling`: "mean" | "cls"; absent in adapters made before, which are "cls"),
and the model card shows the five lines that install it for a plain peft + transformers load.
"""

from __future__ import annotations

CLS, MEAN = "cls", "mean"
POOLINGS = (CLS, MEAN)
MEAN_POOLING_TYPES = ("bert",)  # a classifier over `base.pooler(sequence_output)`: the pooler can be swapped


def default_pooling(model_type: str) -> str:
    return MEAN if model_type in MEAN_POOLING_TYPES else CLS


def _torch_module():
    import torch

    class MeanPooler(torch.nn.Module):
        """The mean of the token vectors the attention mask marks as real (padding left out), at unit length:
        sentence models compare directions (cosine), and a head on unnormalised means fits their lengths' noise
        (a linear probe at 8 snippets per class: macro-F1 0.48 against 0.58 normalised)."""

        def __init__(self) -> None:
            super().__init__()
            self.mask = None

        def remember(self, module, args, kwargs) -> None:  # a forward pre-hook on the encoder
            mask = kwargs.get("attention_mask")
            if mask is None and len(args) > 1:
                mask = args[1]
            self.mask = mask

        def forward(self, hidden_states):
            mask = self.mask
            if mask is None or tuple(mask.shape) != tuple(hidden_states.shape[:2]):
                mask = torch.ones(hidden_states.shape[:2], device=hidden_states.device)
            weights = mask.to(hidden_states.dtype).unsqueeze(-1)
            mean = (hidden_states * weights).sum(1) / weights.sum(1).clamp(min=1.0)
            return torch.nn.functional.normalize(mean, dim=-1)  # unit length, as the sentence model's own Normalize

    return MeanPooler


def use_pooling(model, pooling: str):
    """Give a freshly loaded classifier (no LoRA attached yet) the pooling asked for; returns the model."""
    if pooling == CLS:
        return model
    if pooling != MEAN:
        raise ValueError(f"unknown pooling {pooling!r}")
    encoder = getattr(model, "base_model", None)
    if getattr(model.config, "model_type", None) not in MEAN_POOLING_TYPES or getattr(encoder, "pooler", None) is None:
        raise ValueError("mean pooling needs a BERT-family classifier with a pooler")
    pooler = _torch_module()()
    encoder.pooler = pooler
    encoder.register_forward_pre_hook(pooler.remember, with_kwargs=True)
    return model


def pooling_of(model) -> str:
    encoder = getattr(model, "base_model", None)
    encoder = getattr(encoder, "model", encoder)  # under peft, base_model is the LoRA wrapper
    encoder = getattr(encoder, "base_model", encoder)
    return MEAN if type(getattr(encoder, "pooler", None)).__name__ == "MeanPooler" else CLS
