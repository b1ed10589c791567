"""Progress on stderr, for every command: one place for what runs while the user waits.

`LiveLine`: the live status line `planner plan` shows while HiGHS runs (stage, elapsed
time, incumbent, bound, gap) and over the re-solves of the marginal values and
baselines; it implements `planner.workflow.plan.PlanProgress`. `PlanCounter`: a line per
finished plan of `planner compare|sweep|new-hall`; it implements
`planner.whatif.variants.RunProgress`. Both show only when enabled (an interactive
terminal, not --quiet or --json).
"""

from __future__ import annotations

import math
import time
from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.text import Text

from planner.cli.base import err_console
from planner.fmt import usd, usd_short
from planner.whatif import words
from planner.whatif.jobs import JobResult


class LiveLine:
    """One live status line on stderr (a no-op when `enabled` is false). `debug`: a
    failed analysis is reported with its traceback (`on_error`)."""

    def __init__(self, enabled: bool, console: Console | None = None,
                 debug: bool = False) -> None:
        self.enabled = enabled
        self.console = console or err_console
        self.debug = debug
        self.t0 = time.perf_counter()
        self.stage = "load"
        self.detail = ""
        self._live: Live | None = None
        self._last = 0.0

    def start(self) -> None:
        if self.enabled and self._live is None:
            self._live = Live(console=self.console, transient=True, refresh_per_second=8,
                              get_renderable=self._render)
            self._live.start()

    def stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def __enter__(self) -> LiveLine:
        self.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _render(self) -> Text:
        el = time.perf_counter() - self.t0
        t = Text()
        t.append(f"{self.stage}", style="bold cyan")
        t.append(f"  {el:6.1f} s", style="dim")
        if self.detail:
            t.append(f"  {self.detail}")
        return t

    def _update(self, force: bool = False) -> None:
        if self._live is None:
            return
        now = time.perf_counter()
        if force or now - self._last > 0.1:
            self._last = now
            self._live.refresh()

    def on_stage(self, stage: str, elapsed_s: float = 0.0) -> None:
        """A stage of the plan starts: load/build/solve/.../write."""
        self.stage, self.detail = stage, ""
        self._update(force=True)

    def on_solver(self, info: dict[str, float]) -> None:
        """HiGHS MIP callback data: incumbent, bound, gap."""
        obj, bound, gap = (info.get("objective", math.nan), info.get("bound", math.nan),
                           info.get("gap", math.nan))
        inc = usd(obj) if math.isfinite(obj) and abs(obj) < 1e300 else "none yet"
        parts = [f"incumbent {inc}", f"bound {usd(bound)}"]
        if math.isfinite(gap) and abs(gap) < 1e300:
            parts.append(f"gap {gap:.3%}")
        self.stage = "solve"
        self.detail = "  ".join(parts)
        self._update()

    def on_step(self, stage: str, done: int, total: int, label: str) -> None:
        """Progress over re-solves (marginal values, baselines)."""
        self.stage = f"{stage} {min(done + 1, total)}/{total}" if done < total else stage
        self.detail = label if done < total else "done"
        self._update(force=True)

    def on_warning(self, message: str) -> None:
        """A warning about the inputs or the plan: printed above the line."""
        self.stop()
        err_console.print(f"[yellow]warning[/] {escape(message)}", soft_wrap=True)
        self.start()

    def on_error(self, name: str, exc: BaseException) -> None:
        """An analysis failed and its file is left out: say so above the line."""
        self.stop()
        err_console.print(f"[yellow]warning[/] {escape(name)} was not written: internal "
                          f"error ({escape(type(exc).__name__)}: {escape(str(exc))}); the "
                          "plan and the other analyses are written", soft_wrap=True)
        if self.debug:
            err_console.print_exception()
        self.start()


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
        cost = (f"spend {usd_short(result.summary.spend_usd)}, serves "
                f"{words.share_text(result.summary.demand_served_share)}"
                if result.summary else "")
        err_console.print(f"[{self.finished}/{self.total}] {result.name}: "
                          f"{words.short_status(result.status)} {cost} "
                          f"({time.perf_counter() - self.t0:.1f} s)", markup=False,
                          style="dim")
