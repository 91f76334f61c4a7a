"""The reply the model must give: one pydantic model that is both the JSON schema sent as ``format=`` and the
validator applied to the reply (models still break a schema they were constrained to, so we check anyway)."""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MIN_KEYWORDS = 5
MAX_KEYWORDS = 8


class CaptionReply(BaseModel):
    """Caption, alt text and keywords for one photo, as the model returns them."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    caption: str = Field(min_length=1, max_length=400, description="One natural sentence describing the photo.")
    alt_text: str = Field(
        min_length=1, max_length=300, description="A different sentence for screen readers: what is visible."
    )
    keywords: list[str] = Field(
        min_length=MIN_KEYWORDS, max_length=MAX_KEYWORDS, description="5 to 8 short search keywords."
    )


class ReplyInvalid(ValueError):
    """The model's reply was not JSON (``kind='malformed'``) or broke the schema (``kind='schema'``)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return CaptionReply.model_json_schema()  # pydantic builds it in milliseconds: once per process is enough


def reply_schema() -> dict[str, Any]:
    """The JSON schema passed to Ollama as ``format=`` (a copy: callers may not mutate the cached one)."""
    return copy.deepcopy(_schema())


def parse_reply(content: str) -> CaptionReply:
    """Parse and validate the model's message content; raises :class:`ReplyInvalid` with a short reason."""
    text = (content or "").strip()
    # Some models wrap JSON in a ```json fence even when constrained; that is packaging, not content, so unwrap it.
    if text.startswith("```"):
        text = text.strip("`")
        if text.lower().startswith("json"):
            text = text[4:]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        snippet = text[:60].replace("\n", " ")
        raise ReplyInvalid("malformed", f"reply is not JSON ({exc.msg} at char {exc.pos}): {snippet!r}") from None
    try:
        return CaptionReply.model_validate(data)
    except ValidationError as exc:
        parts = []
        for err in exc.errors()[:3]:
            where = ".".join(str(p) for p in err["loc"]) or "reply"
            parts.append(f"{where}: {err['msg']}")
        raise ReplyInvalid("schema", "reply breaks the schema (" + "; ".join(parts) + ")") from None
