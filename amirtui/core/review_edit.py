"""Review edits: the operator's caption / alt text / keywords / filename, checked live, with the captioning gate
re-run on the saved text. Split from :mod:`amirtui.core.review` (queries and decisions), which it builds on."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Callable

from .db import repo
from .db.models import Photo, Reservation, database, utcnow
from .errors import AmirError, ReservationConflict
from .events import EventBus
from .filenames import name_problem
from .review import (
    ACTOR,
    EDITABLE,
    PhotoDetail,
    ReviewRefused,
    _holds_name,
    _new_token,
    _photo,
    load_detail,
)
from .review_published import EDITABLE_LIVE, edit_published
from .states import REVIEWABLE, State
from .titles import title_to_store


def check_name(name: str, photo_id: int, *, max_length: int = 150,
               catalog_holds: Callable[[str], bool] | None = None) -> str:
    """Live check of a proposed filename: "" when it is usable for ``photo_id``, else the reason it is not.

    The alphabet is :mod:`amirtui.core.filenames`' — the one the publish targets use — so a name accepted here is
    published byte for byte; one the server side would have to change is refused now, with the reason.
    ``catalog_holds(name)`` (the review screen passes a cached read of the website's names) adds the check saving
    makes: a name the website already has is refused while typing, not only at Enter. A catalog that cannot be read
    is said, not hidden (saving checks again and refuses).
    """
    name = name.strip()
    if not name:
        return "the filename is empty"
    if len(name) > max_length:
        return f"the filename has {len(name)} characters; the limit is {max_length}"
    problem = name_problem(name)
    if problem:
        return problem
    if not name.lower().endswith((".jpg", ".jpeg")):
        return "the filename must end in .JPG (the website serves JPEG)"
    holder = repo.active_reservation(name)
    if holder is not None and holder.photo_id != photo_id:
        who = f"photo {holder.photo_id}" if holder.photo_id else "the catalog"
        return f"'{name}' is already reserved by {who} (names are unique ignoring case)"
    if catalog_holds is not None and holder is None:  # a name the row holds itself is its own, also on the website
        try:
            on_site = catalog_holds(name)
        except AmirError as exc:
            return f"the website's names could not be read to check this name ({exc.detail})"
        if on_site:
            return f"'{name}' is already on the website (a photo of the catalog has it; names are unique ignoring case)"
    return ""


def parse_keywords(raw: str | Iterable[str]) -> list[str]:
    """Keywords from "a, b; c" text or a list: trimmed, empty ones dropped, duplicates (ignoring case) removed."""
    items = re.split(r"[,;\n]", raw) if isinstance(raw, str) else list(raw)
    out: list[str] = []
    seen: set[str] = set()
    for k in (str(i).strip() for i in items):
        if k and k.casefold() not in seen:
            seen.add(k.casefold())
            out.append(k)
    return out


def save_edits(photo_id: int, *, caption: str | None = None, alt_text: str | None = None,
               keywords: str | Iterable[str] | None = None, file_name: str | None = None,
               max_length: int = 150, language: str = "en", bus: EventBus | None = None,
               catalog_holds: Callable[[str], bool] | None = None, title: str | None = None) -> PhotoDetail:
    """Save the operator's text and/or a new filename in one transaction, then judge the new text with the gate.

    Text changes set ``text_source='manual'`` and ``edited_at``. A new filename is checked live against the
    reservations (case-insensitively) and the reservation is swapped in the same transaction, so two reviewers can
    never end up with the same name. Raises :class:`ReservationConflict` or :class:`ReviewRefused`.

    After any change the captioning gate runs again on the saved text (``language`` = ``ollama.language``):
    ``gate_status`` / ``gate_reasons`` are updated and a row awaiting review moves ``needs_work`` ↔ ``prefilled``
    (a quarantined row the operator wrote text for joins them), so fixing the text removes the need for an override.
    Rows already decided (approved, rejected, publish_failed) keep their state; only their gate fields change.

    ``catalog_holds(name)`` says whether the website already has a photo of that name (the mirror and MySQL, see
    :func:`amirtui.core.naming_catalog.catalog_holds`); a rename to such a name is refused, as naming would.
    ``title`` is the typed title: empty or the set's own "Subject, Location" follows the set again
    (:mod:`amirtui.core.titles`).
    """
    with database.atomic("IMMEDIATE"):
        p = _photo(photo_id)
        if State(p.state) in EDITABLE_LIVE:  # on the website: the text may change (→ modified), the name never
            if file_name is not None and file_name.strip() != (p.file_name or ""):
                raise ReviewRefused(f"photo {photo_id} is on the website as {p.file_name}: its name never changes",
                                    fix="published names are permanent; edit the caption, alt text or keywords")
            kw = parse_keywords(keywords) if keywords is not None else None
            if edit_published(photo_id, caption=caption, alt_text=alt_text, keywords=kw, title=title,
                              token=_new_token(), bus=bus):
                _regate(photo_id, language, bus)
            return load_detail(photo_id)
        if State(p.state) not in EDITABLE:
            raise ReviewRefused(f"photo {photo_id} is '{p.state}': its text and name can no longer change",
                                fix="published names never change; re-import to publish a new version")
        fields: dict[str, Any] = {}
        text = {"caption": caption, "alt_text": alt_text}
        for key, value in text.items():
            if value is not None and value.strip() != (getattr(p, key) or ""):
                fields[key] = value.strip()
        if keywords is not None:
            kw = parse_keywords(keywords)
            if kw != list(p.keywords or []):
                fields["keywords"] = kw
        if fields:
            fields.update(text_source="manual", edited_at=utcnow())
        if title is not None:
            try:
                own = title_to_store(title, p)
            except ValueError as exc:
                raise ReviewRefused(f"photo {photo_id}: {exc}", fix="correct the title") from exc
            if own != (p.title or None):
                fields.update(title=own, edited_at=utcnow())
        if file_name is not None and file_name.strip() != (p.file_name or ""):
            new = file_name.strip()
            problem = check_name(new, photo_id, max_length=max_length)
            if problem:
                if repo.active_reservation(new) is not None:
                    raise ReservationConflict(problem, fix="choose another filename")
                raise ReviewRefused(problem, fix="correct the filename")
            own_case_change = p.file_name and repo.name_key(p.file_name) == repo.name_key(new) and _holds_name(p)
            if not own_case_change and catalog_holds is not None and catalog_holds(new):
                raise ReservationConflict(f"'{new}' is already on the website (a photo of the catalog has it; names "
                                          "are unique ignoring case)", fix="choose another filename")
            if own_case_change:
                Reservation.update(name=new).where((Reservation.photo == photo_id)
                                                   & Reservation.released_at.is_null()).execute()
            else:
                repo.release_name(photo_id, f"renamed to {new}")
                repo.reserve_name(new, photo_id)
            fields["file_name"] = new
        if fields:
            repo.update_fields(photo_id, **fields)
            _regate(photo_id, language, bus)
    return load_detail(photo_id)


def _regate(photo_id: int, language: str, bus: EventBus | None) -> None:
    """Run the captioning gate on the row's saved text; update its gate fields and its review state."""
    # imported here: the gate loads its phrase lists on first use, and review queries must not pay for that
    from .captioning.context import gate_context, published_text
    from .captioning.gate import check
    from .captioning.record import record_human, verifier_reasons

    p = Photo.get_by_id(photo_id)
    verdict = check(p.caption, p.alt_text, p.keywords or [], context=gate_context(p, language, published_text()))
    # the verifier's verdict holds while the text is still the AI text it judged (a revert brings it back)
    claims = verifier_reasons(p)
    blocked = not verdict.passed or any(c == "unsupported_claim" for c, _ in claims)
    gate = dict(gate_status="needs_work" if blocked else "pass", gate_reasons=verdict.as_json() + claims)
    current = State(p.state)
    target = State.NEEDS_WORK if blocked else State.PREFILLED
    if current in REVIEWABLE and current != target:
        repo.transition(photo_id, target, reason=(f"edited: gate {verdict.summary()}" + "".join(f"; {c} ({d})" for c, d in claims))[:500], actor=ACTOR, bus=bus,
                        expect=[current], **gate)
    else:
        repo.update_fields(photo_id, **gate)
    record_human(photo_id)


def revert_text(photo_id: int, *, language: str = "en", bus: EventBus | None = None) -> PhotoDetail:
    """Final text ← the AI text (caption, alt text, keywords), judged again by the gate (see :func:`save_edits`);
    refused when the row has no AI text."""
    with database.atomic("IMMEDIATE"):
        p = _photo(photo_id)
        if State(p.state) not in EDITABLE:
            raise ReviewRefused(f"photo {photo_id} is '{p.state}': its text can no longer change")
        if not (p.ai_caption or p.ai_alt_text or p.ai_keywords):
            raise ReviewRefused(f"photo {photo_id} has no AI text to revert to", fix="press Generate to caption it")
        repo.update_fields(photo_id, caption=p.ai_caption, alt_text=p.ai_alt_text, keywords=p.ai_keywords,
                           text_source="ai", edited_at=None)
        _regate(photo_id, language, bus)
    return load_detail(photo_id)
