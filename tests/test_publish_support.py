"""Shared helpers for the publish tests: approved rows made through the real state machine, and a publisher factory.

(Named ``test_publish_support`` so it sits with the publish tests; it holds no tests of its own.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from amirtui.core.db import repo
from amirtui.core.db.models import Photo, PhotoSet
from amirtui.core.states import State
from tests.harness.images import make_jpeg

WALK = (State.STAGED, State.EXIF_READ, State.QUEUED, State.MODEL_READY, State.SCORED, State.PREFILLED, State.APPROVED)

HOSTILE_CAPTION = ("'; DROP TABLE x; -- \"quoted\" & <b>tags</b> \\ back\\slash 📷🌄 café ñ " * 40)[:2000]


def make_approved(src_dir: Path, n: int = 1, *, folder: str = "Landscape", location: str = "Alps",
                  caption: str = "A quiet lake at dawn.", size: tuple[int, int] = (900, 600),
                  file_prefix: str = "Lake_Alps_Landscape_Photography_Canon_2023") -> list[int]:
    """``n`` photos walked imported → … → approved with real JPEGs as their staged copies; returns their ids."""
    pset = PhotoSet.create(subject="Lake", location=location, folder=folder)
    ids = []
    for i in range(n):
        src = make_jpeg(src_dir / f"src_{pset.id}_{i}.jpg", size=size, seed=i + 1, make="Canon",
                        model="Canon EOS R5", datetime_original="2023:07:14 06:12:30")
        p = Photo.create(set=pset, seq=i, original_path=str(src), original_name=src.name, staged_path=str(src))
        for st in WALK:
            extra: dict[str, Any] = {}
            if st == State.EXIF_READ:
                extra = dict(datetime_original="2023:07:14 06:12:30", camera="Canon_EOS_R5", make="Canon",
                             model="Canon EOS R5", lens="RF24-105mm", exposure="1/250 sec", aperture="f/5.6",
                             iso="200", focal_length="50 mm", width=size[0], height=size[1])
            if st == State.QUEUED:
                name = f"{file_prefix}_{pset.id:02d}{i + 1:03d}.JPG"
                repo.reserve_name(name, p.id)
                extra = dict(file_name=name, year="2023")
            if st == State.SCORED:
                extra = dict(qr=7.1, qc_band="Good", nima_score=5.5, blur_score=0.8, brightness_score=0.6,
                             contrast_score=0.5, brisque_score=22.0, clip_aesthetic_score=6.1)
            if st == State.PREFILLED:
                extra = dict(caption=caption, alt_text=f"Alt text {i}: a lake with mountains.",
                             keywords=["lake", "alps", "dawn"], text_source="ai")
            repo.transition(p.id, st, **extra)
        ids.append(p.id)
    return ids


def files_under(root: Path) -> list[str]:
    """Every file below ``root`` (relative POSIX paths, sorted), temp uploads included."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
