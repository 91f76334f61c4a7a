"""Quality scoring (issues 4 and 20): classical measures, pyiqa metrics loaded offline from a weights dir, QR and QC
bands.

Importing this package imports nothing heavy: the names below load their submodule on first use (PEP 562), so the
TUI can use :mod:`.qr` (pure arithmetic) without numpy, Pillow or the DB layer. torch and pyiqa (``import pyiqa``
costs ~5 s) load only when the scoring stage's ``setup`` runs, when preflight asks :func:`metric_status`, or when
``amirtui models fetch`` runs.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE: dict[str, str] = {
    "ClassicalScores": "classical", "classical_scores": "classical", "load_score_image": "classical",
    "KNOWN_WEIGHTS": "metrics", "MetricStatus": "metrics", "MissingWeightFile": "metrics",
    "QualityError": "metrics", "load_metrics": "metrics", "metric_status": "metrics",
    "QRResult": "qr", "band": "qr", "compute_qr": "qr", "normalise": "qr", "offline_only": "qr",
    "Scorer": "stage", "ScoringStage": "stage", "score_fields": "stage",
    "FetchResult": "weights", "fetch_weights": "weights",
    "offline_summary_line": "provenance",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{where}", __name__), name)
