"""SummaryScreen: the run summary — counts per state, the batch's QC-band distribution and per-stage time as block
bars (people read these faster than tables), the prefill QC findings, the runtime line and where the logs are.

Shown at the end of a run watched on the Run screen, and on demand (F7). Everything is read from the DB, the last
prefill QC report and the App's last pipeline result; ``r`` reads it again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import peewee as pw
from rich.markup import escape as _markup_escape
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from ...core.captioning import qc_report
from ...core.db.models import Photo, Run
from ...core.quality.provenance import offline_summary_line
from ...core.review import BANDS
from ...core.states import State
from ..bindings import bind
from ..text import escape_controls
from ..widgets.chrome import KeyHints, StatusHeader


def escape(value: str) -> str:
    """A value inside the summary's markup: markup characters and control characters made literal."""
    return _markup_escape(escape_controls(value, keep_newlines=True))

if TYPE_CHECKING:
    from ..app import AmirApp

BAR_WIDTH = 30


def block_bars(items: list[tuple[str, float]], *, unit: str = "", width: int = BAR_WIDTH, fmt: str = "{:g}") -> str:
    """Rows of ``label  ███████▍  value`` scaled to the largest value (eighth blocks; works in any colour depth)."""
    if not items:
        return "  (nothing yet)"
    top = max(v for _, v in items) or 1
    label_w = max(len(label) for label, _ in items)
    eighths = " ▏▎▍▌▋▊▉█"
    lines = []
    for label, value in items:
        units = round(width * 8 * value / top)
        bar = "█" * (units // 8) + (eighths[units % 8] if units % 8 else "")
        lines.append(f"  {label:<{label_w}}  {bar:<{width}}  {fmt.format(value)}{unit}")
    return "\n".join(lines)


def state_counts() -> dict[str, int]:
    """Rows per state over the whole DB, in state-machine order, only states that occur."""
    found = dict(Photo.select(Photo.state, pw.fn.COUNT(Photo.id)).group_by(Photo.state).tuples())
    return {s.value: found[s.value] for s in State if found.get(s.value)}


def last_batch_id() -> int | None:
    """The newest import run (the batch the summary describes)."""
    run = Run.select(Run.id).where(Run.kind == "import").order_by(Run.id.desc()).first()
    return run.id if run else None


def band_counts(run_id: int | None) -> list[tuple[str, float]]:
    """QC band distribution of the batch imported by ``run_id`` (all rows when None); unscored rows as "—"."""
    q = Photo.select(Photo.qc_band, pw.fn.COUNT(Photo.id)).group_by(Photo.qc_band)
    if run_id is not None:
        q = q.where(Photo.run == run_id)
    found = dict(q.tuples())
    items = [(b, found.get(b, 0)) for b in BANDS]
    if found.get(None):
        items.append(("—", found[None]))
    return items


def stage_times(result: Any) -> list[tuple[str, float]]:
    """Busy seconds per stage of the last pipeline run of this session."""
    if result is None:
        return []
    return [(name, round(st.busy_seconds, 1)) for name, st in result.stats.items()]


class SummaryScreen(Screen):
    """The run summary, read from the DB and the last reports."""

    TITLE = "Summary"
    DEFAULT_CSS = "#summary-body { padding: 0 1; }"
    BINDINGS = [bind("r", "refresh_summary", "Refresh", "summary.refresh", "Read the counts and reports again")]

    @property
    def amir(self) -> AmirApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        with VerticalScroll():
            yield Static("", id="summary-body")
        yield KeyHints()

    def on_mount(self) -> None:
        self.action_refresh_summary()

    def on_screen_resume(self) -> None:
        self.action_refresh_summary()

    def action_refresh_summary(self) -> None:
        """Build the summary text (a handful of grouped SQL counts: fast on 10k rows)."""
        self.query_one("#summary-body", Static).update(self.render_summary())

    def render_summary(self) -> str:
        """The whole summary as Rich markup."""
        app = self.amir
        settings = app.settings
        parts: list[str] = []
        result = app.last_run
        head = app.run_status
        if result is not None:
            head = f"run {result.run_id}: {result.outcome} in {result.wall_seconds:.1f} s"
        parts.append(f"[b]Run summary[/b] — {escape(head)}")
        parts.append(escape(app.runtime_line or "Ollama runtime: (not reported in this session)"))
        states = state_counts()
        parts.append(f"\n[b]Rows per state[/b] ({sum(states.values())} rows)")
        parts.append(escape(block_bars(list(states.items()))))
        batch = last_batch_id()
        parts.append(f"\n[b]QC bands of the batch[/b] (import run {batch})" if batch else "\n[b]QC bands[/b]")
        parts.append(escape(block_bars(band_counts(batch))))
        if offline_line := offline_summary_line(batch):
            parts.append(f"  [yellow]{escape(offline_line)}[/]")
        parts.append("\n[b]Time per stage[/b] (busy seconds, this session's last run)")
        parts.append(escape(block_bars(stage_times(result), unit=" s")))
        report = qc_report.load_last(settings.data_dir)
        parts.append("\n[b]Prefill QC[/b]")
        if report is None:
            parts.append("  no captioning report yet")
        else:
            parts.append("  " + escape(qc_report.summary_line(report)))
            reasons = report["summary"].get("reasons") or {}
            if reasons:
                parts.append(escape(block_bars(sorted(reasons.items(), key=lambda kv: -kv[1])[:8])))
        def shown(path: Any) -> str:  # relative to the project home when inside it: shorter, and what people type
            try:
                return escape(str(path.resolve().relative_to(settings.base_dir.resolve())))
            except ValueError:
                return escape(str(path))

        parts.append(f"\n[b]Logs[/b]  {shown(settings.logs_dir / 'latest_run.log')} (every event) · "
                     f"{shown(settings.logs_dir / 'db_uploader.log')} (publish) · "
                     f"{shown(qc_report.report_path(settings.data_dir))} (prefill QC)")
        return "\n".join(parts)
