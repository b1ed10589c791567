"""Library API: `plan(...)` runs load -> validate -> build -> solve -> extract.

The CLI only wraps these functions. Each stage is also callable alone:
`load_inputs`, `prepare`, `build_model`/`compile_model`, `solve_program`, `extract`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from planner.errors import InfeasibleError, SolverError
from planner.highs import HighsSettings, SolveOutcome, solve_program
from planner.loader import Inputs, load_inputs
from planner.problem import PlanData, prepare
from planner.results import PlanTables, extract

StageFn = Callable[[str, float], None]


@dataclass
class PlanResult:
    """A solved plan: its tables, summary, and what produced it."""

    data: PlanData
    tables: PlanTables
    outcome: SolveOutcome
    settings: HighsSettings
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def summary(self) -> dict[str, Any]:
        return self.tables.summary

    def write(self, out_dir: str | Path) -> list[Path]:
        from planner.output import write_plan

        return write_plan(self, Path(out_dir))


def solver_settings(inputs: Inputs, time_limit_s: float | None = None,
                    mip_rel_gap: float | None = None, threads: int | None = None,
                    random_seed: int | None = None) -> HighsSettings:
    s = inputs.scenario.solver
    return HighsSettings(
        time_limit_s=s.time_limit_s if time_limit_s is None else time_limit_s,
        mip_rel_gap=s.mip_rel_gap if mip_rel_gap is None else mip_rel_gap,
        threads=s.threads if threads is None else threads,
        random_seed=s.random_seed if random_seed is None else random_seed,
    )


def precheck(data: PlanData) -> None:
    """Infeasibilities visible before solving, explained in the planner's words."""
    details: list[str] = []
    for site in data.sites:
        for t in range(data.T):
            kw = sum(u * data.systems[g].unit_power_kw
                     for (s, g, tt), u in data.existing.items() if s == site.name and tt == t)
            if kw > site.power_mw * 1000.0 + 1e-6:
                details.append(f"site {site.name!r} in {data.labels[t]}: existing units draw "
                               f"{kw / 1000:.3f} MW, above power_mw {site.power_mw:g}")
                break
            if site.max_racks is not None:
                racks = sum(u * data.systems[g].racks_per_unit
                            for (s, g, tt), u in data.existing.items()
                            if s == site.name and tt == t)
                if racks > site.max_racks + 1e-6:
                    details.append(f"site {site.name!r} in {data.labels[t]}: existing units "
                                   f"fill {racks:g} racks, above max_racks {site.max_racks:g}")
                    break
    if data.strict_demand:
        servable = {k for (_, _, k) in data.serve_index}
        for c in data.classes:
            if c.index not in servable:
                why = ("no system in the catalogue meets this SLO"
                       if not any(k == c.index for (_, k) in data.tput)
                       else "no site can hold a system that meets this SLO in that period "
                            "(availability, lead time or cooling)")
                details.append(f"{c.model} in {c.period} at {c.slo:g} tokens/s per user: "
                               f"demand {c.tokens_per_s:.6g} tokens/s, at most 0 can be "
                               f"served: {why}")
    if details:
        raise InfeasibleError("the scenario has no feasible plan", details)


