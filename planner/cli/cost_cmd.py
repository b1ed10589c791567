"""`planner cost`: unit economics of each system at a model's SLO, or of given figures."""
# ruff: noqa: B008  (typer declares options as argument defaults)

from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd
import typer
from rich.table import Table

from planner.analysis.economics import cost_table, single_row
from planner.cli._common import console, get_catalog, get_profiles
from planner.cli.base import app as root
from planner.cli.base import err_console, fail
from planner.core.problem import interpolation_of
from planner.errors import InputError, Issue
from planner.fmt import num_seed, usd_cents, usd_fixed
from planner.io.output import frame_to_csv  # spreadsheet-safe cells (docs/reliability.md)


def _table(df: pd.DataFrame, title: str, basis: str) -> Table:
    t = Table(title=title)
    cols = [
        ("system", "system", str),
        ("tok/s/GPU", "tokens_per_s_per_gpu", num_seed),
        ("$/GPU-h", "usd_per_gpu_hour", lambda v: usd_fixed(v, 2, grouping=False)),
        ("basis", "cost_basis", str),
        (f"$/Mtok ({basis})", "cost_per_mtok_usd", usd_cents),
        ("kW/GPU all-in", "kw_per_gpu_all_in", lambda v: "-" if math.isnan(v) else f"{v:.2f}"),
        ("GPUs/MW IT", "gpus_per_mw_it", lambda v: "-" if math.isnan(v) else f"{v:.0f}"),
        ("tok/s per MW", "tokens_per_s_per_mw_all_in", num_seed),
        ("tok/s per MW IT", "tokens_per_s_per_mw_it", num_seed),
    ]
    for head, _, _ in cols:
        t.add_column(
            head,
            justify="left" if head in ("system", "basis") else "right",
            no_wrap=head == "system",
        )
    for _, r in df.iterrows():
        cells = [fn(r[key]) for _, key, fn in cols]  # type: ignore[operator]
        if r["tokens_per_s_per_gpu"] <= 0:
            cells[4] = "cannot meet SLO"
        t.add_row(*cells)
    return t


def cost(
    model: str | None = typer.Option(None, "--model", help="Served-model profile id."),
    slo: float = typer.Option(0.0, "--slo", help="Interactivity SLO, tokens/s per user."),
    catalog: str = typer.Option("builtin", "--catalog", "-c", help="Catalogue YAML, or 'builtin'."),
    models: str = typer.Option("builtin", "--models", "-m", help="Profiles folder, or 'builtin'."),
    pue: float = typer.Option(
        1.0, "--pue", min=1.0, help="Facility PUE (all-in power = IT x PUE)."
    ),
    usd_per_mwh: float = typer.Option(0.0, "--usd-per-mwh", min=0.0, help="Electricity price."),
    average_power_fraction: float = typer.Option(1.0, "--average-power-fraction", min=0.0, max=1.0),
    rental: bool = typer.Option(False, "--rental", help="Use each system's rental price."),
    system: list[str] | None = typer.Option(None, "--system", "-s", help="Only these systems."),
    usd_per_gpu_hour: float | None = typer.Option(
        None, "--usd-per-gpu-hour", min=0.0, help="Given price per GPU-hour."
    ),
    tokens_per_s: float | None = typer.Option(
        None, "--tokens-per-s", min=0.0, help="Given tokens/s per GPU (no catalogue)."
    ),
    kw_per_gpu: float | None = typer.Option(
        None, "--kw-per-gpu", min=0.0, help="Given all-in kW per GPU (with --tokens-per-s)."
    ),
    csv: Path | None = typer.Option(None, "--csv", help="Also write the table as CSV here."),
    fmt: str = typer.Option("table", "--format", help="table | csv (CSV to stdout)."),
    interpolation: str | None = typer.Option(
        None, "--interpolation",
        help="linear | log: how curves are read between two points (default: each "
             "profile's own `interpolation`, linear unless it says log)."),
) -> None:
    """Cost per million tokens and tokens/s per MW, per system, sorted cheapest first.

    Given figures: `planner cost --usd-per-gpu-hour 1.41 --tokens-per-s 93.3 --kw-per-gpu 1.73`.
    From the catalogue: `planner cost --model deepseek-r1-fp8 --slo 50 --pue 1.3 --usd-per-mwh 80`.
    """
    if fmt not in ("table", "csv"):
        fail(InputError([Issue("--format", "", "must be table or csv")]))
    if interpolation is not None and interpolation not in ("linear", "log"):
        fail(InputError([Issue("--interpolation", "", "must be linear or log, got "
                               f"{interpolation!r}")]))
    if tokens_per_s is not None:
        df, title, basis = _given(usd_per_gpu_hour, tokens_per_s, kw_per_gpu)
    else:
        df, title, basis = _from_catalogue(
            model, slo, catalog, models, pue=pue, usd_per_mwh=usd_per_mwh,
            average_power_fraction=average_power_fraction, rental=rental, system=system,
            usd_per_gpu_hour=usd_per_gpu_hour, interpolation=interpolation)
    if csv is not None:
        csv.write_text(frame_to_csv(df), encoding="utf-8")
    if fmt == "csv":
        sys.stdout.write(frame_to_csv(df))
        return
    if tokens_per_s is not None:
        _print_given(df, title)
    else:
        console.print(_table(df, title, basis.split()[0]))
    if csv is not None:
        console.print(f"wrote {csv}")


