"""Shared helpers of the catalogue, models and cost commands."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from planner.inputs.datasets import Catalog, ModelProfile
from planner.inputs.loader import (
    builtin_catalog_path,
    builtin_models_dir,
    load_catalog,
    load_profiles,
)

console = Console()


def catalog_path(ref: str) -> Path:
    return builtin_catalog_path() if ref in ("", "builtin") else Path(ref)


def models_path(ref: str) -> Path:
    return builtin_models_dir() if ref in ("", "builtin") else Path(ref)


def get_catalog(ref: str) -> Catalog:
    return load_catalog(catalog_path(ref), "builtin catalogue" if ref == "builtin" else None)


def get_profiles(ref: str) -> dict[str, ModelProfile]:
    return load_profiles(models_path(ref))
