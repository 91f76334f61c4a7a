"""Captioning through Ollama: prompts, reply schema, the one metadata gate, the client wrapper, the stage, Generate
and the prefill QC report. No Textual here."""

from .gate import GateContext, GateResult, check
from .prompts import PROMPT_VERSION
from .schema import CaptionReply

__all__ = ["GateContext", "GateResult", "check", "PROMPT_VERSION", "CaptionReply"]
