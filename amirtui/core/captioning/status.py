"""Ollama health for preflight and the run screen: hosts reachable, models installed, the runtime line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .client import OllamaPool


@dataclass
class HostStatus:
    """One host as preflight sees it."""

    url: str
    reachable: bool
    error: str = ""
    installed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def fixes(self) -> list[str]:
        """The exact commands that install the missing models."""
        return [f"ollama pull {m}" for m in self.missing]


def installed(name: str, names: list[str]) -> bool:
    """Whether model ``name`` is in an /api/tags listing (a name without a tag means ``:latest``)."""
    want = name if ":" in name else f"{name}:latest"
    return want in names or name in names


def model_status(settings: Any) -> list[HostStatus]:
    """Per configured host: reachable? primary / fallback / verifier model installed? (missing → ``ollama pull NAME``)."""
    cfg = settings.ollama
    wanted = list(dict.fromkeys(m for m in (cfg.primary_model, cfg.fallback_model,
                                            cfg.verifier_model if cfg.verify else "") if m))
    with OllamaPool(cfg, None, source="preflight") as pool:
        listing = pool.call(pool.probe())
    out = []
    for url, names in listing.items():
        if isinstance(names, str):
            out.append(HostStatus(url, False, error=names))
        else:
            out.append(HostStatus(url, True, installed=names, missing=[m for m in wanted if not installed(m, names)]))
    return out


def runtime_line(settings: Any, model: str | None = None) -> str:
    """Warm ``model`` (default: the primary) up on the first reachable host and describe it from ``/api/ps``."""
    cfg = settings.ollama
    with OllamaPool(cfg, None, source="preflight") as pool:
        pool.call(pool.probe())
        if not pool.alive_hosts():
            return f"Ollama runtime: no reachable host ({', '.join(h.url for h in pool.hosts)})"
        return pool.call(pool.warm_up_and_runtime(model or cfg.primary_model))


def preflight_checks(settings: Any) -> list[Any]:
    """Preflight lines: one per host (red when unreachable or a model is missing) plus the runtime line."""
    from ..checks import GREEN, RED, YELLOW, Check

    checks = []
    statuses = model_status(settings)
    for st in statuses:
        name = f"ollama {st.url}"
        if not st.reachable:
            checks.append(Check(name, RED, f"not reachable ({st.error})",
                                fix="start Ollama there (`ollama serve`) or fix ollama.hosts in config.yaml; to run "
                                    "without captions set ollama.enabled: false (rows arrive as needs_work)"))
        elif st.missing:
            checks.append(Check(name, RED, f"model(s) not installed: {', '.join(st.missing)}",
                                fix=" ; ".join(st.fixes)))
        else:
            checks.append(Check(name, GREEN, "primary, fallback and verifier models installed"))
    if any(st.reachable and not st.missing for st in statuses):
        line = runtime_line(settings)
        level = GREEN if "processor=GPU" in line and "partial" not in line else YELLOW
        fix = "" if level == GREEN else "the model is (partly) on the CPU: expect 10–60 s per photo; check the GPU " \
                                        "driver, free VRAM or use a smaller model"
        checks.append(Check("ollama runtime", level, line, fix=fix))
    return checks
