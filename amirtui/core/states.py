"""The one photo state machine: every state, every allowed transition, in one place.

A photo moves forward through the pipeline stages; each stage picks rows in its input state. There are no
"in progress" states for the automatic stages: a row is only moved once its stage's work is done and recorded, so a
crash mid-stage simply leaves the row in its input state and the restarted stage does it again. ``publishing`` is the
one in-flight state, because publishing touches outside systems; its progress is recorded step by step.

No row is ever deleted: rejected, rolled-back and published rows stay as history.
"""

from __future__ import annotations

from enum import StrEnum

from .errors import IllegalTransition


class State(StrEnum):
    """Every state a photo row can be in."""

    IMPORTED = "imported"  # row created from a source file; nothing copied yet
    STAGED = "staged"  # copied into data/incoming and verified (size + hash)
    EXIF_READ = "exif_read"  # capture metadata read from the staged copy
    QUEUED = "queued"  # final filename reserved; in the review queue
    MODEL_READY = "model_ready"  # ≤1024 px upright sRGB model image written to data/ollama_tmp (also the preview)
    SCORED = "scored"  # quality scores + QR/QC band recorded (or scoring_failed flagged); scored from the model image
    PREFILLED = "prefilled"  # AI text passed the metadata gate: ready for review
    NEEDS_WORK = "needs_work"  # AI text missing or blocked by the gate: the reviewer must fix it
    QUARANTINED = "quarantined"  # captioning failed N times; parked with its reason
    APPROVED = "approved"  # the reviewer accepted it: eligible for publish
    REJECTED = "rejected"  # the reviewer refused it: kept as history, filename released
    PUBLISHING = "publishing"  # publish steps in progress (see publish_step rows)
    PUBLISHED = "published"  # live on the website, catalog row committed, mirror written
    PUBLISH_FAILED = "publish_failed"  # a publish step failed; retryable, continues from the last done step
    ROLLED_BACK = "rolled_back"  # its unfinished run was rolled back; kept as history
    SOURCE_MISSING = "source_missing"  # neither the staged copy nor the original can be found
    FAILED = "failed"  # a stage failed for a reason retrying cannot change (see last_error); parked, visible
    MODIFIED = "modified"  # published, then its text was edited: to republish (the website still shows the old text)
    REPUBLISHING = "republishing"  # republish steps in progress (old files stay live until the new ones are in place)
    UNPUBLISHING = "unpublishing"  # unpublish steps in progress: catalog row, mirror row, then the files
    UNPUBLISHED = "unpublished"  # removed from the website; kept as history, its File_Name reserved forever


S = State

#: Pipeline stage input states, in order: the automatic part of the machine.
PIPELINE_ORDER: tuple[State, ...] = (S.IMPORTED, S.STAGED, S.EXIF_READ, S.QUEUED, S.MODEL_READY, S.SCORED)

#: States a reviewer decides on.
REVIEWABLE: frozenset[State] = frozenset({S.PREFILLED, S.NEEDS_WORK, S.QUARANTINED})

#: States in which a row's reserved filename may be released by a rollback.
UNPUBLISHED: frozenset[State] = frozenset(
    set(PIPELINE_ORDER) | set(REVIEWABLE) | {S.APPROVED, S.REJECTED, S.PUBLISH_FAILED, S.SOURCE_MISSING, S.FAILED}
)

#: Terminal states: nothing moves out of them except an operator's explicit undo (rejected) or re-import.
TERMINAL: frozenset[State] = frozenset({S.PUBLISHED, S.ROLLED_BACK, S.UNPUBLISHED})

#: The publish lifecycle after a first publish (see README "Publish lifecycle"): a live row can be edited
#: (modified → republished) or unpublished; none of these is ever rolled back or loses its name.
LIVE: frozenset[State] = frozenset({S.PUBLISHED, S.MODIFIED, S.REPUBLISHING, S.UNPUBLISHING})

_ROLLBACKABLE = (
    S.IMPORTED, S.STAGED, S.EXIF_READ, S.QUEUED, S.SCORED, S.MODEL_READY,
    S.PREFILLED, S.NEEDS_WORK, S.QUARANTINED, S.APPROVED, S.REJECTED, S.PUBLISH_FAILED, S.SOURCE_MISSING,
    S.FAILED,
)

