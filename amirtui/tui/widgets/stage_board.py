"""StageBoard: one line per pipeline stage — done / total, rate, ETA, failed — fed by StageProgressed events.

Before a stage's first row finishes (the model is still answering the first caption requests) the ETA column shows
how many rows are in flight and for how long; after a cancel the ETA is gone (nothing is coming); a new run starts
from an empty board.
"""

from __future__ import annotations

import time

from ...core.events import StageProgressed
from ..text import LiteralTable

COLUMNS = (("stage", "stage", 13), ("done", "done / total", 12), ("bar", "", 16), ("rate", "rate", 8),
           ("eta", "ETA", 12), ("failed", "failed", 6))  # 67 cells + padding: whole at 80 columns
BAR = 16


def eta_text(p: StageProgressed) -> str:
    """Remaining rows / rate as m:ss (— when unknown)."""
    left = max(0, p.total - p.done - p.failed)
    if not left:
        return "done"
    if p.rate <= 0:
        return "—"
    secs = int(left / p.rate)
    return f"{secs // 60}:{secs % 60:02d}" if secs < 3600 else f"{secs // 3600}h{secs % 3600 // 60:02d}"


def bar(done: int, total: int, width: int = 20) -> str:
    """A text progress bar (works in any terminal and colour depth)."""
    filled = 0 if total <= 0 else min(width, round(width * done / total))
    return "█" * filled + "░" * (width - filled)


class StageBoard(LiteralTable):
    """The stage table; ``update_stage`` adds or refreshes one stage's line in place."""

    DEFAULT_CSS = "StageBoard { height: auto; max-height: 12; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="none", **kwargs)
        self.stopped = ""
        """Why the run stopped early ("cancelled"): no ETA is shown then."""
        self._latest: dict[str, StageProgressed] = {}
        self._waiting_since: dict[str, float] = {}

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    def reset(self) -> None:
        """A new run: an empty board."""
        self.clear()
        self.stopped = ""
        self._latest.clear()
        self._waiting_since.clear()

    def stop(self, outcome: str) -> None:
        """The run ended early: replace every ETA by the outcome."""
        self.stopped = outcome
        for p in self._latest.values():
            self.update_stage(p)

    def _eta(self, p: StageProgressed) -> str:
        if self.stopped and p.total - p.done - p.failed > 0:
            return self.stopped
        if p.done == 0 and p.failed == 0 and p.in_flight:
            since = self._waiting_since.setdefault(p.stage, time.monotonic())
            return f"{p.in_flight} in flight {time.monotonic() - since:.0f}s"
        self._waiting_since.pop(p.stage, None)
        return eta_text(p)

    def tick(self) -> None:
        """Once a second: the elapsed time of stages still waiting for their first answer."""
        for stage in list(self._waiting_since):
            p = self._latest.get(stage)
            if p is not None and stage in self.rows:
                self.update_cell(stage, "eta", self._eta(p))

    def update_stage(self, p: StageProgressed) -> None:
        """Show the newest counts of one stage."""
        self._latest[p.stage] = p
        values = (p.stage, f"{p.done} / {p.total}", bar(p.done, p.total, BAR), f"{p.rate:.1f}/s", self._eta(p),
                  str(p.failed))
        if p.stage in self.rows:
            for (col, _, _), v in zip(COLUMNS, values):
                self.update_cell(p.stage, col, v)
        else:
            self.add_row(*values, key=p.stage)
