"""Save SVG screenshots of the key screens (Review, Run, Preflight, Import, Publish, Summary, Help) at 120×40 and
80×24 into docs/screenshots/.

Sample data: a few real photos from tests/data/photos are imported and run through the real ingest and model-image
stages in a temp home; scores and captions (which need pyiqa and Ollama) are filled with sample values so the review
screen has something to show. Usage: ``python scripts/screenshots.py [--out docs/screenshots]``.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ROOT / "tests" / "data" / "photos" / "cameras"
SAMPLES = ("Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg", "Sony_HDR-HC3.jpg")
TEXT = [("A fishing boat rests at the quay in soft morning light, ropes coiled on its deck.",
         "Blue fishing boat moored at a stone quay.", "Top", 8.1, "pass"),
        ("Boat.", "Boat", "Good", 6.8, "needs_work"),
        ("Two sailboats cross the harbour mouth under a grey sky, sails full of wind.",
         "Two sailboats crossing a harbour under clouds.", "Average", 5.4, "pass"),
        ("Gulls circle above the harbour wall as the tide comes in over the rocks.",
         "Seagulls flying above a harbour wall.", "Low", 4.2, "pass")]


def prepare(home: Path) -> object:
    """A temp home with sample rows (real import and stages, sample scores/text)."""
    from amirtui.config import load_settings
    from amirtui.core.db import open_db, repo
    from amirtui.core.events import EventBus
    from amirtui.core.ingest import SetSpec, import_sets
    from amirtui.core.ingest_stages import ExifStage, QueueStage, StagingStage
    from amirtui.core.model_image_stage import ModelImageStage
    from amirtui.core.pipeline import Pipeline
    from amirtui.core.states import State

    (home / "config.yaml").write_text("paths: {data_dir: data, logs_dir: logs}\nollama: {enabled: false}\n"
                                      "quality: {enabled: false}\npublish: {target: local}\n", encoding="utf-8")
    settings = load_settings(home / "config.yaml")
    open_db(settings.db_path)
    src = home / "shoot"
    src.mkdir()
    for name in SAMPLES:
        shutil.copy2(PHOTOS / name, src / name)
    bus = EventBus()
    import_sets([SetSpec([src], "Harbour", "Oslo", "Boats", confirm_new=True)], settings, bus)
    Pipeline(settings, bus, [StagingStage(), ExifStage(), QueueStage(), ModelImageStage()]).run()
    from amirtui.core.db.models import Photo

    for p, (cap, alt, band, qr, gate) in zip(Photo.select().order_by(Photo.id), TEXT):
        repo.transition(p.id, State.SCORED, qr=qr, qc_band=band, scores={"piqe": {"value": 30.0 + qr}})
        repo.transition(p.id, State.PREFILLED if gate == "pass" else State.NEEDS_WORK, caption=cap, alt_text=alt,
                        ai_caption=cap, ai_alt_text=alt, keywords=["harbour", "boat", "oslo", "sea", "quay"],
                        ai_keywords=["harbour", "boat", "oslo", "sea", "quay"], text_source="ai", gate_status=gate,
                        gate_reasons=[] if gate == "pass" else [["too_short", "caption has 1 word (minimum 8)"]])
    settings.ui.preview_debounce_ms = 0
    settings.paths.import_root = src
    return settings


SIZES = {"": (120, 40), "-80x24": (80, 24)}


async def shoot(settings, out: Path) -> list[Path]:
    """Open each screen in the real app at both sizes and save its SVG (``review.svg``, ``review-80x24.svg`` …)."""
    from amirtui.tui.app import make_app

    saved = []
    for suffix, size in SIZES.items():
        app = make_app(settings, preview="halfcell")
        async with app.run_test(size=size) as pilot:
            for mode in ("review", "run", "preflight", "import", "publish", "summary", "help"):
                if mode == "help":
                    app.switch_mode("review")
                    await pilot.pause(0.2)
                    await pilot.press("f1")
                else:
                    app.switch_mode(mode)
                for _ in range(20):  # let page loads, previews and checks arrive (bounded)
                    await pilot.pause(0.1)
                saved.append(Path(app.save_screenshot(f"{mode}{suffix}.svg", path=str(out))))
                if mode == "help":
                    await pilot.press("escape")
    return saved


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="amirtui-shots-") as tmp:
        settings = prepare(Path(tmp))
        for path in asyncio.run(shoot(settings, args.out)):
            print(path)


if __name__ == "__main__":
    main()
