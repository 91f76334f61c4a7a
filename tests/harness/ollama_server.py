"""A loopback HTTP server that speaks Ollama's real API, with behaviour tests can script while it runs.

No Ollama binary or model weights exist on test machines, so the code under test (the official ``ollama``
client) talks to this server instead. It answers ``GET /api/tags``, ``GET /api/ps``, ``POST /api/show``,
``POST /api/chat`` and ``POST /api/generate`` with the same JSON shapes, status codes and error bodies a real
Ollama sends (Ollama's published API docs), including NDJSON streaming, which is the default when a request
carries no ``"stream"`` key.

Typical use::

    server = OllamaServer().start()
    server.add_model("qwen2.5vl:7b", size_vram=6 * 2**30, context_length=8192)
    server.behave("qwen2.5vl:7b", latency=0.4)                 # every request, until changed
    server.queue("qwen2.5vl:7b", error=(500, "llama runner process has terminated"))  # next request only
    client = ollama.Client(host=server.url, timeout=5)
    ...
    server.stop()
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[dict], "dict | str"]


@dataclass(frozen=True)
class Behaviour:
    """How the server answers one request for a model; every field off means "answer normally".

    ``latency`` seconds before the first byte; ``error=(status, message)`` answers that status with a real
    ``{"error": message}`` body (combined with ``stream_error_after`` only its message is used); ``hang`` seconds of silence before anything (use a client timeout shorter than
    it); ``malformed`` makes the content text that is not JSON; ``schema_violation`` makes it valid JSON with
    missing / mistyped fields; ``stream_error_after=N`` sends N content chunks then an ``{"error": ...}`` line
    (streaming requests; status stays 200, as in Ollama); ``reply(request_json) -> dict | str`` builds the content.
    """

    latency: float = 0.0
    error: tuple[int, str] | None = None
    hang: float | None = None
    malformed: bool = False
    schema_violation: bool = False
    stream_error_after: int | None = None
    reply: Reply | None = None
    think_block: str | None = None
    answer_in_thinking: bool = False


#: The top-level property that marks a request as amirtui's claim-verifier request (see ``is_verify_request``).
VERIFY_KEY = "verdicts"


def is_verify_request(body: dict) -> bool:
    """True for amirtui's verifier requests: their ``format`` schema asks for a ``verdicts`` array. They get their own
    scripted behaviour (``behave_verify`` / ``queue_verify``) so a caption reply builder is never consumed by them."""
    fmt = body.get("format")
    return isinstance(fmt, dict) and VERIFY_KEY in (fmt.get("properties") or {})


@dataclass
class FakeModel:
    """One installed model as /api/tags, /api/ps and /api/show report it."""

    name: str
    size: int = 6_000_000_000
    size_vram: int = 6_000_000_000
    context_length: int = 4096
    family: str = "qwen25vl"
    parameter_size: str = "8.3B"
    quantization_level: str = "Q4_K_M"
    capabilities: list[str] = field(default_factory=lambda: ["completion", "vision"])
    loaded: bool = False
    expires_at: datetime | None = None

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.name.encode()).hexdigest()

    def details(self) -> dict:
        return {
            "parent_model": "",
            "format": "gguf",
            "family": self.family,
            "families": [self.family],
            "parameter_size": self.parameter_size,
            "quantization_level": self.quantization_level,
        }


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it (``body`` is the parsed JSON, or None for GET / bad JSON)."""

    method: str
    path: str
    body: dict | None
    at: float

    @property
    def model(self) -> str | None:
        return (self.body or {}).get("model")


_SUBJECTS = ["heron", "lighthouse", "fishing boat", "old oak", "market stall", "stone bridge", "red fox", "glacier"]
_PLACES = ["on a misty shore", "in fog", "under a storm sky", "in low sun", "in soft rain", "beside a quiet lake"]
_MOODS = ["calm", "dramatic", "muted", "vivid", "wistful", "bright"]
_SUBJECT_HINT = re.compile(r"\bSubject: ([^;\n]+?)(?:;|\.\s|\.$|\n)")


