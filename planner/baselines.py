"""Baselines: what simpler plans would cost, to show what the optimised mix saves.

- **single-system** (one row per system type that can serve at least one demand class):
  the same scenario restricted to that one system type (what the scenario extension
  ``systems: [id]`` does: the installed base stays, only that type can be bought and
  serve), planned optimally. A system that cannot serve a model leaves that demand unmet
  at the penalty price (or makes a `strict_demand` scenario infeasible).
- **greedy**: a rule of thumb a spreadsheet would follow. Period by period, each demand
  class (in order) is served first from the fleet already standing, cheapest cost per
  token first; what remains is bought, cheapest cost per token first: the (hall, system)
  pair with the lowest cost per million tokens for that class, as many units as cover
  the rest or as fit (power and floor space in this and every later period, supply, the
  per-period and total budget), then the next pair. Cost per million tokens of a pair is
  the seed's identity: USD per unit-hour (capex over its life + fixed opex + energy at
  the hall's PUE and price) / (tokens/s the unit serves for the class x 3600) x 1e6.
  The purchases are then priced by the planner's own model: the `buy` columns are fixed
  to the greedy units on one `planner.resolve.ResolveSession` and the rest (allocation,
  unmet demand) is solved, so the greedy plan is charged exactly like the optimised one.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pandas as pd

from planner.highs import HighsSettings
from planner.problem import PlanData

BASELINE_COLUMNS = ["baseline", "system", "status", "total_cost_usd", "cost_per_mtok_usd",
                    "savings_usd", "unmet_tokens", "units_bought"]

ProgressFn = Callable[[int, int, str], None]


def restrict_to_system(data: PlanData, g: str) -> PlanData:
    """The problem with only system `g` to buy and serve (installed units stay)."""
    installed = {x for (_, x, _) in data.existing}
    existing_keys = set(data.existing)
    return replace(
        data,
        name=f"{data.name} [{g} only]",
        systems={k: v for k, v in data.systems.items() if k == g or k in installed},
        tput={k: v for k, v in data.tput.items() if k[0] == g},
        buy_index=[x for x in data.buy_index if x[1] == g],
        fleet_index=[x for x in data.fleet_index if x[1] == g or x in existing_keys],
        serve_index=[x for x in data.serve_index if x[1] == g],
    )


def serving_systems(data: PlanData) -> list[str]:
    """System types that can serve at least one demand class, in catalogue order."""
    can = {g for (g, _) in data.tput}
    buyable = {g for (_, g, _) in data.buy_index}
    return [g for g in data.systems if g in can and g in buyable]


def cost_per_mtok(data: PlanData, s: str, g: str, k: int) -> float:
    """USD per million tokens of one unit of g at hall s serving class k (seed identity)."""
    sysd = data.systems[g]
    site = data.site_by_name[s]
    per_hour = (sysd.capex_usd / (sysd.lifetime_years * 8760.0) + sysd.opex_usd_per_year / 8760.0
                + sysd.unit_power_kw / 1000.0 * data.average_power_fraction * site.pue
                * site.electricity_usd_per_mwh)
    tps = data.tokens_per_unit(g, k)
    return per_hour / (tps * 3600.0) * 1e6 if tps > 0 else math.inf


def greedy_purchases(data: PlanData) -> dict[tuple[str, str, int], int]:
    """Units bought per (hall, system, period) by the lowest-cost-per-token-first rule."""
    T = data.T
    buyable = set(data.buy_index)
    can_serve = set(data.serve_index)
    room_kw = {(s.name, t): s.power_mw * 1000.0 for s in data.sites for t in range(T)}
    room_racks = {(s.name, t): (math.inf if s.max_racks is None else float(s.max_racks))
                  for s in data.sites for t in range(T)}
    for (s, g, t), u in data.existing.items():
        room_kw[(s, t)] -= u * data.systems[g].unit_power_kw
        room_racks[(s, t)] -= u * data.systems[g].racks_per_unit
    spent: dict[int, float] = defaultdict(float)
    spent_total = 0.0
    supply_used: dict[tuple[str, int], int] = defaultdict(int)
    bought_cum: dict[tuple[str, str], int] = defaultdict(int)
    buys: dict[tuple[str, str, int], int] = defaultdict(int)
    pairs = sorted({(s, g) for (s, g, _) in data.fleet_index},
                   key=lambda p: (p[0], list(data.systems).index(p[1])))

    for t in range(T):
        free = {(s, g): float(data.existing.get((s, g, t), 0) + bought_cum[(s, g)])
                for (s, g) in pairs}
        for c in (c for c in data.classes if c.t == t):
            need = c.tokens_per_s
            ranked = sorted((p for p in pairs if (p[0], p[1], c.index) in can_serve),
                            key=lambda p: (cost_per_mtok(data, p[0], p[1], c.index), p))
            for p in ranked:  # the standing fleet first
                if need <= 1e-9:
                    break
                tpu = data.tokens_per_unit(p[1], c.index)
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
                    fit = min(fit, math.floor(room_kw[(s, tt)] / sysd.unit_power_kw + 1e-9))
                    if sysd.racks_per_unit > 0:
                        fit = min(fit, math.floor(room_racks[(s, tt)] / sysd.racks_per_unit
                                                  + 1e-9))
                if sysd.max_units_per_period is not None:
                    fit = min(fit, sysd.max_units_per_period - supply_used[(g, t)])
                if sysd.capex_usd > 0:
                    if data.budget_per_period_usd is not None:
                        fit = min(fit, math.floor((data.budget_per_period_usd - spent[t])
                                                  / sysd.capex_usd + 1e-9))
                    if data.budget_total_usd is not None:
                        fit = min(fit, math.floor((data.budget_total_usd - spent_total)
                                                  / sysd.capex_usd + 1e-9))
                tpu = data.tokens_per_unit(g, c.index)
                n = int(min(fit, math.ceil(need / tpu - 1e-9)))
                if n <= 0:
                    continue
                buys[(s, g, t)] += n
                bought_cum[(s, g)] += n
                supply_used[(g, t)] += n
                spent[t] += n * sysd.capex_usd
                spent_total += n * sysd.capex_usd
                for tt in range(t, T):
                    room_kw[(s, tt)] -= n * sysd.unit_power_kw
                    room_racks[(s, tt)] -= n * sysd.racks_per_unit
                free[(s, g)] += n
                use = min(free[(s, g)], need / tpu)
                free[(s, g)] -= use
                need -= use * tpu
    return dict(buys)


def price_purchases(data: PlanData, settings: HighsSettings,
                    buys: dict[tuple[str, str, int], int]) -> dict[str, Any]:
    """Cost a fixed purchase plan with the planner's model (allocation and unmet solved)."""
    from planner.resolve import ResolveSession

    session = ResolveSession(data, settings)
    labels = data.labels
    fixed: dict[tuple[str, ...], float] = {(s, g, labels[t]): float(u)
                                           for (s, g, t), u in buys.items()}
    session.fix_columns("buy", fixed, default=0.0)
    out = session.solve()
    if out.x is None or out.objective is None:
        return {"status": out.status}
    tables = session.tables(out)
    return {"status": out.status, "summary": tables.summary}


