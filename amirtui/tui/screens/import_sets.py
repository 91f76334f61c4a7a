"""ImportScreen: pick folders in a DirectoryTree, name each set (Subject / Location / Folder with completion from the
taxonomy), see the first filename, per-set file counts and refused files with reasons, then start.

Validation (:func:`amirtui.core.ingest.validate_set`) and the import (:func:`~amirtui.core.ingest.import_sets`) run
in thread workers; a finished import starts the pipeline on the App and switches to the Run screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Checkbox, DataTable, Input, Label, Static

from ...core import naming, taxonomy
from ...core.db.models import PhotoSet
from ...core.errors import AmirError
from ...core.fsnames import display_name
from ...core.ingest import SetSpec, import_sets, validate_set
from ...core.recent import load_recent, remember
from ..bindings import bind
from ..text import LiteralTable, literal, plural
from ..widgets.chrome import KeyHints, StatusHeader
from ..widgets.folder_browser import FolderBrowser
from .import_subject import SUGGEST_ACTIONS, SubjectSuggesting

if TYPE_CHECKING:
    from ..app import AmirApp

FIELDS = (("subject", "Subject"), ("location", "Location"), ("folder", "Folder"))
EMPTY_PREVIEW = "first filename: type Subject, Location and Folder (ctrl+l suggests a Subject)"


@dataclass
class PendingSet:
    """A set the operator added: its spec and, once validated, what would be imported."""

    spec: SetSpec
    problems: list[str] = field(default_factory=list)
    accepted: int | None = None
    refused: list[tuple[Path, str]] = field(default_factory=list)
    accepted_paths: list[Path] = field(default_factory=list)

    @property
    def label(self) -> str:
        """Subject / Location / Folder."""
        return f"{self.spec.subject} / {self.spec.location} / {self.spec.folder}"


class FormScroll(VerticalScroll):
    """The form's scroll area: scrolls, but is never a focus stop of its own (its fields are)."""

    can_focus = False


