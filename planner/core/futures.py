"""G. uncertain demand: one plan for several futures, and what it is worth.

`solve_futures` plans a scenario with futures (`Inputs.futures`):

1. each future's problem, all with the same decision columns (`future_problems`);
2. the plan made knowing each future (wait-and-see) and the mean-demand plan;
3. every candidate commitment (each future's plan, the mean-demand plan) evaluated in
   every future: its first `commit_periods` decisions held, the rest adapted, which
   gives the regret table and the mean-demand plan's expected cost. The mean-demand
   plan's evaluation comes first (VSS needs it); each future's own plan is a row of the
   regret table only, evaluated in order of its future's probability while the
   candidates' share of the time limit (`CANDIDATE_SHARE`) lasts: a row not finished is
   left out whole and `notes` says which and why (`_own_rows`);
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
from planner.core.highs import HighsSettings, SolveOutcome
from planner.core.isolated import solve_program
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
    #: the futures whose own plan's row the regret table leaves out (`notes` says why)
    regret_left_out: list[str] = field(default_factory=list)

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
    """Deterministic solves within a share of the deadline.

    The solves the figures need (`run`: each future's plan, the mean-demand plan and its
    evaluation) come first; the regret table's own-plan rows (`run_optional`) only while
    the candidates' budget leaves `MIN_FUTURE_SOLVE_S`, and at most `max_optional` of
    them (None: no count limit), so the extensive form keeps its time. While optional
    solves wait, the needed ones split the budget as if there were as many optional ones
    again as needed ones left (at most): neither starves the other."""

    def __init__(self, settings: HighsSettings, deadline: Deadline, diagnosis: Diagnosis,
                 needed: int, optional: int = 0, max_optional: int | None = None) -> None:
        self.settings, self.deadline, self.diagnosis = settings, deadline, diagnosis
        self.budget = Deadline(deadline.started, deadline.limit_s * CANDIDATE_SHARE)
        self.needed, self.optional = max(1, needed), optional
        self.max_optional = max_optional
        self.optional_run = 0

    def run(self, data: PlanData, commitment: Commitment | None = None) -> PlanResult | None:
        """The plan of `data` (with `commitment` held); None when the commitment leaves
        it no plan."""
        share = self.budget.remaining() / (self.needed + min(self.optional, self.needed))
        self.needed = max(1, self.needed - 1)
        return self._solve(data, commitment, min(max(MIN_FUTURE_SOLVE_S, share), max(
            MIN_FUTURE_SOLVE_S, self.deadline.remaining())))

    def cut(self) -> str | None:
        """Why no optional solve may start now (None: one may)."""
        if self.max_optional is not None and self.optional_run >= self.max_optional:
            return f"the budget of {self.max_optional} re-plans was spent"
        if self.budget.remaining() < MIN_FUTURE_SOLVE_S:
            return (f"the candidate solves' share of the time limit "
                    f"({CANDIDATE_SHARE:.0%} of {self.deadline.limit_s:g} s) ran out")
        return None

    def run_optional(self, data: PlanData, commitment: Commitment
                     ) -> PlanResult | None:
        """An optional solve (call `cut` first): within what is left of the budget."""
        share = self.budget.remaining() / max(1, self.optional)
        self.optional = max(0, self.optional - 1)
        self.optional_run += 1
        return self._solve(data, commitment, min(max(MIN_FUTURE_SOLVE_S, share),
                                                 self.budget.remaining()))

    def _solve(self, data: PlanData, commitment: Commitment | None, limit_s: float
               ) -> PlanResult | None:
        settings = replace(self.settings, time_limit_s=limit_s)
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
                  progress: Callable[[dict[str, float]], None] | None = None,
                  max_regret_solves: int | None = None) -> FuturesResult:
    """Plan `inputs.futures` (steps in the module docstring) within `settings`'s time
    limit, counted from `started_at`. `max_regret_solves`: at most this many re-plans for
    the regret table's own-plan rows (None: as many as the time limit allows)."""
    t0 = time.perf_counter()
    deadline = Deadline(t0 if started_at is None else started_at, settings.time_limit_s)
    names = [f.name for f in inputs.futures]
    probs = [f.probability for f in inputs.futures]
    datas, mean_data = future_problems(inputs)
    labels = frozenset(mean_data.labels[:inputs.commit_periods])
    n = len(datas)
    runner = _Runner(settings, deadline, diagnosis, needed=1 + 2 * n, optional=n * (n - 1),
                     max_optional=max_regret_solves)
    if on_stage:
        on_stage("futures", time.perf_counter() - t0)
    ws = [_own_plan(runner, d, name) for d, name in zip(datas, names, strict=True)]
    mean = runner.run(mean_data)
    assert mean is not None
    cache: _Cache = {}
    for i, w in enumerate(ws):  # a future's own plan is its best adaptation there
        cache[(Commitment.of(w.values or {}, labels).key(), i)] = w
    com = Commitment.of(mean.values or {}, labels)
    mean_key = com.key()
    mean_runs = []
    for i, d in enumerate(datas):
        if (mean_key, i) not in cache:
            cache[(mean_key, i)] = runner.run(d, com)
        mean_runs.append(cache[(mean_key, i)])
    own, notes = _own_rows(runner, names, probs, ws, datas, labels, cache)
    cands = [*(c for c, _ in own), _candidate(MEAN_PLAN, com, mean_runs)]
    best = _cheapest(cands, [*(r for _, r in own), mean_runs], probs)
    if on_stage:
        on_stage("solve", time.perf_counter() - t0)
    ef, models, plans, outcome = _solve_extensive(datas, probs, labels, best, settings,
                                                  deadline, diagnosis, progress)
    costs = [float(p.tables.summary.total_cost_usd) for p in plans]
    cands.append(Candidate(STOCHASTIC_PLAN, Commitment.of(_shared_values(plans), labels),
                           list(costs)))
    res = _result(names, probs, inputs.commit_periods, plans, outcome, settings, mean_data,
                  ws, cands, mean, ef)
    done = {c.name for c in cands}
    res.regret_left_out = [n for n in names if own_row(n) not in done]
    res.notes.extend(notes)
    return res


