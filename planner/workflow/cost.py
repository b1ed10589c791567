"""`planner cost` as a library function: unit economics per system at a model's SLO.

`unit_economics` loads the catalogue and the profiles, checks the request (known profiles
of one token basis, known systems, a known `versus` system) and returns the table the
command prints: one row per system at the profile it serves cheapest, and, with a
reference system, the seed article's relative column.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from planner.analysis.economics import best_of_profiles, single_row, versus
from planner.core.problem import interpolation_of
from planner.errors import InputError, Issue
from planner.inputs.loader import load_catalog_ref, load_profiles_ref


@dataclass(frozen=True)
class UnitEconomics:
    """What `planner cost` prints: the table, its title, its token basis, the comparison."""

    table: pd.DataFrame
    title: str
    basis: str
    versus: pd.DataFrame | None = None


def given_economics(usd_per_gpu_hour: float | None, tokens_per_s: float,
                    kw_per_gpu: float | None) -> UnitEconomics:
    """The seed-table calculation for figures given on the command line."""
    if usd_per_gpu_hour is None or kw_per_gpu is None or kw_per_gpu <= 0:
        raise InputError([Issue("--tokens-per-s", "", "needs --usd-per-gpu-hour and a "
                                "positive --kw-per-gpu")])
    return UnitEconomics(single_row(usd_per_gpu_hour, tokens_per_s, kw_per_gpu),
                         "Unit economics of the given figures", "tokens")


def unit_economics(models: list[str], slo: float = 0.0, *, catalog: str = "builtin",
                   models_ref: str = "builtin", pue: float = 1.0,
                   pue_liquid: float | None = None, usd_per_mwh: float = 0.0,
                   average_power_fraction: float = 1.0, rental: bool = False,
                   systems: list[str] | None = None, usd_per_gpu_hour: float | None = None,
                   versus_system: str | None = None,
                   interpolation: str | None = None) -> UnitEconomics:
    """Each catalogue system serving the model at `slo`, cheapest first.

    Several profiles (the same model in several precisions) put each system at the one it
    serves cheapest; they must count tokens on one basis. `versus_system` adds the
    comparison of every other system against that one.
    """
    if not models:
        raise InputError([Issue("--model", "", "give --model ID (with --slo), or "
                                "--usd-per-gpu-hour, --tokens-per-s and --kw-per-gpu")])
    if interpolation is not None and interpolation not in ("linear", "log"):
        raise InputError([Issue("--interpolation", "", "must be linear or log, got "
                                f"{interpolation!r}")])
    cat = load_catalog_ref(catalog)
    profs = load_profiles_ref(models_ref)
    unknown = [m for m in models if m not in profs]
    if unknown:
        raise InputError([Issue("--model", "", f"no profile {m!r} in {models_ref}; ids: "
                                f"{', '.join(sorted(profs))}") for m in unknown])
    chosen = [profs[m] for m in dict.fromkeys(models)]
    bases = sorted({p.token_basis for p in chosen})
    if len(bases) > 1:
        raise InputError([Issue("--model", "", "the profiles count tokens on different "
                                f"bases ({', '.join(bases)}); compare like with like")])
    ids = {s.id for s in cat.systems}
    wanted = list(systems or [])
    if versus_system is not None:
        if versus_system not in ids:
            raise InputError([Issue("--versus", "", f"{versus_system!r} is not in the "
                                    "catalogue")])
        if wanted and versus_system not in wanted:
            wanted.append(versus_system)
    unknown_sys = sorted(set(wanted) - ids)
    if unknown_sys:
        raise InputError([Issue("--system", "", "not in the catalogue: "
                                f"{', '.join(unknown_sys)}")])
    df = best_of_profiles(cat, chosen, slo, pue=pue, pue_liquid=pue_liquid,
                          usd_per_mwh=usd_per_mwh,
                          average_power_fraction=average_power_fraction, rental=rental,
                          usd_per_gpu_hour=usd_per_gpu_hour, systems=wanted or None,
                          interpolation=interpolation)
    vs = None
    if versus_system is not None:
        if versus_system not in set(df["system"]):
            raise InputError([Issue("--versus", "", f"{versus_system!r} has no curve in "
                                    f"{', '.join(models)}"
                                    + (" or no rental price" if rental else ""))])
        vs = versus(df, versus_system)
    pues = f"PUE {pue:g}" if pue_liquid is None else f"PUE {pue:g} air, {pue_liquid:g} liquid"
    title = (f"{' / '.join(p.id for p in chosen)} at {slo:g} tok/s/user - {pues}, "
             f"${usd_per_mwh:g}/MWh" + (" - rental prices" if rental else ""))
    hows = sorted({interpolation_of(p.interpolation, interpolation) for p in chosen})
    if hows != ["linear"]:
        title += f" - {' / '.join(hows)} interpolation"
    return UnitEconomics(df, title, f"{bases[0]} tokens", vs)