def _prompt_subject(request: dict) -> str:
    """The set's Subject as the prompt names it ("Subject: Grey Heron; …"), or "" (a real model writes about it)."""
    texts = [str(m.get("content") or "") for m in request.get("messages") or []] + [str(request.get("prompt") or "")]
    for text in texts:
        m = _SUBJECT_HINT.search(text)
        if m:
            return m.group(1).strip()
    return ""


def default_reply(request: dict) -> dict:
    """A realistic caption / alt_text / keywords answer about the prompt's Subject that differs per image (hash of the
    first image); without a Subject in the prompt, the scene's main thing stands in for it."""
    images = list(request.get("images") or [])
    for message in request.get("messages") or []:
        images.extend(message.get("images") or [])
    seed_text = images[0] if images else json.dumps(request.get("messages") or request.get("prompt") or "")
    h = hashlib.sha256(str(seed_text).encode()).digest()
    thing, place, mood = _SUBJECTS[h[0] % len(_SUBJECTS)], _PLACES[h[1] % len(_PLACES)], _MOODS[h[2] % len(_MOODS)]
    subject = _prompt_subject(request).lower()
    scene = f"{subject} near a {thing}" if subject and subject != thing else thing
    return {
        "caption": f"A {mood} view of a {scene} {place}, framed with space around it.",
        "alt_text": f"A {subject or thing} {place}, seen from close by.",
        "keywords": [subject or thing, place.split()[-1], mood, "landscape", f"tag{h[3]:02x}"],
    }


def _example(spec: Any, key: str, index: int = 0) -> Any:
    """A value that fits ``spec``: the first enum value, ``minItems`` filled items, numbered integers, nested objects
    (what a constrained model would produce when it has nothing better to say)."""
    if not isinstance(spec, dict):
        return f"example {key}"
    if spec.get("enum"):
        return spec["enum"][0]
    kind = spec.get("type")
    if kind == "array":
        items = spec.get("items")
        if isinstance(items, dict) and items:
            return [_example(items, key, i) for i in range(int(spec.get("minItems") or 1))]
        return ["example"]
    if kind == "object":
        return _fill_schema({}, spec, index)
    if kind == "integer":
        return index + 1
    return {"number": 0.5, "boolean": True}.get(kind, f"example {key}")


