"""`planner catalog list|show|validate`: inspect and check hardware catalogues."""
# ruff: noqa: B008  (typer declares options as argument defaults)

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from planner.cli._common import console, get_catalog
from planner.cli.base import app as root
from planner.cli.base import fail
from planner.errors import InputError, Issue
from planner.fmt import fixed
from planner.inputs.datasets import Catalog
from planner.inputs.loader import load_catalog

app = typer.Typer(help="Inspect and validate hardware catalogues.", no_args_is_help=True)

CatalogOpt = typer.Option("builtin", "--catalog", "-c", help="Catalogue YAML path, or 'builtin'.")

NUMERIC_FIELDS = (
    "gpus_per_unit",
    "unit_power_kw",
    "capex_usd",
    "opex_usd_per_year",
    "lifetime_years",
    "lead_time_periods",
    "lead_time_months",
    "max_units_per_period",
    "racks_per_unit",
    "hbm_gb",
    "mem_bw_tbps",
    "tdp_w",
    "rental_usd_per_gpu_hour",
)


@app.command("list")
def list_(catalog: str = CatalogOpt) -> None:
    """One line per system: GPUs, power, price, cooling, space, lead time."""
    try:
        cat = get_catalog(catalog)
    except InputError as exc:
        fail(exc)
    t = Table(title=f"Catalogue: {cat.name or catalog} ({len(cat.systems)} systems)")
    width = max(len(s.id) for s in cat.systems)
    t.add_column("id", no_wrap=True, min_width=width)
    for col, just in [
        ("name", "left"),
        ("GPUs", "right"),
        ("kW/unit", "right"),
        ("capex/unit $", "right"),
        ("opex/yr $", "right"),
        ("life y", "right"),
        ("lead", "right"),
        ("cooling", "left"),
        ("racks", "right"),
        ("rental $/GPU-h", "right"),
    ]:
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for s in cat.systems:
        t.add_row(
            s.id,
            s.name or "",
            str(s.gpus_per_unit),
            fixed(s.unit_power_kw, 1),
            fixed(s.capex_usd),
            fixed(s.opex_usd_per_year),
            f"{s.lifetime_years:g}",
            f"{s.lead_time_months:g} mo" if s.lead_time_months is not None
            else f"{s.lead_time_periods} per.",
            s.cooling,
            f"{s.racks_per_unit:g}",
            fixed(s.rental_usd_per_gpu_hour, 2),
        )
    console.print(t)


@app.command("show")
def show(system_id: str = typer.Argument(..., metavar="ID"), catalog: str = CatalogOpt) -> None:
    """Every field of one system, with where each figure comes from."""
    try:
        cat = get_catalog(catalog)
    except InputError as exc:
        fail(exc)
    match = [s for s in cat.systems if s.id == system_id]
    if not match:
        ids = ", ".join(s.id for s in cat.systems)
        fail(InputError([Issue(catalog, "systems", f"no system {system_id!r}; ids: {ids}")]))
    s = match[0]
    t = Table(title=f"{s.id}: {s.name or ''}", show_lines=False)
    t.add_column("field")
    t.add_column("value", justify="right")
    t.add_column("tag")
    t.add_column("source / method", overflow="fold")
    # a lead time given in months has no lead_time_periods to show (its default 0 is unused)
    data = s.model_dump(exclude={"provenance"} | (
        {"lead_time_periods"} if s.lead_time_months is not None else set()))
    for key, val in data.items():
        if val is None:
            continue
        p = s.provenance.get(key)
        tag = p.tag if p else ""
        src = (p.source + (f" - {p.note}" if p.note else "")) if p else ""
        style = {"published": "green", "derived": "cyan", "estimate": "yellow"}.get(tag, "")
        t.add_row(
            key,
            f"{val:,}" if isinstance(val, int | float) and not isinstance(val, bool) else str(val),
            f"[{style}]{tag}[/{style}]" if style else tag,
            src,
        )
    console.print(t)


def provenance_warnings(cat: Catalog, file: str) -> list[str]:
    """Numeric figures without a provenance entry (a recommendation, not an error)."""
    out = []
    for i, s in enumerate(cat.systems):
        for f in NUMERIC_FIELDS:
            if (
                getattr(s, f) is not None
                and f in type(s).model_fields
                and f not in s.provenance
                and f in s.model_fields_set
            ):
                out.append(f"{file}: systems[{i}] ({s.id}).{f}: no provenance entry")
        for key in s.provenance:
            if key not in type(s).model_fields:
                out.append(
                    f"{file}: systems[{i}] ({s.id}).provenance.{key}: not a field of a system"
                )
    return out


@app.command("validate")
def validate(
    path: Path = typer.Argument(..., help="Catalogue YAML to check."),
    strict: bool = typer.Option(False, help="Treat missing provenance as an error."),
) -> None:
    """Check a catalogue file: every problem is reported with file and field."""
    try:
        cat = load_catalog(path)
    except InputError as exc:
        fail(exc)
    warns = provenance_warnings(cat, str(path))
    for w in warns:
        console.print(f"[yellow]warning[/yellow] {w}", highlight=False)
    if strict and warns:
        raise typer.Exit(2)
    console.print(f"OK: {path}: {len(cat.systems)} systems")


root.add_typer(app, name="catalog")