class ImportScreen(SubjectSuggesting):
    """Add one or more sets and start the import + pipeline."""

    TITLE = "Import"
    AUTO_FOCUS = "#import-tree"  # not the path field above it: a screen resuming with nothing focused (see Review)
    DEFAULT_CSS = """
    #import-main { height: 1fr; }
    #import-browser { width: 2fr; min-width: 24; border-right: solid $primary-darken-2; }
    #import-form { width: 3fr; padding: 0 1; }
    #import-form Input { margin-bottom: 1; }
    #import-fields { height: auto; }
    #import-fields > Vertical { width: 1fr; height: auto; }
    #name-preview { height: auto; margin: 0 0 1 0; }
    #name-preview.-problem { color: $error; }
    #subject-suggestion { height: auto; margin: 0 0 1 0; display: none; }
    #subject-suggestion.-shown { display: block; }
    #import-options { height: auto; margin-bottom: 1; }
    #import-options > Horizontal { height: 1; }
    #smoke-label { width: auto; color: $text-muted; }
    #smoke { width: 1fr; max-width: 20; }
    #import-sets { height: auto; max-height: 10; }
    #import-refused { height: 1fr; min-height: 3; color: $text-muted; }
    """
    BINDINGS = [
        bind("ctrl+n", "add_set", "Add set", "import.add", "Add the highlighted folder as a set with these names"),
        bind("ctrl+y", "remove_set", "Remove set", "import.remove", "Remove the highlighted set from the list"),
        bind("ctrl+t", "toggle_confirm", "Confirm new", "import.confirm",
             "Accept a new Folder/Location (added to the taxonomy)"),
        bind("ctrl+g", "start", "Start", "import.start", "Import every set, then run the pipeline"),
        bind("ctrl+o", "folder_up", "Up a folder", "import.up", "Show the parent folder in the tree (Backspace in the "
             "tree does the same)", show=False),
        bind("ctrl+r", "refresh_folders", "Refresh", "import.refresh", "Read the folders again (the tree also does "
             "when it gets focus)", show=False),
        bind("f9", "toggle_hidden", "Hidden files", "import.hidden", "Show or hide entries whose name starts with a "
             "dot", show=False),
    ]

    @dataclass
    class SetValidated(Message):
        """One set was checked (nothing written)."""

        index: int
        problems: list[str]
        accepted: int
        refused: list[tuple[Path, str]]
        accepted_paths: list[Path] = field(default_factory=list)

    @dataclass
    class ImportDone(Message):
        """The import finished (report) or failed (error)."""

        report: Any
        error: str = ""

    def __init__(self) -> None:
        super().__init__()
        self.sets: list[PendingSet] = []
        self.importing = False

    @property
    def amir(self) -> AmirApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        paths = self.amir.settings.paths
        root = Path(paths.import_root).expanduser() if paths.import_root else Path.home()
        with Horizontal(id="import-main"):
            yield FolderBrowser(root, load_recent(self.amir.settings.data_dir), id="import-browser")
            with FormScroll(id="import-form"):
                with Horizontal(id="import-fields"):
                    for key, label in FIELDS:
                        with Vertical():
                            yield Label(label, classes="field-label")
                            yield Input(id=key, placeholder=label, compact=True)
                yield Static(EMPTY_PREVIEW, id="name-preview")
                yield Static("", id="subject-suggestion")
                with Vertical(id="import-options"):  # stacked: both stay on screen at 80 columns
                    yield Checkbox("Confirm new folder/location", id="confirm-new", compact=True)
                    with Horizontal():
                        yield Label("smoke batch: ", id="smoke-label")
                        yield Input(id="smoke", type="integer", placeholder="N (empty = all)", compact=True)
                yield LiteralTable(id="import-sets", cursor_type="row")
                yield Static("", id="import-refused")
        yield KeyHints()

    def on_mount(self) -> None:
        table = self.query_one("#import-sets", DataTable)
        # counts and status first: the source folder (long) last, where a narrow terminal cuts it
        table.add_column("set", key="set", width=18)
        table.add_column("files", key="files", width=5)
        table.add_column("refused", key="refused", width=7)
        table.add_column("status", key="status", width=14)
        table.add_column("source", key="source")
        self.refresh_suggestions()
        self.query_one("#import-tree").focus()  # the tree reads the disk on focus

    def on_screen_resume(self) -> None:
        self.refresh_suggestions()

    def refresh_suggestions(self) -> None:
        """Completion from the taxonomy (folders, locations) and the subjects of earlier sets."""
        subjects = {s for (s,) in PhotoSet.select(PhotoSet.subject).distinct().tuples() if s}
        subjects |= {e.value for e in taxonomy.entries("subject_fix")}
        lists = {"subject": sorted(subjects, key=str.casefold), "location": taxonomy.suggestions("location"),
                 "folder": taxonomy.suggestions("folder")}
        for key, words in lists.items():
            self.query_one(f"#{key}", Input).suggester = SuggestFromList(words, case_sensitive=False)

    # ------------------------------------------------------------ the form
    def values(self) -> dict[str, str]:
        """Subject / Location / Folder as typed."""
        return {key: self.query_one(f"#{key}", Input).value.strip() for key, _ in FIELDS}

    @on(Input.Changed, "#subject, #location, #folder")
    def update_preview(self) -> None:
        """The first filename these names give (problems instead when they cannot make a name)."""
        v = self.values()
        cfg = self.amir.settings.naming
        status = self.query_one("#name-preview", Static)
        problems = naming.validate_set_fields(v["subject"], v["location"], v["folder"], cfg) if all(v.values()) else []
        if not all(v.values()):
            status.update(EMPTY_PREVIEW)
        elif problems:
            status.update(literal("✗ " + "; ".join(problems)))
        else:
            status.update(Text("first filename: ").append(literal(naming.preview_name(v["subject"], v["location"],
                                                                                     v["folder"], cfg), "bold")))
        status.set_class(bool(problems), "-problem")

    def _highlighted_dir(self) -> Path | None:
        return self.query_one(FolderBrowser).highlighted_dir

    def action_folder_up(self) -> None:
        """The tree shows the parent folder."""
        self.query_one(FolderBrowser).tree.action_up()

    def action_refresh_folders(self) -> None:
        """Read the folders again."""
        self.query_one(FolderBrowser).refresh_tree()

    def action_toggle_hidden(self) -> None:
        """Show / hide dot-entries."""
        shown = self.query_one(FolderBrowser).toggle_hidden()
        self.notify("hidden entries shown" if shown else "hidden entries hidden", timeout=2)

    def action_add_set(self) -> None:
        """Add the highlighted folder as a set with the typed names, then validate it in a worker."""
        source = self._highlighted_dir()
        v = self.values()
        if source is None:
            self.notify("highlight a folder in the tree first", severity="warning")
            return
        if not all(v.values()):
            missing = ", ".join(label for key, label in FIELDS if not v[key])
            self.notify(f"type {missing} for this set first", title="Set needs names", severity="warning", markup=False)
            return
        confirm = self.query_one("#confirm-new", Checkbox).value
        self.sets.append(PendingSet(SetSpec([source], v["subject"], v["location"], v["folder"], confirm_new=confirm)))
        index = len(self.sets) - 1
        self.query_one("#import-sets", DataTable).add_row(self.sets[-1].label, "…", "…", "checking…", str(source),
                                                          key=str(index))
        self._validate(index, self.sets[-1].spec)

    @work(thread=True, exit_on_error=False, group="import-validate", description="check set")
    def _validate(self, index: int, spec: SetSpec) -> None:
        problems, accepted, refused = validate_set(spec, self.amir.settings)
        self.post_message(self.SetValidated(index, problems, len(accepted), refused, accepted))

    @on(SetValidated)
    def show_validation(self, message: SetValidated) -> None:
        """Counts, refused files and problems of one set."""
        if message.index >= len(self.sets):
            return
        ps = self.sets[message.index]
        ps.problems, ps.accepted, ps.refused = message.problems, message.accepted, message.refused
        ps.accepted_paths = message.accepted_paths
        table = self.query_one("#import-sets", DataTable)
        key = str(message.index)
        if key in table.rows:
            table.update_cell(key, "files", str(message.accepted))
            table.update_cell(key, "refused", str(len(message.refused)))
            table.update_cell(key, "status", "; ".join(message.problems) or "ready")
        self._show_refusals()
        self.refresh_bindings()

    def _show_refusals(self) -> None:
        text = Text()
        for ps in self.sets:
            for problem in ps.problems:
                text.append("✗ ", "bold red").append(literal(f"{ps.label}: {problem}")).append("\n")
            for path, reason in ps.refused:
                text.append(literal(f"refused {display_name(path.name)} ({ps.label}): {reason}")).append("\n")
        text.rstrip()
        self.query_one("#import-refused", Static).update(text if text.plain else literal("no refused files"))

    def action_remove_set(self) -> None:
        """Drop the highlighted set."""
        table = self.query_one("#import-sets", DataTable)
        if not self.sets or table.row_count == 0:
            return
        del self.sets[table.cursor_row]
        self._rebuild_table()

    def _rebuild_table(self) -> None:
        table = self.query_one("#import-sets", DataTable)
        table.clear()
        for i, ps in enumerate(self.sets):
            status = "checking…" if ps.accepted is None else ("; ".join(ps.problems) or "ready")
            table.add_row(ps.label, "…" if ps.accepted is None else str(ps.accepted), str(len(ps.refused)), status,
                          str(ps.spec.sources[0]), key=str(i))
        self._show_refusals()
        self.refresh_bindings()

    def action_toggle_confirm(self) -> None:
        """Toggle "confirm new folder/location" and check every set again with it."""
        box = self.query_one("#confirm-new", Checkbox)
        box.value = not box.value

    @on(Checkbox.Changed, "#confirm-new")
    def revalidate(self, event: Checkbox.Changed) -> None:
        """The confirmation applies to every set in the list."""
        for i, ps in enumerate(self.sets):
            ps.spec.confirm_new = event.value
            ps.accepted = None
            self._validate(i, ps.spec)
        self._rebuild_table()

    # ------------------------------------------------------------ start
    @property
    def ready(self) -> bool:
        """Every set checked and none has a problem."""
        return bool(self.sets) and not self.importing and all(ps.accepted is not None and not ps.problems
                                                               for ps in self.sets)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Start only when every set is ready; remove only with sets listed."""
        if action == "start":
            return True if self.ready else None
        if action == "remove_set":
            return True if self.sets else None
        if action in SUGGEST_ACTIONS:
            return self.suggest_check(action)
        return True

    def action_start(self) -> None:
        """Import the sets in a worker (then run the pipeline)."""
        if not self.ready:
            return
        raw = self.query_one("#smoke", Input).value.strip()
        smoke = int(raw) if raw.isdigit() and int(raw) > 0 else None
        self.importing = True
        self.refresh_bindings()
        self.notify(f"importing {plural(len(self.sets), 'set')}…", timeout=3, markup=False)
        self._import([ps.spec for ps in self.sets], smoke)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import", description="import sets")
    def _import(self, specs: list[SetSpec], smoke: int | None) -> None:
        try:
            report = import_sets(specs, self.amir.settings, self.amir.bus, smoke=smoke)
        except AmirError as exc:
            self.post_message(self.ImportDone(None, f"{exc.detail} {exc.fix}".strip()))
            return
        self.post_message(self.ImportDone(report))

    @on(ImportDone)
    def finish_import(self, message: ImportDone) -> None:
        """Start the pipeline and show the run; or say what stopped the import."""
        self.importing = False
        report = message.report
        if report is None or not report.ok:
            why = message.error or "; ".join(p for s in report.sets for p in s.problems)
            self.notify(why, title="Import stopped", severity="error", timeout=10)
            self.refresh_bindings()
            return
        dupes = sum(len(s.duplicates) for s in report.sets)
        self.notify(f"imported {plural(report.accepted, 'photo')}" + (f", {dupes} already known" if dupes else ""),
                    title="Import done", timeout=5, markup=False)
        remember(self.amir.settings.data_dir, [src for ps in self.sets for src in ps.spec.sources])
        self.sets.clear()
        self._rebuild_table()
        self.refresh_suggestions()
        if report.accepted:
            self.amir.start_pipeline()
            self.app.switch_mode("run")
