"""Keep a run's peak memory down (issue 19 §2): what is loaded that the run does not need.

Measured on a headless run of 100 and 1,000 photos (``benchmarks/bench_startup.py``): the peak does not grow with the
number of photos, it is the working set of one run — torch + pyiqa imported (~860 MB, of which ~540 MB are pages of
shared libraries) plus the images and tensors in flight.

- **Not done: handing freed heap pages back.** Fixing ``M_MMAP_THRESHOLD``/``M_TRIM_THRESHOLD`` with ``mallopt``
  saved ~45 MB more but froze glibc's mmap threshold, so every PIQE tensor cost an mmap + page faults (scoring
  40–60 % slower); ``malloc_trim`` every 2 s saved ~30 MB but made the next scores re-fault the pages (~10 %
  slower scoring). Both cost more than the memory was worth: scoring sits next to the model on the critical path.
- **triton**, a GPU kernel compiler that ``import pyiqa`` pulls in through torchvision → ``torch._dynamo`` (~100 MB
  of library pages). Nothing on the CPU path uses it (pyiqa's metrics never call ``torch.compile``), so on a machine
  without an NVIDIA driver its import is refused before torch loads; torch treats triton as not installed.

:func:`tune` (process-wide, idempotent) is called by the pipeline runner before any stage loads torch.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

log = logging.getLogger("amirtui.memory")


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


__all__ = ["gpu_driver_present", "tune"]
