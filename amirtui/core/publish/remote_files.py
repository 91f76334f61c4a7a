"""Validation of the published files themselves, on every target: each published row's web image and thumbnail must
exist at its recorded remote path with the size its upload step recorded (local folder, FTP, FTPS or SFTP alike)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..db.models import Photo, PublishStep
from ..redact import redact
from .targets import BaseTarget

#: (upload step, Photo attribute holding the remote path, label)
_FILES = (("upload_web", "web_remote_path", "web image"), ("upload_thumb", "thumb_remote_path", "thumbnail"))


def recorded_size(photo_id: int, step: str) -> int | None:
    """Bytes of the row's latest completed ``step`` (what is on the server now), None when not recorded."""
    rec = (PublishStep.select(PublishStep.detail)
           .where((PublishStep.photo == photo_id) & (PublishStep.step == step) & (PublishStep.status == "done"))
           .order_by(PublishStep.id.desc()).first())
    size = (rec.detail or {}).get("bytes") if rec is not None else None
    return int(size) if isinstance(size, (int, float)) else None


def check_files(target: BaseTarget, photos: list[Photo], report: Callable[..., Any]) -> int:
    """Check every file of ``photos`` on ``target``; ``report(kind, detail, fix, photo)`` for each problem.

    Returns how many files were checked. A connection failure is reported once and ends the check (the rest of
    validation still runs).
    """
    checked = 0
    try:
        target.connect()
        for p in photos:
            for step, attr, label in _FILES:
                path = getattr(p, attr)
                if not path:
                    report("file_missing", f"no {label} path recorded", f"republish it: amirtui republish {p.file_name}", p)
                    continue
                checked += 1
                size = target.size(path)
                want = recorded_size(p.id, step)
                if size is None:
                    report("file_missing", f"{label} {path} is missing on the {target.name} target",
                           f"upload it again: amirtui republish {p.file_name}", p)
                elif want is not None and size != want:
                    report("file_size", f"{label} {path} has {size} bytes on the {target.name} target, "
                                        f"{want} were uploaded", f"upload it again: amirtui republish {p.file_name}", p)
    except Exception as exc:  # noqa: BLE001 - one line for an unreachable server, not one per row
        report("target_unreachable", redact(f"cannot check files on the {target.name} target: {exc}"),
               "check publish.host/port and the credentials, then run amirtui validate again", None)
    finally:
        target.close()
    return checked
