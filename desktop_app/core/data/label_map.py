"""LabelMap: label names <-> class ids, in a stable order that travels with every adapter."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from ..base.errors import DataError


def _natural_key(name: str) -> tuple:
    # "2" < "10" and "class 2" < "class 10"; plain names stay alphabetical (case-insensitive).
    parts = re.split(r"(\d+(?:\.\d+)?)", name.strip().lower())
    return tuple((0, float(p)) if i % 2 else (1, p) for i, p in enumerate(parts) if p != "")


@dataclass(frozen=True)
class LabelMap:
    names: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(set(self.names)) != len(self.names):
            raise DataError("Two classes have the same name.", "Make every label name unique.")

    @classmethod
    def from_labels(cls, labels: Iterable[str]) -> "LabelMap":
        return cls(tuple(sorted({str(x) for x in labels}, key=_natural_key)))

    @classmethod
    def from_names(cls, names: Sequence[str]) -> "LabelMap":
        return cls(tuple(str(n) for n in names))

    def __len__(self) -> int:
        return len(self.names)

    @cached_property
    def _index(self) -> dict[str, int]:  # a dict, not names.index(): id_of is called once per example
        return {n: i for i, n in enumerate(self.names)}

    def id_of(self, name: str) -> int:
        try:
            return self._index[str(name)]
        except KeyError:
            shown = ", ".join(self.names[:20]) + (", …" if len(self.names) > 20 else "")
            raise DataError(f"The label “{name}” is not one of this model's classes: {shown}.") from None

    def ids(self, labels: Iterable[str]) -> list[int]:
        return [self.id_of(label) for label in labels]

    def name_of(self, idx: int) -> str:
        return self.names[idx]

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.names))

    @property
    def label2id(self) -> dict[str, int]:
        return dict(self._index)
