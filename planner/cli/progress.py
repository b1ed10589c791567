"""Progress on stderr while many plans run.

`PlanCounter`: a line per finished plan of `planner compare|sweep|new-hall`; it
implements `planner.whatif.variants.RunProgress`. It shows only when enabled (an
interactive terminal, not --quiet or --json).
"""

from __future__ import annotations

import time

from planner.cli import err_console
from planner.whatif import words
from planner.whatif.runner import JobResult


class PlanCounter:
    """A dim line on stderr per finished plan of a what-if run, e.g. ``[3/12] 2: optimal
    spend $1.23M, serves all demand (4.1 s)`` (nothing when `enabled` is false)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.total = 0
        self.finished = 0
        self.t0 = time.perf_counter()

    def start(self, total: int) -> None:
        """The run starts: `total` plans."""
        self.total, self.finished = total, 0
        self.t0 = time.perf_counter()

    def done(self, result: JobResult) -> None:
        """One plan finished."""
        self.finished += 1
        if not self.enabled:
            return
        cost = (f"spend {words.usd(result.summary['spend_usd'])}, serves "
                f"{words.share_text(result.summary.get('demand_served_share'))}"
                if result.summary else "")
        err_console.print(f"[{self.finished}/{self.total}] {result.name}: "
                          f"{words.short_status(result.status)} {cost} "
                          f"({time.perf_counter() - self.t0:.1f} s)", markup=False,
                          style="dim")
