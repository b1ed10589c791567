"""Core solve: build -> compile -> start -> solve -> extract -> check, for one prepared problem.

`solve_data` runs the stages; each is also callable alone (`build_model`, `compile_model`,
`start_plan`, a `PlanSession` and its `solve` (`run_isolated` for a large MIP),
`extract`, `check_plan`). What the planner says about
demand it cannot serve is an analysis (`planner.analysis`), which this layer never
imports: the caller hands it in as a `Diagnosis` (`planner.analysis.solve` does, and
`planner.api` exports that solve).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from planner.core.checks import check_plan
from planner.core.extract import extract
from planner.core.highs import HighsSettings, SolveOutcome
from planner.core.isolated import run_isolated, worth_isolating
from planner.core.problem import PlanData
from planner.core.results import PlanTables
from planner.core.session import PlanSession
from planner.core.start import start_plan
from planner.core.summary import ModelSize, PlanSummary, Shortfall
from planner.core.warm import (
    Commitment,
    HeldBuys,
    WarmSource,
    carried_start,
    held_commitment,
    held_purchases,
)
from planner.deadline import HIGHS_GRACE_S, Deadline, SoftStop, post_solve_reserve
from planner.errors import InfeasibleError, SolverError
from planner.fmt import fixed, num, usd, usd_small
from planner.inputs.bundle import Inputs
from planner.io.output import write_plan

if TYPE_CHECKING:
    from planner.core.compile import CompiledModel

StageFn = Callable[[str, float], None]


@dataclass(frozen=True)
class Diagnosis:
    """What a solve says about demand it cannot serve, in the planner's words.

    `planner.analysis.solve.DIAGNOSIS` is the planner's; it is handed in because the core
    never imports the analyses.
    """

    #: why no unit can serve demand class k in its period (it has no serve variable)
    unservable_reason: Callable[[PlanData, int], str]
    #: the shortfall of each class a (relaxed) plan leaves short, one line each
    shortfall_details: Callable[[PlanData, PlanTables], list[str]]
    #: summary.json's ``shortfall``: how much falls short, where and why
    shortfall: Callable[[PlanData, PlanTables], Shortfall]


@dataclass(repr=False)
class PlanResult:
    """A solved plan: its tables, summary, and what produced it."""

    data: PlanData
    tables: PlanTables
    outcome: SolveOutcome
    settings: HighsSettings
    timings: dict[str, float] = field(default_factory=dict)
    #: the solver's columns by variable name and key (`CompiledModel.values`): what a
    #: neighbouring scenario's solve may start from (`solve_data(start_from=...)`)
    values: dict[str, dict[tuple[object, ...], float]] | None = None

    @property
    def summary(self) -> PlanSummary:
        return self.tables.summary

    def write(self, out_dir: str | Path) -> list[Path]:
        return write_plan(self, Path(out_dir))

    def __repr__(self) -> str:
        """One line: the status, spend and penalty apart, cost per Mtok, unmet tokens and
        what was bought (the tables are `tables`, pandas DataFrames)."""
        s = self.summary
        return (f"<{type(self).__name__} {s.scenario!r}: {s.status}, spend "
                f"{usd(s.spend_usd)}, unmet penalty {usd(s.unmet_penalty_usd)}, "
                f"{usd_small(s.cost_per_mtok_usd)} per Mtok served, unmet tokens "
                f"{num(s.unmet_tokens)}, {fixed(s.units_bought)} units bought; "
                f"{self.tables!r}>")


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


def hall_load(data: PlanData, held: HeldBuys | None = None
              ) -> tuple[dict[tuple[str, int], float], dict[tuple[str, int], float]]:
    """(kW, racks) per (hall, period) of the installed base, plus units `held` (bought in
    a period and in service from then to the horizon's end), when given."""
    kw: dict[tuple[str, int], float] = defaultdict(float)
    racks: dict[tuple[str, int], float] = defaultdict(float)

    def add(s: str, g: str, t: int, units: float) -> None:
        kw[(s, t)] += units * data.systems[g].unit_power_kw
        racks[(s, t)] += units * data.systems[g].racks_per_unit

    for (s, g, t), u in data.existing.items():
        add(s, g, t, u)
    index = {lab: t for t, lab in enumerate(data.labels)}
    for (s, g, lab), units in (held or {}).items():
        t0 = index.get(lab)
        if t0 is None or units <= 0 or g not in data.systems:
            continue
        for t in range(t0, data.T):
            add(s, g, t, units)
    return dict(kw), dict(racks)


def precheck(data: PlanData, diagnosis: Diagnosis,
             settings: HighsSettings | None = None) -> None:
    """Infeasibilities visible before solving, explained in the planner's words.

    Existing units above a hall's power or rack cap make any plan infeasible. With
    `strict_demand`, demand that no unit can serve in its period (no system meets the SLO,
    or none can be in service then) does too; then every shortfall of the scenario is
    explained at once (`explain_infeasible`), not only those.
    """
    details: list[str] = []
    load_kw, load_racks = hall_load(data)
    for site in [] if data.allow_retirement else data.sites:  # C: retiring makes room
        power_told = racks_told = False
        for t in range(data.T):
            kw = load_kw.get((site.name, t), 0.0)
            # A: a site with `build` may have built up to its max_mw by t
            can_build = any(s == site.name and u <= t for s, u in data.build_index)
            cap_kw = (site.power_mw + (data.max_build_mw(site.name) if can_build else 0.0)) \
                * 1000.0
            if not power_told and kw > cap_kw + 1e-6:
                details.append(f"site {site.name!r} in {data.labels[t]}: existing units draw "
                               f"{kw / 1000:.4g} MW, above power_mw {site.power_mw:g}"
                               + (f" plus the {data.max_build_mw(site.name):g} MW it may "
                                  "build" if can_build else "")
                               + " (raise power_mw, or retire units with retire_after)")
                power_told = True
            if site.max_racks is not None and not racks_told:
                racks = load_racks.get((site.name, t), 0.0)
                if racks > site.max_racks + 1e-6:
                    details.append(f"site {site.name!r} in {data.labels[t]}: existing units "
                                   f"fill {racks:g} racks, above max_racks "
                                   f"{site.max_racks:g}")
                    racks_told = True
    unservable = []
    if data.strict_demand:
        servable = {k for (_, _, k) in data.serve_index} | {k for _r, k in data.rserve_index}
        unservable = [c for c in data.classes if c.index not in servable]
    if unservable and not details:
        # the solver would not see these (no variable can serve them): explain them
        # together with every other shortfall
        raise explain_infeasible(data, settings or HighsSettings(time_limit_s=60.0),
                                 diagnosis)
    for c in unservable:
        details.append(f"{c.model} in {c.period} at {c.slo:g} tokens/s per user: "
                       f"demand {c.tokens_per_s:.4g} tokens/s, the caps allow at most 0 "
                       f"(short {c.tokens_per_s:.4g} tokens/s, 100%): "
                       f"{diagnosis.unservable_reason(data, c.index)}")
    if details:
        msg = ("strict_demand cannot be met: the scenario has no feasible plan" if unservable
               else "the scenario has no feasible plan")
        raise InfeasibleError(msg, details)


def explain_infeasible(data: PlanData, settings: HighsSettings,
                       diagnosis: Diagnosis) -> InfeasibleError:
    """Re-plan with unmet demand allowed at a high price, and say what falls short.

    The re-plan serves as much demand as the caps allow, so its unmet demand per model
    and period is the shortfall, and the caps that are full there are the binding ones.
    """
    msg = "strict_demand cannot be met: the scenario has no feasible plan"
    hint = ("set options.strict_demand: false to plan anyway and see the shortfall in "
            "service.csv, or relax the caps named above")
    relaxed = replace(data, strict_demand=False,
                      unmet_penalty_usd_per_mtok=max(1e6, data.unmet_penalty_usd_per_mtok),
                      # D. prices: the high price applies to every class here
                      classes=[replace(c, usd_per_mtok=None) for c in data.classes])
    try:
        result = solve_data(relaxed, replace(settings, mip_rel_gap=min(settings.mip_rel_gap,
                                                                      1e-5)),
                            diagnosis=diagnosis)
    except Exception:  # noqa: BLE001 - a diagnosis must never hide the real answer
        return InfeasibleError(msg, ["the diagnosis (a re-plan that allows unmet demand) "
                                     "failed too", hint])
    details = diagnosis.shortfall_details(data, result.tables)
    if not details:
        details = ["a re-plan that allows unmet demand serves all of it within the solver's "
                   "tolerance: the demand is met only with no slack; lower a demand row "
                   "slightly or loosen a cap"]
    if result.outcome.status == "time_limit":
        details.append("the diagnosis hit the time limit, so these maxima are estimates")
    return InfeasibleError(msg, details + [hint])


def _raise_without_plan(outcome: SolveOutcome, data: PlanData, settings: HighsSettings,
                        diagnosis: Diagnosis, left: HighsSettings | None = None) -> None:
    """Raise the planner's error when HiGHS ended without a plan (infeasible, unbounded,
    out of time, failed); `left`: the settings with the time that is left, for the
    re-plan that explains an infeasible strict scenario."""
    if outcome.status == "infeasible":
        if data.strict_demand:
            raise explain_infeasible(data, left or settings, diagnosis)
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
        raise SolverError(
            f"HiGHS stopped with status {outcome.highs_status!r} and no plan (a numerical "
            "or solver failure, not a verdict on the scenario)",
            "run `planner doctor` to check the install; look for extreme numbers in the "
            "inputs (very large or very small); raise solver.time_limit_s")


def check_held_buys(data: PlanData, held: HeldBuys) -> None:
    """Purchases held fixed that no operation can keep within a hall's power or floor
    space (a unit drawing more power than was assumed): InfeasibleError naming the first
    hall and period, and how far over its cap they are. The installed base counts; with
    `options.allow_retirement` nothing is checked (retiring makes room), and a hall that
    may build counts the most it may build."""
    if data.allow_retirement:
        return
    kw, racks = hall_load(data, held)
    for (s, t), used in sorted(kw.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        site = data.site_by_name.get(s)
        if site is None:
            continue
        cap_kw = (site.power_mw + data.max_build_mw(s)) * 1000.0
        if used > cap_kw * (1 + 1e-9) + 1e-6:
            raise InfeasibleError(
                f"the purchases held fixed do not fit: with the installed base they draw "
                f"{used / 1000.0:.4g} MW at {s} in {data.labels[t]}, above the "
                f"{cap_kw / 1000.0:.4g} MW the hall can have")
        r = racks.get((s, t), 0.0)
        if site.max_racks is not None and r > site.max_racks * (1 + 1e-9) + 1e-6:
            raise InfeasibleError(
                f"the purchases held fixed do not fit: with the installed base they fill "
                f"{r:.4g} racks at {s} in {data.labels[t]}, above its max_racks "
                f"{site.max_racks:g}")


def _held_commitment(compiled: CompiledModel, commitment: Commitment) -> CompiledModel:
    """`held_commitment`, a decision this model cannot make an InfeasibleError."""
    try:
        return held_commitment(compiled, commitment)
    except KeyError as exc:
        raise InfeasibleError(f"the committed decisions cannot be made here: "
                              f"{' '.join(exc.args[0])} has no column") from None


#: the least time HiGHS is given, however little of the limit the stages before it left
MIN_SOLVE_S = 1e-3
#: the share of the time left after compiling that the start heuristic may take
HEURISTIC_SHARE = 0.5


def _left(settings: HighsSettings, deadline: Deadline, reserve_s: float = 0.0
          ) -> HighsSettings:
    """`settings` with the time limit set to what is left of the deadline, less
    `reserve_s` (at least `MIN_SOLVE_S`)."""
    return replace(settings, time_limit_s=max(MIN_SOLVE_S, deadline.remaining() - reserve_s))


def with_bound(outcome: SolveOutcome, bound: float) -> SolveOutcome:
    """`outcome` with `bound`, a proven lower bound of the same program found elsewhere
    (the LP relaxation's optimum the start heuristic solved), where it is better than
    HiGHS's own, and the gap recomputed from it. A run the time limit stopped before
    HiGHS's root LP has no bound of its own (or a weak one) although the start plan is
    within a fraction of a percent of the LP's: this says so."""
    obj, own = outcome.objective, outcome.best_bound
    if obj is None or not math.isfinite(bound) or (own is not None and own >= bound):
        return outcome
    bound = min(bound, obj)  # the LP is solved to a tolerance: never above the plan
    gap = max(0.0, obj - bound) / max(abs(obj), 1e-9)
    return replace(outcome, best_bound=bound, mip_gap=gap)


def solve_data(data: PlanData, settings: HighsSettings,
               progress: Callable[[dict[str, float]], None] | None = None,
               on_stage: StageFn | None = None, *, formulation: str = "strong",
               start: np.ndarray | None = None, heuristic: bool = True,
               start_from: WarmSource | None = None, diagnosis: Diagnosis,
               started_at: float | None = None, held_buys: HeldBuys | None = None,
               commitment: Commitment | None = None, plan_share: float = 1.0,
               weak_gap: float | None = None) -> PlanResult:
    """Build, compile, solve and extract one prepared problem.

    The time limit (`settings.time_limit_s`) bounds the run from `started_at` (a
    `time.perf_counter()` reading; default: when this is called), one deadline for every
    stage (`planner.deadline`): what the stages before HiGHS take (loading, preparing,
    building, compiling) is taken from HiGHS's time; the start heuristic may take
    `HEURISTIC_SHARE` of what is left; HiGHS gets the rest less a reserve for the stages
    after it (`post_solve_reserve`) and is interrupted past that by `HIGHS_GRACE_S`; the
    re-plan that explains an infeasible strict scenario gets what is left. So a run ends
    about when the limit says, however large the model. `plan_share`: the share of the
    limit this solve's deadline is (below 1 when analyses follow it and share the limit,
    `planner.deadline.PLAN_SHARE_WITH_ANALYSES`); `weak_gap`: past its share, HiGHS goes
    on, up to the whole limit, while its gap is above this (the analyses skip a plan
    stopped with a larger gap, so the time kept for them would be lost; `SoftStop`).

    `formulation`: "strong" (default) or "plain" (the contract's math as written; same
    optimum, see `planner.core.build`). `start`: a column vector of a previous plan of the
    same compiled model, handed to HiGHS as its starting plan; without one, the strong
    formulation computes one (`planner.core.start.start_plan`) unless `heuristic` is False.
    `start_from`: the plan of a neighbouring scenario (a sweep's previous point); when its
    purchases, fleet and serving are feasible here they are the starting plan and the
    heuristic is skipped (`planner.core.warm`). `diagnosis`: what to say about demand
    that cannot be served (the infeasibility explanation, summary.json's ``shortfall``).
    `held_buys`: purchases held fixed, units by (site, system, period label), every other
    purchase 0 (`planner.core.warm.held_purchases`): the plan is then the best operation
    of those purchases; purchases that break a hall's power or floor space in some
    period raise InfeasibleError naming it (`check_held_buys`). `commitment` (G): the
    purchases, builds and retirements of the committed periods held fixed, the later
    ones free (`planner.core.warm.held_commitment`): one future's best adaptation.

    The extracted plan is checked before it is returned (`planner.core.checks.check_plan`):
    strict demand served in full, every cap kept by the rounded plan, and the cost
    recomputed from the tables equal to the solver's objective; otherwise SolverError.
    """
    # Pyomo: imported on the first solve, so `planner --help` and the light commands stay fast
    from planner.core.build import build_model
    from planner.core.compile import compile_model

    timings: dict[str, float] = {}
    lp_bound: float | None = None  # the start heuristic's LP optimum, a proven bound
    t0 = time.perf_counter()
    deadline = Deadline(t0 if started_at is None else started_at,
                        settings.time_limit_s * plan_share)
    # with `weak_gap`, the plan may go on to the whole limit: the start heuristic takes
    # its share of that (on a large plan it finds most of what the plan gains)
    whole = (Deadline(deadline.started, settings.time_limit_s)
             if weak_gap is not None and plan_share < 1.0 else None)
    precheck(data, diagnosis, _left(settings, deadline))
    if held_buys is not None:
        check_held_buys(data, held_buys)
    if on_stage:
        on_stage("build", 0.0)
    m = build_model(data, formulation=formulation)
    timings["build_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    compiled = compile_model(m)
    if held_buys is not None:
        try:
            compiled = held_purchases(compiled, held_buys)
        except KeyError as exc:
            site, system, period = exc.args[0]
            raise InfeasibleError(f"the purchases held fixed cannot be made here: {system} "
                                  f"at {site} in {period} is not for sale") from None
    if commitment is not None:
        compiled = _held_commitment(compiled, commitment)
    timings["compile_s"] = time.perf_counter() - t1
    if on_stage:
        on_stage("solve", time.perf_counter() - t0)
    if start is None and start_from is not None and start_from.values is not None:
        start = carried_start(compiled, start_from.values)
        timings["carried_start"] = 0.0 if start is None else 1.0
    if start is None and heuristic and formulation == "strong" and \
            bool(compiled.program.integer.any()):
        sp = start_plan(compiled,
                        time_limit_s=HEURISTIC_SHARE * (whole or deadline).remaining(),
                        target_gap=settings.mip_rel_gap)
        timings["start_plan_s"] = sp.seconds
        start = sp.x
        lp_bound = sp.lp_bound
    # HiGHS gets what is left, less the reserve for the stages after it, and is
    # interrupted if it overruns that by more than HIGHS_GRACE_S (planner.deadline);
    # with `weak_gap`, what is left of the whole limit, stopping at the plan's share
    # once its gap is at most `weak_gap`
    reserve = post_solve_reserve(timings, settings.time_limit_s)
    soft = None
    if whole is not None and weak_gap is not None:
        soft = SoftStop(deadline.at - reserve, weak_gap,
                        -math.inf if lp_bound is None else lp_bound)
        deadline = whole
    solve_settings = _left(settings, deadline, reserve)
    stop_at = time.perf_counter() + solve_settings.time_limit_s + HIGHS_GRACE_S
    if worth_isolating(compiled.program):  # a large MIP: HiGHS in a process of its own,
        # stopped at stop_at whatever it is doing (planner.core.isolated)
        outcome = run_isolated(compiled.program, solve_settings, start, progress, stop_at,
                               soft)
    else:
        outcome = PlanSession(compiled, solve_settings).solve(start=start, progress=progress,
                                                              stop_at=stop_at, soft=soft)
    timings["solve_s"] = outcome.seconds
    if lp_bound is not None:
        outcome = with_bound(outcome, lp_bound)
    _raise_without_plan(outcome, data, settings, diagnosis, _left(settings, deadline))
    t2 = time.perf_counter()
    result = checked_plan(data, compiled, outcome, settings, diagnosis)
    timings["extract_s"] = time.perf_counter() - t2
    result.tables.summary.model_size = ModelSize(columns=compiled.program.shape[1],
                                                 rows=compiled.program.shape[0],
                                                 nonzeros=int(compiled.program.A.nnz))
    result.timings = timings
    return result


#: unmet moved by less than this (in the column's units) is left as the solver had it
UNMET_MOVE_MIN = 1e-9


def unmet_as_served(compiled: CompiledModel, outcome: SolveOutcome) -> SolveOutcome:
    """`outcome` with each demand class counted unmet as far as its serving leaves it.

    The tables price unmet = demand - served; the solver's unmet columns may differ:

    - too much: the demand rows read served + unmet >= demand, so a plan the time limit
      stopped (an incumbent, not an optimum) may count demand as unmet that its fleet
      serves; its objective then charges a penalty the plan does not incur (seen at xxl
      size: $5.2e10 of a $5.4e12 objective);
    - too little: an optimum may leave a demand row short by the solver's feasibility
      tolerance, and where the unmet price is high that is real money next to the
      penalty (fuzz seed 11168, the plain formulation: $44 of a $109 penalty, 4e-6 of
      the cost, where the post-solve check allows 1e-6).

    Each unmet column (positive cost) is raised by what its rows lack, else lowered by the
    slack they leave,

        short_j = max_i (lo_i - act_i) / a_ij   (a_ij > 0, rows with a lower bound)
        room_j  = min(unmet_j - lo_j, min_i (act_i - lo_i) / a_ij (a_ij > 0, lower bound),
                      min_i (hi_i - act_i) / -a_ij (a_ij < 0, upper bound))
        unmet_j += max(0, min(short_j, the room its bounds and rows leave))  if short_j > 0
        unmet_j -= room_j                                                otherwise,

    in column order, and the objective and gap are recomputed: the same purchases and
    serving, priced as what they leave unmet. An exact optimum is unchanged."""
    x = outcome.x
    if x is None or "unmet" not in compiled.columns:
        return outcome
    prog = compiled.program
    _keys, pos = compiled.columns["unmet"]
    cols = np.sort(pos[pos >= 0])
    Ac = prog.A.tocsc()
    act = prog.A @ x
    x_new = np.array(x, dtype=float)
    changed = False
    for j in cols.tolist():
        if prog.c[j] <= 0:
            continue
        rows = Ac.indices[Ac.indptr[j]:Ac.indptr[j + 1]]
        vals = Ac.data[Ac.indptr[j]:Ac.indptr[j + 1]]
        short, up_room = 0.0, prog.col_hi[j] - x_new[j]
        room = x_new[j] - prog.col_lo[j]
        for i, a in zip(rows.tolist(), vals.tolist(), strict=True):
            if a > 0 and math.isfinite(prog.row_lo[i]):
                short = max(short, (prog.row_lo[i] - act[i]) / a)
                room = min(room, (act[i] - prog.row_lo[i]) / a)
            if a > 0 and math.isfinite(prog.row_hi[i]):
                up_room = min(up_room, (prog.row_hi[i] - act[i]) / a)
            if a < 0 and math.isfinite(prog.row_hi[i]):
                room = min(room, (prog.row_hi[i] - act[i]) / -a)
            if a < 0 and math.isfinite(prog.row_lo[i]):
                up_room = min(up_room, (act[i] - prog.row_lo[i]) / -a)
        step = max(0.0, min(short, up_room)) if short > UNMET_MOVE_MIN else -room
        if abs(step) <= UNMET_MOVE_MIN:
            continue
        x_new[j] += step
        act[rows] += vals * step
        changed = True
    if not changed:
        return outcome
    obj = float(prog.c @ x_new + prog.offset)
    bound = outcome.best_bound
    gap = outcome.mip_gap if bound is None else max(0.0, obj - bound) / max(abs(obj), 1e-9)
    return replace(outcome, x=x_new, objective=obj, mip_gap=gap)


def checked_plan(data: PlanData, compiled: CompiledModel, outcome: SolveOutcome,
                 settings: HighsSettings, diagnosis: Diagnosis) -> PlanResult:
    """A solution (`outcome.x`, of `compiled`) as a plan: demand counted unmet only where
    its serving leaves it (`unmet_as_served`), its tables extracted, checked
    (`planner.core.checks.check_plan`: strict demand served, every cap kept, the cost the
    objective says) and its shortfall diagnosed."""
    outcome = unmet_as_served(compiled, outcome)
    assert outcome.x is not None
    values = compiled.values(outcome.x)
    tables = extract(data, values, outcome, asdict(settings))
    # the plan must serve strict demand, keep every cap and cost what the objective says
    check_plan(data, tables, outcome)
    tables.summary.shortfall = diagnosis.shortfall(data, tables)
    return PlanResult(data, tables, outcome, settings, {}, values)