TRANSITIONS: dict[State, frozenset[State]] = {
    S.IMPORTED: frozenset({S.STAGED, S.SOURCE_MISSING}),
    S.STAGED: frozenset({S.EXIF_READ, S.IMPORTED, S.SOURCE_MISSING}),  # → imported: staged copy lost, re-stage
    S.EXIF_READ: frozenset({S.QUEUED, S.IMPORTED, S.SOURCE_MISSING}),
    S.QUEUED: frozenset({S.MODEL_READY, S.IMPORTED, S.SOURCE_MISSING, S.REJECTED}),
    S.MODEL_READY: frozenset({S.SCORED, S.QUEUED, S.IMPORTED, S.SOURCE_MISSING, S.REJECTED}),  # → queued: image lost
    S.SCORED: frozenset({S.PREFILLED, S.NEEDS_WORK, S.QUARANTINED, S.QUEUED, S.IMPORTED, S.SOURCE_MISSING, S.REJECTED}),
    S.PREFILLED: frozenset({S.APPROVED, S.REJECTED, S.NEEDS_WORK, S.PREFILLED, S.SCORED, S.IMPORTED, S.SOURCE_MISSING}),
    S.NEEDS_WORK: frozenset({S.APPROVED, S.REJECTED, S.PREFILLED, S.NEEDS_WORK, S.SCORED, S.IMPORTED, S.SOURCE_MISSING}),
    S.QUARANTINED: frozenset({S.SCORED, S.NEEDS_WORK, S.PREFILLED, S.REJECTED, S.APPROVED, S.IMPORTED, S.SOURCE_MISSING}),
    S.APPROVED: frozenset({S.PUBLISHING, S.PREFILLED, S.NEEDS_WORK, S.REJECTED, S.IMPORTED, S.SOURCE_MISSING}),
    S.REJECTED: frozenset({S.PREFILLED, S.NEEDS_WORK}),  # undo of a decision
    S.PUBLISHING: frozenset({S.PUBLISHED, S.PUBLISH_FAILED, S.PUBLISHING}),  # publishing → publishing: resumed
    S.PUBLISH_FAILED: frozenset({S.PUBLISHING, S.PREFILLED, S.NEEDS_WORK, S.REJECTED, S.IMPORTED, S.SOURCE_MISSING}),
    S.PUBLISHED: frozenset({S.MODIFIED, S.UNPUBLISHING}),  # edited (or a republish asked for), or unpublished
    S.MODIFIED: frozenset({S.MODIFIED, S.REPUBLISHING, S.PUBLISHED, S.UNPUBLISHING}),  # → published: edit undone
    S.REPUBLISHING: frozenset({S.PUBLISHED, S.MODIFIED, S.REPUBLISHING}),  # → modified: failed, still to republish
    S.UNPUBLISHING: frozenset({S.UNPUBLISHED, S.UNPUBLISHING}),  # → unpublishing: resumed
    S.UNPUBLISHED: frozenset(),
    S.ROLLED_BACK: frozenset(),
    S.SOURCE_MISSING: frozenset({S.IMPORTED}),  # the original came back: stage again
    S.FAILED: frozenset({S.IMPORTED, S.REJECTED}),  # fixed by the operator: start over; or given up on
}
# A stage that fails a row for good (changed since import, unreadable, undecodable) parks it in ``failed``.
for _s in PIPELINE_ORDER:
    TRANSITIONS[_s] = TRANSITIONS[_s] | {S.FAILED}
# Roll back is allowed from every state that was never published.
for _s in _ROLLBACKABLE:
    TRANSITIONS[_s] = TRANSITIONS[_s] | {S.ROLLED_BACK}


def can_transition(current: State | str, target: State | str) -> bool:
    """True when the state machine allows ``current → target``."""
    return State(target) in TRANSITIONS[State(current)]


def check_transition(current: State | str, target: State | str) -> None:
    """Raise :class:`IllegalTransition` unless ``current → target`` is allowed."""
    if not can_transition(current, target):
        raise IllegalTransition(
            f"a photo cannot go from '{State(current)}' to '{State(target)}'",
            fix="this is a bug in the caller; the row was left unchanged",
        )
