"""The preflight line type, shared by :mod:`amirtui.core.preflight` and the components that contribute lines
(publish health, captioning status, ingest, naming). It lives at the bottom of the import graph so that a
component can make a :class:`Check` without importing preflight, which imports the components: no import cycle."""

from __future__ import annotations

from dataclasses import dataclass

GREEN, YELLOW, RED = "green", "yellow", "red"


@dataclass(frozen=True)
class Check:
    """One preflight line: a name, green / yellow / red, what was found and the fix."""

    name: str
    level: str  # green | yellow | red
    found: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        """False only for a red line (yellow is a warning a run can live with)."""
        return self.level != RED


__all__ = ["Check", "GREEN", "YELLOW", "RED"]
