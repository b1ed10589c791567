"""Per-token unit economics of one system: the seed article's identities, as pure functions.

- owning cost per GPU-hour = capex over the lifetime + energy at a PUE and $/MWh + fixed opex
- cost per million tokens = $/GPU-hour / (tokens/s per GPU x 3600) x 1e6
- tokens/s per MW = tokens/s per GPU / kW per GPU x 1000
- GPUs per MW = 1000 / kW per GPU

"All-in" kW per GPU is the unit's IT power per GPU times the PUE (facility energy); "critical
IT" kW per GPU leaves the PUE out. No Pyomo here: the functions are cheap and testable alone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from planner.core.problem import interpolation_of, throughput_at
from planner.core.summary import usd_per_mtok
from planner.inputs.datasets import Catalog, ModelProfile, System

HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True)
class GpuHourCost:
    """Owning cost of one GPU for one hour, by component (USD)."""

    capex: float
    energy: float
    opex: float

    @property
    def total(self) -> float:
        return self.capex + self.energy + self.opex


def kw_per_gpu(unit_power_kw: float, gpus_per_unit: int, pue: float = 1.0) -> float:
    """IT power per GPU (pue=1) or all-in facility power per GPU (pue>1), in kW."""
    if gpus_per_unit <= 0:
        raise ValueError("gpus_per_unit must be positive")
    return unit_power_kw / gpus_per_unit * pue


def owning_cost_per_gpu_hour(
    *,
    capex_usd: float,
    gpus_per_unit: int,
    lifetime_years: float,
    unit_power_kw: float,
    opex_usd_per_year: float = 0.0,
    pue: float = 1.0,
    usd_per_mwh: float = 0.0,
    average_power_fraction: float = 1.0,
) -> GpuHourCost:
    """Capex straight-line over the lifetime, energy at PUE and price, fixed opex; per GPU-hour."""
    if lifetime_years <= 0:
        raise ValueError("lifetime_years must be positive")
    capex = capex_usd / gpus_per_unit / (lifetime_years * HOURS_PER_YEAR)
    energy = (
        kw_per_gpu(unit_power_kw, gpus_per_unit, pue)
        * average_power_fraction
        * usd_per_mwh
        / 1000.0
    )
    opex = opex_usd_per_year / gpus_per_unit / HOURS_PER_YEAR
    return GpuHourCost(capex=capex, energy=energy, opex=opex)


def system_cost_per_gpu_hour(
    system: System,
    *,
    pue: float = 1.0,
    usd_per_mwh: float = 0.0,
    average_power_fraction: float = 1.0,
) -> GpuHourCost:
    """`owning_cost_per_gpu_hour` for a catalogue system."""
    return owning_cost_per_gpu_hour(
        capex_usd=system.capex_usd,
        gpus_per_unit=system.gpus_per_unit,
        lifetime_years=system.lifetime_years,
        unit_power_kw=system.unit_power_kw,
        opex_usd_per_year=system.opex_usd_per_year,
        pue=pue,
        usd_per_mwh=usd_per_mwh,
        average_power_fraction=average_power_fraction,
    )


def cost_per_mtok(usd_per_gpu_hour: float, tokens_per_s_per_gpu: float) -> float:
    """USD per million tokens of one GPU, the seed's identity:
    ``usd_per_gpu_hour / (tokens_per_s_per_gpu x 3600) x 1e6`` (`usd_per_mtok` of an
    hour's cost and an hour's tokens); infinite when the GPU delivers no tokens."""
    return usd_per_mtok(usd_per_gpu_hour, tokens_per_s_per_gpu * 3600.0)


def tokens_per_s_per_mw(tokens_per_s_per_gpu: float, kw_per_gpu_: float) -> float:
    """Tokens/s per MW, given the kW one GPU draws (all-in or critical IT)."""
    if kw_per_gpu_ <= 0:
        raise ValueError("kW per GPU must be positive")
    return tokens_per_s_per_gpu / kw_per_gpu_ * 1000.0


def gpus_per_mw(kw_per_gpu_: float) -> float:
    if kw_per_gpu_ <= 0:
        raise ValueError("kW per GPU must be positive")
    return 1000.0 / kw_per_gpu_


COLUMNS = [
    "system",
    "tokens_per_s_per_gpu",
    "usd_per_gpu_hour",
    "capex_usd_per_gpu_hour",
    "energy_usd_per_gpu_hour",
    "opex_usd_per_gpu_hour",
    "cost_basis",
    "cost_per_mtok_usd",
    "kw_per_gpu_it",
    "kw_per_gpu_all_in",
    "gpus_per_mw_it",
    "tokens_per_s_per_mw_all_in",
    "tokens_per_s_per_mw_it",
]


def single_row(
    usd_per_gpu_hour: float,
    tokens_per_s_per_gpu: float,
    kw_per_gpu_all_in: float,
    name: str = "given",
) -> pd.DataFrame:
    """The seed-table calculation for given figures (kW per GPU taken as all-in)."""
    row = {
        "system": name,
        "tokens_per_s_per_gpu": tokens_per_s_per_gpu,
        "usd_per_gpu_hour": usd_per_gpu_hour,
        "capex_usd_per_gpu_hour": math.nan,
        "energy_usd_per_gpu_hour": math.nan,
        "opex_usd_per_gpu_hour": math.nan,
        "cost_basis": "given",
        "cost_per_mtok_usd": cost_per_mtok(usd_per_gpu_hour, tokens_per_s_per_gpu),
        "kw_per_gpu_it": math.nan,
        "kw_per_gpu_all_in": kw_per_gpu_all_in,
        "gpus_per_mw_it": math.nan,
        "tokens_per_s_per_mw_all_in": tokens_per_s_per_mw(tokens_per_s_per_gpu, kw_per_gpu_all_in),
        "tokens_per_s_per_mw_it": math.nan,
    }
    return pd.DataFrame([row], columns=COLUMNS)


def cost_table(
    catalog: Catalog,
    profile: ModelProfile,
    slo: float = 0.0,
    *,
    pue: float = 1.0,
    usd_per_mwh: float = 0.0,
    average_power_fraction: float = 1.0,
    rental: bool = False,
    usd_per_gpu_hour: float | None = None,
    systems: Iterable[str] | None = None,
    pue_liquid: float | None = None,
    interpolation: str | None = None,
) -> pd.DataFrame:
    """Unit economics of every catalogue system that can serve `profile`, at an SLO.

    `pue_liquid`, when given, is the PUE of liquid-cooled systems (`pue` then applies to
    air-cooled ones): a liquid-cooled hall runs at a lower PUE than an air-cooled one.

    `slo` is the interactivity (tokens/s per user); throughput follows the contract's
    rule (`planner.core.problem.throughput_at`, the plan's), read with the profile's
    `interpolation` unless `interpolation` overrides it. With `rental`, the system's
    published rental price replaces the owning cost (systems without one are left out);
    a given `usd_per_gpu_hour` replaces it for every system. Sorted by cost per million
    tokens, cheapest first; systems that cannot meet the SLO come last with an infinite cost.
    """
    wanted = set(systems) if systems is not None else None
    how = interpolation_of(profile.interpolation, interpolation)
    rows = []
    for sys in catalog.systems:
        if wanted is not None and sys.id not in wanted:
            continue
        curve = profile.throughput.get(sys.id)
        if curve is None:
            continue
        tput = throughput_at(curve, slo, how)
        sys_pue = pue_liquid if pue_liquid is not None and sys.cooling == "liquid" else pue
        kw_it = kw_per_gpu(sys.unit_power_kw, sys.gpus_per_unit)
        kw_all = kw_it * sys_pue
        if usd_per_gpu_hour is not None:
            usd = float(usd_per_gpu_hour)
            parts = (math.nan, math.nan, math.nan)
            basis = "given"
        elif rental:
            if sys.rental_usd_per_gpu_hour is None:
                continue
            usd = float(sys.rental_usd_per_gpu_hour)
            parts = (math.nan, math.nan, math.nan)
            basis = "rental"
        else:
            c = system_cost_per_gpu_hour(
                sys, pue=sys_pue, usd_per_mwh=usd_per_mwh,
                average_power_fraction=average_power_fraction,
            )
            usd = c.total
            parts = (c.capex, c.energy, c.opex)
            basis = "owning"
        rows.append(
            {
                "system": sys.id,
                "tokens_per_s_per_gpu": tput,
                "usd_per_gpu_hour": usd,
                "capex_usd_per_gpu_hour": parts[0],
                "energy_usd_per_gpu_hour": parts[1],
                "opex_usd_per_gpu_hour": parts[2],
                "cost_basis": basis,
                "cost_per_mtok_usd": cost_per_mtok(usd, tput),
                "kw_per_gpu_it": kw_it,
                "kw_per_gpu_all_in": kw_all,
                "gpus_per_mw_it": gpus_per_mw(kw_it),
                "tokens_per_s_per_mw_all_in": tokens_per_s_per_mw(tput, kw_all),
                "tokens_per_s_per_mw_it": tokens_per_s_per_mw(tput, kw_it),
            }
        )
    df = pd.DataFrame(rows, columns=COLUMNS)
    if not df.empty:
        df = df.sort_values(["cost_per_mtok_usd", "system"], kind="mergesort").reset_index(
            drop=True
        )
    return df



def best_of_profiles(
    catalog: Catalog,
    profiles: list[ModelProfile],
    slo: float = 0.0,
    **kwargs: object,
) -> pd.DataFrame:
    """`cost_table` of each profile, keeping each system at the profile that serves cheapest.

    Profiles of one model in several precisions (DeepSeek-R1 at FP8 and FP4) let each
    system run the precision it serves best, as the seed article's comparison does
    (Hopper at FP8, Blackwell at FP4). The `profile` column names the one chosen; ties
    keep the profile given first. One profile gives `cost_table` with that column added.
    """
    frames = []
    for order, prof in enumerate(profiles):
        df = cost_table(catalog, prof, slo, **kwargs)  # type: ignore[arg-type]
        frames.append(df.assign(profile=prof.id, _order=order))
    if not frames:
        return pd.DataFrame(columns=[*COLUMNS, "profile"])
    both = pd.concat(frames, ignore_index=True)
    both = both.sort_values(["system", "cost_per_mtok_usd", "_order"], kind="mergesort")
    best = both.drop_duplicates("system", keep="first").drop(columns="_order")
    return best.sort_values(["cost_per_mtok_usd", "system"], kind="mergesort").reset_index(
        drop=True
    )


VERSUS_ROWS = (
    # (label, column, how the other system compares with the reference)
    ("Cost per GPU-hour", "usd_per_gpu_hour", "ratio"),
    ("Tokens/s per GPU", "tokens_per_s_per_gpu", "ratio"),
    ("Tokens/s per MW (all-in)", "tokens_per_s_per_mw_all_in", "ratio"),
    ("Cost per million tokens", "cost_per_mtok_usd", "lower"),
)


def versus(table: pd.DataFrame, reference: str) -> pd.DataFrame:
    """The seed article's relative column: every system of `table` against `reference`.

    One row per (metric, system): the reference's value, the system's, and the relative
    figure as the article prints it: `ratio` = system / reference (2x the cost per
    GPU-hour, 65x the tokens per GPU) and, for cost per million tokens, `lower` =
    reference / system ("35x lower"). A system that cannot serve gives NaN.
    """
    if reference not in set(table["system"]):
        raise KeyError(reference)
    ref = table.set_index("system").loc[reference]
    rows = []
    for _, other in table.iterrows():
        if other["system"] == reference:
            continue
        for label, col, how in VERSUS_ROWS:
            a, b = float(ref[col]), float(other[col])
            if how == "ratio":
                rel = b / a if a > 0 and math.isfinite(b) else math.nan
            else:
                rel = a / b if b > 0 and math.isfinite(a) and math.isfinite(b) else math.nan
            rows.append({"metric": label, "column": col, "reference": reference,
                         "reference_value": a, "system": other["system"], "value": b,
                         "relative": rel, "relative_kind": how})
    return pd.DataFrame(rows, columns=["metric", "column", "reference", "reference_value",
                                       "system", "value", "relative", "relative_kind"])
