"""Errors of one Ollama request: :class:`CaptionError` (what the caller sees, with a ``kind``), and the helpers that
turn the client's exceptions into it (shared by the caption and verifier requests of :mod:`.client`)."""

from __future__ import annotations

import asyncio

import httpx
import ollama


class CaptionError(Exception):
    """One caption request failed. ``kind``: timeout, connection, not_found, server, busy, bad_request, stream,
    malformed, schema, watchdog, cancelled, no_host. ``raw_sha256``: hash of the raw output when the model answered
    (malformed / schema), else empty."""

    def __init__(self, kind: str, detail: str, raw_sha256: str = "") -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.raw_sha256 = raw_sha256

    def __str__(self) -> str:
        return self.detail


def _host_error(exc: BaseException) -> bool:
    """Errors that mean "this host is not answering" (as opposed to "this request/model failed")."""
    if isinstance(exc, (ConnectionError, httpx.ConnectTimeout)):  # the client turns httpx.ConnectError into the first
        return True
    # connection reset / closed mid-answer: the server went away; read timeouts are handled as strikes instead
    return isinstance(exc, httpx.TransportError) and not isinstance(exc, httpx.TimeoutException)


class _HostFailed(Exception):
    """Internal: the host did not answer at all; the caller takes it out and tries another."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _response_error(exc: ollama.ResponseError, model: str, url: str) -> CaptionError:
    code, text = exc.status_code, str(exc.error)
    if code == 404:
        return CaptionError("not_found", f"model '{model}' is not installed on {url} (run: ollama pull {model})")
    if code == -1:
        return CaptionError("stream", f"stream broke mid-way: {text}")
    if code == 503:
        return CaptionError("busy", f"Ollama is busy (503: {text})")
    if code >= 500:
        return CaptionError("server", f"Ollama error {code}: {text}")
    return CaptionError("bad_request", f"Ollama refused the request ({code}: {text})")


def _describe(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, ConnectionError) or isinstance(exc, httpx.ConnectError):
        return "connection refused"
    if isinstance(exc, (asyncio.TimeoutError, httpx.TimeoutException)):
        return f"no answer within {timeout:g}s"
    if isinstance(exc, ollama.ResponseError):
        return f"HTTP {exc.status_code}: {exc.error}"
    return f"{type(exc).__name__}: {exc}"
