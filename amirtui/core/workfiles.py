"""The one rule for a finished row's working files: which of amirtui's own copies may go once a row is done.

Used by the publisher right after a row's ``published`` commit, by recovery (a kill between that commit and the
cleanup leaves them behind: ``recover --status`` names them and ``--resume`` removes them) and by validation (which
reports what is still there), so the three can never disagree.

A working file is only ever one amirtui made itself: the model image under ``ollama_tmp``, the render folder under
``data/publish_tmp/<id>`` and the staged copy under the incoming dir. The staged copy goes only while the original is
still where it was with the same size — nothing that could not be made again is removed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .states import State

#: Rows whose working files are no longer needed. (A rejected row keeps its staged copy: undo brings it back to
#: review, and its model image is removed by the reject itself.)
DONE_STATES: tuple[State, ...] = (State.PUBLISHED, State.ROLLED_BACK, State.UNPUBLISHED)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(Path(root).resolve())
        return True
    except (ValueError, OSError):
        return False


def render_dir(settings: Any, photo_id: int) -> Path:
    """Where the publisher writes a row's rendered web image and thumbnail."""
    return settings.data_dir / "publish_tmp" / str(photo_id)


def staged_copy_removable(photo: Any, settings: Any) -> bool:
    """The staged copy is ours (under incoming) and the original is still there with the same size."""
    if not photo.staged_path:
        return False
    staged, original = Path(photo.staged_path), Path(photo.original_path)
    if str(staged) == str(original) or not _inside(staged, settings.incoming_dir):
        return False
    try:
        return staged.is_file() and original.is_file() and original.stat().st_size == staged.stat().st_size
    except OSError:
        return False


def leftover_files(photo: Any, settings: Any) -> list[tuple[str, Path]]:
    """``(label, path)`` of every working file of a finished row that still exists and may be removed."""
    out: list[tuple[str, Path]] = []
    if photo.model_image_path:
        model = Path(photo.model_image_path)
        if _inside(model, settings.ollama_tmp_dir) and model.is_file():
            out.append(("model image", model))
    if State(photo.state) in DONE_STATES and staged_copy_removable(photo, settings):
        out.append(("staged copy", Path(photo.staged_path)))
    work = render_dir(settings, photo.id)
    if work.exists():
        out.append(("rendered files", work))
    return out


def remove_path(path: Path) -> str | None:
    """Remove one working file or folder; None when done, else why not (never raised: the caller reports it)."""
    import shutil

    try:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    except OSError as exc:
        return str(exc.strerror or exc)
    return None


def remove_leftovers(photo: Any, settings: Any) -> list[str]:
    """Remove :func:`leftover_files`; returns one line per removal (or per failure, never raised)."""
    lines = []
    for label, path in leftover_files(photo, settings):
        why = remove_path(path)
        lines.append(f"photo {photo.id}: " + (f"removed {label} {path}" if why is None
                                                else f"could not remove {label} {path}: {why}"))
    return lines
