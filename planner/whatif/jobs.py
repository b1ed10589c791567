"""What one plan of many is, and how one process plans it: `Job`, `JobResult`,
`run_chain` (a chain of jobs, warm-started one from the other) and `run_serial`.

`planner.whatif.runner.run_jobs` runs many jobs: here in this process, in local worker
processes (`planner.whatif.pool`) or on Dask (`planner.whatif.cluster`); each worker
calls `run_chain`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from planner.errors import InfeasibleError, InputError, SolverError

if TYPE_CHECKING:
    from planner.core.summary import PlanSummary
    from planner.inputs.bundle import Inputs

DEFAULT_THREADS = 1
DoneFn = Callable[[int, "JobResult"], None]
#: the files of a kept plan, from its PlanResult and Inputs: a module-level function, so
#: that worker processes and Dask can unpickle it by name
FilesFn = Callable[[Any, Any], dict[str, str | bytes]]


@dataclass(frozen=True)
class Job:
    """One plan to run. `inputs` is None when the variant could not be loaded; `error`
    then says why (its status is `invalid: ...`)."""

    name: str
    inputs: Inputs | None
    error: str | None = None
    threads: int | None = None
    time_limit_s: float | None = None
    mip_rel_gap: float | None = None
    keep_files: bool = True
    extra_files: dict[str, str] = field(default_factory=dict)
    #: start from the plan of the job just before this one (a sweep's previous point)
    #: when that plan is feasible here; the two then run one after the other, in one
    #: process, as one chain (`chains`)
    warm_from_previous: bool = False
    #: start from this plan's columns when they are feasible here (`planner.core.warm`;
    #: the sensitivity re-solves all start from the base plan); `warm_from_previous` wins
    start_values: dict[str, dict[tuple[object, ...], float]] | None = None
    #: purchases held fixed, units by (site, system, period label): the plan is the best
    #: operation of exactly these purchases (`planner.api.plan`'s `held_buys`)
    held_buys: dict[tuple[str, ...], float] | None = None
    #: the files kept (`keep_files`) from the PlanResult and the inputs; None: the plan
    #: files (`planner.io.output.plan_files`)
    files_fn: FilesFn | None = None


@dataclass
class JobResult:
    """What one plan gave: status (optimal, time_limit, infeasible, `invalid: ...`,
    `error: ...`), its summary and purchases, and its plan files as text."""

    name: str
    status: str
    summary: PlanSummary | None = None
    purchases: list[tuple[str, str, str, int, float]] = field(default_factory=list)
    peak_mw: float | None = None
    files: dict[str, str | bytes] = field(default_factory=dict)
    message: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.summary is not None


def _first_line(text: str) -> str:
    return " ".join(text.split())


def run_chain(jobs: Sequence[Job]) -> list[JobResult]:
    """Plan a chain of jobs in order; a job marked `warm_from_previous` starts from the
    plan of the one before it (when that one has a plan). Top-level, for workers."""
    out: list[JobResult] = []
    previous: Any = None
    for job in jobs:
        res, previous = plan_job(job, previous if job.warm_from_previous else None)
        out.append(res)
    return out


def chains(jobs: Sequence[Job]) -> list[list[int]]:
    """The jobs' indices grouped into chains: a job marked `warm_from_previous` joins the
    chain of the job before it. Chains depend on the jobs only, never on the workers,
    so a plan is the same however many workers run them."""
    out: list[list[int]] = []
    for i, job in enumerate(jobs):
        if job.warm_from_previous and out:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def plan_job(job: Job, start_from: Any = None) -> tuple[JobResult, Any]:
    """One job's result, and its PlanResult (None if it failed) for the next in a chain.
    `start_from`: the previous plan of a chain (else the job's `start_values`, if any)."""
    from planner.api import plan  # the solver stack: workers load it, `planner --help` not
    from planner.core.warm import CarriedPlan
    from planner.io.output import plan_files  # pandas: not needed by `planner --help`

    t0 = time.perf_counter()
    if job.inputs is None:
        msg = job.error or "not loaded"
        return JobResult(job.name, f"invalid: {_first_line(msg)}", message=msg,
                         files=dict(job.extra_files)), None
    threads = DEFAULT_THREADS if job.threads is None else job.threads
    if start_from is None and job.start_values is not None:
        start_from = CarriedPlan(job.start_values)
    try:
        result = plan(job.inputs, threads=threads, time_limit_s=job.time_limit_s,
                      mip_rel_gap=job.mip_rel_gap, start_from=start_from,
                      held_buys=job.held_buys)
    except InputError as exc:
        msg = "; ".join(str(i) for i in exc.issues)
        return JobResult(job.name, f"invalid: {_first_line(msg)}", message=msg,
                         files=dict(job.extra_files), seconds=time.perf_counter() - t0), None
    except InfeasibleError as exc:
        return JobResult(job.name, "infeasible", message=exc.explain(),
                         files=dict(job.extra_files), seconds=time.perf_counter() - t0), None
    except SolverError as exc:
        return JobResult(job.name, f"error: {_first_line(str(exc))}", message=str(exc),
                         files=dict(job.extra_files), seconds=time.perf_counter() - t0), None
    except Exception as exc:  # noqa: BLE001 - one variant's failure must not lose the others
        msg = f"{type(exc).__name__}: {exc}"
        return JobResult(job.name, f"error: {_first_line(msg)}", message=msg,
                         files=dict(job.extra_files), seconds=time.perf_counter() - t0), None
    pp = result.tables.purchase_plan
    purchases = [(str(r.period), str(r.site), str(r.system), int(r.units), float(r.capex_usd))
                 for r in pp.itertuples()]
    st = result.tables.sites
    peak = float(st.groupby("period")["power_kw"].sum().max()) / 1000.0 if len(st) else 0.0
    files: dict[str, str | bytes] = {}
    if job.keep_files:
        files = (plan_files(result) if job.files_fn is None
                 else job.files_fn(result, job.inputs))
        files.update(job.extra_files)
    return JobResult(job.name, result.summary.status, result.summary, purchases, peak, files,
                     seconds=time.perf_counter() - t0), result


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def crashed(job: Job, exc: BaseException) -> JobResult:
    msg = f"{type(exc).__name__}: {exc}"
    return JobResult(job.name, f"error: worker failed: {_first_line(msg)}", message=msg,
                     files=dict(job.extra_files))


def run_serial(jobs: Sequence[Job], on_done: DoneFn | None = None) -> list[JobResult]:
    out: list[JobResult] = []
    for chain in chains(jobs):
        for i, res in zip(chain, run_chain([jobs[i] for i in chain]), strict=True):
            out.append(res)
            if on_done:
                on_done(i, res)
    return out
