"""Progress on stderr, for every command: one place for what runs while the user waits.

`LiveLine`: the live status line `planner plan` shows while HiGHS runs (stage, elapsed
time, incumbent, bound, gap) and over the re-solves of the marginal values and
baselines; it implements `planner.workflow.plan.PlanProgress`. `PlanCounter`: a line per
finished plan of `planner compare|sweep|new-hall|sensitivity`; it implements
`planner.whatif.variants.RunProgress`. Neither shows with --quiet or --json.

When stderr is not a terminal (a CI log, a scheduler's log file), nothing is redrawn:
both write plain log lines instead, one per stage and one per finished plan, each
starting with the command (``planner plan: solve (0.4 s)``), and an analysis cut short
by the time limit or by its time budget says so in a line of its own.
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
from planner.core.summary import PlanSummary
from planner.fmt import usd, usd_short
from planner.whatif import words
from planner.whatif.jobs import JobResult


def log_line(command: str, text: str) -> None:
    """One plain line on stderr for a log: ``planner COMMAND: text``."""
    err_console.print(f"planner {command}: {text}", markup=False, highlight=False,
                      soft_wrap=True)


def cut_short_lines(summary: PlanSummary | None) -> list[str]:
    """An analysis not computed in full, one line each (summary.json's
    ``analyses_skipped``): ``marginal_values: cut short by the time limit ...``."""
    skipped = summary.analyses_skipped if summary is not None else None
    return [f"{name}: {why}" for name, why in sorted((skipped or {}).items())]


class LiveLine:
    """One live status line on stderr (a no-op when `enabled` is false); with `log`
    (stderr is no terminal) a plain line per stage instead. `debug`: a failed analysis
    is reported with its traceback (`on_error`)."""

    def __init__(self, enabled: bool, console: Console | None = None,
                 debug: bool = False, log: bool = False) -> None:
        self.log = enabled and log
        self.enabled = enabled and not log
        self.console = console or err_console
        self.debug = debug
        self.t0 = time.perf_counter()
        self.stage = "load"
        self.detail = ""
        self._live: Live | None = None
        self._last = 0.0
        self._logged = False

    def start(self) -> None:
        if self.log and not self._logged:
            self._logged = True
            log_line("plan", f"{self.stage} (0.0 s)")
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

    def _log(self, stage: str) -> None:
        if self.log and stage != self.stage:
            log_line("plan", f"{stage} ({time.perf_counter() - self.t0:.1f} s)")

    def on_stage(self, stage: str, elapsed_s: float = 0.0) -> None:
        """A stage of the plan starts: load/build/solve/.../write."""
        self._log(stage)
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
        if done == 0:
            self._log(f"{stage}, {total} re-solves")
        self.stage = f"{stage} {min(done + 1, total)}/{total}" if done < total else stage
        self.detail = label if done < total else "done"
        self._update(force=True)

    def finish(self, summary: PlanSummary) -> None:
        """The plan is written: in a log, a line per analysis cut short and the end."""
        if not self.log:
            return
        for line in cut_short_lines(summary):
            log_line("plan", line)
        log_line("plan", f"done ({time.perf_counter() - self.t0:.1f} s)")

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
    spend $1.23M, serves all demand (4.1 s)`` (nothing when `enabled` is false). With
    `log` (stderr is no terminal), plain lines that start with the command, one more per
    stage (each round of plans, the files written) and one per analysis of a plan
    (``--reports``) cut short."""

    def __init__(self, enabled: bool, log: bool = False, command: str = "") -> None:
        self.enabled = enabled
        self.log = enabled and log
        self.command = command
        self.total = 0
        self.finished = 0
        self.rounds = 0
        self.t0 = self.started = time.perf_counter()

    def start(self, total: int) -> None:
        """A round of plans starts: `total` plans."""
        self.total, self.finished = total, 0
        self.rounds += 1
        self.t0 = time.perf_counter()
        if self.log:
            log_line(self.command, f"planning {total} plan{'s' * (total != 1)}"
                     + (f" (round {self.rounds})" if self.rounds > 1 else ""))

    def done(self, result: JobResult) -> None:
        """One plan finished."""
        self.finished += 1
        if not self.enabled:
            return
        cost = (f"spend {usd_short(result.summary.spend_usd)}, serves "
                f"{words.share_text(result.summary.demand_served_share)}"
                if result.summary else "")
        line = (f"[{self.finished}/{self.total}] {result.name}: "
                f"{words.short_status(result.status)} {cost} "
                f"({time.perf_counter() - self.t0:.1f} s)")
        if not self.log:
            err_console.print(line, markup=False, style="dim")
            return
        log_line(self.command, line)
        for cut in cut_short_lines(result.summary):
            log_line(self.command, f"{result.name}: {cut}")

    def finish(self, out: object | None) -> None:
        """The run is done (and its files written to `out`): in a log, one last line."""
        if self.log:
            where = f"; written to {out}" if out is not None else ""
            log_line(self.command, f"done ({time.perf_counter() - self.started:.1f} s)"
                     f"{where}")
