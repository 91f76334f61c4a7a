"""What recovery found and did: :class:`RecoveryReport` and the rows and runs it lists (text for the CLI and TUI).

Split from :mod:`amirtui.core.recovery`, which fills these in."""

from __future__ import annotations

from dataclasses import dataclass, field

from .recovery_files import FileFindings
from .states import State

#: Publish steps after which a row's files or catalog row may be live: such a row is finished, never rolled back.
LIVE_STEPS = ("upload_web", "upload_thumb", "catalog", "mirror")
#: States whose recorded publish steps the publisher (or unpublish) continues.
PUBLISH_IN_FLIGHT = (State.PUBLISHING.value, State.REPUBLISHING.value, State.UNPUBLISHING.value)


@dataclass
class RunInfo:
    """One run as recovery sees it."""

    id: int
    kind: str
    pid: int
    host: str
    started_at: str

    def text(self) -> str:
        return f"run {self.id} ({self.kind}, pid {self.pid} on {self.host}, started {self.started_at})"


@dataclass
class PublishingRow:
    """A row in ``publishing`` (or ``publish_failed``) and how far its publish got."""

    photo_id: int
    file_name: str | None
    state: str
    done: list[str]
    unfinished: list[str]

    @property
    def has_live_step(self) -> bool:
        """A done upload/catalog step, or an upload interrupted mid-way (its rename may have happened)."""
        return any(s in LIVE_STEPS for s in self.done) or any(s in LIVE_STEPS for s in self.unfinished)


@dataclass
class RecoveryReport:
    """What recovery found (and, for resume/rollback, did). ``needs_attention`` drives the TUI's crash screen."""

    mode: str = "status"
    live_runs: list[RunInfo] = field(default_factory=list)
    crashed_runs: list[RunInfo] = field(default_factory=list)
    by_state: dict[str, int] = field(default_factory=dict)
    publishing: list[PublishingRow] = field(default_factory=list)
    files: FileFindings = field(default_factory=FileFindings)
    actions: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # what was deliberately left alone, and why
    run_id: int | None = None

    @property
    def needs_attention(self) -> bool:
        """True when a crash left something only ``recover`` can repair: a crashed run not yet resumed or rolled
        back, or files that do not match the DB. Rows left in ``publishing`` after a resume are ordinary pending
        work for ``amirtui publish`` (see :meth:`next_step`), not a reason to run recover again."""
        return bool(self.crashed_runs or self.files.any_problem)

    def next_step(self) -> str | None:
        """The one command that moves things on from here, or None when nothing is pending."""
        if self.needs_attention:
            return "`amirtui recover --resume` continues the work; `--rollback` undoes unfinished runs"
        if not self.live_runs:
            steps = []
            pub = sum(1 for p in self.publishing if p.state in (State.PUBLISHING.value, State.REPUBLISHING.value))
            unpub = sum(1 for p in self.publishing if p.state == State.UNPUBLISHING.value)
            if pub:
                steps.append(f"`amirtui publish` finishes the {pub} row{'s' if pub != 1 else ''} left mid-publish")
            if unpub:
                steps.append(f"`amirtui unpublish` finishes the {unpub} row{'s' if unpub != 1 else ''} left "
                             "mid-unpublish")
            if steps:
                return "; ".join(steps)
        if self.files.leftovers:
            return "`amirtui recover --resume` removes the working files of finished rows listed above"
        return None

    @property
    def counts(self) -> dict[str, int]:
        """The headline numbers (for the TUI's crash screen)."""
        return {
            "live_runs": len(self.live_runs),
            "crashed_runs": len(self.crashed_runs),
            "publishing": sum(1 for p in self.publishing if p.state == State.PUBLISHING.value),
            **self.files.counts(),
        }

    def text(self) -> str:
        """A readable multi-line report for ``amirtui recover`` and the crash screen."""
        lines = [f"recovery {self.mode}: " + ("needs attention" if self.needs_attention else "nothing to repair")]
        for r in self.live_runs:
            lines.append(f"  running (not touched): {r.text()}")
        for r in self.crashed_runs:
            lines.append(f"  crashed: {r.text()}")
        if self.by_state:
            lines.append("  rows in flight: " + ", ".join(f"{k} {v}" for k, v in self.by_state.items()))
        for p in self.publishing:
            lines.append(
                f"  {p.state}: photo {p.photo_id} {p.file_name or ''} done [{', '.join(p.done) or '-'}]"
                + (f" interrupted [{', '.join(p.unfinished)}]" if p.unfinished else "")
            )
        lines.extend("  " + line for line in self.files.lines())
        if self.actions:
            lines.append(f"  done ({len(self.actions)}):")
            lines.extend("    " + a for a in self.actions)
        if self.kept:
            lines.append(f"  left alone ({len(self.kept)}):")
            lines.extend("    " + k for k in self.kept)
        step = self.next_step()
        if step and self.mode == "status":
            lines.append(f"  next: {step}")
        return "\n".join(lines)