def _row(baseline: str, system: str, status: str, summary: dict[str, Any] | None,
         best: float | None) -> dict[str, Any]:
    if summary is None:
        return {"baseline": baseline, "system": system, "status": status,
                "total_cost_usd": math.nan, "cost_per_mtok_usd": math.nan,
                "savings_usd": math.nan, "unmet_tokens": math.nan, "units_bought": math.nan}
    total = float(summary["total_cost_usd"])
    cpm = summary.get("cost_per_mtok_usd")
    return {"baseline": baseline, "system": system, "status": status,
            "total_cost_usd": total, "cost_per_mtok_usd": math.nan if cpm is None else cpm,
            "savings_usd": math.nan if best is None else total - best,
            "unmet_tokens": float(summary.get("unmet_tokens", math.nan)),
            "units_bought": int(summary.get("units_bought", 0))}


def baselines(data: PlanData, settings: HighsSettings,
              optimised: dict[str, Any] | None = None,
              progress: ProgressFn | None = None,
              budget_s: float | None = None) -> pd.DataFrame:
    """The `baselines.csv` table: the optimised plan, each single-system plan, greedy.

    `optimised` is the optimised plan's summary (its total is what the savings are
    measured against); without it, only the baselines are listed and savings are blank.
    With `budget_s`, single-system plans not started within that many seconds are
    listed with status `skipped` (the greedy plan, one quick solve, always runs).
    """
    from planner.api import solve_data
    from planner.errors import InfeasibleError, SolverError

    best = None if optimised is None else float(optimised["total_cost_usd"])
    rows: list[dict[str, Any]] = []
    if optimised is not None:
        rows.append(_row("optimised", "mixed", str(optimised.get("status", "")), optimised,
                         best))
    systems = serving_systems(data)
    total = len(systems) + 1
    t_start = time.perf_counter()
    for n, g in enumerate(systems):
        if budget_s is not None and time.perf_counter() - t_start > budget_s:
            rows.append(_row("single-system", g, "skipped", None, best))
            continue
        if progress:
            progress(n, total, f"single-system plan: {g}")
        try:
            res = solve_data(restrict_to_system(data, g), settings)
            rows.append(_row("single-system", g, res.outcome.status, res.summary, best))
        except InfeasibleError:
            rows.append(_row("single-system", g, "infeasible", None, best))
        except SolverError:
            rows.append(_row("single-system", g, "no_solution", None, best))
    if progress:
        progress(len(systems), total, "greedy plan")
    buys = greedy_purchases(data)
    priced = price_purchases(data, settings, buys)
    used = sorted({g for (_, g, _) in buys}, key=list(data.systems).index)
    rows.append(_row("greedy", "+".join(used), priced["status"], priced.get("summary"), best))
    if progress:
        progress(total, total, "done")
    return pd.DataFrame(rows, columns=BASELINE_COLUMNS)
