"""`planner doctor` as a library function: is this install healthy?

`check_install` reads the versions of Python, the planner and the packages it needs,
loads the shipped catalogue and profiles, and plans one tiny MILP through the real
pipeline, so a broken install (missing or mismatched packages, a HiGHS that does not
solve) can be told from a broken scenario.
"""

from __future__ import annotations

import platform
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata

from planner import __version__
from planner.errors import PlanCheckError
from planner.inputs.datasets import Catalog, DemandRow, ModelProfile
from planner.inputs.loader import (
    Inputs,
    builtin_catalog_path,
    builtin_models_dir,
    load_catalog,
    load_profiles,
)
from planner.inputs.schemas import Scenario

PACKAGES = ("pyomo", "highspy", "pandas", "pydantic", "numpy", "scipy", "typer", "pyyaml")

# The tiny MILP: demand of 2000 tokens/s. System `small` serves 800 tokens/s per unit for
# 100k USD, `big` 2400 tokens/s for 250k USD. The optimum buys one `big` (250k USD);
# the LP relaxation would buy 5/6 of one (208k USD), and three `small` cost 300k USD,
# so the answer checks that integrality is honoured and the cheapest plan is found.
EXPECTED_COST_USD = 250_000.0


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def versions() -> dict[str, str | None]:
    """Versions of Python, the planner and the packages it needs (None: not installed)."""
    out: dict[str, str | None] = {"python": platform.python_version(), "planner": __version__}
    for dist in PACKAGES:
        out[dist] = _version(dist)
    try:
        # highspy, imported inside the check: a broken install is reported, not a crash
        from planner.core.highs import new_highs  # silences the banner HiGHS prints once

        out["HiGHS (library)"] = str(new_highs().version())
    except Exception:  # noqa: BLE001 - reported as missing
        out["HiGHS (library)"] = None
    return out


def tiny_inputs() -> Inputs:
    """A complete, tiny scenario built in memory (no files)."""

    scenario = Scenario.model_validate({
        "name": "doctor",
        "horizon": {"start": "2027Q1", "periods": 1, "granularity": "quarter"},
        "demand": "(in memory)",
        "sites": [{"name": "hall", "power_mw": 1.0}],
        "finance": {"capex_accounting": "upfront"},
        "options": {"strict_demand": True},
        "solver": {"time_limit_s": 30, "mip_rel_gap": 0.0},
    })
    catalog = Catalog.model_validate({"systems": [
        {"id": "small", "gpus_per_unit": 8, "unit_power_kw": 10.0, "capex_usd": 100_000.0},
        {"id": "big", "gpus_per_unit": 8, "unit_power_kw": 15.0, "capex_usd": 250_000.0},
    ]})
    profile = ModelProfile.model_validate({
        "id": "m", "throughput": {"small": [[10, 100.0]], "big": [[10, 300.0]]}})
    demand = [DemandRow(period="2027Q1", model="m", tokens_per_s=2000.0,
                        min_tokens_per_s_per_user=10.0)]
    return Inputs(scenario, catalog, {"m": profile}, demand, "doctor scenario",
                  "doctor catalogue", "doctor demand", "doctor models")


def check_tiny_milp() -> str:
    """Plan the tiny scenario through the real pipeline; return a one-line result."""
    # the solver stack (highspy, Pyomo): kept out of `planner --help` start-up
    from planner.api import plan

    try:
        result = plan(tiny_inputs())
    except PlanCheckError as exc:  # the pipeline's own check caught a wrong plan
        raise RuntimeError(f"wrong answer: {exc}") from exc
    s = result.summary
    pp = result.tables.purchase_plan
    bought = {str(r.system): int(r.units) for r in pp.itertuples()}
    if s.status != "optimal":
        raise RuntimeError(f"status {s.status!r}, expected 'optimal'")
    objective = result.outcome.objective
    if abs(s.total_cost_usd - EXPECTED_COST_USD) > 1e-6 * EXPECTED_COST_USD or \
            objective is None or abs(objective - EXPECTED_COST_USD) > 1e-6 * EXPECTED_COST_USD \
            or bought != {"big": 1}:
        raise RuntimeError(f"wrong answer: bought {bought}, cost {s.total_cost_usd:.2f} "
                           f"USD, solver objective {objective} (expected one 'big' for "
                           f"{EXPECTED_COST_USD:.0f} USD)")
    return f"optimal, 1 x big for {s.total_cost_usd:,.0f} USD as expected"


def check_builtin_data() -> str:
    """Load the shipped catalogue and model profiles; say how many there are."""
    cat = load_catalog(builtin_catalog_path(), "builtin catalogue")
    profiles = load_profiles(builtin_models_dir(), "builtin models")
    return f"{len(cat.systems)} systems, {len(profiles)} model profiles"


@dataclass(frozen=True)
class Check:
    """One check of the install: its name, whether it passed, a line of detail, and the
    traceback of the exception that failed it (None when it passed)."""

    name: str
    ok: bool
    detail: str
    traceback: str | None = None


@dataclass(frozen=True)
class Health:
    """What `check_install` found: the versions (None: not installed) and each check."""

    versions: dict[str, str | None]
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def check_install() -> Health:
    """Versions, the shipped data and the tiny MILP through the whole pipeline; a check
    that fails is recorded with its exception, never raised."""
    vers = versions()
    missing = [k for k, v in vers.items() if v is None]
    checks = [Check("packages", not missing,
                    "all installed" if not missing else f"missing: {', '.join(missing)}")]
    steps: list[tuple[str, Callable[[], str]]] = [
        ("builtin data", check_builtin_data),
        ("tiny MILP (load, model, HiGHS, tables)", check_tiny_milp),
    ]
    for name, fn in steps:
        t0 = time.perf_counter()
        try:
            detail = fn()
            checks.append(Check(name, True, f"{detail} ({time.perf_counter() - t0:.2f} s)"))
        except Exception as exc:  # noqa: BLE001 - a check reports, never crashes
            checks.append(Check(name, False, f"{type(exc).__name__}: {exc}",
                                traceback.format_exc()))
    return Health(vers, checks)
