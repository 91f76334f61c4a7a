"""FolderBrowser: reach any folder for an import — a typed path with Tab completion, a tree that can go up to the
parent, refreshes when it gets focus (folders made while the app runs appear), hides dot-entries unless asked, and
the recent import folders one key away.

Focus order is what the eye sees: path field → recent list (only when there is one) → tree.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from ..text import LiteralTree, literal


def complete_path(typed: str, show_hidden: bool = False) -> str | None:
    """The typed path extended as far as the folders it can name agree (a shell's Tab); None when nothing matches.

    ``~`` is expanded; a trailing ``/`` lists the folder's children.
    """
    if not typed:
        return None
    path = Path(os.path.expanduser(typed))
    parent, stem = (path, "") if typed.endswith("/") else (path.parent, path.name)
    try:
        names = sorted(e.name for e in os.scandir(parent) if e.is_dir() and e.name.startswith(stem)
                       and (show_hidden or stem.startswith(".") or not e.name.startswith(".")))
    except OSError:
        return None
    if not names:
        return None
    common = os.path.commonprefix(names)
    if len(names) == 1:
        done = str(parent / common) + "/"
    elif len(common) > len(stem):
        done = str(parent / common)
    else:
        return typed  # several folders, nothing more in common: the typed text stays
    if typed.startswith("~"):
        home = os.path.expanduser("~")
        done = "~" + done[len(home):] if done.startswith(home) else done
    return done


class PathSuggester(Suggester):
    """Suggests the completion of a typed folder path (shown dimmed; Right or Tab accepts it)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        done = complete_path(value)
        return done if done and done != value else None


class PathInput(Input):
    """The path field: Tab completes the folder name; with nothing to complete Tab moves on, as everywhere."""

    BINDINGS = [Binding("tab", "complete", "Complete path", show=False)]

    def action_complete(self) -> None:
        """Complete as far as the matching folders agree, else move focus on."""
        done = complete_path(self.value)
        if done and done != self.value:
            self.value = done
            self.cursor_position = len(done)
        else:
            self.screen.focus_next()


class BrowseTree(LiteralTree):
    """The folder tree: literal names, hidden entries filtered, Backspace goes up to the parent folder."""

    BINDINGS = [Binding("backspace", "up", "Parent folder", show=False)]

    def __init__(self, path: str | Path, **kwargs) -> None:
        super().__init__(path, **kwargs)
        self.show_hidden = False

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        """Dot-entries only when asked (F9)."""
        return [p for p in paths if self.show_hidden or not p.name.startswith(".")]

    def action_up(self) -> None:
        """Show the parent folder (the tree's root moves up)."""
        root = Path(self.path).expanduser().resolve()
        if root.parent != root:
            self.post_message(FolderBrowser.Opened(root.parent))


class FolderBrowser(Vertical):
    """Path field, recent folders and the tree; :attr:`highlighted_dir` is the folder a set would come from."""

    DEFAULT_CSS = """
    FolderBrowser { height: 1fr; }
    FolderBrowser > #import-path { height: 1; margin: 0 0 1 0; }
    FolderBrowser > #import-recent { height: auto; max-height: 5; display: none; }
    FolderBrowser.-has-recent > #import-recent { display: block; }
    FolderBrowser > BrowseTree { height: 1fr; }
    """

    @dataclass
    class Opened(Message):
        """Show this folder in the tree (typed, picked from the recent list, or the parent of the root)."""

        path: Path

    def __init__(self, root: Path, recent: list[Path], **kwargs) -> None:
        super().__init__(**kwargs)
        self.root = root
        self.recent = recent

    def compose(self) -> ComposeResult:
        yield PathInput(str(self.root), id="import-path", compact=True, suggester=PathSuggester(),
                        placeholder="folder path (Tab completes, Enter opens)")
        yield OptionList(*[Option(literal(str(p)), id=str(i)) for i, p in enumerate(self.recent)], id="import-recent")
        yield BrowseTree(str(self.root), id="import-tree")

    def on_mount(self) -> None:
        self.set_class(bool(self.recent), "-has-recent")
        if not self.recent:
            self.query_one("#import-recent", OptionList).can_focus = False  # hidden: never a focus stop

    @property
    def tree(self) -> BrowseTree:
        """The folder tree."""
        return self.query_one(BrowseTree)

    @property
    def highlighted_dir(self) -> Path | None:
        """The highlighted folder of the tree (a file's folder when a file is highlighted)."""
        tree = self.tree
        node = tree.cursor_node or tree.root
        if node is None or node.data is None:
            return None
        path = Path(node.data.path)
        return path if path.is_dir() else path.parent

    def open(self, path: Path) -> None:
        """Root the tree at ``path`` and show it in the path field."""
        path = Path(os.path.expanduser(str(path)))
        if not path.is_dir():
            self.notify(f"not a folder: {path}", severity="warning", markup=False)
            return
        self.tree.path = path
        field = self.query_one(PathInput)
        field.value = str(path)
        field.cursor_position = len(field.value)

    def refresh_tree(self) -> None:
        """Read the folders again (new ones appear, removed ones go)."""
        self.tree.reload()

    def toggle_hidden(self) -> bool:
        """Show or hide dot-entries; returns the new setting."""
        tree = self.tree
        tree.show_hidden = not tree.show_hidden
        tree.reload()
        return tree.show_hidden

    @on(Opened)
    def _open(self, message: Opened) -> None:
        message.stop()
        self.open(message.path)

    @on(Input.Submitted, "#import-path")
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        self.open(Path(event.value.strip() or "."))
        self.tree.focus()

    @on(OptionList.OptionSelected, "#import-recent")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.open(self.recent[int(event.option.id or 0)])
        self.tree.focus()

    def on_descendant_focus(self, event) -> None:
        """The tree reads the disk again whenever it gets focus: folders made meanwhile appear."""
        if event.widget is self.tree:
            self.tree.reload()
