"""Where a batch's QR came from: how many rows were scored with the offline mix only (issue 20).

The review detail pane labels one row (:func:`.qr.offline_note`); the summary screen shows one line for the batch.
"""

from __future__ import annotations

from ..db.models import Photo
from .qr import OFFLINE_NOTE, offline_only


def offline_counts(run_id: int | None) -> tuple[int, int]:
    """(rows whose QR came from the offline set only, rows with a QR) for the batch imported by ``run_id``
    (every row when None)."""
    q = Photo.select(Photo.qr_metrics).where(Photo.qr.is_null(False))
    if run_id is not None:
        q = q.where(Photo.run == run_id)
    scored = offline = 0
    for (metrics,) in q.tuples():
        scored += 1
        offline += offline_only(metrics or [])
    return offline, scored


def offline_summary_line(run_id: int | None) -> str:
    """The summary's line when some QRs of the batch came from the offline set only, else ""."""
    offline, scored = offline_counts(run_id)
    if not offline:
        return ""
    return f"{OFFLINE_NOTE} ({offline} of {scored} scored rows)"
