"""Keep a long run's memory flat (issue 19 §2): the allocator settings and imports that decide the peak RSS.

Measured on a headless run of 100 and 1,000 photos (``benchmarks/bench_startup.py``): the peak does not grow with the
number of photos, it is the working set of one run — torch + pyiqa imported (~860 MB, of which ~540 MB are pages of
shared libraries) plus the images and tensors in flight. Two things in it are not needed:

- **freed heap pages kept by glibc.** Buffers freed by the stage threads (decoded photos, tensors) stay in glibc's
  arenas; :func:`trim` (``malloc_trim``) hands the free pages back, and the pipeline calls it at most every
  :data:`TRIM_EVERY_S` seconds. Not chosen: fixing ``M_MMAP_THRESHOLD`` / ``M_TRIM_THRESHOLD`` with ``mallopt`` — it
  saved as much memory but freezes glibc's mmap threshold, and every PIQE tensor then costs an mmap + page faults:
  scoring got 40–60 % slower (0.12 → 0.17–0.20 s per photo).
- **triton**, a GPU kernel compiler that ``import pyiqa`` pulls in through torchvision → ``torch._dynamo`` (~100 MB
  of library pages). Nothing on the CPU path uses it (pyiqa's metrics never call ``torch.compile``), so on a machine
  without an NVIDIA driver its import is refused before torch loads; torch treats triton as not installed.

:func:`tune` (process-wide, idempotent) is called by the pipeline runner before any stage loads torch.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
from pathlib import Path

log = logging.getLogger("amirtui.memory")

#: the pipeline's ``malloc_trim`` at most this often (each call scans the arenas: a few ms)
TRIM_EVERY_S = 2.0


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if not name or not sys.platform.startswith("linux"):
        return None
    try:
        lib = ctypes.CDLL(name)
        return lib if hasattr(lib, "malloc_trim") else None  # glibc only (musl has none)
    except OSError:
        return None


def gpu_driver_present() -> bool:
    """Whether an NVIDIA driver is loaded (cheap: no torch import)."""
    return Path("/proc/driver/nvidia/version").exists()


def tune(device: str = "auto") -> dict[str, bool]:
    """When scoring runs on the CPU (``device`` ``cpu``, or ``auto`` with no NVIDIA driver), keep triton out of the
    process (before torch is imported; afterwards it is too late and nothing is done). Returns what was applied."""
    applied = {"no_triton": False}
    cpu_only = device == "cpu" or (device == "auto" and not gpu_driver_present())
    if cpu_only and "torch" not in sys.modules and "triton" not in sys.modules:
        sys.modules["triton"] = None  # type: ignore[assignment]  # `import triton` → ImportError: torch skips it
        applied["no_triton"] = True
    log.debug("memory tuning: %s", applied)
    return applied


_LIBC: list = []


def trim() -> None:
    """Give freed heap memory back to the kernel now (``malloc_trim``); a no-op where glibc is absent."""
    if not _LIBC:
        _LIBC.append(_libc())
    libc = _LIBC[0]
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


__all__ = ["gpu_driver_present", "trim", "tune"]
