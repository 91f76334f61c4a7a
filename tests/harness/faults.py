"""Fault bookkeeping shared by the FTP and SFTP test servers: one-shot "drop after N bytes" requests."""

from __future__ import annotations

import fnmatch


def take_matching_drop(drops: list[tuple[int, str | None]], filename: str) -> int | None:
    """Remove and return N of the first queued drop whose ``match`` (glob or substring; None = any) fits
    ``filename``, or None. The caller holds its server's lock."""
    for i, (n, match) in enumerate(drops):
        if match is None or fnmatch.fnmatch(filename, match) or match in filename:
            del drops[i]
            return n
    return None
