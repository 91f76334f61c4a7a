"""ImagePreview: one wrapper around textual-image whose renderer comes from ``ui.preview``.

Works with textual-image 0.12 (Python 3.11) and 0.14: both expose ``textual_image.widget`` with ``Image`` (auto),
``TGPImage``, ``SixelImage``, ``HalfcellImage`` and ``UnicodeImage`` and a settable ``image`` property taking a path or
a PIL image; we look the classes up by name so a renamed/added class in a later release degrades to the auto renderer
instead of failing at import. ``textual_image.widget`` probes the terminal when imported: :func:`prepare_renderer` must
run before ``App.run()`` (``make_app`` does it).

The image (≤1024 px model image) is decoded in a thread worker, and requests are debounced so holding the cursor key
does not decode every row passed over. Half-cell previews are also scaled and turned into lines in that worker
(:mod:`.cell_image`), so the UI thread only swaps the result in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Container
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import get_current_worker

from ..messages import PreviewReady
from ..text import literal
from .cell_image import CellImage, halfcell_lines

RENDERERS = {"auto": "Image", "tgp": "TGPImage", "sixel": "SixelImage", "halfcell": "HalfcellImage",
             "unicode": "UnicodeImage"}
MAX_PX = 1024


def prepare_renderer(mode: str) -> type | None:
    """Import textual-image (running its terminal probe now, before Textual owns stdin) and return the widget class
    for ``mode``; None for ``off`` or when textual-image is not installed."""
    if mode == "off":
        return None
    try:
        import textual_image.widget as tiw
    except ImportError:  # the preview is optional: the review screen works without it
        return None
    return getattr(tiw, RENDERERS.get(mode, "Image"), None) or tiw.Image


def load_preview_image(path: str | Path) -> Any:
    """Decode ``path`` to an RGB PIL image of at most :data:`MAX_PX` px (draft decode: fast for big JPEGs)."""
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        im.draft("RGB", (MAX_PX, MAX_PX))
        im = ImageOps.exif_transpose(im)
        im.thumbnail((MAX_PX, MAX_PX))
        return im.convert("RGB")


def uses_cells(mode: str, renderer: type | None) -> bool:
    """True when the preview is drawn with half cells (``halfcell``, or ``auto`` resolving to it): then it is prepared
    off the UI thread by :class:`CellImage` instead of textual-image's widget."""
    return renderer is not None and (mode == "halfcell" or renderer.__name__ == "HalfcellImage")


class ImagePreview(Container):
    """Shows one photo's preview with the configured renderer; ``show(key, path)`` is debounced and non-blocking.

    For half-cell previews the worker decodes the image and builds its lines at the widget's cell size; a newer
    request cancels the older worker between steps, and a hidden preview (80×24 gives its room to the editor)
    decodes nothing.
    """

    DEFAULT_CSS = """
    ImagePreview { height: 1fr; }
    ImagePreview > .preview-note { color: $text-muted; height: auto; }
    ImagePreview > .preview-image { width: 100%; height: 1fr; }
    """

    def __init__(self, mode: str = "auto", debounce_ms: int = 150, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mode = mode
        self.debounce = debounce_ms / 1000
        self._renderer = prepare_renderer(mode)
        self._cells = uses_cells(mode, self._renderer)
        self._timer: Timer | None = None
        self._wanted: tuple[Any, str | None] | None = None
        self._note = ""
        self._cell_size = (0, 0)
        self.shown_key: Any = None
        """The key (photo id) of the image currently displayed; tests and benchmarks wait on it."""

    def compose(self) -> ComposeResult:
        yield Static("preview off" if self._renderer is None else "", classes="preview-note")
        if self._cells:
            yield CellImage(classes="preview-image")
        elif self._renderer is not None:
            yield self._renderer(classes="preview-image")

    def show(self, key: Any, path: str | None, note: str = "") -> None:
        """Ask for ``path`` to be shown for ``key``; only the last request within the debounce window is decoded.

        ``note`` is the line above the image (what it is), or why there is none when ``path`` is None."""
        self._wanted = (key, path)
        self._note = note
        if self._renderer is None:
            return
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(self.debounce, self._load_wanted) if self.debounce else None
        if not self.debounce:
            self._load_wanted()

    def _load_wanted(self) -> None:
        if self._wanted is None:
            return
        key, path = self._wanted
        if key is None:  # no row (an empty filter): nothing to show, not an old image
            self._set(None, None, "")
            return
        if not path:
            self._set(key, None, self._note or "no preview image yet (made by the model-image stage)")
            return
        if self._cells:
            size = self.query_one(CellImage).size
            if not self.display or size.width == 0 or size.height == 0:
                self.shown_key = key  # hidden (narrow terminal): nothing to draw; drawn when it shows again
                self._cell_size = (0, 0)
                return
            self._cell_size = (size.width, size.height)
        self._decode(key, path, self._cell_size)

    @work(thread=True, exclusive=True, exit_on_error=False, group="preview", description="prepare preview image")
    def _decode(self, key: Any, path: str, cells: tuple[int, int]) -> None:
        worker = get_current_worker()
        try:
            image = load_preview_image(path)
        except Exception as exc:  # noqa: BLE001 - a missing or broken file is a note in the panel, not a crash
            self.post_message(PreviewReady(key, None, f"cannot show {Path(path).name}: {exc}"))
            return
        if worker.is_cancelled:  # the cursor moved on: a newer request is on its way
            return
        lines = None
        if self._cells:
            lines = halfcell_lines(image, cells[0], cells[1], cancelled=lambda: worker.is_cancelled)
            if lines is None:
                return
        self.post_message(PreviewReady(key, image, prepared=lines, size=cells))

    def on_preview_ready(self, message: PreviewReady) -> None:
        """Display a prepared image unless the cursor has moved to another row since."""
        message.stop()
        if self._wanted is None or message.key != self._wanted[0]:
            return
        self._set(message.key, message.image, message.error or self._note, message.prepared)

    def on_resize(self) -> None:
        """A new size (or shown again after being hidden): prepare the current image for it."""
        if self._cells and self._wanted is not None and self._wanted[0] is not None:
            size = self.query_one(CellImage).size
            if (size.width, size.height) != self._cell_size:
                self._load_wanted()

    def _set(self, key: Any, image: Any, note: str, prepared: Any = None) -> None:
        self.query_one(".preview-note", Static).update(literal(note))
        if self._cells:
            self.query_one(CellImage).show_lines(image, prepared or [])
        elif self._renderer is not None:
            self.query_one(".preview-image").image = image
        self.shown_key = key
