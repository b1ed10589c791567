"""Command-line interface (typer). Thin: every command parses its options, calls one
library function (`planner.workflow`, `planner.report`, ...) and prints what it returns.

`planner.cli.base` holds the command group (`app`), the error path and the exit codes;
each command lives in its own module, which registers it on `app` when imported below.
"""

from planner.cli.base import app, wide_tables_on_pipes

# Importing a command module registers its commands on `app`, in this order (the order
# `planner --help` lists them). (F401/I001 are off for this file in pyproject.toml.)
from planner.cli import plan_cmd
from planner.cli import whatif_cmd
from planner.cli import report_cmd
from planner.cli import catalog_cmd
from planner.cli import cost_cmd
from planner.cli import models_cmd
from planner.cli import doctor_cmd

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    wide_tables_on_pipes()  # before the root callback: `planner --help` prints earlier
    app()
