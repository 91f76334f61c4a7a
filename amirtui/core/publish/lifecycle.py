"""The publish lifecycle after a first publish: which state a publish run moves a row through, and which of its
recorded steps belong to the version being published now.

    approved ──publish──▶ publishing ──▶ published ──edit──▶ modified ──publish──▶ republishing ──▶ published
                              │                      │            ▲                     │
                              ▼                      │            └──── failed ─────────┘
                        publish_failed               └──unpublish──▶ unpublishing ──▶ unpublished

A republish runs the same recorded steps as a first publish (render → upload_web → upload_thumb → catalog → mirror).
Uploads go over the row's own remote files through a temp name + rename, so the old files stay live until the new
ones are in place, and the catalog step comes after both uploads, so the catalog is never ahead of the files.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..db import repo
from ..db.models import Photo, PublishStep, StateChange
from ..states import State
from .targets import RemotePaths


@dataclass(frozen=True)
class Passage:
    """The states one publish of a row moves through: ``running`` while its steps run, then ``done`` or ``failed``."""

    running: State
    done: State
    failed: State
    verb: str


FIRST = Passage(State.PUBLISHING, State.PUBLISHED, State.PUBLISH_FAILED, "publish")
AGAIN = Passage(State.REPUBLISHING, State.PUBLISHED, State.MODIFIED, "republish")  # failed: still "to republish"

#: States a publish run picks up, and the passage each one takes.
PASSAGE: dict[State, Passage] = {
    State.APPROVED: FIRST, State.PUBLISH_FAILED: FIRST, State.PUBLISHING: FIRST,
    State.MODIFIED: AGAIN, State.REPUBLISHING: AGAIN,
}


def version_start(photo_id: int):
    """When the version now being published began: the row's latest approval, or its latest edit after publish
    (a failed republish going back to ``modified`` does not start a new version). None when never recorded."""
    q = (StateChange.select(StateChange.at)
         .where((StateChange.photo == photo_id)
                & ((StateChange.to_state == State.APPROVED.value)
                   | ((StateChange.to_state == State.MODIFIED.value)
                      & (StateChange.from_state != State.REPUBLISHING.value))))
         .order_by(StateChange.at.desc(), StateChange.id.desc()))
    row = q.first()
    return row.at if row is not None else None


def completed_steps(photo_id: int) -> set[str]:
    """Steps done for the version now being published (earlier work is for an older version)."""
    since = version_start(photo_id)
    if since is None:
        return repo.done_steps(photo_id)
    q = PublishStep.select(PublishStep.step).where(
        (PublishStep.photo == photo_id) & (PublishStep.status == "done") & (PublishStep.started_at >= since))
    return {s.step for s in q}


def recorded_paths(photo: Photo) -> RemotePaths | None:
    """A published row's remote paths as recorded at its first publish: a republish replaces exactly these files."""
    if photo.catalog_id is None or not (photo.web_remote_path and photo.thumb_remote_path):
        return None
    return RemotePaths(web=photo.web_remote_path, thumb=photo.thumb_remote_path, web_rel="", thumb_rel="")
