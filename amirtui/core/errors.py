"""Exception hierarchy shared by the core. Each error carries a short title and a fix for the operator."""

from __future__ import annotations


class AmirError(Exception):
    """Base class for errors the operator should see: a title, the detail, and what to do about it."""

    title = "amirtui error"

    def __init__(self, detail: str, *, fix: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.detail} — {self.fix}" if self.fix else self.detail


class ConfigError(AmirError):
    """The configuration file or environment holds an invalid value."""

    title = "Configuration error"


class IllegalTransition(AmirError):
    """A photo was asked to move between two states the state machine does not connect."""

    title = "Illegal state change"


class LockHeld(AmirError):
    """Another live amirtui process holds the single-instance lock on this data directory."""

    title = "Already running"


class ReservationConflict(AmirError):
    """A filename is already reserved or published (case-insensitively)."""

    title = "Filename taken"
