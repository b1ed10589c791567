"""`planner report DIR`: rebuild report.md and report.html from a plan folder.

Also home of `LiveLine`, the live progress line `planner plan` shows on stderr while
HiGHS runs (stage, elapsed time, incumbent, bound, gap) and over the re-solves of the
marginal values and baselines. It shows only on an interactive terminal.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from types import TracebackType
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live
from rich.text import Text

from planner.cli import app, err_console, fail
from planner.fmt import usd
from planner.report import write_report

console = Console(highlight=False)


class LiveLine:
    """One live status line on stderr (a no-op when `enabled` is false)."""

    def __init__(self, enabled: bool, console: Console | None = None) -> None:
        self.enabled = enabled
        self.console = console or err_console
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

    def on_stage(self, stage: str, _elapsed: float = 0.0) -> None:
        """`planner.api` stage hook: load/build/solve."""
        self.stage, self.detail = stage, ""
        self._update(force=True)

    def on_solver(self, d: dict[str, float]) -> None:
        """HiGHS MIP callback data: incumbent, bound, gap."""
        obj, bound, gap = (d.get("objective", math.nan), d.get("bound", math.nan),
                           d.get("gap", math.nan))
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


@app.command("report")
def report_command(
    folder: Annotated[Path, typer.Argument(help="A plan folder written by `planner plan`.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")
                     ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    """Rebuild report.md and report.html from a plan folder's files alone.

    Reads the plan tables, summary.json and, when present, limits.csv,
    marginal_values.csv and baselines.csv. Exit codes: 0 written, 2 not a plan folder,
    1 anything else.
    """
    try:
        written = write_report(folder)
    except Exception as exc:  # noqa: BLE001 - every failure gets a clean message
        fail(exc, debug)
    if not quiet:
        for p in written:
            console.print(f"wrote {p}")
