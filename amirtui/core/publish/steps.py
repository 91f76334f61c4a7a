"""The five recorded steps of one row's publish (render, upload_web, upload_thumb, catalog, mirror), as the methods
:class:`~amirtui.core.publish.publisher.Publisher` runs by name (``_step_<name>``). Split from the publisher, which
owns the lanes, the order, the retries and the recording; each step here does its one piece of work and returns the
detail recorded with it.
"""

from __future__ import annotations

from typing import Any

from ..db import repo
from ..db.models import Photo
from .targets import RemoteConflict


class PublishSteps:
    """Mixin of :class:`Publisher`: needs ``self.settings``, ``self.render``, ``self.mirror`` and ``owns_remote``."""

    def _rendered(self, row: Any, which: str) -> bytes:
        path = row.work_dir / f"{which}.jpg"
        if not path.is_file():  # the render of an earlier run was cleaned up: render again (same input, same bytes)
            self._step_render(row)
        return path.read_bytes()

    def _step_render(self, row: Any) -> dict:
        pair = self.render(row.photo, self.settings)
        row.work_dir.mkdir(parents=True, exist_ok=True)
        for which, data in (("web", pair.web), ("thumb", pair.thumb)):
            tmp = row.work_dir / f".{which}.tmp"
            tmp.write_bytes(data)
            tmp.replace(row.work_dir / f"{which}.jpg")
        return {"web_bytes": len(pair.web), "thumb_bytes": len(pair.thumb)}

    def _upload(self, row: Any, which: str, step: str, remote: str) -> dict:
        data = self._rendered(row, which)
        owned = self.owns_remote(row.photo, step, row.step_id)
        row.lane.target.put_atomic(remote, data, may_replace=owned)
        return {"path": remote, "bytes": len(data)}

    def _step_upload_web(self, row: Any) -> dict:
        return self._upload(row, "web", "upload_web", row.paths.web)

    def _step_upload_thumb(self, row: Any) -> dict:
        return self._upload(row, "thumb", "upload_thumb", row.paths.thumb)

    def _step_catalog(self, row: Any) -> dict:
        data = row.catalog_row(self.settings)
        cat = row.lane.catalog
        if cat is None:  # MySQL off: the mirror is the catalog
            new_id = self.mirror.upsert(data, row_id=row.photo.catalog_id)
        else:
            existing = cat.fetch(data["File_Name"])
            if (existing is not None and existing["id"] != row.photo.catalog_id
                    and existing.get("Original_File_Name") != data["Original_File_Name"]):
                raise RemoteConflict(
                    f"the catalog already has a row {existing['id']} named {data['File_Name']} for another photo "
                    f"({existing.get('Original_File_Name')})",
                    fix="rename this photo in review (or remove the stale catalog row), then publish again",
                )
            new_id = cat.upsert(data)
        repo.update_fields(row.photo.id, catalog_id=new_id)
        row.photo.catalog_id = new_id
        return {"id": new_id, "where": "mysql" if cat is not None else "mirror"}

    def _step_mirror(self, row: Any) -> dict:
        catalog_id = Photo.get_by_id(row.photo.id).catalog_id
        mirror_id = self.mirror.upsert(row.catalog_row(self.settings), row_id=catalog_id)
        return {"id": mirror_id}
