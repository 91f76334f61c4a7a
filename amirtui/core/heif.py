"""HEIC/HEIF (phone photos) through pillow-heif, registered with Pillow once per process.

Every module that opens a photo with Pillow (content detection, EXIF, model image, publish render) calls
:func:`register` first, so a staged ``.heic`` opens like a JPEG: EXIF (``getexif``), the ICC profile
(``info["icc_profile"]``) and the orientation come through. pillow-heif applies the HEIF rotation itself and
reports EXIF Orientation 1, so nothing is turned twice. Published files are JPEG as always.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_state: list[bool] = []


def register() -> bool:
    """Register the HEIF opener with Pillow (idempotent); False when pillow-heif is not installed."""
    if _state:
        return _state[0]
    with _lock:
        if not _state:
            try:
                import pillow_heif  # type: ignore[import-not-found]
            except ImportError:
                _state.append(False)
            else:
                pillow_heif.register_heif_opener()
                _state.append(True)
    return _state[0]
