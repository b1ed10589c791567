"""`planner cost`: unit economics of each system at a model's SLO, or of given figures."""
# ruff: noqa: B008  (typer declares options as argument defaults)

from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd
import typer
from rich.table import Table

from planner.cli._common import console
from planner.cli.base import app as root
from planner.cli.base import err_console, fail
from planner.errors import InputError, Issue
from planner.fmt import num_seed, usd_cents, usd_fixed
from planner.io.output import frame_to_csv  # spreadsheet-safe cells (docs/reliability.md)
from planner.workflow.cost import UnitEconomics, given_economics, unit_economics


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
    if "profile" in df and df["profile"].nunique() > 1:
        cols.insert(1, ("profile", "profile", str))
    for head, _, _ in cols:
        t.add_column(
            head,
            justify="left" if head in ("system", "profile", "basis") else "right",
            no_wrap=head == "system",
        )
    cost_at = [key for _, key, _ in cols].index("cost_per_mtok_usd")
    for _, r in df.iterrows():
        cells = [fn(r[key]) for _, key, fn in cols]  # type: ignore[operator]
        if r["tokens_per_s_per_gpu"] <= 0:
            cells[cost_at] = "cannot meet SLO"
        t.add_row(*cells)
    return t


def cost(
    model: list[str] | None = typer.Option(
        None, "--model", help="Served-model profile id; repeat it (one model in several "
        "precisions) to put each system at the profile it serves cheapest."),
    slo: float = typer.Option(0.0, "--slo", help="Interactivity SLO, tokens/s per user."),
    catalog: str = typer.Option("builtin", "--catalog", "-c", help="Catalogue YAML, or 'builtin'."),
    models: str = typer.Option("builtin", "--models", "-m", help="Profiles folder, or 'builtin'."),
    pue: float = typer.Option(
        1.0, "--pue", min=1.0, help="Facility PUE (all-in power = IT x PUE)."
    ),
    pue_liquid: float | None = typer.Option(
        None, "--pue-liquid", min=1.0, help="PUE of liquid-cooled systems (then --pue is "
        "the air-cooled one's)."),
    usd_per_mwh: float = typer.Option(0.0, "--usd-per-mwh", min=0.0, help="Electricity price."),
    average_power_fraction: float = typer.Option(1.0, "--average-power-fraction", min=0.0, max=1.0),
    rental: bool = typer.Option(False, "--rental", help="Use each system's rental price."),
    system: list[str] | None = typer.Option(None, "--system", "-s", help="Only these systems."),
    versus_system: str | None = typer.Option(
        None, "--versus", help="Also compare every system with this one, as the seed "
        "article's relative column (docs/seed.md)."),
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
    The seed article's comparison from the shipped data: see docs/seed.md.
    """
    if fmt not in ("table", "csv"):
        fail(InputError([Issue("--format", "", "must be table or csv")]))
    try:
        if tokens_per_s is not None:
            res = given_economics(usd_per_gpu_hour, tokens_per_s, kw_per_gpu)
        else:
            res = unit_economics(
                list(model or []), slo, catalog=catalog, models_ref=models, pue=pue,
                pue_liquid=pue_liquid,
                usd_per_mwh=usd_per_mwh, average_power_fraction=average_power_fraction,
                rental=rental, systems=system, usd_per_gpu_hour=usd_per_gpu_hour,
                versus_system=versus_system, interpolation=interpolation)
    except InputError as exc:
        fail(exc)
    _show(res, csv, fmt, given=tokens_per_s is not None, rental=rental)


def _show(res: UnitEconomics, csv: Path | None, fmt: str, *, given: bool,
          rental: bool) -> None:
    df = res.table
    if csv is not None:
        csv.write_text(frame_to_csv(df), encoding="utf-8")
    if fmt == "csv":
        sys.stdout.write(frame_to_csv(df))
        return
    if given:
        _print_given(df, res.title)
    else:
        if df.empty:
            err_console.print("[yellow]no system in the catalogue can serve it"
                              + (" with a rental price" if rental else "") + "[/yellow]")
        console.print(_table(df, res.title, res.basis.split()[0]))
        if res.versus is not None and not res.versus.empty:
            console.print(_versus_table(res.versus))
    if csv is not None:
        console.print(f"wrote {csv}")


def _versus_table(vs: pd.DataFrame) -> Table:
    """The seed article's layout: metric, the reference, each other system and its ratio."""
    ref = str(vs["reference"].iloc[0])
    others = list(dict.fromkeys(vs["system"]))
    t = Table(title=f"Relative to {ref}")
    t.add_column("metric", no_wrap=True)
    t.add_column(ref, justify="right")
    for o in others:
        t.add_column(o, justify="right")
        t.add_column(f"{o} vs {ref}", justify="right")
    for metric in dict.fromkeys(vs["metric"]):
        rows = vs[vs["metric"] == metric]
        col = str(rows["column"].iloc[0])
        show = _VALUE_FORMAT[col]
        cells = [str(metric), show(float(rows["reference_value"].iloc[0]))]
        for o in others:
            r = rows[rows["system"] == o].iloc[0]
            rel = float(r["relative"])
            kind = " lower" if r["relative_kind"] == "lower" else ""
            cells += [show(float(r["value"])),
                      "-" if math.isnan(rel) else f"{rel:.1f}x{kind}"]
        t.add_row(*cells)
    return t


def _tokens(v: float) -> str:
    return "cannot serve" if v <= 0 else num_seed(v)


_VALUE_FORMAT = {
    "usd_per_gpu_hour": lambda v: usd_fixed(v, 2, grouping=False),
    "tokens_per_s_per_gpu": _tokens,
    "tokens_per_s_per_mw_all_in": _tokens,
    "cost_per_mtok_usd": lambda v: "cannot serve" if math.isinf(v) else usd_cents(v),
}


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
