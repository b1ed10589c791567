"""`planner report DIR`: rebuild report.md and report.html from a plan folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from planner.cli.base import app, fail
from planner.report import write_report

console = Console(highlight=False)


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
