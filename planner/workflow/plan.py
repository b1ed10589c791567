"""`planner plan` as a library function: plan a scenario, analyse it, write every file."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from planner.core.size import MAX_COLUMNS
from planner.deadline import Deadline, share_for_plan
from planner.inputs.loader import load_inputs
from planner.io.atomic import write_files
from planner.io.output import MERGED_FILE, OPTIONAL_CSV_FILES, REPORT_SET, check_output_dir
from planner.report import plan_set
from planner.whatif.overlays import merge_scenario

if TYPE_CHECKING:
    from planner.api import FuturesResult, PlanResult


class PlanProgress(Protocol):
    """A display of one plan's progress."""

    def on_stage(self, stage: str, elapsed_s: float = 0.0) -> None:
        """A stage starts: load, build, solve, ..., write."""

    def on_solver(self, info: dict[str, float]) -> None:
        """HiGHS reports during the solve: objective (incumbent), bound, gap."""

    def on_step(self, stage: str, done: int, total: int, label: str) -> None:
        """A re-solve of the analyses (marginal values, baselines) starts."""

    def on_warning(self, message: str) -> None:
        """Something the user should know that does not stop the plan (e.g.
        `allow_retirement` with nothing to retire)."""


def plan_to_folder(scenario: Path, out: Path, what_ifs: Sequence[Path] = (),
                   sets: Sequence[str] = (), *, time_limit_s: float | None = None,
                   mip_rel_gap: float | None = None, threads: int | None = None,
                   report: bool = True, marginals: bool = True, baselines: bool = True,
                   analysis_time_s: float | None = None,
                   progress: PlanProgress | None = None,
                   on_error: Callable[[str, BaseException], None] | None = None,
                   max_columns: int = MAX_COLUMNS,
                   started_at: float | None = None) -> PlanResult:
    """Plan a scenario (with `what_ifs` merged onto it and then `sets` applied, if any),
    analyse the plan, and write every file into `out` as one set: the plan, its analyses
    and its report, or nothing (docs/reliability.md).

    The solver settings override the scenario's; `report`, `marginals` and `baselines`
    choose the analyses, each of whose re-solve phases may take `analysis_time_s` in all
    (`planner.report.plan_set`). An analysis that fails is left out, named in the report
    and passed to `on_error(file name, exception)`; the plan is kept. A what-if plan
    also gets its merged scenario (``scenario.merged.yaml``). `max_columns`: the largest
    model to build (`planner.core.size`). Raises InputError (an
    unusable `out` is refused before the solve), InfeasibleError or SolverError.

    The time limit (`time_limit_s`, else the scenario's `solver.time_limit_s`) bounds the
    whole run from `started_at` (a `time.perf_counter()` reading, default now): loading,
    the plan, its analyses and the report share one deadline (`planner.deadline`), of
    which the plan may take `PLAN_SHARE_WITH_ANALYSES` when analyses follow it;
    analyses the deadline stops say so ("cut short by the time limit").
    """
    # the solver stack (highspy, Pyomo): kept out of `planner --help` start-up
    from planner.api import plan

    # the time limit counts loading too
    started = time.perf_counter() if started_at is None else started_at
    check_output_dir(out)  # an unusable -o is refused before the solve, not after
    extra: dict[str, str] = {}
    if what_ifs or sets:  # what-if planning (docs/what-if.md)
        merged = merge_scenario(scenario, what_ifs, sets)
        inputs = merged.inputs()
        extra[MERGED_FILE] = merged.to_yaml()
    else:
        inputs = load_inputs(scenario)
    result = plan(inputs, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap, threads=threads,
                  on_stage=progress.on_stage if progress else None,
                  progress=progress.on_solver if progress else None,
                  max_columns=max_columns, started_at=started,
                  plan_share=share_for_plan(report and (marginals or baselines)))
    if progress:
        for warning in result.data.warnings:
            progress.on_warning(warning)
    write_plan_folder(result, out, inputs.profiles, report=report, marginals=marginals,
                      baselines=baselines, analysis_time_s=analysis_time_s,
                      progress=progress, on_error=on_error, extra=extra,
                      deadline=Deadline(started, result.settings.time_limit_s))
    return result


