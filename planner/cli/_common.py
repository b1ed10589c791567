"""Shared helpers of the catalogue, models and cost commands."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console

from planner.errors import InputError
from planner.inputs.loader import (
    builtin_catalog_path,
    builtin_models_dir,
    load_catalog,
    load_profiles,
)
from planner.inputs.schemas import Catalog, ModelProfile

console = Console()
err_console = Console(stderr=True)


def fail(exc: InputError) -> typer.Exit:
    """Print every issue (file: field: message) and return the exit to raise."""
    for issue in exc.issues:
        err_console.print("[red]error[/red] ", end="", highlight=False, markup=True)
        err_console.print(str(issue), highlight=False, markup=False, soft_wrap=True)
    return typer.Exit(code=exc.exit_code)


def catalog_path(ref: str) -> Path:
    return builtin_catalog_path() if ref in ("", "builtin") else Path(ref)


def models_path(ref: str) -> Path:
    return builtin_models_dir() if ref in ("", "builtin") else Path(ref)


def get_catalog(ref: str) -> Catalog:
    return load_catalog(catalog_path(ref), "builtin catalogue" if ref == "builtin" else None)


def get_profiles(ref: str) -> dict[str, ModelProfile]:
    return load_profiles(models_path(ref))


def is_tty() -> bool:
    return sys.stdout.isatty()
