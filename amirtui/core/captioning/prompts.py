"""Every prompt the captioning stage sends, in one place and versioned.

Change the wording → bump :data:`PROMPT_VERSION`; the version is stored with the AI text of every row so a reviewer
(or a later audit) knows which prompt produced it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from .schema import MAX_KEYWORDS, MIN_KEYWORDS

PROMPT_VERSION = "caption-v1"

_LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "nl": "Dutch"}

SYSTEM_PROMPT = (
    "You write metadata for a photographer's website. You look at one photo and answer with JSON only: "
    '{"caption": ..., "alt_text": ..., "keywords": [...]}. '
    "caption: one natural, specific sentence about what the photo shows (subject, light, setting), ending with a "
    "full stop. alt_text: a different, plain sentence for screen-reader users describing what is visible. "
    f"keywords: {MIN_KEYWORDS} to {MAX_KEYWORDS} distinct search words or short phrases, not pieces of the caption. "
    "Never mention the camera, the file name, the file type or the word photography. Never write filler such as "
    "'this image shows', 'a scene featuring' or 'showcasing'. Do not hedge ('appears to be', 'possibly'): describe "
    "only what you can see."
)


@dataclass(frozen=True)
class PromptContext:
    """What the operator told us about the set; the model may use it but must not paste it into every field."""

    subject: str = ""
    location: str = ""
    folder: str = ""
    language: str = "en"
    avoid_captions: Sequence[str] = field(default_factory=tuple)
    """Captions of other rows of the set (Generate's nudge: write something different)."""


def user_prompt(ctx: PromptContext) -> str:
    """The user message text for one photo."""
    lang = _LANGUAGE_NAMES.get(ctx.language, ctx.language)
    lines = [f"Write the caption, alt text and keywords in {lang}."]
    hints = [f"{label}: {value}" for label, value in (
        ("Subject", ctx.subject), ("Location", ctx.location), ("Category", ctx.folder)) if value]
    if hints:
        lines.append(
            "Context from the photographer (use it where it fits, do not copy it verbatim into every field, "
            "do not write the labels): " + "; ".join(hints) + "."
        )
    if ctx.avoid_captions:
        shown = "\n".join(f"- {c}" for c in list(ctx.avoid_captions)[:12])
        lines.append(
            "Other photos of this series already have these captions. Describe what is particular to THIS photo "
            "and write a caption and alt text that clearly differ from them:\n" + shown
        )
    return "\n".join(lines)


def build_messages(ctx: PromptContext, image: bytes | str | None) -> list[dict[str, Any]]:
    """The chat messages for one photo (system + user with the model image attached)."""
    user: dict[str, Any] = {"role": "user", "content": user_prompt(ctx)}
    if image is not None:
        user["images"] = [image]
    return [{"role": "system", "content": SYSTEM_PROMPT}, user]
