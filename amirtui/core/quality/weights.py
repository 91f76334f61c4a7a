"""``amirtui models fetch``: download the configured metrics' weight files into the weights dir, with progress.

This is the only place amirtui goes to the network for weights; a scoring run never does (see :mod:`.metrics`).
Files already present are left alone ("nothing to do"). A download goes to ``<file>.part`` and is renamed only when
complete, so an interrupted fetch never leaves a truncated checkpoint that would later fail to load.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .metrics import (
    KNOWN_WEIGHTS,
    PYIQA_BASE_URL,
    WeightFile,
    hf_cache_dir,
    point_caches,
)

if TYPE_CHECKING:  # pragma: no cover
    from ...config import Settings

#: progress_cb(metric, file_name, bytes_done, bytes_total or None)
ProgressCallback = Callable[[str, str, int, "int | None"], None]

CHUNK = 1 << 20


@dataclass(frozen=True)
class FetchResult:
    """What happened to one file: ``present`` (nothing to do), ``downloaded``, ``failed`` (why), or ``unknown``
    (a metric amirtui has no file table for)."""

    metric: str
    file_name: str
    status: Literal["present", "downloaded", "failed", "unknown"]
    detail: str = ""


def _download(url: str, dest: Path, metric: str, progress: ProgressCallback | None, timeout: float) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    req = urllib.request.Request(url, headers={"User-Agent": "amirtui-models-fetch"})
    with urllib.request.urlopen(req, timeout=timeout) as resp, open(part, "wb") as out:
        total = resp.headers.get("Content-Length")
        total_n = int(total) if total and total.isdigit() else None
        done = 0
        if progress:
            progress(metric, dest.name, 0, total_n)
        while chunk := resp.read(CHUNK):
            out.write(chunk)
            done += len(chunk)
            if progress:
                progress(metric, dest.name, done, total_n)
    if total_n is not None and done != total_n:
        part.unlink(missing_ok=True)
        raise OSError(f"download of {dest.name} stopped at {done} of {total_n} bytes")
    os.replace(part, dest)


def _fetch_hf(f: WeightFile, weights_dir: Path, metric: str, progress: ProgressCallback | None) -> None:
    from huggingface_hub import hf_hub_download

    point_caches(weights_dir, offline=False)  # the one place the hub may be contacted
    try:
        if progress:
            progress(metric, f"{f.repo}/{f.name}", 0, None)
        path = hf_hub_download(f.repo, f.name, cache_dir=str(hf_cache_dir(weights_dir)))
        if progress:
            size = os.path.getsize(path)
            progress(metric, f"{f.repo}/{f.name}", size, size)
    finally:
        point_caches(weights_dir, offline=True)


def fetch_weights(
    settings: Settings,
    progress_cb: ProgressCallback | None = None,
    *,
    pyiqa_base_url: str | None = None,
    timeout: float = 30.0,
) -> list[FetchResult]:
    """Download every missing weight file of the configured metrics; returns one :class:`FetchResult` per file.

    ``pyiqa_base_url`` replaces pyiqa's download location (a local mirror). Failures (no network, HTTP errors) are
    returned as ``failed`` with the URL and the reason; they never raise, so one bad file does not stop the others.
    """
    weights_dir = settings.weights_dir
    results: list[FetchResult] = []
    for metric in dict.fromkeys(settings.quality.metrics):
        files = KNOWN_WEIGHTS.get(metric)
        if files is None:
            results.append(FetchResult(metric, "", "unknown", f"amirtui has no weight-file table for '{metric}': "
                                       "copy its files into the weights dir by hand (see README)"))
            continue
        for f in files:
            if f.present(weights_dir):
                results.append(FetchResult(metric, f.name, "present", str(f.directory(weights_dir))))
                continue
            url = f.url
            if f.kind == "pyiqa" and pyiqa_base_url:
                url = f"{pyiqa_base_url.rstrip('/')}/{f.name}"
            try:
                if f.kind == "hf":
                    _fetch_hf(f, weights_dir, metric, progress_cb)
                    url = f"https://huggingface.co/{f.repo}"
                else:
                    _download(url, f.directory(weights_dir) / f.name, metric, progress_cb, timeout)
            except (OSError, urllib.error.URLError, ValueError) as exc:
                results.append(FetchResult(metric, f.name, "failed", f"could not download {url}: {exc} "
                                           "(is the network reachable from here?)"))
                continue
            except Exception as exc:  # noqa: BLE001 - huggingface_hub's own errors (offline, 404) are not OSErrors
                results.append(FetchResult(metric, f.name, "failed", f"could not download {url}: "
                                           f"{type(exc).__name__}: {exc}"))
                continue
            results.append(FetchResult(metric, f.name, "downloaded", str(f.directory(weights_dir))))
    return results


__all__ = ["PYIQA_BASE_URL", "FetchResult", "ProgressCallback", "fetch_weights"]
