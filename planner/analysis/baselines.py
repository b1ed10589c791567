"""Baselines: what simpler plans would cost, to show what the optimised plan saves.

- **single-system** (one row per system type that can be bought and serve at least one
  demand class): the question a buyer asks, "what if every new purchase had been system
  X?". The same scenario with purchases restricted to that one system type, planned
  optimally: the installed base stays and keeps serving what it can (its own tput and
  serving entries where it has a fleet), only new units are restricted to X. Demand
  neither the installed base nor X can serve goes unmet at the penalty price. In a
  `strict_demand` scenario a baseline that cannot serve everything is planned the same
  way, with the shortfall at the penalty price, and its status says `short`: "X alone
  spends this and leaves that much unserved" answers more than "infeasible". (The
  scenario extension ``systems: [id]`` asks the same question.)
  When the optimised plan buys only X, the X-only baseline is the same plan.
- **greedy**: a rule of thumb a spreadsheet would follow. Period by period, each demand
  class (in order) is served first from the fleet already standing (the installed base
  and what greedy bought before), cheapest cost per token first; what remains is bought,
  cheapest cost per token first: the (hall, system) pair with the lowest cost per million
  tokens for that class, as many units as cover the rest or as fit (power and floor
  space in this and every later period, supply, the per-period and total budget), then
  the next pair. Cost per million tokens of a pair is the seed's identity: USD per
  unit-hour (capex over its life + fixed opex + energy at the hall's PUE and price) /
  (tokens/s the unit serves for the class x 3600) x 1e6. The purchases are then priced by
  the planner's own model: the `buy` columns are fixed to the greedy units on one
  `planner.core.session.PlanSession` and the rest (allocation, unmet demand) is solved, so
  the greedy plan is charged exactly like the optimised one.

Each row carries the total cost and its two parts, the spend (capex, energy, opex) and
the unmet-demand penalty, so a saving made of avoided penalty shows as such. A saving
within solver noise (`planner.analysis.verdicts.same_cost`: the larger proven gap of the two
solves) is written as 0.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from planner.analysis.solve import solve_data
from planner.analysis.verdicts import same_cost
from planner.core.extract import extract
from planner.core.highs import HighsSettings
from planner.core.problem import PlanData
from planner.core.session import PlanSession
from planner.core.solve import MIN_SOLVE_S
from planner.core.summary import PlanSummary, usd_per_mtok
from planner.deadline import Deadline
from planner.errors import InfeasibleError, SolverError
from planner.fmt import finite

BASELINE_COLUMNS = ["baseline", "system", "status", "total_cost_usd", "cost_per_mtok_usd",
                    "savings_usd", "unmet_tokens", "units_bought", "spend_usd",
                    "unmet_penalty_usd"]

ProgressFn = Callable[[int, int, str], None]


def restrict_to_system(data: PlanData, g: str) -> PlanData:
    """The problem where every new purchase is system `g`.

    The installed base stays and keeps serving: an installed system keeps its throughput
    entries, and its serving entries in the halls and periods where it has units in
    service. Only `g` can be bought (and serve from the units bought).
    """
    existing_keys = set(data.existing)
    installed = {x for (_, x, _) in existing_keys}
    classes = data.classes
    serve_index = [(s, x, k) for (s, x, k) in data.serve_index
                   if x == g or (s, x, classes[k].t) in existing_keys]
    return replace(
        data,
        name=f"{data.name} [{g} only]",
        systems={k: v for k, v in data.systems.items() if k == g or k in installed},
        tput={k: v for k, v in data.tput.items() if k[0] == g or k[0] in installed},
        buy_index=[x for x in data.buy_index if x[1] == g],
        retire_index=[x for x in data.retire_index if x[1] == g],  # C. refresh
        fleet_index=[x for x in data.fleet_index if x[1] == g or x in existing_keys],
        serve_index=serve_index,
    )


def serving_systems(data: PlanData) -> list[str]:
    """System types that can be bought and serve at least one demand class, in catalogue
    order."""
    can = {g for (g, _) in data.tput}
    buyable = {g for (_, g, _) in data.buy_index}
    return [g for g in data.systems if g in can and g in buyable]


def _tokens_per_unit(data: PlanData, g: str, k: int) -> float:
    """Tokens/s one unit of g serves for class k; 0 when it cannot (or the figure is not a
    positive finite number)."""
    if (g, k) not in data.tput:
        return 0.0
    v = data.tokens_per_unit(g, k)
    return v if math.isfinite(v) and v > 0 else 0.0


def cost_per_mtok(data: PlanData, s: str, g: str, k: int) -> float:
    """USD per million tokens of one unit of g at hall s serving class k: the seed's
    identity per unit-hour, (capex over the life + fixed opex + energy at the hall's PUE
    and price) per hour / (tokens/s the unit serves x 3600) x 1e6 (`usd_per_mtok`);
    infinite when the unit cannot serve the class."""
    sysd = data.systems[g]
    site = data.site_by_name[s]
    life_h = sysd.lifetime_years * 8760.0
    capex_h = sysd.capex_usd / life_h if life_h > 0 else (0.0 if sysd.capex_usd == 0
                                                          else math.inf)
    per_hour = (capex_h + sysd.opex_usd_per_year / 8760.0
                + sysd.unit_power_kw / 1000.0 * data.average_power_fraction * site.pue
                * site.electricity_usd_per_mwh)
    v = usd_per_mtok(per_hour, _tokens_per_unit(data, g, k) * 3600.0)
    return v if not math.isnan(v) else math.inf


def _units_fitting(room: float, per_unit: float) -> float:
    """Whole units of `per_unit` each that fit in `room`: infinite when a unit takes none
    of it (or the room is unbounded), 0 when no room is left. Never NaN."""
    if not per_unit > 0 or room == math.inf:
        return math.inf
    q = room / per_unit
    if math.isnan(q):
        return 0.0
    if q == math.inf:
        return math.inf
    return max(0.0, float(math.floor(q + 1e-9)))


def greedy_purchases(data: PlanData) -> dict[tuple[str, str, int], int]:
    """Units bought per (hall, system, period) by the lowest-cost-per-token-first rule.

    Each period starts from the standing fleet: the installed base in service then and
    what the rule bought before.
    """
    T = data.T
    buyable = set(data.buy_index)
    can_serve = set(data.serve_index)
    room_kw = {(s.name, t): s.power_mw * 1000.0 for s in data.sites for t in range(T)}
    room_racks = {(s.name, t): (math.inf if s.max_racks is None else float(s.max_racks))
                  for s in data.sites for t in range(T)}
    for (s, g, t), u in data.existing.items():
        room_kw[(s, t)] -= u * data.systems[g].unit_power_kw
        if data.systems[g].racks_per_unit > 0:
            room_racks[(s, t)] -= u * data.systems[g].racks_per_unit
    spent: dict[int, float] = defaultdict(float)
    spent_total = 0.0
    supply_used: dict[tuple[str, int], int] = defaultdict(int)
    bought_cum: dict[tuple[str, str], int] = defaultdict(int)
    buys: dict[tuple[str, str, int], int] = defaultdict(int)
    order = {g: i for i, g in enumerate(data.systems)}
    pairs = sorted({(s, g) for (s, g, _) in data.fleet_index}, key=lambda p: (p[0], order[p[1]]))

    for t in range(T):
        free = {(s, g): float(data.existing.get((s, g, t), 0) + bought_cum[(s, g)])
                for (s, g) in pairs}
        for c in (c for c in data.classes if c.t == t):
            need = c.tokens_per_s
            ranked = sorted((p for p in pairs if (p[0], p[1], c.index) in can_serve
                             and _tokens_per_unit(data, p[1], c.index) > 0),
                            key=lambda p: (cost_per_mtok(data, p[0], p[1], c.index), p))
            for p in ranked:  # the standing fleet first
                if need <= 1e-9:
                    break
                tpu = _tokens_per_unit(data, p[1], c.index)
                use = min(free[p], need / tpu)
                free[p] -= use
                need -= use * tpu
            for s, g in ranked:  # then buy, cheapest per token first
                if need <= 1e-9:
                    break
                if (s, g, t) not in buyable:
                    continue
                sysd = data.systems[g]
                fit = math.inf
                for tt in range(t, T):
                    fit = min(fit, _units_fitting(room_kw[(s, tt)], sysd.unit_power_kw),
                              _units_fitting(room_racks[(s, tt)], sysd.racks_per_unit))
                if sysd.max_units_per_period is not None:
                    fit = min(fit, float(sysd.max_units_per_period - supply_used[(g, t)]))
                if data.budget_per_period_usd is not None:
                    fit = min(fit, _units_fitting(data.budget_per_period_usd - spent[t],
                                                  sysd.capex_usd))
                if data.budget_total_usd is not None:
                    fit = min(fit, _units_fitting(data.budget_total_usd - spent_total,
                                                  sysd.capex_usd))
                tpu = _tokens_per_unit(data, g, c.index)
                cover = need / tpu
                want = math.ceil(cover - 1e-9) if math.isfinite(cover) else math.inf
                n_f = min(fit, want)
                if not math.isfinite(n_f) or n_f <= 0:
                    continue
                n = int(n_f)
                buys[(s, g, t)] += n
                bought_cum[(s, g)] += n
                supply_used[(g, t)] += n
                spent[t] += n * sysd.capex_usd
                spent_total += n * sysd.capex_usd
                for tt in range(t, T):
                    room_kw[(s, tt)] -= n * sysd.unit_power_kw
                    if sysd.racks_per_unit > 0:
                        room_racks[(s, tt)] -= n * sysd.racks_per_unit
                free[(s, g)] += n
                use = min(free[(s, g)], need / tpu)
                free[(s, g)] -= use
                need -= use * tpu
    return dict(buys)


def price_purchases(data: PlanData, settings: HighsSettings,
                    buys: dict[tuple[str, str, int], int],
                    deadline: Deadline | None = None) -> dict[str, Any]:
    """Cost a fixed purchase plan with the planner's model (allocation and unmet solved),
    within what is left of `deadline` if given."""
    session = PlanSession.build(data, settings)
    labels = data.labels
    fixed: dict[tuple[str, ...], float] = {(s, g, labels[t]): float(u)
                                           for (s, g, t), u in buys.items()}
    session.fix_columns("buy", fixed, default=0.0)
    if deadline is None:
        out = session.solve()
    else:
        left = max(MIN_SOLVE_S, deadline.cap(settings.time_limit_s))
        out = session.solve(time_limit_s=left, stop_at=deadline.stop_at(left))
    if out.x is None or out.objective is None:
        return {"status": out.status}
    tables = extract(data, session.values(out), out)
    return {"status": out.status, "summary": tables.summary}


def _row(baseline: str, system: str, status: str,
         summary: PlanSummary | None) -> dict[str, Any]:
    nan = math.nan
    if summary is None:
        return {"baseline": baseline, "system": system, "status": status,
                "total_cost_usd": nan, "cost_per_mtok_usd": nan, "savings_usd": nan,
                "unmet_tokens": nan, "units_bought": nan, "spend_usd": nan,
                "unmet_penalty_usd": nan}
    cpm = summary.cost_per_mtok_usd
    penalty = finite(summary.cost_breakdown_usd.unmet_penalty)
    return {"baseline": baseline, "system": system, "status": status,
            "total_cost_usd": float(summary.total_cost_usd),
            "cost_per_mtok_usd": nan if cpm is None else cpm, "savings_usd": nan,
            "unmet_tokens": float(summary.unmet_tokens),
            "units_bought": int(summary.units_bought),
            "spend_usd": float(summary.spend_usd),
            "unmet_penalty_usd": nan if penalty is None else penalty}


def systems_label(data: PlanData, systems: Iterable[str]) -> str:
    """`a+b` for the systems bought (catalogue order), `none` when nothing is bought."""
    order = {g: i for i, g in enumerate(data.systems)}
    used = sorted(set(systems), key=lambda g: (order.get(g, len(order)), g))
    return "+".join(used) if used else "none"


def baselines(data: PlanData, settings: HighsSettings,
              optimised: PlanSummary | None = None,
              progress: ProgressFn | None = None,
              budget: Deadline | None = None,
              optimised_systems: Sequence[str] | None = None,
              deadline: Deadline | None = None) -> pd.DataFrame:
    """The `baselines.csv` table: the optimised plan, each single-system plan, greedy.

    `optimised` is the optimised plan's summary (its total is what the savings are
    measured against); without it, only the baselines are listed and savings are blank.
    `optimised_systems` are the system types the optimised plan buys (its row's `system`:
    joined with `+`, `none` when it buys nothing; `mixed` when not given).
    Savings within solver noise are 0 (`planner.analysis.verdicts.same_cost`).
    With `budget` (the analyses' time budget, a `Deadline`), every solve is limited to
    what is left of it and single-system plans not started before it ends are listed
    with status `skipped` (the greedy plan, one quick solve, always runs).
    With `deadline` (the run's, `planner.deadline`), every solve is limited to what is
    left of it and the plans not started before it, the greedy one too, are `skipped`.
    """
    rows: list[dict[str, Any]] = []
    summaries: list[PlanSummary | None] = []
    if optimised is not None:
        label = "mixed" if optimised_systems is None else systems_label(data,
                                                                         optimised_systems)
        rows.append(_row("optimised", label, optimised.status, optimised))
        summaries.append(optimised)
    # strict demand: baselines that cannot serve it all still show their spend and shortfall
    relaxed = replace(data, strict_demand=False) if data.strict_demand else data

    def status_of(status: str, summ: PlanSummary | None) -> str:
        if data.strict_demand and summ is not None and float(summ.unmet_tokens or 0):
            return "short"
        return status

    systems = serving_systems(data)
    total = len(systems) + 1
    stop = budget.earliest(deadline) if budget is not None else deadline

    def expired() -> bool:
        return deadline is not None and deadline.expired()

    def capped(within: Deadline | None) -> HighsSettings:
        if within is None:
            return settings
        return replace(settings, time_limit_s=max(MIN_SOLVE_S,
                                                  within.cap(settings.time_limit_s)))

    for n, g in enumerate(systems):
        if (stop is not None and stop.expired()) or expired():
            rows.append(_row("single-system", g, "skipped", None))
            summaries.append(None)
            continue
        if progress:
            progress(n, total, f"single-system plan: {g}")
        try:
            res = solve_data(restrict_to_system(relaxed, g), capped(stop))
            rows.append(_row("single-system", g, status_of(res.outcome.status, res.summary),
                             res.summary))
            summaries.append(res.summary)
        except InfeasibleError:
            rows.append(_row("single-system", g, "infeasible", None))
            summaries.append(None)
        except SolverError:
            rows.append(_row("single-system", g, "no_solution", None))
            summaries.append(None)
    if progress:
        progress(len(systems), total, "greedy plan")
    buys = greedy_purchases(data)
    greedy_label = systems_label(data, (g for (_, g, _) in buys))
    if expired():
        rows.append(_row("greedy", greedy_label, "skipped", None))
        summaries.append(None)
    else:
        priced = price_purchases(relaxed, capped(deadline), buys, deadline)
        summary = priced.get("summary")
        rows.append(_row("greedy", greedy_label, status_of(priced["status"], summary),
                         summary))
        summaries.append(summary)
    if optimised is not None:
        best = float(optimised.total_cost_usd)
        for row, summ in zip(rows, summaries, strict=True):
            if summ is not None and not math.isnan(row["total_cost_usd"]):
                row["savings_usd"] = 0.0 if same_cost(summ, optimised) else (
                    row["total_cost_usd"] - best)
    if progress:
        progress(total, total, "done")
    return pd.DataFrame(rows, columns=BASELINE_COLUMNS)
