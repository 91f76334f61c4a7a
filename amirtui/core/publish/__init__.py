"""Publishing approved rows: targets (local, FTP/FTPS, SFTP), catalogs (MySQL, SQLite mirror), the per-row publisher
and post-run validation. Import the submodules directly; this package re-exports the main entry points."""

from .catalog import COLUMNS, build_row
from .mirror import Mirror
from .publisher import STEPS, Publisher, PublishSummary, make_target
from .targets import LocalTarget, PublishError, RemoteConflict, Target, UnsafePath, build_paths, sanitize_token

__all__ = [
    "COLUMNS", "build_row", "Mirror", "STEPS", "Publisher", "PublishSummary", "make_target", "LocalTarget",
    "PublishError", "RemoteConflict", "Target", "UnsafePath", "build_paths", "sanitize_token",
]
