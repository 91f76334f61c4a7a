"""Keep a long run's memory flat (issue 19 §2): the allocator settings and imports that decide the peak RSS.

Measured on a headless run of 100 and 1,000 photos (``benchmarks/bench_startup.py``): the peak does not grow with the
number of photos, it is the working set of one run — torch + pyiqa imported (~860 MB, of which ~540 MB are pages of
shared libraries) plus the images and tensors in flight. Two things in it are not needed:

- **glibc's growing mmap threshold.** After a large buffer (a decoded photo, a tensor) is freed, glibc raises its
  mmap threshold up to 32 MB, so the next buffers of that size come from the heap arenas of whichever thread made
  them and stay there, fragmented, after they are freed. A fixed 1 MB threshold hands every large buffer back to the
  kernel at ``free``; a 4 MB trim threshold returns freed heap tops. Cost: an mmap per large buffer (µs next to a
  decode). Saved ~65 MB of peak.
- **triton**, a GPU kernel compiler that ``import pyiqa`` pulls in through torchvision → ``torch._dynamo`` (~100 MB
  of library pages). Nothing on the CPU path uses it (pyiqa's metrics never call ``torch.compile``), so on a machine
  without an NVIDIA driver its import is refused before torch loads; torch treats triton as not installed.

Both are process-wide and idempotent; :func:`tune` is called by the pipeline runner before any stage loads torch.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
from pathlib import Path

log = logging.getLogger("amirtui.memory")

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 1 << 20
TRIM_THRESHOLD = 4 << 20
_done = False


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if not name or not sys.platform.startswith("linux"):
        return None
    try:
        lib = ctypes.CDLL(name)
        return lib if hasattr(lib, "mallopt") else None  # musl has no mallopt
    except OSError:
        return None


def gpu_driver_present() -> bool:
    """Whether an NVIDIA driver is loaded (cheap: no torch import)."""
    return Path("/proc/driver/nvidia/version").exists()


def tune(device: str = "auto") -> dict[str, bool]:
    """Apply the allocator settings and, when scoring runs on the CPU (``device`` ``cpu``, or ``auto`` with no
    NVIDIA driver), keep triton out of the process. Returns what was applied (for the log)."""
    global _done
    applied = {"mallopt": False, "no_triton": False}
    libc = _libc()
    if libc is not None and not _done:
        ok = libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
        ok = libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and ok
        applied["mallopt"] = ok
    cpu_only = device == "cpu" or (device == "auto" and not gpu_driver_present())
    if cpu_only and "torch" not in sys.modules and "triton" not in sys.modules:
        sys.modules["triton"] = None  # type: ignore[assignment]  # `import triton` → ImportError: torch skips it
        applied["no_triton"] = True
    _done = True
    log.debug("memory tuning: %s", applied)
    return applied


def trim() -> None:
    """Give freed heap memory back to the kernel now (``malloc_trim``); a no-op where glibc is absent."""
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


__all__ = ["gpu_driver_present", "trim", "tune"]
