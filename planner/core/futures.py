"""G. uncertain demand: one plan for several futures, and what it is worth.

`solve_futures` plans a scenario with futures (`Inputs.futures`):

1. each future's problem, all with the same decision columns (`future_problems`);
2. the plan made knowing each future (wait-and-see) and the mean-demand plan;
3. every candidate commitment (each future's plan, the mean-demand plan) evaluated in
   every future: its first `commit_periods` decisions held, the rest adapted
   (`evaluate`), which gives the regret table and the mean-demand plan's expected cost;
4. the extensive form (`planner.core.extensive`) solved from the best candidate, so its
   plan is never worse than any candidate's;
5. each future's plan extracted and checked as a deterministic plan is.

EVPI = expected cost - sum_w p_w * (cost of the plan made knowing w); VSS = expected
cost of the mean-demand plan's commitment, adapted per future - expected cost. Both are
>= 0 for exact optima; solved to a relative gap, a value below 0 by less than the gap's
tolerance (`gap_tolerance`) is reported as 0 and said so in `notes`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from planner.core.extensive import ExtensiveForm, extensive_form
from planner.core.highs import HighsSettings, SolveOutcome, highs_instance, run_highs
from planner.core.prepare import prepare, widen
from planner.core.problem import PlanData
from planner.core.solve import Diagnosis, PlanResult, checked_plan, solve_data
from planner.core.summary import ModelSize
from planner.core.warm import Commitment, column_vector, is_feasible
from planner.deadline import HIGHS_GRACE_S, Deadline
from planner.errors import InfeasibleError, SolverError
from planner.inputs.bundle import Future, Inputs

if TYPE_CHECKING:
    from planner.core.compile import CompiledModel

#: the row name of the mean-demand plan and of this plan in the regret table
MEAN_PLAN = "mean demand"
STOCHASTIC_PLAN = "all futures"
#: the share of the time limit the wait-and-see, mean and regret solves may take in all
#: (not `planner.deadline.ANALYSIS_SHARE`, the analyses after a plan)
CANDIDATE_SHARE = 0.5
#: the least seconds a solve of the futures is given (not `planner.core.solve.MIN_SOLVE_S`,
#: the floor of HiGHS's own limit)
MIN_FUTURE_SOLVE_S = 1.0
#: above this many futures, the regret table holds the mean-demand plan and this plan
#: only: each future's own plan evaluated in every other future is n (n - 1) re-plans
REGRET_MAX_FUTURES = 5

StageFn = Callable[[str, float], None]


@dataclass
class Candidate:
    """A commitment and its cost in each future (None: no plan adapts it there)."""

    name: str
    commitment: Commitment
    costs: list[float | None]

    def expected(self, probabilities: list[float]) -> float | None:
        if any(c is None for c in self.costs):
            return None
        return math.fsum(p * float(c) for p, c in zip(probabilities, self.costs, strict=True)
                         if c is not None)


@dataclass
class FuturesResult:
    """A plan for several futures: each future's plan, the figures, the regret table."""

    names: list[str]
    probabilities: list[float]
    commit_periods: int
    plans: list[PlanResult]  # this plan in each future
    outcome: SolveOutcome  # the extensive form's solve
    settings: HighsSettings
    data: PlanData  # the mean-demand problem (its warnings, periods, sites)
    expected_cost_usd: float
    wait_and_see_usd: float  # sum_w p_w * cost of the plan made knowing w
    mean_plan_cost_usd: float | None  # the mean-demand commitment, adapted: None if it fails
    evpi_usd: float
    vss_usd: float | None
    wait_and_see: list[float]  # each future's
    candidates: list[Candidate]  # each future's plan, the mean-demand plan, this plan
    mean_plan: PlanResult
    model_size: ModelSize
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def commitment(self) -> Commitment:
        return self.candidates[-1].commitment


def future_problems(inputs: Inputs) -> tuple[list[PlanData], PlanData]:
    """(each future's problem, the mean-demand problem), all with the decision columns of
    every future's demand at once (`planner.core.prepare.widen`)."""
    every = Future("every", 1.0, tuple(r for f in inputs.futures for r in f.demand),
                   inputs.demand_file)
    envelope = prepare(inputs.for_future(every))
    datas = [widen(prepare(inputs.for_future(f)), envelope) for f in inputs.futures]
    return datas, widen(prepare(replace(inputs, futures=())), envelope)


