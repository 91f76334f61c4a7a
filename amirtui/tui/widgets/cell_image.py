"""CellImage: a preview drawn with half-cell blocks, prepared entirely off the UI thread.

textual-image's half-cell widget scales the image to the cell grid and builds its segments inside ``render()`` —
on the event loop, at every repaint — which delayed the next keystroke while the cursor key was held. Here a worker
scales the image to the widget's cell size and builds the lines (:func:`halfcell_lines`); the UI thread only swaps the
finished lines in and ``render_line`` hands them out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

UPPER_HALF = "▀"


def halfcell_lines(image: Any, cols: int, rows: int,
                   cancelled: Callable[[], bool] = lambda: False) -> list[Strip] | None:
    """``image`` (RGB PIL) fitted into ``cols`` × ``rows`` cells, two pixels per cell (upper half = foreground),
    centred, each line exactly ``cols`` cells wide. None when ``cancelled()`` turned true meanwhile."""
    from PIL import Image

    if cols <= 0 or rows <= 0:
        return []
    w, h = image.size
    scale = min(cols / w, rows * 2 / h)
    tw, th = max(1, round(w * scale)), max(2, round(h * scale))
    th += th % 2
    small = image.resize((tw, th), Image.Resampling.BILINEAR)
    if cancelled():
        return None
    px = small.load()
    styles: dict[tuple, Style] = {}
    left = (cols - tw) // 2
    pad_l = Segment(" " * left) if left else None
    pad_r = Segment(" " * (cols - tw - left)) if cols - tw - left else None
    lines: list[Strip] = []
    for y in range(0, th, 2):
        if y % 16 == 0 and cancelled():
            return None
        segs = [pad_l] if pad_l else []
        for x in range(tw):
            top, bottom = px[x, y], px[x, y + 1]
            style = styles.get((top, bottom))
            if style is None:
                style = styles[(top, bottom)] = Style(color=Color.from_rgb(*top), bgcolor=Color.from_rgb(*bottom))
            segs.append(Segment(UPPER_HALF, style))
        if pad_r:
            segs.append(pad_r)
        lines.append(Strip(Segment.simplify(segs), cols))
    return lines


class CellImage(Widget):
    """Shows lines prepared by :func:`halfcell_lines`; ``image`` keeps the PIL image they came from."""

    DEFAULT_CSS = "CellImage { width: 100%; height: 1fr; }"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.image: Any = None
        """The decoded image shown (≤1024 px), kept to prepare it again at a new size."""
        self.lines: list[Strip] = []

    def show_lines(self, image: Any, lines: list[Strip]) -> None:
        """Swap in prepared lines (cheap: no scaling, no segment building here)."""
        self.image = image
        self.lines = lines
        self.refresh()

    def render_line(self, y: int) -> Strip:
        """One prepared line, or blank."""
        if y < len(self.lines):
            return self.lines[y]
        return Strip.blank(self.size.width)
