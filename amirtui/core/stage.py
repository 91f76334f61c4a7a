"""The contract every pipeline stage implements. The runner (:mod:`amirtui.core.pipeline`) drives stages as
concurrent workers over the DB: it picks rows in ``input_state`` and hands their ids to ``process`` from a pool of
``concurrency`` threads.

Rules for a stage:
- ``process`` does the work for one photo and moves it on with :func:`amirtui.core.db.repo.transition` (one short
  transaction, never held across slow work). If the row must stay where it is (a retryable failure), leave it and
  record why with :func:`~amirtui.core.db.repo.record_failure`; the runner will not hand the same row to the stage
  again in this run, so a stage can never loop on one row.
- ``process`` may raise: the runner counts the failure on the row, writes the traceback to ``data/crash_runtime.log``
  and goes on with the next row.
- ``setup`` loads expensive things once per run (metrics, clients); ``teardown`` releases them.
- Check ``ctx.cancel`` between long steps; emit progress/log through ``ctx.bus``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .events import EventBus
from .states import State

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Settings


@dataclass
class StageContext:
    """What a stage gets from the runner: settings, the event bus, the current run and a cancel flag."""

    settings: "Settings"
    bus: EventBus
    run_id: int | None = None
    cancel: threading.Event = field(default_factory=threading.Event)


class Stage:
    """Base class of a pipeline stage (see the module docstring for the rules)."""

    #: Short name shown on the stage board and in logs.
    name: str = "stage"
    #: Rows in this state are this stage's input.
    input_state: State = State.IMPORTED
    #: How many rows this stage processes at once (threads).
    concurrency: int = 1
    #: Rows handed to :meth:`process_batch` at once (>1 for batched GPU work); 1 means :meth:`process` per row.
    batch_size: int = 1
    #: After this many failures of this stage on one row (across runs) the runner parks the row in ``failed`` with
    #: its last error instead of handing it to the stage run after run; None = the stage decides itself.
    max_failures: int | None = None
    #: Modules the stage needs to start (checked by preflight without importing them: a red line with the fix).
    requires: tuple[str, ...] = ()

    def setup(self, ctx: StageContext) -> None:
        """Load what the stage needs once per run."""

    def process(self, photo_id: int, ctx: StageContext) -> None:  # pragma: no cover - abstract
        """Do this stage's work for one photo and transition it."""
        raise NotImplementedError

    def process_batch(self, photo_ids: list[int], ctx: StageContext) -> None:
        """Process several rows at once (only called when ``batch_size`` > 1). Default: one by one."""
        for photo_id in photo_ids:
            if ctx.cancel.is_set():
                return
            self.process(photo_id, ctx)

    def teardown(self, ctx: StageContext) -> None:
        """Release what :meth:`setup` loaded."""

    def cannot_start(self, settings) -> str | None:
        """Why this stage could not start with ``settings`` (a missing module), or None. Cheap: nothing is imported."""
        import importlib.util

        for module in self.requires:
            try:
                found = importlib.util.find_spec(module) is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                return f"the Python module '{module}' is not installed"
        return None

    def order_ok(self, photo_id: int, ctx: StageContext) -> bool:
        """Whether this row may be processed now (the naming stage waits for earlier rows of the set)."""
        return True