class _Runner:
    """Deterministic solves within a share of the deadline."""

    def __init__(self, settings: HighsSettings, deadline: Deadline, diagnosis: Diagnosis,
                 solves: int) -> None:
        self.settings, self.deadline, self.diagnosis = settings, deadline, diagnosis
        self.budget = Deadline(deadline.started, deadline.limit_s * CANDIDATE_SHARE)
        self.left = max(1, solves)

    def run(self, data: PlanData, commitment: Commitment | None = None) -> PlanResult | None:
        """The plan of `data` (with `commitment` held); None when the commitment leaves
        it no plan."""
        share = max(MIN_FUTURE_SOLVE_S, self.budget.remaining() / self.left)
        self.left = max(1, self.left - 1)
        settings = replace(self.settings, time_limit_s=min(share, max(
            MIN_FUTURE_SOLVE_S, self.deadline.remaining())))
        try:
            return solve_data(data, settings, diagnosis=self.diagnosis, commitment=commitment)
        except InfeasibleError:
            if commitment is None:
                raise
            return None


def gap_tolerance(costs: list[float], gap: float) -> float:
    """How far a difference of these solved costs may be off by the relative gap."""
    return gap * math.fsum(abs(c) for c in costs) + 1e-6 * max([1.0, *map(abs, costs)])


def solve_futures(inputs: Inputs, settings: HighsSettings, *, diagnosis: Diagnosis,
                  started_at: float | None = None, on_stage: StageFn | None = None,
                  progress: Callable[[dict[str, float]], None] | None = None
                  ) -> FuturesResult:
    """Plan `inputs.futures` (steps in the module docstring) within `settings`'s time
    limit, counted from `started_at`."""
    t0 = time.perf_counter()
    deadline = Deadline(t0 if started_at is None else started_at, settings.time_limit_s)
    names = [f.name for f in inputs.futures]
    probs = [f.probability for f in inputs.futures]
    datas, mean_data = future_problems(inputs)
    labels = frozenset(mean_data.labels[:inputs.commit_periods])
    n = len(datas)
    full = n <= REGRET_MAX_FUTURES
    runner = _Runner(settings, deadline, diagnosis, 1 + 2 * n + (n * n if full else 0))
    if on_stage:
        on_stage("futures", time.perf_counter() - t0)
    ws = [_own_plan(runner, d, name) for d, name in zip(datas, names, strict=True)]
    mean = runner.run(mean_data)
    assert mean is not None
    cands, best = _candidates(runner, datas, names, ws, mean, labels, probs, full)
    if on_stage:
        on_stage("solve", time.perf_counter() - t0)
    ef, models, plans, outcome = _solve_extensive(datas, probs, labels, best, settings,
                                                  deadline, diagnosis, progress)
    costs = [float(p.tables.summary.total_cost_usd) for p in plans]
    cands.append(Candidate(STOCHASTIC_PLAN, Commitment.of(_shared_values(plans), labels),
                           list(costs)))
    res = _result(names, probs, inputs.commit_periods, plans, outcome, settings, mean_data,
                  ws, cands, mean, ef)
    if not full:
        res.notes.append(f"{n} futures (over {REGRET_MAX_FUTURES}): the regret table holds "
                         "the mean-demand plan and this plan, not each future's own plan")
    return res


def _own_plan(runner: _Runner, data: PlanData, name: str) -> PlanResult:
    try:
        plan = runner.run(data)
    except InfeasibleError as exc:
        raise InfeasibleError(f"future {name!r}: {exc.args[0]}",
                              getattr(exc, "details", None) or []) from None
    assert plan is not None
    return plan


def _candidates(runner: _Runner, datas: list[PlanData], names: list[str],
                ws: list[PlanResult], mean: PlanResult, labels: frozenset[str],
                probs: list[float], full: bool = True
                ) -> tuple[list[Candidate], list[PlanResult] | None]:
    """Each future's plan and the mean-demand plan, each evaluated in every future; and
    the adapted plans of the cheapest in expectation (the extensive form's start)."""
    cache: dict[tuple[object, int], PlanResult | None] = {}
    for i, w in enumerate(ws):  # a future's own plan is its best adaptation there
        cache[(Commitment.of(w.values or {}, labels).key(), i)] = w
    out, adapted = [], []
    own = [(f"plan for {n}", w) for n, w in zip(names, ws, strict=True)] if full else []
    for name, plan in [*own, (MEAN_PLAN, mean)]:
        com = Commitment.of(plan.values or {}, labels)
        runs = []
        for i, d in enumerate(datas):
            key = (com.key(), i)
            if key not in cache:
                cache[key] = runner.run(d, com)
            runs.append(cache[key])
        out.append(Candidate(name, com, [None if r is None else
                                         float(r.tables.summary.total_cost_usd) for r in runs]))
        adapted.append(runs)
    exp = [c.expected(probs) for c in out]
    finite = [i for i, e in enumerate(exp) if e is not None]
    best = min(finite, key=lambda i: (exp[i], i)) if finite else None
    return out, (None if best is None else adapted[best])  # type: ignore[return-value]