def _fill_schema(content: dict, schema: Any, index: int = 0) -> dict:
    """Add type-appropriate values for schema properties the reply does not have, so replies fit any schema."""
    if not isinstance(schema, dict):
        return content
    for key, spec in (schema.get("properties") or {}).items():
        if key not in content:
            content[key] = _example(spec, key, index)
    return content


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class OllamaServer:
    """The scriptable Ollama-protocol server; ``start()`` binds 127.0.0.1 on a free port and serves in a thread."""

    def __init__(self) -> None:
        self.models: dict[str, FakeModel] = {}
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._behaviour: dict[str, Behaviour] = {}
        self._queued: dict[str, deque[Behaviour]] = {}
        self._verify_behaviour: dict[str, Behaviour] = {}
        self._verify_queued: dict[str, deque[Behaviour]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- scripting -------------------------------------------------------------------------------------
    def add_model(self, name: str, **attrs: Any) -> FakeModel:
        """Install (or replace) a model; attrs are FakeModel fields (size_vram=0 means "running on CPU")."""
        with self._lock:
            model = FakeModel(name=name, **attrs)
            self.models[name] = model
            return model

    def remove_model(self, name: str) -> None:
        """Uninstall a model: later requests for it get Ollama's 404."""
        with self._lock:
            self.models.pop(name, None)

    def behave(self, model: str, **changes: Any) -> None:
        """Change how every later request for ``model`` is answered (merges into the current behaviour)."""
        with self._lock:
            self._behaviour[model] = replace(self._behaviour.get(model, Behaviour()), **changes)

    def queue(self, model: str, **behaviour: Any) -> None:
        """Apply a behaviour to the next chat/generate request for ``model`` only (queued ones run in order)."""
        with self._lock:
            self._queued.setdefault(model, deque()).append(Behaviour(**behaviour))

    def behave_verify(self, model: str, **changes: Any) -> None:
        """Like :meth:`behave`, for verifier requests only (see :func:`is_verify_request`). Unscripted verifier
        requests get a schema-filled answer: every claim ``supported``."""
        with self._lock:
            self._verify_behaviour[model] = replace(self._verify_behaviour.get(model, Behaviour()), **changes)

    def queue_verify(self, model: str, **behaviour: Any) -> None:
        """Like :meth:`queue`, for the next verifier request for ``model`` only."""
        with self._lock:
            self._verify_queued.setdefault(model, deque()).append(Behaviour(**behaviour))

    def verify_requests(self, model: str | None = None) -> list[RecordedRequest]:
        """The recorded verifier requests (optionally for one model)."""
        return [r for r in self.generation_requests(model) if is_verify_request(r.body or {})]

    def caption_requests(self, model: str | None = None) -> list[RecordedRequest]:
        """The recorded generation requests with messages that are not verifier requests (optionally one model)."""
        return [r for r in self.generation_requests(model)
                if (r.body or {}).get("messages") and not is_verify_request(r.body or {})]

    def reset(self, model: str | None = None) -> None:
        """Forget scripted behaviour (for one model, or all) and the request statistics."""
        with self._lock:
            for table in (self._behaviour, self._queued, self._verify_behaviour, self._verify_queued):
                table.pop(model, None) if model else table.clear()
            self.requests.clear()
            self.max_in_flight = self.in_flight

    def generation_requests(self, model: str | None = None) -> list[RecordedRequest]:
        """The recorded /api/chat and /api/generate requests, optionally for one model."""
        return [r for r in list(self.requests) if r.path in ("/api/chat", "/api/generate")
                and (model is None or r.model == model)]

    # ---- lifecycle -------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The base URL to give ``ollama.Client(host=...)``."""
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    def start(self) -> OllamaServer:
        """Bind 127.0.0.1:0 and serve in a daemon thread; returns self."""
        server = self

        class Handler(_Handler):
            owner = server

        self._httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True  # a hanging handler must never block interpreter exit
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="ollama-fake", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; returns promptly even while handlers hang (they wait on an event, sockets are shut)."""
        self._stopping.set()
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:  # unblock keep-alive readers and hanging handlers alike
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread:
            self._thread.join(timeout=2)

    def __enter__(self) -> OllamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- used by the handler ---------------------------------------------------------------------------
    def _next_behaviour(self, model: str, verify: bool = False) -> Behaviour:
        with self._lock:
            queued, standing = ((self._verify_queued, self._verify_behaviour) if verify
                                else (self._queued, self._behaviour))
            pending = queued.get(model)
            if pending:
                return pending.popleft()
            return standing.get(model, Behaviour())

    def _wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds`` unless the server stops; True when the server is stopping."""
        return self._stopping.wait(seconds) if seconds > 0 else self._stopping.is_set()


class _QuietServer(ThreadingHTTPServer):
    """Drops the traceback socketserver prints when a client vanishes or stop() shuts a socket."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (OSError, ValueError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Routes one HTTP request; keeps Ollama's status codes and ``{"error": ...}`` bodies."""

    owner: OllamaServer
    protocol_version = "HTTP/1.1"  # keep-alive + chunked NDJSON, as Ollama (Go net/http) does
    server_version = "ollama-fake"

    def setup(self) -> None:
        super().setup()
        # headers and body go out in separate writes: without NODELAY, Nagle + delayed ACK add ~40 ms each
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.owner._lock:
            self.owner._conns.add(self.connection)

    def finish(self) -> None:
        with self.owner._lock:
            self.owner._conns.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # ---- plumbing --------------------------------------------------------------------------------------
    def _record(self, body: dict | None) -> None:
        with self.owner._lock:
            self.owner.requests.append(RecordedRequest(self.command, self.path, body, time.monotonic()))

    def _send_json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        self._send_json(status, {"error": message})

    def do_GET(self) -> None:
        self._record(None)
        owner = self.owner
        with owner._lock:
            models = list(owner.models.values())
        if self.path == "/api/tags":
            self._send_json(200, {"models": [
                {"name": m.name, "model": m.name, "modified_at": _now(), "size": m.size, "digest": m.digest,
                 "details": m.details()} for m in models]})
        elif self.path == "/api/ps":
            self._send_json(200, {"models": [
                {"name": m.name, "model": m.name, "size": m.size, "digest": m.digest, "details": m.details(),
                 "expires_at": (m.expires_at or datetime.now(UTC) + timedelta(minutes=5)).isoformat(),
                 "size_vram": m.size_vram, "context_length": m.context_length} for m in models if m.loaded]})
        elif self.path in ("/", "/api/version"):
            self._send_json(200, {"version": "0.12.0"})
        else:
            self.send_response(404)
            self.send_header("Content-Length", "18")
            self.end_headers()
            self.wfile.write(b"404 page not found")

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
            if not isinstance(body, dict):
                raise ValueError("body is not a JSON object")
        except ValueError as exc:
            self._record(None)
            self._error(400, f"invalid request body: {exc}")
            return
        self._record(body)
        if self.path == "/api/show":
            self._show(body)
        elif self.path in ("/api/chat", "/api/generate"):
            owner = self.owner
            with owner._lock:
                owner.in_flight += 1
                owner.max_in_flight = max(owner.max_in_flight, owner.in_flight)
            try:
                self._generate(body, chat=self.path == "/api/chat")
            finally:
                with owner._lock:
                    owner.in_flight -= 1
        else:
            self._error(404, f"unknown endpoint {self.path}")

    # ---- endpoints -------------------------------------------------------------------------------------
    def _show(self, body: dict) -> None:
        name = body.get("model") or body.get("name")
        model = self.owner.models.get(name or "")
        if model is None:
            self._error(404, f"model '{name}' not found")
            return
        self._send_json(200, {
            "modelfile": f"# Modelfile generated by \"ollama show\"\nFROM {name}\n",
            "parameters": "temperature 0.1\nstop \"<|im_end|>\"",
            "template": "{{ .Prompt }}",
            "details": model.details(),
            "model_info": {"general.architecture": model.family, f"{model.family}.context_length":
                           model.context_length, "general.parameter_count": 8_300_000_000},
            "capabilities": model.capabilities,
            "modified_at": _now(),
        })

    def _generate(self, body: dict, *, chat: bool) -> None:
        owner, name = self.owner, body.get("model")
        if not name:
            self._error(400, "model is required")
            return
        model = owner.models.get(name)
        if model is None:
            self._error(404, f'model "{name}" not found, try pulling it first')
            return
        behaviour = owner._next_behaviour(name, verify=is_verify_request(body))
        if behaviour.hang and owner._wait(behaviour.hang):
            return
        if owner._wait(behaviour.latency):
            return
        stream = body.get("stream", True)
        if behaviour.error and behaviour.stream_error_after is None:
            self._error(*behaviour.error)
            return
        if behaviour.stream_error_after is not None and not stream:
            # a runner crash on a non-streamed request surfaces as a plain 500, as in Ollama
            self._error(500, behaviour.error[1] if behaviour.error else "llama runner process has terminated")
            return
        if body.get("think") and "thinking" not in model.capabilities:
            self._error(400, f'"{name}" does not support thinking')
            return
        has_input = (body.get("messages") if chat else body.get("prompt") or body.get("images"))
        keep_alive = body.get("keep_alive")
        with owner._lock:  # an empty request loads the model, keep_alive 0 unloads it, as in Ollama
            model.loaded = keep_alive not in (0, "0", "0s")
        if not has_input:
            done = {"model": name, "created_at": _now(), "done": True,
                    "done_reason": "unload" if not model.loaded else "load"}
            done.update({"message": {"role": "assistant", "content": ""}} if chat else {"response": ""})
            self._send_json(200, done)
            return
        content = self._content(body, behaviour)
        thinking = ""
        if behaviour.answer_in_thinking:
            thinking, content = f"The user wants JSON. Looking at the image first.\n{content}", ""
        elif behaviour.think_block is not None:
            content = f"<think>{behaviour.think_block}</think>\n{content}"
        if stream:
            self._stream(name, content, behaviour, chat=chat, thinking=thinking)
        else:
            final = self._final(name, content, chat=chat, full=True)
            if thinking and chat:
                final["message"]["thinking"] = thinking
            elif thinking:
                final["thinking"] = thinking
            self._send_json(200, final)

    def _content(self, body: dict, behaviour: Behaviour) -> str:
        if behaviour.malformed:
            return 'Sure! Here is the description: {"caption": "A boat at dusk, "alt_text": unfinished'
        if behaviour.schema_violation:
            return json.dumps({"caption": "", "keywords": "boat, harbour", "alt_text": None, "confidence": "high"})
        request = body
        if "messages" not in body:  # /api/generate: present images at the top level to the reply builder
            request = {**body, "messages": [{"role": "user", "content": body.get("prompt", ""),
                                             "images": body.get("images") or []}]}
        if behaviour.reply is None and is_verify_request(body):
            reply: dict | str = {}  # filled from the schema below: every claim "supported"
        else:
            reply = (behaviour.reply or default_reply)(request)
        if isinstance(reply, str):
            return reply
        return json.dumps(_fill_schema(dict(reply), body.get("format")), ensure_ascii=False)

    @staticmethod
    def _final(name: str, content: str, *, chat: bool, full: bool) -> dict:
        text = content if full else ""
        out: dict[str, Any] = {"model": name, "created_at": _now()}
        out.update({"message": {"role": "assistant", "content": text}} if chat else {"response": text})
        tokens = max(1, len(content) // 4)
        out.update({"done": True, "done_reason": "stop", "total_duration": 1_200_000_000,
                    "load_duration": 30_000_000, "prompt_eval_count": 812, "prompt_eval_duration": 400_000_000,
                    "eval_count": tokens, "eval_duration": 700_000_000})
        return out

    def _stream(self, name: str, content: str, behaviour: Behaviour, *, chat: bool, thinking: str = "") -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        pieces = [content[i:i + 12] for i in range(0, len(content), 12)] or [""]
        try:
            for i in range(0, len(thinking), 12):  # thinking tokens come first, as in Ollama
                chunk = {"model": name, "created_at": _now(), "done": False}
                chunk.update({"message": {"role": "assistant", "content": "", "thinking": thinking[i:i + 12]}}
                             if chat else {"response": "", "thinking": thinking[i:i + 12]})
                self._chunk(chunk)
            for index, piece in enumerate(pieces):
                if behaviour.stream_error_after is not None and index >= behaviour.stream_error_after:
                    message = behaviour.error[1] if behaviour.error else "llama runner process has terminated"
                    self._chunk({"error": message})
                    break
                chunk: dict[str, Any] = {"model": name, "created_at": _now(), "done": False}
                chunk.update({"message": {"role": "assistant", "content": piece}} if chat else {"response": piece})
                self._chunk(chunk)
            else:
                self._chunk(self._final(name, content, chat=chat, full=False))
            self.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client went away mid-stream (e.g. its timeout fired): nothing more to say
            self.close_connection = True

    def _chunk(self, payload: dict) -> None:
        line = json.dumps(payload, ensure_ascii=False).encode() + b"\n"
        self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
        self.wfile.flush()


__all__ = ["Behaviour", "FakeModel", "OllamaServer", "RecordedRequest", "VERIFY_KEY", "default_reply",
           "is_verify_request"]