def write_plan_folder(result: PlanResult, out: Path, profiles: Mapping[str, Any] | None,
                      *, report: bool = True, marginals: bool = True, baselines: bool = True,
                      analysis_time_s: float | None = None,
                      progress: PlanProgress | None = None,
                      on_error: Callable[[str, BaseException], None] | None = None,
                      extra: Mapping[str, str] | None = None,
                      deadline: Deadline | None = None) -> list[Path]:
    """Analyse a solved plan and write its files into `out` as one set (`plan_to_folder`'s
    second half: the files `planner plan -o OUT` writes; the arguments are its own)."""
    files = plan_set(result, out, profiles, report=report, marginals=marginals,
                     baselines=baselines, progress=progress.on_step if progress else None,
                     budget_s=analysis_time_s, extra=extra, on_error=on_error,
                     deadline=deadline)
    if progress:
        progress.on_stage("write")
    # an older plan's report, or a table this plan does not have, must not survive beside it
    return write_files(out, files, remove=[f for f in (*REPORT_SET, *OPTIONAL_CSV_FILES.values())
                                           if f not in files])


#: G. the files of a plan for several futures, beside report.md/html and each future's
#: folder (futures/<name>/, the usual plan files)
FUTURES_FILES = ("purchase_plan.csv", "futures.csv", "regret.csv", "summary.json")
FUTURES_DIR = "futures"


def futures_files(result: FuturesResult, report: bool = True) -> dict[str, str | bytes]:
    """Every file of a plan for several futures, as texts (`futures_to_folder`)."""
    # the report stage and the tables: imported with the solver stack, not at start-up
    from planner.core.futures_tables import (
        committed_purchases,
        futures_summary,
        futures_table,
        regret_table,
    )
    from planner.io.output import frame_to_csv, plan_files
    from planner.report.futures import futures_report_files

    files: dict[str, str | bytes] = {
        "purchase_plan.csv": frame_to_csv(committed_purchases(result)),
        "futures.csv": frame_to_csv(futures_table(result)),
        "regret.csv": frame_to_csv(regret_table(result)),
        "summary.json": json.dumps(futures_summary(result), indent=2, allow_nan=False) + "\n",
    }
    for name, plan in zip(result.names, result.plans, strict=True):
        for fname, text in plan_files(plan).items():
            files[f"{FUTURES_DIR}/{name}/{fname}"] = text
    if report:
        files.update(futures_report_files(result))
    return files


def futures_to_folder(scenario: Path, out: Path, *, futures: str | None = None,
                      commit_periods: int | None = None, time_limit_s: float | None = None,
                      mip_rel_gap: float | None = None, threads: int | None = None,
                      report: bool = True, progress: PlanProgress | None = None,
                      max_columns: int = MAX_COLUMNS, started_at: float | None = None
                      ) -> FuturesResult:
    """G. plan a scenario's futures (`planner.api.plan_futures`) and write the decision
    to take now (purchase_plan.csv, committed rows marked), futures.csv, regret.csv,
    summary.json, the report, and each future's plan in futures/<name>/, as one set."""
    # the solver stack (highspy, Pyomo): kept out of `planner --help` start-up
    from planner.api import plan_futures

    started = time.perf_counter() if started_at is None else started_at
    check_output_dir(out)
    result = plan_futures(scenario, futures=futures, commit_periods=commit_periods,
                          time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap,
                          threads=threads, on_stage=progress.on_stage if progress else None,
                          progress=progress.on_solver if progress else None,
                          max_columns=max_columns, started_at=started)
    if progress:
        for warning in result.data.warnings:
            progress.on_warning(warning)
        progress.on_stage("write")
    files = futures_files(result, report)
    write_files(out, files, remove=[f for f in (*REPORT_SET, *OPTIONAL_CSV_FILES.values())
                                    if f not in files])
    return result


def has_futures(scenario: Path) -> bool:
    """Whether a scenario plans several futures (G): `uncertainty`, or a demand `scenario`
    column (loaded, so a bad scenario raises its InputError here)."""
    return bool(load_inputs(scenario).futures)
