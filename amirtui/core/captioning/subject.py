"""Subject suggestion for a set: one structured request with a few of its photos, shown to the operator as a
suggestion to accept or edit — never applied by itself.

The request goes straight through the official ``ollama`` client (one call, at import time, not a pipeline stage),
with the configured primary model, first host and explicit timeouts. Weak answers (a bare category such as "bird",
"landscape", "photo", or the set's Folder itself) are refused with the reason, because the Subject starts every
filename and a generic one makes every name of the set alike.
"""

from __future__ import annotations

import base64
import io
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError

if TYPE_CHECKING:  # pragma: no cover
    from ...config import Settings

MAX_IMAGES = 6
_IMAGE_PX = 512  # enough for a model to tell a tern from a gull; small enough for one request with six images


class SubjectReply(BaseModel):
    """What the model must answer: the subject, in a few words."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    subject: str = Field(min_length=1, max_length=60,
                         description="The specific main subject shared by the photos, 1-4 words, e.g. 'Common Tern'.")


@dataclass(frozen=True)
class SubjectSuggestion:
    """A suggestion (``subject`` set) or why there is none (``note``); ``raw`` is what the model said."""

    subject: str | None
    note: str
    raw: str = ""


@lru_cache(maxsize=1)
def generic_words() -> frozenset[str]:
    """The category words a suggestion may not consist of (``subject_generic.txt``)."""
    text = resources.files(__package__).joinpath("subject_generic.txt").read_text(encoding="utf-8")
    return frozenset(w.strip().casefold() for w in text.splitlines() if w.strip() and not w.startswith("#"))


def _singular(word: str) -> str:
    for suffix, repl in (("ies", "y"), ("ches", "ch"), ("shes", "sh"), ("sses", "ss"), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + repl
    return word


def weakness(subject: str, folder: str = "") -> str | None:
    """Why a suggested subject is too weak to use, or None when it is specific enough."""
    words = [w for w in re.split(r"[\s_\-]+", subject.strip().casefold()) if w]
    if not words:
        return "empty"
    core = [_singular(w) for w in words if w not in ("a", "an", "the", "of", "some")]
    generic = generic_words()
    if all(w in generic or _singular(w) in generic for w in core):
        return f"'{subject}' is a general category, not the subject of this set"
    if folder and [_singular(w) for w in re.split(r"[\s_\-]+", folder.casefold()) if w] == core:
        return f"'{subject}' is the set's Folder ({folder}), not its subject"
    if len(words) > 6:
        return f"'{subject}' is a description, not a subject (use 1–4 words)"
    return None


def _encode(path: Path) -> str:
    from ..imaging import open_upright

    img = open_upright(path, (_IMAGE_PX, _IMAGE_PX))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def sample(paths: Sequence[Path], n: int = MAX_IMAGES) -> list[Path]:
    """Up to ``n`` photos spread evenly over the set (first and last included)."""
    paths = list(paths)
    if len(paths) <= n:
        return paths
    step = (len(paths) - 1) / (n - 1)
    return [paths[round(i * step)] for i in range(n)]


PROMPT = (
    "These photos are one set from a photographer's website. Name the specific main subject they share, in 1-4 "
    "words, as precisely as you can tell from the pictures (a species, an aircraft type, a dish, a landmark). "
    "If you cannot tell more than a general category, say only the category. Answer as JSON."
)


def suggest(paths: Sequence[Path], settings: "Settings", *, folder: str = "") -> SubjectSuggestion:
    """Ask the vision model for the set's subject. Never raises for a server problem: returns a note instead."""
    import httpx
    import ollama

    cfg = settings.ollama
    if not cfg.enabled or not cfg.hosts:
        return SubjectSuggestion(None, "subject suggestion is off: Ollama is disabled in the config")
    chosen = sample(paths)
    if not chosen:
        return SubjectSuggestion(None, "no photo to look at")
    try:
        images = [_encode(p) for p in chosen]
    except Exception as exc:  # a broken file: the import itself reports it; no suggestion then
        return SubjectSuggestion(None, f"cannot read a sample photo: {exc}")
    client = ollama.Client(host=cfg.hosts[0].url, timeout=httpx.Timeout(cfg.request_timeout,
                                                                           connect=cfg.connect_timeout))
    try:
        response = client.chat(
            model=cfg.primary_model, stream=False, format=SubjectReply.model_json_schema(), keep_alive=cfg.keep_alive,
            messages=[{"role": "user", "content": PROMPT, "images": images}],
            options={"temperature": 0.0, "num_predict": 64},
        )
    except ollama.ResponseError as exc:
        return SubjectSuggestion(None, f"no suggestion: the model server answered {exc.status_code}: {exc.error}")
    except (ConnectionError, httpx.HTTPError) as exc:
        return SubjectSuggestion(None, f"no suggestion: Ollama at {cfg.hosts[0].url} is unavailable "
                                       f"({type(exc).__name__}); type the Subject yourself")
    raw = (response.message.content or "").strip()
    text = re.sub(r"^\s*<think>.*?</think>\s*", "", raw, flags=re.S)  # a reasoning block is not the answer
    try:
        reply = SubjectReply.model_validate(json.loads(text))
    except (json.JSONDecodeError, ValidationError) as exc:
        return SubjectSuggestion(None, f"no suggestion: the model's answer was not the JSON asked for "
                                       f"({type(exc).__name__})", raw)
    subject = " ".join(reply.subject.split())
    why = weakness(subject, folder)
    if why:
        return SubjectSuggestion(None, f"suggestion refused: {why}", raw)
    return SubjectSuggestion(subject, f"suggested by {cfg.primary_model} from {len(chosen)} photo(s)", raw)
