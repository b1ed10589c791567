"""Marginal values of a plan: what one more MW, 10% more budget, 1% more demand is worth.

How they are computed (`marginal_values`):

1. One `planner.core.session.PlanSession` builds and compiles the model once and keeps one
   HiGHS instance. The base plan is solved on it (warm-started from the plan's solution),
   so every difference below is measured on the same instance with the same settings.
2. Each what-if changes bounds only, re-solves warm-started from a plan that stays
   feasible for it, reads the objective, and puts the bounds back:
   - `power_mw`, one hall, one period: the row ``power[site,period]`` +1000 kW (1 MW),
     for every period where the hall's power binds (the headroom left is below the power
     of one unit of the largest system the hall can hold);
   - `power_mw`, one hall, period ``all``: +1 MW in every period of the horizon;
   - `budget`: every budget row (``budget[period]`` and ``budget_total``, whichever the
     scenario sets) +10% of its cap; when both caps exist each is also tried alone;
   - `demand`: the rows ``demand[period,class]`` of one served model +1% in every period
     (the warm start books the extra demand as unmet, so it is feasible).
   `value_usd` is the cost saved by the step (for demand: the cost added), in the
   objective's USD (discounted, with the scenario's capex accounting). What it is made
   of: `spend_change_usd` (the change of capex, energy and opex: money; + is more spent),
   `penalty_change_usd` (the change of the unmet penalty, a price the scenario sets) and
   `extra_tokens_served` (tokens over the horizon the plan serves in addition). A MW
   "worth $1.6B" that is $1.6B of penalty avoided and $2M more spend is worth the tokens
   it serves for $2M of money. Where demand rows carry prices (`usd_per_mtok`, contract
   v2 D), unserved priced demand is revenue lost, so the value is margin: the table then
   has `margin_change_usd` = revenue gained (the fall of the priced classes' lost
   revenue) - the spend change, the money the step makes.
3. The LP-relaxation estimate: integrality relaxed on the same instance, one LP solve,
   the row duals times the step in the row's own units (power rows are in kW, so USD/MW
   = dual x 1000; budget and demand rows are scaled (`planner.core.scaling`), so a step of d
   USD or tokens/s is d / `row_scale` of the row). It prices an infinitesimal step of
   the LP relaxation: quick, but blind to whole units and to the MILP's choices.

A re-solved value is exact up to the MIP gap the solves stop at (`mip_rel_gap` of the
scenario, or the `gap` argument): differences smaller than gap x cost are noise. Values
are rounded to the cent.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from planner.analysis.binding import binds
from planner.core.extract import extract
from planner.core.highs import HighsSettings, SolveOutcome
from planner.core.problem import PlanData
from planner.core.session import PlanSession
from planner.core.solve import MIN_SOLVE_S
from planner.deadline import CutShort, Deadline
from planner.fmt import sig_plain, usd

#: how a row says the analysis time budget (`budget`, --analysis-time) stopped it
BUDGET_SPENT = "the analysis time budget"

MARGINAL_COLUMNS = ["kind", "site", "period", "model", "delta", "value_usd",
                    "lp_dual_estimate", "method", "limit", "delta_unit", "value_per_unit_usd",
                    "value_unit", "spend_change_usd", "penalty_change_usd",
                    "extra_tokens_served"]

#: D. prices: the column a plan with priced demand adds (margin gained by the step)
MARGIN_COLUMN = "margin_change_usd"

POWER_STEP_MW = 1.0
BUDGET_STEP = 0.10
DEMAND_STEP = 0.01

ProgressFn = Callable[[int, int, str], None]


@dataclass
class _Task:
    kind: str
    site: str
    period: str
    model: str
    limit: str
    delta: float
    delta_unit: str
    value_unit: str
    per_unit: float  # value_usd / per_unit = value per unit
    rows: dict[int, float]  # row index -> change of its bound
    bound: str  # "hi" (caps) or "lo" (demand)
    label: str


def power_binding_periods(data: PlanData, sites_table: pd.DataFrame) -> dict[str, list[str]]:
    """Periods where a hall's power binds (`planner.analysis.binding.binds`): the headroom
    is below one unit of the largest system the hall can hold in that period."""
    largest: dict[tuple[str, int], float] = {}
    for s, g, t in data.fleet_index:
        kw = data.systems[g].unit_power_kw
        largest[(s, t)] = max(largest.get((s, t), 0.0), kw)
    pos = {lab: i for i, lab in enumerate(data.labels)}
    out: dict[str, list[str]] = {s.name: [] for s in data.sites}
    for r in sites_table.itertuples():
        t = pos[str(r.period)]
        big = largest.get((str(r.site), t))  # None: no system fits the hall then
        if binds(float(r.power_kw), float(r.power_cap_kw), big):
            out[str(r.site)].append(str(r.period))
    return out


def _tasks(data: PlanData, session: PlanSession, binding: dict[str, list[str]]
           ) -> list[_Task]:
    tasks: list[_Task] = []
    kw = POWER_STEP_MW * 1000.0
    for site in data.sites:
        rows_all = {r.index: kw for r in session.family("power") if r.key[0] == site.name}
        if not rows_all:
            continue
        for lab in binding.get(site.name, []):
            i = session.row("power", site.name, lab)
            if i is None:
                continue
            tasks.append(_Task("power_mw", site.name, lab, "", "power_mw", POWER_STEP_MW, "MW",
                               "USD per MW", POWER_STEP_MW, {i: kw}, "hi",
                               f"+1 MW at {site.name} in {lab}"))
        tasks.append(_Task("power_mw", site.name, "all", "", "power_mw", POWER_STEP_MW,
                           "MW in every period", "USD per MW", POWER_STEP_MW, rows_all, "hi",
                           f"+1 MW at {site.name}, all periods"))
    # steps in each row's own units (`CompiledModel.row_scale`: USD per row unit)
    scale = session.row_scale
    per = {r.index: BUDGET_STEP * data.budget_per_period_usd / float(scale[r.index])
           for r in session.family("budget")} if data.budget_per_period_usd else {}
    tot = {r.index: BUDGET_STEP * data.budget_total_usd / float(scale[r.index])
           for r in session.family("budget_total")} if data.budget_total_usd else {}
    combos: list[tuple[str, dict[int, float], float]] = []
    if per and tot:
        combos.append(("capex_usd_per_period+total_capex_usd", {**per, **tot},
                       float(BUDGET_STEP * (data.budget_total_usd or 0.0))))
    if per:
        combos.append(("capex_usd_per_period", per,
                       float(BUDGET_STEP * (data.budget_per_period_usd or 0.0) * len(per))))
    if tot:
        combos.append(("total_capex_usd", tot, float(BUDGET_STEP * (data.budget_total_usd
                                                                    or 0.0))))
    for limit, rows, step_usd in combos:
        tasks.append(_Task("budget", "", "all", "", limit, BUDGET_STEP, "share of the cap",
                           "USD per USD of cap", step_usd, rows, "hi", f"+10% {limit}"))
    models = sorted({c.model for c in data.classes})
    for m in models:
        drows: dict[int, float] = {}
        extra_mtok = 0.0
        for c in data.classes:
            if c.model != m:
                continue
            i = session.row("demand", c.period, c.key)
            if i is None:
                continue
            drows[i] = DEMAND_STEP * c.tokens_per_s / float(scale[i])  # tokens/s per unit
            extra_mtok += DEMAND_STEP * c.tokens_per_s * data.hours * 3600.0 / 1e6
        if drows:
            tasks.append(_Task("demand", "", "all", m, "demand", DEMAND_STEP,
                               "share of demand", "USD per Mtok", extra_mtok, drows, "lo",
                               f"+1% demand of {m}"))
    return tasks


def _demand_start(session: PlanSession, x0: np.ndarray, data: PlanData,
                  task: _Task) -> np.ndarray:
    """The base plan with the extra demand booked as unmet (feasible when unmet exists;
    `unmet` has coefficient 1 in its scaled demand row, so the row's step is its step)."""
    x = x0.copy()
    if data.strict_demand:
        return x
    unmet = session.columns("unmet")
    by_row = {session.row("demand", c.period, c.key): (c.period, c.key)
              for c in data.classes if c.model == task.model}
    for i, d in task.rows.items():
        j = unmet.get(by_row[i])  # type: ignore[index]
        if j is not None:
            x[j] += d
    return x


def _add_power_kw(session: PlanSession, data: PlanData, site: str, periods: list[str],
                  kw: float) -> None:
    """Raise a hall's power cap by `kw` in the given periods.

    The `buy` columns carry an upper bound implied by the hall's power
    (`PlanData.buy_cap`); it is raised with the cap, as a model built with the larger cap
    would have it (a bound buy[t] <= cap[t]/unit_kw is valid since the fleet in t includes
    the units bought in t).
    """
    raised: dict[str, float] = {}
    for lab in periods:
        i = session.row("power", site, lab)
        if i is None:
            continue
        session.set_row_bounds(i, hi=session.row_hi[i] + kw)
        raised[lab] = float(session.row_hi[i])
    for (s, g, lab), j in session.columns("buy").items():
        if s != site or lab not in raised:
            continue
        cap = data.buy_cap(s, g, power_kw=raised[lab])
        if cap > session.col_hi[j]:
            session.set_col_bounds(j, hi=cap)


def _lp_duals(session: PlanSession, data: PlanData, deadline: Deadline | None = None
              ) -> np.ndarray | None:
    """Row duals of the LP relaxation, on the session's instance (`PlanSession.row_duals`
    gives their units and signs); integrality and bounds are put back after.

    The `buy` upper bounds implied by power and floor space are lifted for the LP (they
    are redundant: buy <= fleet <= cap), so the power and space rows carry the dual
    instead of a column bound; supply caps stay.
    """
    for (_s, g, _lab), j in session.columns("buy").items():
        cap = data.systems[g].max_units_per_period
        session.set_col_bounds(j, hi=float(cap) if cap is not None else math.inf)
    session.relax_integrality()
    try:
        if deadline is None:
            session.solve()
        else:
            left = deadline.cap(session.settings.time_limit_s)
            session.solve(time_limit_s=max(MIN_SOLVE_S, left), stop_at=deadline.stop_at(left))
        return session.row_duals()
    finally:
        session.restore_integrality()
        session.reset()


def marginal_values(data: PlanData, settings: HighsSettings,
                    start: np.ndarray | None = None, *,
                    base: SolveOutcome | None = None,
                    sites_table: pd.DataFrame | None = None,
                    gap: float | None = None, time_limit_s: float | None = None,
                    budget: Deadline | None = None,
                    progress: ProgressFn | None = None,
                    deadline: Deadline | None = None) -> pd.DataFrame:
    """Marginal values of one planning problem, as the `marginal_values.csv` table.

    `start` is the plan's solution vector; `base` the plan's own solve (`start` is its
    solution): the steps are then measured against it, else the base problem is solved
    again first, warm-started from `start`. `sites_table` is the plan's sites table (to
    find the periods where power binds; the base plan's is used when omitted). `gap`
    overrides the MIP gap of the re-solves, `time_limit_s` the time limit of each solve.

    LP estimates first, re-solves only where they can differ from 0: a step whose LP
    estimate is below the solver's noise (`noise_usd`: the re-solves' MIP gap times the
    base cost) is not re-solved, since a re-solve could not tell its value from 0; its
    row keeps the LP estimate and says so. The others are re-solved, the whole-horizon
    power, budget and demand steps first, then the per-period power steps by decreasing
    LP estimate.

    `budget` (the analyses' time budget, a `Deadline`): re-solving stops when it ends,
    each re-solve limited to what is left of it; a step not re-solved keeps its LP
    estimate and says why (`budget.why`) in `method` (its value is blank).
    `deadline` (the run's, `planner.deadline`): every solve, the LP estimates too, is
    limited to what is left of it, steps not started before it are `CUT_SHORT` in
    `method`, and CutShort is raised when not even the LP estimates could be started.
    """
    if gap is not None:
        settings = replace(settings, mip_rel_gap=gap)
    if time_limit_s is not None:
        settings = replace(settings, time_limit_s=time_limit_s)
    stop = budget.earliest(deadline) if budget is not None else deadline

    def solve(start_x: np.ndarray | None, within: Deadline | None) -> SolveOutcome:
        if within is None:
            return session.solve(start=start_x)
        left = within.cap(settings.time_limit_s)
        return session.solve(start=start_x, time_limit_s=max(MIN_SOLVE_S, left),
                             stop_at=within.stop_at(left))

    if deadline is not None and deadline.expired():
        raise CutShort("no time left to build the model again")
    session = PlanSession.build(data, settings)
    if base is None or base.x is None or base.objective is None:
        if deadline is not None and deadline.expired():
            raise CutShort("no time left to re-solve the plan")
        base = solve(start, deadline)
    if base.x is None or base.objective is None:
        if deadline is not None and deadline.expired():
            raise CutShort("the re-solve of the plan itself ran out of time")
        return pd.DataFrame([], columns=MARGINAL_COLUMNS)
    x0 = base.x
    base_obj = float(base.objective)
    unmet_j, unmet_tps = unmet_columns(session)
    c_unmet = session.program.c[unmet_j]
    c_priced = c_unmet * priced_unmet(session, data)  # D. prices: revenue lost

    def split(x: np.ndarray | None) -> tuple[float, float, float]:
        """(penalty USD, unmet tokens over the horizon, priced revenue lost USD) of a
        solution vector."""
        if x is None or not len(unmet_j):
            return 0.0, 0.0, 0.0
        u = np.maximum(np.asarray(x)[unmet_j], 0.0)
        return (float(c_unmet @ u), float(u @ unmet_tps) * data.hours * 3600.0,
                float(c_priced @ u))

    base_split = split(x0)
    if sites_table is None:
        sites_table = extract(data, session.values(base), base).sites
    binding = power_binding_periods(data, sites_table)
    tasks = _tasks(data, session, binding)
    duals = _lp_duals(session, data, deadline)
    noise = noise_usd(settings, base_obj)
    order = {id(t): i for i, t in enumerate(tasks)}

    def estimate(t: _Task) -> float:
        return -sum(float(duals[i]) * d for i, d in t.rows.items()) if duals is not None \
            else math.nan

    def priority(t: _Task) -> tuple[int, float, int]:
        if t.kind == "power_mw" and t.period != "all":
            est = estimate(t)
            return (1, 0.0 if math.isnan(est) else -est, order[id(t)])
        return (0, 0.0, order[id(t)])

    run_order = sorted(tasks, key=priority)
    total = len(tasks)
    done: dict[int, tuple[object, ...]] = {}
    for n, task in enumerate(run_order):
        kept = _kept_estimate(abs(estimate(task)), noise, (deadline, budget))
        if kept is not None:
            done[id(task)] = _row(task, base, None, base_obj, duals, settings,
                                  base_split, None, why=kept)
            continue
        if progress:
            progress(n, total, task.label)
        out = _resolve(session, data, task, x0, lambda x: solve(x, stop))
        out_split = split(out.x) if out.objective is not None else None
        if out_split is not None and task.kind == "demand":  # D: the added demand's price
            out_split = (*out_split[:2], out_split[2] - _priced_step_usd(data, task))
        done[id(task)] = _row(task, base, out, base_obj, duals, settings, base_split,
                              out_split)
    session.reset()
    if progress:
        progress(total, total, "done")
    if data.priced:  # D. prices: the margin column
        return pd.DataFrame([done[id(t)] for t in tasks],
                            columns=[*MARGINAL_COLUMNS, MARGIN_COLUMN])
    return pd.DataFrame([done[id(t)][:-1] for t in tasks], columns=MARGINAL_COLUMNS)


def noise_usd(settings: HighsSettings, cost_usd: float) -> float:
    """What a re-solve cannot tell from 0: its MIP gap times the cost (both solves stop
    anywhere within the gap of their optimum)."""
    return settings.mip_rel_gap * abs(cost_usd)


def _kept_estimate(estimate: float, noise: float,
                   stops: tuple[Deadline | None, ...]) -> str | None:
    """Why a step keeps its LP estimate instead of a re-solve (None: re-solve it): the
    estimate is below the solver's noise, or one of `stops` (the run's deadline, the
    analyses' budget) ended."""
    if not math.isnan(estimate) and estimate < noise:
        return (f"not re-solved: the LP estimate is below the solver's noise "
                f"({usd(noise)}, the MIP gap times the cost), a re-solve could not "
                "tell it from 0; LP estimate only")
    for stop in stops:
        if stop is not None and stop.expired():
            return f"not re-solved: {stop.why}; LP estimate only"
    return None


def _resolve(session: PlanSession, data: PlanData, task: _Task, x0: np.ndarray,
             solve: Callable[[np.ndarray | None], SolveOutcome]) -> SolveOutcome:
    """Re-solve the base problem with one step applied (a hall's power, a budget, a
    demand), starting from the base plan (or, for a demand step, the base plan with the
    step's demand marked unmet), by `solve(start)`."""
    session.reset()
    if task.kind == "power_mw":
        periods = [task.period] if task.period != "all" else list(data.labels)
        _add_power_kw(session, data, task.site, periods, POWER_STEP_MW * 1000.0)
        return solve(x0)
    for i, d in task.rows.items():
        if task.bound == "hi":
            session.set_row_bounds(i, hi=session.row_hi[i] + d)
        else:
            session.set_row_bounds(i, lo=session.row_lo[i] + d)
    st = _demand_start(session, x0, data, task) if task.kind == "demand" else x0
    return solve(st)


def _priced_step_usd(data: PlanData, task: _Task) -> float:
    """D. prices: what the demand a `demand` step adds would earn if served in full (the
    revenue the step makes possible)."""
    return sum(task.delta * c.tokens_per_s * data.unmet_usd_of_class(c.index)
               for c in data.classes if c.model == task.model and c.usd_per_mtok is not None)


def priced_unmet(session: PlanSession, data: PlanData) -> np.ndarray:
    """1.0 for each `unmet` column (as `unmet_columns` lists them) of a class with a price
    (D), else 0.0."""
    compiled = session.compiled
    if "unmet" not in compiled.columns:
        return np.zeros(0)
    keys, pos = compiled.columns["unmet"]
    flags = [data.classes[data.class_of_key[(str(k[0]), str(k[1]))]].usd_per_mtok is not None
             for k in keys]
    return np.asarray(flags, dtype=float)[pos >= 0]


def unmet_columns(session: PlanSession) -> tuple[np.ndarray, np.ndarray]:
    """The `unmet` columns of a session, and the tokens/s one unit of each stands for
    (`CompiledModel.col_scale`: unmet counts shares of its class's demand)."""
    compiled = session.compiled
    if "unmet" not in compiled.columns:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    _keys, pos = compiled.columns["unmet"]
    scale = compiled.col_scale.get("unmet")
    tps = np.ones(len(pos)) if scale is None else np.asarray(scale, dtype=float)
    keep = pos >= 0
    return pos[keep].astype(np.int64), tps[keep]


def _row(task: _Task, base: SolveOutcome, out: SolveOutcome | None, base_obj: float,
         duals: np.ndarray | None, settings: HighsSettings,
         base_split: tuple[float, float, float],
         out_split: tuple[float, float, float] | None,
         why: str | None = None) -> tuple[object, ...]:
    sign = -1.0 if task.bound == "hi" else 1.0  # caps: cost saved; demand: cost added
    value: float
    if out is None:
        value = math.nan
        method = why or "not re-solved; LP estimate only"
    elif out.objective is not None and out.status in ("optimal", "time_limit"):
        value = (base_obj - out.objective) if task.bound == "hi" else (
            out.objective - base_obj)
        method = ("re-solved MILP (same model, warm start), gap <= "
                  f"{sig_plain(settings.mip_rel_gap * 100, 2)}%")
        if out.status == "time_limit" or base.status == "time_limit":
            method += "; time limit hit, value approximate"
    else:
        value = math.nan
        method = f"re-solve: {out.status}"
    est = math.nan
    if duals is not None:
        est = sign * float(sum(duals[i] * d for i, d in task.rows.items()))
    # to the cent: differences below that are the solver's floating-point noise
    value = round(value, 2) + 0.0 if not math.isnan(value) else value
    est = round(est, 2) + 0.0 if not math.isnan(est) else est
    per_unit = value / task.per_unit if task.per_unit and not math.isnan(value) else math.nan
    spend_d = penalty_d = extra = margin_d = math.nan
    if out_split is not None and out is not None and out.objective is not None \
            and not math.isnan(value):
        penalty_d = round(out_split[0] - base_split[0], 2) + 0.0
        spend_d = round((float(out.objective) - out_split[0]) - (base_obj - base_split[0]),
                        2) + 0.0
        # tokens served in addition: less unmet; for demand, plus the extra demand
        extra = base_split[1] - out_split[1]
        if task.kind == "demand":
            extra += task.per_unit * 1e6
        # D. prices: revenue gained (priced demand served in addition) less more spend
        margin_d = round(-(out_split[2] - base_split[2]) - spend_d, 2) + 0.0
    return (task.kind, task.site, task.period, task.model, task.delta, value, est, method,
            task.limit, task.delta_unit, per_unit, task.value_unit, spend_d, penalty_d,
            extra, margin_d)
