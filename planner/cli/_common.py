"""Shared helpers of the catalogue, models and cost commands."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from planner.inputs.loader import load_catalog_ref as get_catalog
from planner.inputs.loader import load_profiles_ref as get_profiles
from planner.inputs.loader import models_ref_path

console = Console()

__all__ = ["console", "get_catalog", "get_profiles", "models_path"]


def models_path(ref: str) -> Path:
    """The folder a `--models` option names (``builtin`` or a path)."""
    return models_ref_path(ref)[0]
