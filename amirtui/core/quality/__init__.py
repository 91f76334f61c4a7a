"""Quality scoring (issue 4): classical measures, pyiqa metrics loaded offline from a weights dir, QR and QC bands.

Importing this package never imports torch or pyiqa (``import pyiqa`` costs ~5 s); they load when the scoring stage's
``setup`` runs, when preflight asks :func:`metric_status`, or when ``amirtui models fetch`` runs.
"""

from __future__ import annotations

from .classical import ClassicalScores, classical_scores, load_score_image
from .metrics import (
    KNOWN_WEIGHTS,
    MetricStatus,
    MissingWeightFile,
    QualityError,
    load_metrics,
    metric_status,
)
from .qr import QRResult, band, compute_qr, normalise
from .stage import Scorer, ScoringStage, score_fields
from .weights import FetchResult, fetch_weights

__all__ = [
    "KNOWN_WEIGHTS",
    "ClassicalScores",
    "FetchResult",
    "MetricStatus",
    "MissingWeightFile",
    "QRResult",
    "QualityError",
    "Scorer",
    "ScoringStage",
    "band",
    "classical_scores",
    "compute_qr",
    "fetch_weights",
    "load_metrics",
    "load_score_image",
    "metric_status",
    "normalise",
    "score_fields",
]
