"""The command group, its error console and its one error path (`fail`), and the exit
codes: what every command module imports (`planner.cli` registers the commands on `app`).

Exit codes: 0 plan written (optimal or time-limited), 2 invalid input, 3 infeasible,
1 anything else (solver found no plan in time, internal error), 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any, NoReturn

import typer
import typer.core
from rich.console import Console

from planner import __version__
from planner.errors import (
    InfeasibleError,
    InputError,
    PlannerError,
    SolverError,
    Terminated,
)
from planner.io.atomic import written_paths

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_INFEASIBLE = 0, 1, 2, 3
#: Ctrl-C and SIGTERM: the shell's convention, 128 + the signal
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143


class _Commands(typer.core.TyperGroup):
    """The command group: a Ctrl-C anywhere in a command ends it with one line and exit
    130 (`interrupted`), before Click would print "Aborted!" and exit 1."""

    def invoke(self, ctx: Any) -> Any:  # typer's own (vendored) click Context
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            interrupted(ctx.invoked_subcommand or "")
        except Terminated:
            interrupted(ctx.invoked_subcommand or "", by="SIGTERM", code=EXIT_TERMINATED)


def interrupted(command: str, by: str = "Ctrl-C", code: int = EXIT_INTERRUPTED) -> NoReturn:
    """Say what Ctrl-C (or SIGTERM) stopped and what it left, and exit 130 (143)."""
    written = written_paths()
    what = f"planner {command}".strip()
    if written:
        left = ("what it had written stays: "
                + ", ".join(sorted({str(p.parent) for p in written})))
    else:
        left = "nothing was written; any output folder is as it was"
    err_console.print(f"[bold red]interrupted:[/] {what} stopped by {by}; {left}")
    raise typer.Exit(code)


app = typer.Typer(
    cls=_Commands,
    name="planner",
    help="Capacity planning for AI inference fleets: the least-cost purchase plan per "
    "data hall and period, under power, space, cooling, supply and budget limits.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)

#: The one console for errors and warnings, on stderr (`fail` prints through it).
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(exc: BaseException, debug: bool = False) -> NoReturn:
    """Print an error the way a user should see it, and exit with its code: every
    command reports its failures through this one function."""
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    if isinstance(exc, InputError):
        err_console.print(f"[bold red]invalid input[/] ({len(exc.issues)} problem"
                          f"{'s' if len(exc.issues) != 1 else ''}):")
        for issue in exc.issues:
            err_console.print(f"  {issue}", markup=False)
        raise typer.Exit(EXIT_INPUT)
    if isinstance(exc, InfeasibleError):
        err_console.print("[bold red]infeasible:[/] ", end="")
        err_console.print(exc.explain(), markup=False)
        raise typer.Exit(EXIT_INFEASIBLE)
    if isinstance(exc, SolverError):
        err_console.print("[bold red]no plan:[/] ", end="")
        err_console.print(str(exc), markup=False)
        if exc.hint:
            err_console.print(f"  try: {exc.hint}", markup=False)
        raise typer.Exit(EXIT_ERROR)
    if isinstance(exc, PlannerError):
        err_console.print("[bold red]error:[/] ", end="")
        err_console.print(str(exc), markup=False)
        raise typer.Exit(exc.exit_code)
    err_console.print("[bold red]internal error:[/] ", end="")
    err_console.print(f"{type(exc).__name__}: {exc}", markup=False)
    err_console.print("  run again with --debug for a traceback", markup=False)
    raise typer.Exit(EXIT_ERROR)


def wide_tables_on_pipes() -> None:
    """Tables printed to a pipe or a file (not a terminal) would be cut to Rich's default
    80 columns; give them 160. A terminal keeps its own width; COLUMNS set by the user
    wins. Called when a command runs (`main`, and the root callback for callers of `app`
    such as tests), never at import."""
    if not sys.stdout.isatty():
        os.environ.setdefault("COLUMNS", "160")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"planner {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Show the version and exit.",
                                 callback=_version, is_eager=True),
) -> None:
    """Capacity planning for AI inference fleets (exit codes: 0 ok, 1 error, 2 invalid
    input, 3 infeasible, 130 interrupted)."""
    wide_tables_on_pipes()
