"""The prefill QC report: ``data/prefill_qc_last.json``, one per captioning run, shown in the run summary.

Summary counts (rows, outcome per state, duplicates by kind, retries, verifier results) and every flagged row with
its reasons. The stage builds it from the same ``metadata_quality`` records it writes (:meth:`QcReport.from_records`).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .prompts import PROMPT_VERSION

REPORT_NAME = "prefill_qc_last.json"
#: Gate codes counted as "duplicates" in the summary, by kind.
DUPLICATE_CODES = ("duplicate_in_set", "duplicate_published", "near_duplicate", "caption_equals_alt")


def report_path(data_dir: Path) -> Path:
    """Where the last report lives."""
    return Path(data_dir) / REPORT_NAME


@dataclass
class QcReport:
    """Collects one run's captioning outcomes (thread-safe) and writes them as JSON."""

    run_id: int | None = None
    models: Sequence[str] = ()
    started_at: float = field(default_factory=time.time)
    rows: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, photo_id: int, file_name: str | None, state: str, reasons: Sequence[Sequence[str]] = (), *,
            model: str | None = None, used_fallback: bool = False, failures: Sequence[Sequence[str]] = (),
            verifier: dict[str, Any] | None = None) -> None:
        """Record one row's outcome (state after the stage, gate reasons, model used, request failures, verifier)."""
        with self._lock:
            self.rows.append({
                "id": photo_id, "file_name": file_name, "state": state, "model": model,
                "used_fallback": used_fallback,
                "reasons": [{"code": r[0], "detail": r[1]} for r in reasons],
                "failures": [{"model": f[0], "reason": f[1]} for f in failures],
                "verifier": verifier,
            })

    def add_records(self, records: Sequence[Any]) -> None:
        """Add the rows of one stage session from its ``metadata_quality`` records (several attempts per row: the
        chosen or last one gives the outcome, the failed requests are listed)."""
        by_photo: dict[int, list[Any]] = {}
        for rec in records:
            by_photo.setdefault(rec.photo_id, []).append(rec)
        for photo_id, recs in by_photo.items():
            final = next((r for r in reversed(recs) if r.outcome_state), recs[-1])
            chosen = next((r for r in recs if r.chosen), None)
            failures = [(r.model, r.error) for r in recs if r.error and r.role != "none"]
            self.add(photo_id, final.photo.file_name, final.outcome_state or "scored", final.reasons or [],
                     model=chosen.model if chosen else None, used_fallback=bool(chosen and chosen.role == "fallback"),
                     failures=failures, verifier=chosen.verification if chosen else None)

    def as_dict(self) -> dict[str, Any]:
        """The report: summary + flagged rows."""
        with self._lock:
            rows = list(self.rows)
        states = Counter(r["state"] for r in rows)
        codes = Counter(reason["code"] for r in rows for reason in r["reasons"])
        flagged = [r for r in rows if r["state"] != "prefilled" or r["reasons"]]  # not_verified notes too
        verified = [r["verifier"] for r in rows if r.get("verifier")]
        timed = [v["seconds"] for v in verified if v.get("error") is None and v.get("verdicts")]
        return {
            "run_id": self.run_id,
            "prompt_version": PROMPT_VERSION,
            "models": list(self.models),
            "started_at": self.started_at,
            "finished_at": time.time(),
            "summary": {
                "rows": len(rows),
                "prefilled": states.get("prefilled", 0),
                "needs_work": states.get("needs_work", 0),
                "quarantined": states.get("quarantined", 0),
                "left_for_next_run": states.get("scored", 0),
                "retried_with_fallback": sum(1 for r in rows if r["failures"] or r["used_fallback"]),
                "fallback_used": sum(1 for r in rows if r["used_fallback"]),
                "flagged": len(flagged),
                "duplicates": {code: codes.get(code, 0) for code in DUPLICATE_CODES},
                "reasons": dict(sorted(codes.items())),
                "verifier": {
                    "checked": len(timed),
                    "unsupported": sum(1 for v in verified if v.get("status") == "unsupported"),
                    "not_verified": sum(1 for v in verified if v.get("status") == "not_verified"),
                    "mean_seconds": round(sum(timed) / len(timed), 3) if timed else None,
                },
            },
            "flagged": flagged,
        }

    def write(self, data_dir: Path) -> dict[str, Any]:
        """Write the report atomically (temp file + rename) and return it."""
        report = self.as_dict()
        path = report_path(data_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
        return report


def load_last(data_dir: Path) -> dict[str, Any] | None:
    """The last written report, or None when there is none (or it is unreadable)."""
    try:
        return json.loads(report_path(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def summary_line(report: dict[str, Any]) -> str:
    """One line for the run summary: counts and duplicates by kind."""
    s = report["summary"]
    dups = ", ".join(f"{k} {v}" for k, v in s["duplicates"].items() if v) or "none"
    line = (f"Prefill QC: {s['rows']} rows — {s['prefilled']} prefilled, {s['needs_work']} needs work, "
            f"{s['quarantined']} quarantined, {s['fallback_used']} via fallback; duplicates: {dups}")
    v = s.get("verifier") or {}
    if v.get("checked") or v.get("not_verified"):
        line += (f"; verifier: {v['checked']} checked, {v['unsupported']} with unsupported claims, "
                 f"{v['not_verified']} not verified")
    return line
