"""Drift between the website's catalog (MySQL) and the local mirror: rows changed outside amirtui, rows missing on
one side, ids that disagree. Each finding names its row and both ways to fix it: accept the website's version
(``amirtui catalog pull``) or restore amirtui's (``amirtui republish``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .catalog import COLUMNS, differences

#: The columns an operator edits on the website (named first in a finding).
TEXT_COLUMNS = ("Caption", "alt_text", "Keywords")


@dataclass(frozen=True)
class Drift:
    """One row on which the website catalog and the mirror disagree."""

    kind: str  # changed | website_only | mirror_only | id
    file_name: str
    detail: str
    fix: str


def compare(website: list[dict[str, Any]], mirror: list[dict[str, Any]]) -> list[Drift]:
    """Every disagreement between the website catalog rows and the mirror rows, keyed by ``File_Name``."""
    web = {r["File_Name"]: r for r in website}
    mir = {r["File_Name"]: r for r in mirror}
    out: list[Drift] = []
    for name in sorted(set(web) | set(mir)):
        w, m = web.get(name), mir.get(name)
        if m is None:
            out.append(Drift("website_only", name, "on the website catalog but not in the mirror (added outside amirtui)",
                             "`amirtui catalog pull` copies it into the mirror (its name then stays reserved)"))
        elif w is None:
            out.append(Drift("mirror_only", name, "in the mirror but gone from the website catalog (removed outside "
                                                  "amirtui)",
                             f"`amirtui republish {name}` restores it on the website; `amirtui unpublish {name}` "
                             "accepts its removal"))
        else:
            if w.get("id") != m.get("id"):
                out.append(Drift("id", name, f"website id {w.get('id')} ≠ mirror id {m.get('id')}",
                                 f"`amirtui catalog pull` takes the website's id; `amirtui republish {name}` re-links "
                                 "the mirror to it"))
            diff = differences(m, w)
            if diff:
                diff.sort(key=lambda c: (c not in TEXT_COLUMNS, COLUMNS.index(c)))
                shown = "; ".join(f"{c}: website {_short(w.get(c))} vs mirror {_short(m.get(c))}" for c in diff[:3])
                more = f" (+{len(diff) - 3} more)" if len(diff) > 3 else ""
                out.append(Drift("changed", name, f"changed outside amirtui — {shown}{more}",
                                 f"`amirtui catalog pull` accepts the website's version; `amirtui republish {name}` "
                                 "restores amirtui's"))
    return out


def _short(value: Any, limit: int = 40) -> str:
    text = "∅" if value is None or value == "" else str(value)
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def summary(drifts: list[Drift]) -> str:
    """One line for preflight: how many rows drifted, by kind."""
    if not drifts:
        return "website catalog and mirror agree"
    kinds: dict[str, int] = {}
    for d in drifts:
        kinds[d.kind] = kinds.get(d.kind, 0) + 1
    parts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(kinds.items()))
    return f"website catalog and mirror disagree on {len({d.file_name for d in drifts})} row(s): {parts}"