def _given(usd_per_gpu_hour: float | None, tokens_per_s: float,
           kw_per_gpu: float | None) -> tuple[pd.DataFrame, str, str]:
    """The one-row table of given figures, its title and its token basis."""
    if usd_per_gpu_hour is None or kw_per_gpu is None or kw_per_gpu <= 0:
        fail(InputError([Issue("--tokens-per-s", "", "needs --usd-per-gpu-hour and a "
                               "positive --kw-per-gpu")]))
    df = single_row(usd_per_gpu_hour, tokens_per_s, kw_per_gpu)
    return df, "Unit economics of the given figures", "tokens"


def _from_catalogue(model: str | None, slo: float, catalog: str, models: str, *, pue: float,
                    usd_per_mwh: float, average_power_fraction: float, rental: bool,
                    system: list[str] | None, usd_per_gpu_hour: float | None,
                    interpolation: str | None = None) -> tuple[pd.DataFrame, str, str]:
    """A row per catalogue system serving `model` at the SLO, its title and its basis."""
    if model is None:
        fail(InputError([Issue("--model", "", "give --model ID (with --slo), or "
                               "--usd-per-gpu-hour, --tokens-per-s and --kw-per-gpu")]))
    try:
        cat = get_catalog(catalog)
        profs = get_profiles(models)
    except InputError as exc:
        fail(exc)
    if model not in profs:
        fail(InputError([Issue(models, "", f"no profile {model!r}; ids: "
                               f"{', '.join(sorted(profs))}")]))
    prof = profs[model]
    if system:
        unknown = sorted(set(system) - {s.id for s in cat.systems})
        if unknown:
            fail(InputError([Issue("--system", "", "not in the catalogue: "
                                   f"{', '.join(unknown)}")]))
    df = cost_table(cat, prof, slo, pue=pue, usd_per_mwh=usd_per_mwh,
                    average_power_fraction=average_power_fraction, rental=rental,
                    usd_per_gpu_hour=usd_per_gpu_hour, systems=system,
                    interpolation=interpolation)
    if df.empty:
        err_console.print(
            f"[yellow]no system in the catalogue can serve {model!r}"
            + (" with a rental price" if rental else "")
            + "[/yellow]"
        )
    how = interpolation_of(prof.interpolation, interpolation)
    title = f"{model} at {slo:g} tok/s/user - PUE {pue:g}, ${usd_per_mwh:g}/MWh" + (
        " - rental prices" if rental else ""
    ) + ("" if how == "linear" else f" - {how} interpolation")
    return df, title, f"{prof.token_basis} tokens"


def _print_given(df: pd.DataFrame, title: str) -> None:
    r = df.iloc[0]
    console.print(
        f"{title}: {usd_fixed(r['usd_per_gpu_hour'], 2, grouping=False)}/GPU-hour, "
        f"{num_seed(r['tokens_per_s_per_gpu'])} "
        f"tokens/s per GPU, {r['kw_per_gpu_all_in']:.2f} kW all-in per GPU",
        highlight=False,
    )
    console.print(f"cost per million tokens: {usd_cents(r['cost_per_mtok_usd'])}", highlight=False)
    console.print(f"tokens/s per MW: {num_seed(r['tokens_per_s_per_mw_all_in'])}", highlight=False)
    console.print(f"GPUs per MW: {1000 / r['kw_per_gpu_all_in']:.0f}", highlight=False)


root.command("cost")(cost)
