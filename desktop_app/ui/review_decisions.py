"""What the user decided about each suspect of a label review: keep its label, fix it, or drop the row; the last
decision can be taken back. Qt-free (glue's state objects): the Review labels view shows it, tests drive it alone,
and `fixes()` / `drops()` are what label_files.reviewed_table writes, by the file's data row."""

from __future__ import annotations

from dataclasses import dataclass

KEEP, FIX, DROP = "keep", "fix", "drop"


@dataclass(frozen=True)
class Decision:
    kind: str                      # KEEP, FIX or DROP
    labels: tuple[str, ...] = ()   # FIX: the labels the row gets


class ReviewDecisions:
    """Decisions by suspect (its place in the list), with the order they were made in for Undo."""

    def __init__(self, suspects=()) -> None:
        self.suspects = list(suspects)
        self.decided: dict[int, Decision] = {}
        self._history: list[tuple[int, Decision | None]] = []  # (suspect, the decision it had before)

    def decide(self, at: int, kind: str, labels: tuple[str, ...] = ()) -> None:
        if kind not in (KEEP, FIX, DROP):
            raise ValueError(kind)
        self._history.append((at, self.decided.get(at)))
        self.decided[at] = Decision(kind, tuple(labels) if kind == FIX else ())

    def undo(self) -> int | None:
        """Take back the last decision; returns the suspect it was about (None: nothing to undo)."""
        if not self._history:
            return None
        at, before = self._history.pop()
        if before is None:
            self.decided.pop(at, None)
        else:
            self.decided[at] = before
        return at

    @property
    def can_undo(self) -> bool:
        return bool(self._history)

    def fixes(self) -> dict[int, tuple[str, ...]]:
        """{file data row: labels} for the rows fixed (a fix to the label it already has changes nothing)."""
        return {self.suspects[at].row: d.labels for at, d in self.decided.items()
                if d.kind == FIX and tuple(d.labels) != tuple(self.suspects[at].given)}

    def drops(self) -> set[int]:
        return {self.suspects[at].row for at, d in self.decided.items() if d.kind == DROP}

    def changes(self) -> int:
        return len(self.fixes()) + len(self.drops())

    def describe(self, at: int) -> str:
        """How the Decision column says it."""
        d = self.decided.get(at)
        if d is None:
            return ""
        if d.kind == FIX:
            return "Fix → " + ("; ".join(d.labels) if d.labels else "(no label)")
        return "Keep" if d.kind == KEEP else "Drop"

    def summary(self) -> str:
        kinds = [d.kind for d in self.decided.values()]
        return (f"{len(kinds)} of {len(self.suspects)} decided: {kinds.count(FIX)} fixed, {kinds.count(DROP)} dropped, "
                f"{kinds.count(KEEP)} kept")
