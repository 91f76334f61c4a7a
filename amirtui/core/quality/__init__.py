"""Quality scoring (issue 4): classical measures, pyiqa metrics loaded offline from a weights dir, QR and QC bands.

Importing this package never imports torch or pyiqa (``import pyiqa`` costs ~5 s); they load when the scoring stage's
``setup`` runs, when preflight asks :func:`metric_status`, or when ``amirtui models fetch`` runs.
"""

from __future__ import annotations

from .classical import ClassicalScores, classical_scores, load_score_image
from .metrics import KNOWN_WEIGHTS, MetricStatus, MissingWeightFile, QualityError, load_metrics, metric_status
from .qr import QRResult, band, compute_qr, normalise
from .stage import ScoringStage, Scorer, score_fields
from .weights import FetchResult, fetch_weights

__all__ = [
    "ClassicalScores", "classical_scores", "load_score_image",
    "KNOWN_WEIGHTS", "MetricStatus", "MissingWeightFile", "QualityError", "load_metrics", "metric_status",
    "QRResult", "band", "compute_qr", "normalise",
    "ScoringStage", "Scorer", "score_fields",
    "FetchResult", "fetch_weights",
]
