"""The model image of a row whose review decision changes: removed on reject, made again when it returns to review.
(Split from :mod:`amirtui.core.review`.)"""

from __future__ import annotations

import logging
from typing import Any

from .db.models import Photo

log = logging.getLogger("amirtui.review")


def drop_model_image(photo_id: int) -> None:
    """A rejected row's model image is removed (issue: kept until published or rejected); undo makes it again."""
    from .model_image_stage import cleanup_model_image

    try:
        cleanup_model_image(Photo.get_by_id(photo_id))
    except OSError as exc:  # a file problem must not undo the decision; validation reports leftovers
        log.warning("could not remove the model image of photo %s: %s", photo_id, exc)


def bring_back_model_image(photo_id: int, settings: Any) -> str:
    """Make the model image (preview, Generate input) again for a row returning to review; "" or a note."""
    if settings is None:
        return ""
    from .model_image_stage import ensure_model_image

    try:
        ensure_model_image(Photo.get_by_id(photo_id), settings)
    except (OSError, ValueError) as exc:
        return f"no preview: {exc}"
    return ""
