"""`planner doctor`: is this install healthy? Versions, shipped data, one tiny MILP.

A user who gets a strange failure runs this to tell a broken install (missing or
mismatched packages, a HiGHS that does not solve) from a broken scenario. Exit 0 when
every check passes, 1 otherwise. The checks are `planner.workflow.doctor`.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from planner.cli.base import app
from planner.workflow.doctor import check_install

console = Console(highlight=False)


@app.command("doctor")
def doctor_command(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of failed checks.")
                     ] = False,
) -> None:
    """Check the install: versions of Python, Pyomo, HiGHS, pandas, pydantic; the shipped
    catalogue and profiles; and one tiny MILP solved through the whole pipeline.

    Exit codes: 0 healthy, 1 something is broken.
    """
    health = check_install()
    vt = Table(title="Versions")
    vt.add_column("component")
    vt.add_column("version")
    for name, ver in health.versions.items():
        vt.add_row(name, ver if ver is not None else "[red]not installed[/]")
    console.print(vt)
    if debug:
        for check in health.checks:
            if check.traceback:
                sys.stderr.write(check.traceback)
    for check in health.checks:
        console.print("[green]ok  [/] " if check.ok else "[bold red]FAIL[/] ", end="")
        console.print(f"{check.name}: {check.detail}", markup=False, soft_wrap=True)
    if health.ok:
        console.print("[green]the install works[/]: a failure elsewhere comes from the "
                      "scenario, not the install")
        raise typer.Exit(0)
    console.print("[bold red]the install is broken[/]: fix the failed checks above "
                  "(reinstall the planner and its dependencies)")
    raise typer.Exit(1)
