"""The reply the model must give: one pydantic model that is both the JSON schema sent as ``format=`` and the
validator applied to the reply (models still break a schema they were constrained to, so we check anyway)."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

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
    _raw_sha256: str = PrivateAttr(default="")

    @property
    def raw_sha256(self) -> str:
        """sha256 of the model's raw output this reply was parsed from (for the metadata_quality record)."""
        return self._raw_sha256


class ReplyInvalid(ValueError):
    """The model's reply was not JSON (``kind='malformed'``) or broke the schema (``kind='schema'``)."""

    def __init__(self, kind: str, detail: str, raw_sha256: str = "") -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.raw_sha256 = raw_sha256


# A reasoning block is packaging, not content: <think>…</think> (some templates emit only the closing tag).
_THINK_BLOCK = re.compile(r"<think(?:ing)?>.*?</think(?:ing)?>", re.DOTALL | re.IGNORECASE)
_THINK_CLOSE = re.compile(r"</think(?:ing)?>", re.IGNORECASE)


def raw_hash(content: str, thinking: str = "") -> str:
    """sha256 of a model's raw output (its content, or its thinking text when the content is empty)."""
    return hashlib.sha256((content or thinking or "").encode("utf-8", "surrogatepass")).hexdigest()


def _last_object(text: str) -> str | None:
    """The last top-level JSON object inside free text (reasoning that ends with the answer), or None."""
    decoder, found, pos = json.JSONDecoder(), None, text.find("{")
    while pos != -1:
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            pos = text.find("{", pos + 1)
            continue
        if isinstance(obj, dict):
            found = text[pos:end]
        pos = text.find("{", end)
    return found


def answer_text(content: str, thinking: str = "") -> str:
    """The JSON text of a model's answer.

    A ``<think>…</think>`` block before the JSON is dropped (reasoning models that ignore ``think: false``), a
    ```` ```json ```` fence is unwrapped, and an answer that arrived in the ``thinking`` field with an empty content
    is taken from there (the last JSON object in it). Anything else is returned as is, for the parser to refuse.
    """
    text = _THINK_BLOCK.sub("", content or "")
    close = list(_THINK_CLOSE.finditer(text))
    if close:  # the template opened the block for the model: everything up to the last closing tag is reasoning
        text = text[close[-1].end():]
    text = text.strip()
    # Some models wrap JSON in a ```json fence even when constrained; that is packaging, not content, so unwrap it.
    if text.startswith("```"):
        text = text.strip("`").strip()
        if text.lower().startswith("json"):
            text = text[4:].strip()
    if not text and thinking:
        inner = answer_text(thinking)
        text = _last_object(inner) or inner
    return text


def parse_object(content: str, thinking: str = "") -> dict[str, Any]:
    """The answer as a JSON object; raises :class:`ReplyInvalid` (``malformed``) when it is not one."""
    text = answer_text(content, thinking)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        snippet = text[:60].replace("\n", " ")
        raise ReplyInvalid("malformed", f"reply is not JSON ({exc.msg} at char {exc.pos}): {snippet!r}",
                           raw_hash(content, thinking)) from None
    if not isinstance(data, dict):
        raise ReplyInvalid("malformed", f"reply is JSON but not an object ({type(data).__name__})",
                           raw_hash(content, thinking))
    return data


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return CaptionReply.model_json_schema()  # pydantic builds it in milliseconds: once per process is enough


def reply_schema() -> dict[str, Any]:
    """The JSON schema passed to Ollama as ``format=`` (a copy: callers may not mutate the cached one)."""
    return copy.deepcopy(_schema())


def parse_reply(content: str, thinking: str = "") -> CaptionReply:
    """Parse and validate the model's message content (or its thinking text, see :func:`answer_text`); raises
    :class:`ReplyInvalid` with a short reason."""
    data = parse_object(content, thinking)
    try:
        reply = CaptionReply.model_validate(data)
    except ValidationError as exc:
        parts = []
        for err in exc.errors()[:3]:
            where = ".".join(str(p) for p in err["loc"]) or "reply"
            parts.append(f"{where}: {err['msg']}")
        raise ReplyInvalid("schema", "reply breaks the schema (" + "; ".join(parts) + ")",
                           raw_hash(content, thinking)) from None
    reply._raw_sha256 = raw_hash(content, thinking)
    return reply
