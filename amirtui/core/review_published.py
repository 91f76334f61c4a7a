"""Editing rows that are already on the website (Lightroom's "modified, to republish").

A published row's caption, alt text, keywords and title can change; its ``File_Name`` never does (a public URL that existed
keeps meaning the same photo). An edit moves the row to ``modified`` — the website keeps showing the old text until the
next publish run republishes it — and its history records the previous text, so the review's undo can restore it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .db import repo
from .db.models import Photo, StateChange, database, utcnow
from .errors import AmirError
from .events import EventBus
from .states import State

ACTOR = "operator"
#: Rows whose text may be edited after publish.
EDITABLE_LIVE = frozenset({State.PUBLISHED, State.MODIFIED})
#: What the "to republish" filter shows.
TO_REPUBLISH: tuple[str, ...] = (State.MODIFIED.value, State.REPUBLISHING.value)
_PREVIOUS = "previous="


class PublishedEditRefused(AmirError):
    """An edit that a live row does not allow (a rename, or a row mid-republish/unpublish)."""

    title = "Not possible"


def _text(p: Photo) -> dict[str, Any]:
    return {"caption": p.caption or "", "alt_text": p.alt_text or "", "keywords": list(p.keywords or []),
            "title": p.title}


def edit_published(photo_id: int, *, caption: str | None = None, alt_text: str | None = None,
                   keywords: Iterable[str] | None = None, title: str | None = None, token: str,
                   bus: EventBus | None = None) -> bool:
    """Save new text for a published (or already modified) row: it becomes ``modified`` with the previous text in its
    history (reason carries ``[decision <token>]`` for undo). Returns False when nothing changed.

    ``title`` is the typed title (see :func:`amirtui.core.titles.title_to_store`: empty or the set's own means the
    set's title); it reaches the website as the web image's ``dc:title`` when the row is republished."""
    with database.atomic("IMMEDIATE"):
        p = Photo.get_by_id(photo_id)
        if State(p.state) not in EDITABLE_LIVE:
            raise PublishedEditRefused(f"photo {photo_id} is '{p.state}': its text cannot change now",
                                       fix="wait for the publish run to finish, then edit again")
        before = _text(p)
        fields: dict[str, Any] = {}
        for key, value in (("caption", caption), ("alt_text", alt_text)):
            if value is not None and value.strip() != before[key]:
                fields[key] = value.strip()
        if keywords is not None and list(keywords) != before["keywords"]:
            fields["keywords"] = list(keywords)
        if title is not None:
            own = _title_to_store(title, p)
            if own != (p.title or None):
                fields["title"] = own
        if not fields:
            return False
        changed = ", ".join(sorted(fields))
        prev = json.dumps(before, ensure_ascii=False, sort_keys=True)
        repo.transition(photo_id, State.MODIFIED, actor=ACTOR, expect=[p.state],
                        reason=f"edited after publish ({changed}) [decision {token}] {_PREVIOUS}{prev}",
                        text_source="manual", edited_at=utcnow(), last_error=None, error_stage=None, **fields)
    if bus is not None:
        from .events import RowChanged

        bus.emit(RowChanged(photo_id=photo_id, from_state=p.state, to_state=State.MODIFIED.value, reason="edited"))
    return True


def request_republish(photo_id: int, *, reason: str = "republish requested", bus: EventBus | None = None) -> bool:
    """Mark a published row ``modified`` without a text change (e.g. to restore amirtui's version after drift, or
    re-upload a missing file); the next publish run republishes it. False when it is already to republish."""
    p = Photo.get_by_id(photo_id)
    if State(p.state) in (State.MODIFIED, State.REPUBLISHING):
        return False
    if State(p.state) != State.PUBLISHED:
        raise PublishedEditRefused(f"photo {photo_id} {p.file_name} is '{p.state}', not published",
                                   fix="only rows on the website can be republished")
    repo.transition(photo_id, State.MODIFIED, actor=ACTOR, expect=[State.PUBLISHED], reason=reason, bus=bus)
    return True


def _title_to_store(typed: str, photo: Photo) -> str | None:
    from .titles import title_to_store

    try:
        return title_to_store(typed, photo)
    except ValueError as exc:
        raise PublishedEditRefused(f"photo {photo.id}: {exc}", fix="correct the title") from exc


def is_published_edit(change: StateChange) -> bool:
    """Whether a history row is an edit of a live row's text (what :func:`undo_edit` reverses)."""
    return change.to_state == State.MODIFIED.value and _PREVIOUS in (change.reason or "")


def undo_edit(change: StateChange, token: str, bus: EventBus | None = None) -> str:
    """Restore the text an edit replaced. Before a republish the row goes back to where it was (``published`` when
    the website still shows that text); after one it becomes ``modified`` again (to republish the old text).
    Returns "" or a note saying why the row was left alone."""
    prev = json.loads(change.reason.split(_PREVIOUS, 1)[1])
    with database.atomic("IMMEDIATE"):
        p = Photo.get_by_id(change.photo_id)
        state = State(p.state)
        if state not in EDITABLE_LIVE:
            return f"now '{p.state}'"
        target = State(change.from_state) if state == State.MODIFIED and _is_latest(change) else State.MODIFIED
        repo.transition(p.id, target, actor=ACTOR, expect=[state], reason=f"undo edit [undo {token}]",
                        caption=prev["caption"], alt_text=prev["alt_text"], keywords=prev["keywords"],
                        edited_at=utcnow(), **({"title": prev["title"]} if "title" in prev else {}))
    if bus is not None:
        from .events import RowChanged

        bus.emit(RowChanged(photo_id=p.id, from_state=state.value, to_state=target.value, reason="undo edit"))
    return ""


def _is_latest(change: StateChange) -> bool:
    """No transition of the row since ``change`` (in particular no republish of the edited text)."""
    return not StateChange.select().where((StateChange.photo == change.photo_id) & (StateChange.id > change.id)).exists()
