"""Pipeline stage ``model_image``: queued → model_ready.

Writes each queued photo's ≤1024 px upright sRGB JPEG into ``data/ollama_tmp/`` (size and quality from
``ollama.image_max_px`` / ``ollama.image_quality``). The same file is the review preview and the scoring input, so the
staged original is decoded once for all three. It is kept until the photo is published or rejected (Generate needs it
later), then :func:`cleanup_model_image` removes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import series
from .db import repo
from .db.models import Photo
from .errors import IllegalTransition
from .fingerprint import HashIndex, phash
from .fsnames import display_name
from .imaging import ImageDecodeError, model_image_name, write_model_image
from .stage import Stage, StageContext
from .states import State

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Settings


class ModelImageStage(Stage):
    """Writes the model image (also the preview) for every queued photo and moves it to ``model_ready``.

    A photo whose staged copy is missing or cannot be decoded stays ``queued`` with ``last_error`` set and a warning
    on the bus; the runner does not hand it back in the same run, so the stage never loops on it.
    """

    name = "model_image"
    input_state = State.QUEUED
    max_failures = 3  # a model image that cannot be written three runs in a row: parked as failed with the reason
    concurrency = 2

    def __init__(self, settings: "Settings | None" = None) -> None:
        if settings is not None:
            self.concurrency = settings.ingest.workers

    def setup(self, ctx: StageContext) -> None:
        """Create the model-image folder once and take the worker count from the settings."""
        self.concurrency = ctx.settings.ingest.workers
        ctx.settings.ollama_tmp_dir.mkdir(parents=True, exist_ok=True)
        # The website's hashes, loaded once per run: near-duplicate checks are then one numpy pass per photo.
        self._published: HashIndex | None = series.published_index() if ctx.settings.series.enabled else None

    def process(self, photo_id: int, ctx: StageContext) -> None:
        """Write one photo's model image and transition it to ``model_ready`` (or record why not)."""
        photo = Photo.get_or_none(Photo.id == photo_id)
        if photo is None or photo.state != State.QUEUED.value:
            return  # moved on (or rejected) by someone else since the runner picked it
        staged = Path(photo.staged_path) if photo.staged_path else None
        if staged is None or not staged.is_file():
            self._fail(
                photo,
                ctx,
                f"staged copy {staged or '(none recorded)'} is missing; run `amirtui recover` to stage it again",
            )
            return
        cfg = ctx.settings.ollama
        hashed: list[int] = []
        observe = (lambda img: hashed.append(phash(img))) if ctx.settings.series.enabled else None
        try:
            path = write_model_image(staged, ctx.settings.ollama_tmp_dir, photo_id, cfg.image_max_px, cfg.image_quality,
                                     observe=observe)
        except ImageDecodeError as exc:  # the staged copy cannot be decoded: no retry will change that
            self._fail(photo, ctx, f"cannot make the model image: {exc}")
            repo.park_failed(photo_id, self.name, f"cannot make the model image: {exc}", run_id=ctx.run_id, bus=ctx.bus)
            return
        except OSError as exc:  # writing to data/ollama_tmp failed (disk full, permissions): not the photo's fault
            self._fail(photo, ctx, f"cannot write the model image into {ctx.settings.ollama_tmp_dir}: {exc}")
            return
        if hashed:  # before the transition: a row in review always has its series and near-duplicate flag
            self._record_fingerprint(photo, hashed[0], ctx)
        clear: dict[str, Any] = {}
        if photo.error_stage == self.name:  # earlier failures of this stage are resolved now
            clear = {"last_error": None, "error_stage": None, "attempts": 0}
        try:
            repo.transition(
                photo_id,
                State.MODEL_READY,
                reason="model image written",
                run_id=ctx.run_id,
                bus=ctx.bus,
                expect=[State.QUEUED],
                model_image_path=str(path),
                **clear,
            )
        except IllegalTransition:
            # Another actor moved the row while we worked (e.g. rejected): do not leave an orphan file behind.
            path.unlink(missing_ok=True)

    def _record_fingerprint(self, photo: Photo, value: int, ctx: StageContext) -> None:
        fp = series.record(photo.id, value, ctx.settings.series, getattr(self, "_published", None))
        if fp.near_file_name:
            ctx.bus.warning(
                f"[SERIES] id={photo.id} {photo.file_name}: looks like the published {fp.near_file_name} "
                f"({fp.near_distance} of 64 bits apart); review decides",
                source=self.name,
            )

    def _fail(self, photo: Photo, ctx: StageContext, reason: str) -> None:
        attempts = repo.record_failure(photo.id, self.name, reason)
        ctx.bus.warning(
            f"[MODEL-IMAGE] id={photo.id} {display_name(photo.original_name)}: {reason} (failure {attempts})",
            source=self.name,
        )


def cleanup_model_image(photo: Photo, *, clear_field: bool = True) -> bool:
    """Delete a photo's model image (after publish or reject); returns True when a file was removed.

    Only a file carrying this photo's own deterministic name is deleted, so a damaged ``model_image_path`` can never
    remove anything else. ``clear_field`` also empties ``Photo.model_image_path`` in the DB.
    """
    raw = photo.model_image_path
    removed = False
    if raw:
        path = Path(raw)
        if path.name == model_image_name(photo.id) and path.is_file():
            path.unlink()
            removed = True
    if clear_field and raw:
        repo.update_fields(photo.id, model_image_path=None)
        photo.model_image_path = None
    return removed


def ensure_model_image(photo: Photo, settings: "Settings") -> Path:
    """The photo's model image, rewritten from the staged copy when it was cleaned up or lost (e.g. Generate after an
    undone reject). Raises :class:`ImageDecodeError` or ``FileNotFoundError`` naming the file when it cannot."""
    if photo.model_image_path and Path(photo.model_image_path).is_file():
        return Path(photo.model_image_path)
    if not photo.staged_path or not Path(photo.staged_path).is_file():
        raise FileNotFoundError(
            f"photo {photo.id}: staged copy {photo.staged_path or '(none recorded)'} is missing; run `amirtui recover`"
        )
    cfg = settings.ollama
    path = write_model_image(photo.staged_path, settings.ollama_tmp_dir, photo.id, cfg.image_max_px, cfg.image_quality)
    repo.update_fields(photo.id, model_image_path=str(path))
    photo.model_image_path = str(path)
    return path
