"""Library API: `plan(...)` runs load -> validate -> build -> solve -> extract.

The CLI only wraps these functions. Each stage is also callable alone: `load_inputs`
(`planner.inputs`), `prepare`, `build_model`, `compile_model`, a `PlanSession`, `extract`
(`planner.core`); `solve_data` is the core solve with the planner's shortfall diagnosis
(`planner.analysis.solve`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from planner.analysis.solve import DIAGNOSIS, solve_data
from planner.core.futures import FuturesResult, solve_futures
from planner.core.prepare import prepare
from planner.core.size import MAX_COLUMNS, check_size
from planner.core.solve import PlanResult, StageFn, solver_settings
from planner.core.warm import HeldBuys, WarmSource
from planner.errors import InputError, Issue
from planner.inputs.bundle import Inputs
from planner.inputs.futures import scaled_futures, with_commit
from planner.inputs.loader import ScenarioSource, load_inputs

__all__ = ["FuturesResult", "PlanResult", "plan", "plan_futures", "solve_data",
           "solver_settings"]


def plan(scenario: ScenarioSource | Inputs, *, base_dir: str | Path | None = None,
         time_limit_s: float | None = None,
         mip_rel_gap: float | None = None, threads: int | None = None,
         random_seed: int | None = None,
         progress: Callable[[dict[str, float]], None] | None = None,
         on_stage: StageFn | None = None,
         start_from: WarmSource | None = None,
         max_columns: int = MAX_COLUMNS, started_at: float | None = None,
         held_buys: HeldBuys | None = None, plan_share: float = 1.0) -> PlanResult:
    """Plan a scenario: the least-cost purchase plan and its tables.

    `scenario`: a scenario file, a dict as its YAML would read, a `Scenario` object, or
    loaded `Inputs`; a dict's or a Scenario's relative paths resolve against `base_dir`
    (default: the working directory; see `planner.inputs.loader.load_inputs`).
    `start_from`: a neighbouring scenario's plan to start from (see `solve_data`;
    `planner.core.warm.CarriedPlan` carries a plan's columns alone). `held_buys`:
    purchases held fixed, units by (site, system, period label): the plan is then the
    best operation of exactly those purchases (see `solve_data`).
    `time_limit_s` bounds the whole call, loading and building included (HiGHS gets
    what is left; `started_at`, a `time.perf_counter()` reading, when the caller's run
    began, if earlier); `plan_share`: the share of it the plan may take, the rest kept
    for the analyses that follow (`planner.deadline.PLAN_SHARE_WITH_ANALYSES`).
    `max_columns`: the largest model to build (`planner.core.size`); a larger one is
    refused with InputError before it is built.
    Raises InputError (invalid input), InfeasibleError (no feasible plan) or SolverError.
    """
    t0 = time.perf_counter()
    started = t0 if started_at is None else started_at
    inputs = scenario if isinstance(scenario, Inputs) else load_inputs(scenario,
                                                                       base_dir=base_dir)
    if inputs.futures:  # G. several futures: one plan for all of them
        raise InputError([Issue(inputs.scenario_file, "uncertainty",
                                "the scenario plans several futures: `planner plan` plans "
                                "them (planner.api.plan_futures); this command plans one "
                                "forecast")])
    t_load = time.perf_counter() - t0
    data = prepare(inputs)
    check_size(data, max_columns=max_columns, scenario_file=inputs.scenario_file,
               demand_file=inputs.demand_file)
    t_prep = time.perf_counter() - t0 - t_load
    settings = solver_settings(inputs, time_limit_s, mip_rel_gap, threads, random_seed)
    # the time limit bounds the run from here: loading and preparing count against it
    result = solve_data(data, settings, progress, on_stage, start_from=start_from,
                        started_at=started, held_buys=held_buys, plan_share=plan_share)
    result.timings = {"load_s": t_load, "validate_s": t_prep, **result.timings}
    return result


def plan_futures(scenario: str | Path | Inputs, *, futures: str | None = None,
                 commit_periods: int | None = None, time_limit_s: float | None = None,
                 mip_rel_gap: float | None = None, threads: int | None = None,
                 on_stage: StageFn | None = None,
                 progress: Callable[[dict[str, float]], None] | None = None,
                 max_columns: int = MAX_COLUMNS, started_at: float | None = None
                 ) -> FuturesResult:
    """G. plan a scenario's futures (`uncertainty`, a demand `scenario` column, or
    `futures`, the `--futures` text that scales its one forecast): the committed
    decision, each future's plan, expected cost, EVPI, VSS and the regret table
    (`planner.core.futures.solve_futures`). `commit_periods` overrides the scenario's.
    Raises InputError (also for a scenario without futures), InfeasibleError or
    SolverError."""
    started = time.perf_counter() if started_at is None else started_at
    inputs = scenario if isinstance(scenario, Inputs) else load_inputs(scenario)
    if futures is not None:
        inputs = scaled_futures(inputs, futures, commit_periods)
    elif commit_periods is not None:
        inputs = with_commit(inputs, commit_periods)
    if not inputs.futures:
        raise InputError([Issue(inputs.scenario_file, "uncertainty",
                                "the scenario has no futures: add `uncertainty`, a demand "
                                "`scenario` column, or --futures")])
    data = prepare(inputs)
    check_size(data, max_columns=max(1, max_columns // len(inputs.futures)),
               scenario_file=inputs.scenario_file, demand_file=inputs.demand_file)
    settings = solver_settings(inputs, time_limit_s, mip_rel_gap, threads)
    return solve_futures(inputs, settings, diagnosis=DIAGNOSIS, started_at=started,
                         on_stage=on_stage, progress=progress)
