"""StageBoard: one line per pipeline stage — done / total, rate, ETA, failed — fed by StageProgressed events."""

from __future__ import annotations

from ..text import LiteralTable

from ...core.events import StageProgressed

COLUMNS = (("stage", "stage", 13), ("done", "done / total", 12), ("bar", "", 16), ("rate", "rate", 8),
           ("eta", "ETA", 7), ("failed", "failed", 6))  # 62 cells + padding: whole at 80 columns


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

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    def update_stage(self, p: StageProgressed) -> None:
        """Show the newest counts of one stage."""
        values = (p.stage, f"{p.done} / {p.total}", bar(p.done, p.total, 16), f"{p.rate:.1f}/s", eta_text(p),
                  str(p.failed))
        if p.stage in self.rows:
            for (col, _, _), v in zip(COLUMNS, values):
                self.update_cell(p.stage, col, v)
        else:
            self.add_row(*values, key=p.stage)