def explain_infeasible(data: PlanData, settings: HighsSettings) -> InfeasibleError:
    """Re-plan with unmet demand allowed at a high price, and say what falls short."""
    relaxed = replace(data, strict_demand=False,
                      unmet_penalty_usd_per_mtok=max(1e6, data.unmet_penalty_usd_per_mtok))
    try:
        result = solve_data(relaxed, replace(settings, mip_rel_gap=max(settings.mip_rel_gap,
                                                                      1e-3)))
    except Exception:  # noqa: BLE001 - a diagnosis must never hide the real answer
        return InfeasibleError("strict_demand cannot be met: the scenario has no feasible plan")
    sv = result.tables.service
    st = result.tables.sites
    details = []
    for row in sv[sv["unmet_tokens_per_s"] > 1e-6 * sv["demand_tokens_per_s"]].itertuples():
        lim = []
        srow = st[st["period"] == row.period]
        for r in srow.itertuples():
            if r.power_kw >= r.power_cap_kw * 0.98:
                lim.append(f"power at {r.site} ({r.power_kw / 1000:.2f} of "
                           f"{r.power_cap_kw / 1000:g} MW)")
            if r.max_racks is not None and r.max_racks == r.max_racks and \
                    r.racks >= r.max_racks * 0.98:
                lim.append(f"racks at {r.site} ({r.racks:g} of {r.max_racks:g})")
        pp = result.tables.purchase_plan
        spent = float(pp.loc[pp["period"] == row.period, "capex_usd"].sum())
        if data.budget_per_period_usd is not None and \
                spent >= 0.98 * data.budget_per_period_usd:
            lim.append(f"capex_usd_per_period ({spent:.4g} of {data.budget_per_period_usd:.4g})")
        if data.budget_total_usd is not None and \
                float(pp["capex_usd"].sum()) >= 0.98 * data.budget_total_usd:
            lim.append("total_capex_usd")
        why = ("; binding: " + ", ".join(lim)) if lim else (
            "; limited by SLO, supply, lead times or hall availability")
        details.append(
            f"{row.model} in {row.period} at {row.min_tokens_per_s_per_user:g} tokens/s per "
            f"user: demand {row.demand_tokens_per_s:.6g} tokens/s, at most "
            f"{row.served_tokens_per_s:.6g} can be served (short "
            f"{row.unmet_tokens_per_s:.6g}){why}")
    return InfeasibleError("strict_demand cannot be met: the scenario has no feasible plan",
                           details)


def solve_data(data: PlanData, settings: HighsSettings,
               progress: Callable[[dict[str, float]], None] | None = None,
               on_stage: StageFn | None = None) -> PlanResult:
    """Build, compile, solve and extract one prepared problem."""
    from planner.model import build_model, compile_model  # Pyomo stays in planner.model

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    precheck(data)
    if on_stage:
        on_stage("build", 0.0)
    m = build_model(data)
    timings["build_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    compiled = compile_model(m)
    timings["compile_s"] = time.perf_counter() - t1
    if on_stage:
        on_stage("solve", time.perf_counter() - t0)
    outcome = solve_program(compiled.program, settings, progress=progress)
    timings["solve_s"] = outcome.seconds
    if outcome.status == "infeasible":
        if data.strict_demand:
            raise explain_infeasible(data, settings)
        raise InfeasibleError("the scenario has no feasible plan (HiGHS proved it infeasible)")
    if outcome.status == "unbounded":
        raise SolverError("HiGHS reports the problem unbounded; this is a bug in the planner",
                          "please report it with the scenario")
    if outcome.status == "no_solution":
        raise SolverError(
            f"HiGHS found no feasible plan within the time limit of {settings.time_limit_s:g} s "
            "(this does not prove there is none)",
            "raise solver.time_limit_s or --time-limit, loosen mip_rel_gap, or plan fewer "
            "periods, sites or systems")
    if outcome.status == "error":
        raise SolverError(f"HiGHS stopped with status {outcome.highs_status!r}")
    t2 = time.perf_counter()
    tables = extract(data, compiled.values(outcome.x), outcome, {
        "time_limit_s": settings.time_limit_s, "mip_rel_gap": settings.mip_rel_gap,
        "threads": settings.threads, "random_seed": settings.random_seed})
    timings["extract_s"] = time.perf_counter() - t2
    tables.summary["model_size"] = {"columns": compiled.program.shape[1],
                                    "rows": compiled.program.shape[0],
                                    "nonzeros": int(compiled.program.A.nnz)}
    return PlanResult(data, tables, outcome, settings, timings)


def plan(scenario: str | Path | Inputs, *, time_limit_s: float | None = None,
         mip_rel_gap: float | None = None, threads: int | None = None,
         random_seed: int | None = None,
         progress: Callable[[dict[str, float]], None] | None = None,
         on_stage: StageFn | None = None) -> PlanResult:
    """Plan a scenario: the least-cost purchase plan and its tables.

    Raises InputError (invalid input), InfeasibleError (no feasible plan) or SolverError.
    """
    t0 = time.perf_counter()
    inputs = scenario if isinstance(scenario, Inputs) else load_inputs(scenario)
    t_load = time.perf_counter() - t0
    data = prepare(inputs)
    t_prep = time.perf_counter() - t0 - t_load
    settings = solver_settings(inputs, time_limit_s, mip_rel_gap, threads, random_seed)
    result = solve_data(data, settings, progress, on_stage)
    result.timings = {"load_s": t_load, "validate_s": t_prep, **result.timings}
    return result