#: the adapted plans already solved: (a commitment's key, the future's index) -> its plan
#: there (None: the commitment leaves that future no plan)
_Cache = dict[tuple[object, int], PlanResult | None]


def own_row(name: str) -> str:
    """The regret table's row of the plan made knowing future `name`."""
    return f"plan for {name}"


def _candidate(name: str, com: Commitment, runs: list[PlanResult | None]) -> Candidate:
    return Candidate(name, com, [None if r is None else float(r.tables.summary.total_cost_usd)
                                 for r in runs])


def _own_rows(runner: _Runner, names: list[str], probs: list[float], ws: list[PlanResult],
              datas: list[PlanData], labels: frozenset[str], cache: _Cache
              ) -> tuple[list[tuple[Candidate, list[PlanResult | None]]], list[str]]:
    """Each future's own plan evaluated in every other future (the regret table's rows,
    in the futures' order, with their adapted plans), and the notes on the rows left out.

    The rows are solved in order of their future's probability (the likeliest first: the
    rows that weigh most), while `runner` allows optional solves; a row whose every
    re-plan is not finished is left out whole, never shown in part."""
    order = sorted(range(len(ws)), key=lambda i: (-probs[i], i))
    rows: dict[int, tuple[Candidate, list[PlanResult | None]]] = {}
    left_out: list[int] = []
    why, failed, short = None, [], []
    for i in order:
        com = Commitment.of(ws[i].values or {}, labels)
        com_key = com.key()
        runs: list[PlanResult | None] = []
        for j, d in enumerate(datas):
            key = (com_key, j)
            if key not in cache:
                why = why or runner.cut()
                if why:
                    break
                try:
                    cache[key] = runner.run_optional(d, com)
                except SolverError:  # no plan found within its time: the row is unknown
                    failed.append(i)
                    break
            runs.append(cache[key])
        if len(runs) < len(datas):
            left_out.append(i)
            continue
        rows[i] = (_candidate(own_row(names[i]), com, runs), runs)
        short += [f"{names[i]} in {names[j]}" for j, r in enumerate(runs)
                  if r is not None and r.outcome.status != "optimal"]
    notes = []
    if left_out:
        left_out.sort()  # named in the futures' order
        cut = [names[i] for i in left_out if i not in failed]
        parts = []
        if cut:
            parts.append(f"{', '.join(cut)} ({why})")
        if failed:
            parts.append(", ".join(names[i] for i in sorted(failed))
                         + " (a re-plan found no plan within its time)")
        notes.append(f"regret.csv leaves out the rows of the plan made knowing "
                     f"{'; '.join(parts)}: each future's own plan is evaluated in every "
                     "other future in order of the future's probability, and a row not "
                     "finished is left out whole (a longer --time-limit gives the rest)")
    if short:
        notes.append("in regret.csv, the re-plan of the plan for " + ", ".join(short)
                     + " stopped at its time limit: the cost there is an upper bound")
    return [rows[i] for i in sorted(rows)], notes


def _own_plan(runner: _Runner, data: PlanData, name: str) -> PlanResult:
    try:
        plan = runner.run(data)
    except InfeasibleError as exc:
        raise InfeasibleError(f"future {name!r}: {exc.args[0]}",
                              getattr(exc, "details", None) or []) from None
    assert plan is not None
    return plan


def _cheapest(cands: list[Candidate], runs: list[list[PlanResult | None]],
              probs: list[float]) -> list[PlanResult] | None:
    """The adapted plans of the candidate cheapest in expectation (the extensive form's
    start); None when every candidate fails in some future."""
    exp = [c.expected(probs) for c in cands]
    finite = [i for i, e in enumerate(exp) if e is not None]
    if not finite:
        return None
    best = min(finite, key=lambda i: (exp[i], i))
    return [r for r in runs[best] if r is not None]


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
    # a large extensive form runs in a process of its own (planner.core.isolated)
    outcome = solve_program(ef.program, replace(settings, time_limit_s=left), start, progress,
                            time.perf_counter() + left + HIGHS_GRACE_S)
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
