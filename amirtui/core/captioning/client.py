"""The Ollama side of captioning: one event-loop thread, one official ``ollama.AsyncClient`` per configured host,
explicit timeouts, host health, the idle watchdog and the runtime line.

Stage threads call :meth:`OllamaPool.call` with a coroutine from :meth:`OllamaPool.chat_once`; the coroutine runs
on the pool's loop (``asyncio.run_coroutine_threadsafe``), so all HTTP shares one loop and per-host semaphores cap
how many requests each host gets. The DB is never touched from the loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Awaitable, Callable, TypeVar

import httpx
import ollama

from ..events import EventBus
from .ollama_errors import CaptionError, _describe, _host_error, _HostFailed, _response_error
from .schema import ReplyInvalid, parse_reply, reply_schema

if TYPE_CHECKING:  # pragma: no cover
    from ...config import OllamaConfig

T = TypeVar("T")
GIB = 1024**3
#: Consecutive read timeouts after which a host counts as "stopped answering" (one slow answer is not enough).
HOST_TIMEOUT_STRIKES = 3


@dataclass
class HostSlot:
    """One configured Ollama host during a run."""

    url: str
    parallel: int
    client: ollama.AsyncClient | None = None
    sem: asyncio.Semaphore | None = None
    alive: bool = True
    down_reason: str = ""
    in_flight: int = 0
    strikes: int = 0
    models: set[str] | None = None
    """Installed model names from the last probe (None: not probed; then every model is tried)."""

    def has(self, model: str) -> bool:
        """Whether the host lists ``model`` (a name without a tag means ``:latest``); True when not probed."""
        if self.models is None:
            return True
        return model in self.models or (":" not in model and f"{model}:latest" in self.models)


@dataclass
class InFlight:
    """A request the watchdog can see (and cancel)."""

    photo_id: int | None
    model: str
    host: str
    started: float = field(default_factory=time.monotonic)
    cancelled_by_watchdog: bool = False


class OllamaPool:
    """Hosts + loop thread + watchdog for one run (or one Generate call). ``start()`` before use, ``close()`` after."""

    def __init__(self, cfg: "OllamaConfig", bus: EventBus | None = None, *, source: str = "caption") -> None:
        self.cfg = cfg
        self.bus = bus
        self.source = source
        self.hosts = [HostSlot(url=h.url.rstrip("/"), parallel=h.parallel) for h in cfg.hosts]
        self._rr = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._inflight: dict[asyncio.Task[Any], InFlight] = {}
        self._last_progress = time.monotonic()
        self._watchdog: concurrent.futures.Future[None] | None = None
        self._missing: dict[str, str] = {}
        self._missing_lock = threading.Lock()

    # ---------------------------------------------------------------- lifecycle

    @property
    def concurrency(self) -> int:
        """How many requests all hosts may run at once (the stage's thread count)."""
        return max(1, sum(h.parallel for h in self.hosts))

    def start(self) -> "OllamaPool":
        """Start the loop thread, create the clients (explicit timeouts) and the idle watchdog."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name=f"ollama-{self.source}", daemon=True)
        self._thread.start()
        self.call(self._open())
        self._watchdog = asyncio.run_coroutine_threadsafe(self._watch(), loop)
        return self

    async def _open(self) -> None:
        # httpx read timeout is per chunk; the total deadline is enforced with asyncio.wait_for in chat_once.
        timeout = httpx.Timeout(self.cfg.request_timeout, connect=self.cfg.connect_timeout)
        for h in self.hosts:
            h.client = ollama.AsyncClient(host=h.url, timeout=timeout)
            h.sem = asyncio.Semaphore(h.parallel)

    def close(self) -> None:
        """Cancel what is in flight, close the clients and stop the loop thread."""
        if self._loop is None:
            return
        loop = self._loop
        if self._watchdog is not None:
            self._watchdog.cancel()

        async def shutdown() -> None:
            for task in list(self._inflight):
                task.cancel()
            for h in self.hosts:
                if h.client is not None:
                    await h.client._client.aclose()  # AsyncClient.close() exists only in newer clients

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=5)
        except Exception:  # closing must never raise over a run's real outcome
            pass
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)
        loop.close()
        self._loop = None

    def __enter__(self) -> "OllamaPool":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, coro: Awaitable[T], cancel: threading.Event | None = None) -> T:
        """Run ``coro`` on the pool's loop from a worker thread and wait; ``cancel`` set → cancel it."""
        assert self._loop is not None, "OllamaPool.start() was not called"
        fut = asyncio.run_coroutine_threadsafe(coro, self._loop)  # type: ignore[arg-type]
        while True:
            try:
                return fut.result(timeout=0.2)
            except concurrent.futures.TimeoutError:
                if cancel is not None and cancel.is_set():
                    fut.cancel()
                    raise CaptionError("cancelled", "cancelled by the operator") from None
            except concurrent.futures.CancelledError:
                raise CaptionError("cancelled", "request cancelled") from None

    # ---------------------------------------------------------------- hosts

    def alive_hosts(self) -> list[HostSlot]:
        """Hosts not taken out in this run."""
        return [h for h in self.hosts if h.alive]

    def _log(self, message: str, warning: bool = False) -> None:
        if self.bus is not None:
            (self.bus.warning if warning else self.bus.info)(message, source=self.source)

    def take_out(self, host: HostSlot, reason: str) -> None:
        """Mark a host dead for the rest of the run (logged once)."""
        if host.alive:
            host.alive = False
            host.down_reason = reason
            left = len(self.alive_hosts())
            self._log(f"[HOST-DOWN] Ollama host {host.url} stopped answering ({reason}); taken out for the rest of "
                      f"this run, {left} host(s) left", warning=True)

    def mark_missing(self, model: str, detail: str) -> bool:
        """Remember that ``model`` is not installed (a configuration error, not a row's failure); True the first
        time, so the caller reports it once per run."""
        with self._missing_lock:
            if model in self._missing:
                return False
            self._missing[model] = detail
            return True

    def missing(self, model: str) -> str | None:
        """Why ``model`` is unusable in this run (not installed), or None."""
        with self._missing_lock:
            return self._missing.get(model)

    def _pick(self, model: str | None = None) -> HostSlot:
        alive = self.alive_hosts()
        if not alive:
            why = "; ".join(f"{h.url}: {h.down_reason}" for h in self.hosts)
            raise CaptionError("no_host", f"no Ollama host is answering ({why})")
        if model is not None:
            having = [h for h in alive if h.has(model)]
            if not having:  # every live host said so in its listing: Ollama's own 404, without the round trip
                where = ", ".join(h.url for h in alive)
                raise CaptionError("not_found", f"model '{model}' is not installed on {where} (run: ollama pull {model})")
            alive = having
        start = next(self._rr)
        order = alive[start % len(alive):] + alive[: start % len(alive)]  # rotate so ties spread across hosts
        return min(order, key=lambda h: h.in_flight / h.parallel)

    async def probe(self) -> dict[str, list[str] | str]:
        """Ask every host for its installed models: url → model names, or url → error text (host taken out)."""
        out: dict[str, list[str] | str] = {}
        for h in self.hosts:
            try:
                assert h.client is not None
                listing = await asyncio.wait_for(h.client.list(), self.cfg.connect_timeout + 5)
                out[h.url] = [m.model or "" for m in listing.models]
                h.models = set(out[h.url])
            except Exception as exc:  # any failure here means the host is unusable for this run
                reason = _describe(exc, self.cfg.connect_timeout + 5)
                out[h.url] = reason
                self.take_out(h, reason)
        return out

    # ---------------------------------------------------------------- requests

    async def chat_once(
        self, model: str, messages: list[dict[str, Any]], *, photo_id: int | None = None, seed: int | None = None,
        stream: bool = False, schema: dict[str, Any] | None = None, parse: Callable[[str, str], Any] | None = None,
        num_predict: int | None = None, count_strikes: bool = True,
    ) -> Any:
        """One validated reply from ``model`` on the least busy live host; raises :class:`CaptionError`.

        Default: a caption (``format`` = the caption schema, parsed by :func:`parse_reply`); the verifier passes its
        own ``schema`` and ``parse(content, thinking)``. Both share hosts, parallel limits, timeouts and the watchdog.
        A host that refuses connections is taken out and the request goes to the next host (not a model failure).
        """
        while True:
            host = self._pick(model)
            host.in_flight += 1  # before any await: the next _pick sees it
            try:
                assert host.sem is not None
                async with host.sem:
                    return await self._request(host, model, messages, photo_id=photo_id, seed=seed, stream=stream,
                                               schema=schema, parse=parse or parse_reply, num_predict=num_predict,
                                               count_strikes=count_strikes)
            except _HostFailed as exc:
                self.take_out(host, exc.reason)
            finally:
                host.in_flight -= 1

    async def _request(self, host: HostSlot, model: str, messages: list[dict[str, Any]], *, photo_id: int | None,
                       seed: int | None, stream: bool, schema: dict[str, Any] | None,
                       parse: Callable[[str, str], Any], num_predict: int | None, count_strikes: bool) -> Any:
        task = asyncio.current_task()
        assert task is not None and host.client is not None
        if not self._inflight:
            self._last_progress = time.monotonic()  # idle time before this request is not "no progress"
        entry = InFlight(photo_id, model, host.url)
        self._inflight[task] = entry
        opts = self.cfg.options
        options: dict[str, Any] = {"temperature": opts.temperature, "num_predict": num_predict or opts.num_predict,
                                   "num_ctx": opts.num_ctx}
        if seed is not None or opts.seed is not None:
            options["seed"] = seed if seed is not None else opts.seed
        think: bool | None = False
        try:
            while True:
                try:
                    content, thinking = await asyncio.wait_for(
                        self._send(host.client, model, messages, options, think, stream, schema),
                        self.cfg.request_timeout)
                    break
                except ollama.ResponseError as exc:
                    if exc.status_code == 400 and "thinking" in str(exc.error) and think is not None:
                        think = None  # older/non-thinking models refuse the field itself: ask again without it
                        continue
                    raise
            if count_strikes:
                host.strikes = 0
            return parse(content, thinking)
        except ReplyInvalid as exc:
            raise CaptionError(exc.kind, exc.detail, exc.raw_sha256) from None
        except asyncio.CancelledError:
            if entry.cancelled_by_watchdog:
                raise CaptionError("watchdog", f"cancelled by the idle watchdog after {self.cfg.idle_watchdog:g}s "
                                               "without progress") from None
            raise
        except (asyncio.TimeoutError, httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout):
            # the verifier's timeouts are its own outage (see verify.Verifier), not proof the host stopped answering
            host.strikes += 1 if count_strikes else 0
            if host.strikes >= HOST_TIMEOUT_STRIKES:
                self.take_out(host, f"{host.strikes} requests in a row timed out")
            raise CaptionError("timeout", f"no answer within {self.cfg.request_timeout:g}s") from None
        except ollama.ResponseError as exc:
            raise _response_error(exc, model, host.url) from None
        except json.JSONDecodeError as exc:
            raise CaptionError("malformed", f"server answered with invalid JSON ({exc.msg})") from None
        except Exception as exc:
            if _host_error(exc):
                raise _HostFailed(_describe(exc, self.cfg.connect_timeout)) from None
            raise CaptionError("server", f"{type(exc).__name__}: {exc}") from None
        finally:
            self._inflight.pop(task, None)
            self._last_progress = time.monotonic()

    async def _send(self, client: ollama.AsyncClient, model: str, messages: list[dict[str, Any]],
                    options: dict[str, Any], think: bool | None, stream: bool,
                    schema: dict[str, Any] | None) -> tuple[str, str]:
        """(content, thinking) of one answer; a thinking model may answer in ``thinking`` despite ``think=false``."""
        common: dict[str, Any] = dict(model=model, messages=messages, format=schema or reply_schema(),
                                      options=options, keep_alive=self.cfg.keep_alive)
        if think is not None:
            common["think"] = think
        if not stream:
            response = await client.chat(stream=False, **common)
            return response.message.content or "", getattr(response.message, "thinking", None) or ""
        parts: list[str] = []
        thoughts: list[str] = []
        async for chunk in await client.chat(stream=True, **common):
            self._last_progress = time.monotonic()  # tokens arriving are progress for the watchdog
            parts.append(chunk.message.content or "")
            thoughts.append(getattr(chunk.message, "thinking", None) or "")
        return "".join(parts), "".join(thoughts)

    # ---------------------------------------------------------------- watchdog

    def in_flight(self) -> list[InFlight]:
        """The requests running now (for the run screen)."""
        return list(self._inflight.values())

    async def _watch(self) -> None:
        idle = self.cfg.idle_watchdog
        while True:
            await asyncio.sleep(min(1.0, idle / 4))
            if not self._inflight or time.monotonic() - self._last_progress < idle:
                continue
            rows = ", ".join(f"id={e.photo_id} model '{e.model}' on {e.host} ({time.monotonic() - e.started:.0f}s)"
                             for e in self._inflight.values())
            self._log(f"[WATCHDOG] no captioning progress for {idle:g}s; cancelling the row(s) in flight: {rows}",
                      warning=True)
            for task, entry in list(self._inflight.items()):
                entry.cancelled_by_watchdog = True
                task.cancel()
            self._last_progress = time.monotonic()

    # ---------------------------------------------------------------- runtime line

    async def warm_up_and_runtime(self, model: str) -> str:
        """Load ``model`` on the first live host with an empty request, then describe it from ``/api/ps``."""
        try:
            host = self._pick(model)
        except CaptionError as exc:
            return f"Ollama runtime: model={model} not loaded ({exc.detail})"
        assert host.client is not None
        try:
            await asyncio.wait_for(host.client.chat(model=model, keep_alive=self.cfg.keep_alive),
                                   self.cfg.request_timeout)
            ps = await asyncio.wait_for(host.client.ps(), self.cfg.connect_timeout + 5)
        except Exception as exc:
            return f"Ollama runtime: model={model} not loaded on {host.url} ({_describe(exc, self.cfg.request_timeout)})"
        for entry in ps.models:
            if model in (entry.model, entry.name):
                return format_runtime(model, int(entry.size or 0), int(entry.size_vram or 0), entry.context_length)
        return f"Ollama runtime: model={model} not listed by {host.url}/api/ps after warm-up"


def format_runtime(model: str, size: int, size_vram: int, context: int | None) -> str:
    """``Ollama runtime: model=… processor=GPU|CPU context=… vram=…GiB`` (partial offload is said so)."""
    processor = "GPU" if size_vram > 0 else "CPU"
    line = f"Ollama runtime: model={model} processor={processor} context={context or '?'} vram={size_vram / GIB:.1f}GiB"
    if 0 < size_vram < size:
        line += f" (partial offload: {size_vram / size:.0%} of {size / GIB:.1f}GiB on the GPU, the rest on the CPU)"
    return line