def _solve_extensive(datas: list[PlanData], probs: list[float], labels: frozenset[str],
                     start_plans: list[PlanResult] | None, settings: HighsSettings,
                     deadline: Deadline, diagnosis: Diagnosis,
                     progress: Callable[[dict[str, float]], None] | None
                     ) -> tuple[ExtensiveForm, list[CompiledModel], list[PlanResult], SolveOutcome]:
    # Pyomo: imported on the first solve, so `planner --help` stays fast
    from planner.core.build import build_model
    from planner.core.compile import compile_model

    models = [compile_model(build_model(d)) for d in datas]
    ef = extensive_form(models, probs, labels)
    start = None
    if start_plans is not None:
        x = ef.join([column_vector(m, p.values or {}) for m, p in
                     zip(models, start_plans, strict=True)])
        start = x if is_feasible(ef.program, x) else None
    left = max(MIN_FUTURE_SOLVE_S, deadline.remaining())
    h = highs_instance(ef.program, replace(settings, time_limit_s=left))
    outcome = run_highs(h, bool(ef.program.integer.any()), start, progress,
                        ef.program.objective_scale, stop_at=time.perf_counter() + left
                        + HIGHS_GRACE_S)
    if outcome.x is None:
        _no_plan(outcome, settings)
    assert outcome.x is not None
    plans = [_future_plan(d, m, xw, outcome, settings, diagnosis)
             for d, m, xw in zip(datas, models, ef.split(outcome.x), strict=True)]
    return ef, models, plans, outcome


def _no_plan(outcome: SolveOutcome, settings: HighsSettings) -> None:
    if outcome.status == "infeasible":
        raise InfeasibleError("no commitment of the first periods has a plan in every "
                              "future (HiGHS proved the extensive form infeasible)")
    raise SolverError(f"HiGHS found no plan for the futures within "
                      f"{settings.time_limit_s:g} s (status {outcome.highs_status!r})",
                      "raise solver.time_limit_s or --time-limit, or plan fewer futures")


def _future_plan(data: PlanData, model: CompiledModel, x: np.ndarray, outcome: SolveOutcome,
                 settings: HighsSettings, diagnosis: Diagnosis) -> PlanResult:
    """One future's part of the extensive form's solution, as a checked plan."""
    prog = model.program
    own = replace(outcome, x=x, objective=float(prog.c @ x + prog.offset), best_bound=None)
    return checked_plan(data, model, own, settings, diagnosis)


def _shared_values(plans: list[PlanResult]) -> dict[str, dict[tuple[object, ...], float]]:
    return plans[0].values or {}


def _result(names: list[str], probs: list[float], commit: int, plans: list[PlanResult],
            outcome: SolveOutcome, settings: HighsSettings, mean_data: PlanData,
            ws: list[PlanResult], cands: list[Candidate], mean: PlanResult,
            ef: ExtensiveForm) -> FuturesResult:
    """The figures, clipped at 0 within the gap's tolerance (and said so)."""
    expected = math.fsum(p * float(r.tables.summary.total_cost_usd)
                         for p, r in zip(probs, plans, strict=True))
    ws_costs = [float(w.tables.summary.total_cost_usd) for w in ws]
    ws_exp = math.fsum(p * c for p, c in zip(probs, ws_costs, strict=True))
    eev = next(c for c in cands if c.name == MEAN_PLAN).expected(probs)
    notes: list[str] = []
    evpi = _clipped("EVPI", expected - ws_exp, [expected, ws_exp], settings, notes)
    vss = None if eev is None else _clipped("VSS", eev - expected, [eev, expected], settings,
                                            notes)
    if eev is None:
        notes.append("the mean-demand plan's commitment has no plan in some future: VSS is "
                     "not defined (planning for the mean fails outright there)")
    prog = ef.program
    return FuturesResult(
        names, probs, commit, plans, outcome, settings, mean_data, expected, ws_exp, eev, evpi,
        vss, ws_costs, cands, mean,
        ModelSize(columns=prog.shape[1], rows=prog.shape[0], nonzeros=int(prog.A.nnz)), notes)


def _clipped(name: str, value: float, costs: list[float], settings: HighsSettings,
             notes: list[str]) -> float:
    tol = gap_tolerance(costs, settings.mip_rel_gap)
    if value >= 0:
        return value
    if value >= -tol:
        notes.append(f"{name} solved to {value:.6g} USD, below 0 by less than the solver "
                     f"gap allows ({tol:.6g} USD): reported as 0")
        return 0.0
    notes.append(f"{name} is {value:.6g} USD, below 0 by more than the solver gap allows "
                 f"({tol:.6g} USD): a solve stopped short of its gap (time limit)")
    return value
