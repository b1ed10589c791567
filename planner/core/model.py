"""Build stage: the planning MILP in Pyomo (the only module that imports Pyomo).

Each constraint family is one function, its inequality in the docstring, registered in
`CONSTRAINT_FAMILIES` in build order. Index tuples are the names a planner reads
(``power[hall-a,2027Q3]``). The model is compiled to standard-form arrays with Pyomo's
`LinearStandardFormCompiler` and handed to HiGHS in one call (`planner.core.highs`).

Units in the model, scaled from the data so that no row is tiny or huge next to the
solver's tolerances (1e-6 to 1e-7, absolute): each demand row is divided by its own
demand (right-hand side 1, `unmet[k]` the share of class k's demand left unserved), each
budget row by a typical price in it (`budget_scale`: the power of ten nearest the
geometric mean of its smallest and largest unit price, so neither end of a price range
from cents to $1e7 falls under HiGHS's smallest matrix entry, 1e-9); power rows are in
kW, space rows in racks, supply rows in units; the objective is in USD.
`CompiledModel.row_scale` holds each row's divisor and `CompiledModel.values` reports
`unmet` in tokens/s, so nothing outside this module sees the scaling except code that
changes row bounds (`planner.analysis.marginal`, through `planner.core.resolve`).

`whole_unit` rows guard classes that need a tiny share of one unit (below
`WHOLE_UNIT_SHARE`) against being served from an empty fleet within the solver's
integrality and row tolerances (`add_whole_unit_constraints`).

Cooling and availability are enforced by construction (`planner.core.problem.prepare`): a
`buy` variable exists only where the system's cooling fits the hall, the hall is
available and the system's lead time has passed.

Two formulations (`build_model(data, formulation=...)`), with the same optimum:

- ``plain``: the contract's math as written: `serve[s,g,t,class]` per site, rows
  `assign[s,g,t]`, a `supply` row for every capped system and period (one hall or
  many), no implied bounds.
- ``strong`` (default): the serving variables pooled over sites, `pool[g,t,class]`, with
  rows `assign_pool[g,t]`: sum_k pool[g,t,k] <= sum_s fleet[s,g,t]. A throughput per unit
  does not depend on the site, so any pooled allocation splits back over the sites'
  fleets (`CompiledModel.values` does, filling sites in order) and the two are the same
  problem with the same LP bound, with about (number of sites) times fewer columns.
  Purchases carry the bounds power, floor space and supply imply; `fleet` is declared
  integer (it is existing units plus integer purchases), so HiGHS's knapsack and cover
  cuts apply to the power and space rows directly.

Constraints are built from precomputed coefficient lists as `LinearExpression` objects
(no `sum()` of Pyomo expressions), which Pyomo's standard-form compiler reads fast.
`start_plan` computes a feasible starting plan for HiGHS (relax, round, improve).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from planner.core.highs import HighsSettings, MatrixProgram, highs_instance, run_interruptible
from planner.core.problem import PlanData
from planner.gcpause import paused_gc

#: attribute of a built model holding the divisor of each scaled row,
#: {family: {index: divisor}}, and the natural units per model unit of scaled columns,
#: {"col:" + variable: {index: units}} (read by `compile_model`)
SCALES_ATTR = "_planner_scales"


def _scales(m: pyo.ConcreteModel) -> dict[str, dict[Any, float]]:
    sc = getattr(m, SCALES_ATTR, None)
    if sc is None:
        sc = {}
        setattr(m, SCALES_ATTR, sc)
    return sc


def budget_scale(prices: list[float]) -> float:
    """The divisor of a budget row: the power of ten nearest the geometric mean of its
    smallest and largest positive unit price (1 when it has none), so its coefficients
    straddle 1 ($1e6 for a catalogue of $300k servers and $3M racks)."""
    pos = [p for p in prices if p > 0]
    if not pos:
        return 1.0
    return float(10.0 ** round(0.5 * (math.log10(min(pos)) + math.log10(max(pos)))))


# --------------------------------------------------------------------------- helpers

FORMULATIONS = ("strong", "plain")


def _lin(terms: list[tuple[float, object]]) -> LinearExpression:
    """A linear expression from (coefficient, variable) pairs, built without `sum()`."""
    return LinearExpression([MonomialTermExpression(ct) for ct in terms])


Row = tuple[float | None, list[tuple[float, object]], float | None]  # (lo, terms, hi)


def _add_rows(m: pyo.ConcreteModel, name: str, index: list[Any], rows: Mapping[Any, Row]
              ) -> None:
    """Add an indexed constraint `name` with rows (lo, terms, hi) keyed like `index`."""
    def rule(_m: object, *key: object) -> object:
        lo, terms, hi = rows[key if len(key) > 1 else key[0]]
        return (lo, _lin(terms), hi)

    setattr(m, name, pyo.Constraint(index, rule=rule))


def _unit_cap(data: PlanData, s: str, g: str) -> float:
    site, sysd = data.site_by_name[s], data.systems[g]
    cap = math.floor(site.power_mw * 1000.0 / sysd.unit_power_kw + 1e-9)
    if site.max_racks is not None and sysd.racks_per_unit > 0:
        cap = min(cap, math.floor(site.max_racks / sysd.racks_per_unit + 1e-9))
    return float(cap)


def _pooled(m: pyo.ConcreteModel) -> bool:
    return hasattr(m, "pool")


# --------------------------------------------------------------------------- variables


def add_variables(m: pyo.ConcreteModel, data: PlanData, formulation: str = "strong") -> None:
    """buy[s,g,t] integer >= 0; fleet[s,g,t] >= 0; serve[s,g,class] >= 0; unmet[class] >= 0.

    ``strong``: purchases get the upper bounds power and floor space imply (they never cut
    a feasible plan): buy <= floor(power_mw*1000 / unit_power_kw), and
    <= floor(max_racks / racks_per_unit); buy <= max_units_per_period; fleet is integer;
    serving is pooled over sites: pool[g,t,class] >= 0 (see the module docstring).
    ``plain``: buy integer >= 0 without bounds, fleet continuous, serve per site.
    """
    if formulation not in FORMULATIONS:
        raise ValueError(f"formulation {formulation!r}: use one of {', '.join(FORMULATIONS)}")
    L = data.labels
    strong = formulation == "strong"
    buy_keys = [(s, g, L[t]) for s, g, t in data.buy_index]
    if strong:
        bounds: dict[tuple[str, str, str], tuple[float, float]] = {}
        caps: dict[tuple[str, str], float] = {}
        for s, g, lab in buy_keys:
            cap = caps.get((s, g))
            if cap is None:
                cap = caps[(s, g)] = _unit_cap(data, s, g)
            supply = data.systems[g].max_units_per_period
            bounds[(s, g, lab)] = (0.0, cap if supply is None else min(cap, float(supply)))
        m.buy = pyo.Var(buy_keys, domain=pyo.NonNegativeIntegers,
                        bounds=lambda _m, s, g, lab: bounds[(s, g, lab)])
    else:
        m.buy = pyo.Var(buy_keys, domain=pyo.NonNegativeIntegers)
    m.fleet = pyo.Var([(s, g, L[t]) for s, g, t in data.fleet_index],
                      domain=pyo.NonNegativeIntegers if strong else pyo.NonNegativeReals)
    if strong:
        pool_keys = list(dict.fromkeys(
            (g, L[data.classes[k].t], data.classes[k].key) for _s, g, k in data.serve_index))
        m.pool = pyo.Var(pool_keys, domain=pyo.NonNegativeReals)
    else:
        m.serve = pyo.Var([(s, g, L[data.classes[k].t], data.classes[k].key)
                           for s, g, k in data.serve_index],
                          domain=pyo.NonNegativeReals)
    unmet_idx = [] if data.strict_demand else [(c.period, c.key) for c in data.classes]
    m.unmet = pyo.Var(unmet_idx, domain=pyo.NonNegativeReals)  # shares of each demand
    if unmet_idx:
        _scales(m)["col:unmet"] = {(c.period, c.key): c.tokens_per_s for c in data.classes}


# --------------------------------------------------------------------------- constraint families


def add_fleet_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """fleet[s,g,t] = fleet[s,g,t-1] + buy[s,g,t] + existing[s,g,t] - existing[s,g,t-1].

    Equivalently fleet = existing units in service at t + all purchases up to t; bought
    units stay to the end of the horizon, existing ones until `retire_after`.
    """
    L = data.labels
    buys = {(s, g, t) for s, g, t in data.buy_index}
    fleet_set = set(data.fleet_index)
    ex = data.existing
    fleet, buy = m.fleet, m.buy
    rows = {}
    for s, g, t in data.fleet_index:
        lab = L[t]
        terms: list[tuple[float, object]] = [(1.0, fleet[s, g, lab])]
        if (s, g, t - 1) in fleet_set:
            terms.append((-1.0, fleet[s, g, L[t - 1]]))
        if (s, g, t) in buys:
            terms.append((-1.0, buy[s, g, lab]))
        rhs = float(ex.get((s, g, t), 0) - ex.get((s, g, t - 1), 0))
        rows[(s, g, lab)] = (rhs, terms, rhs)
    _add_rows(m, "fleet_balance", list(rows), rows)


def add_demand_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """sum_{s,g} serve[s,g,k] * gpus_per_unit[g] * tput[g,k] * target_utilization
    + unmet[k] >= tokens_per_s[k]   for each demand class k.

    Each row is divided by its own demand D_k (right-hand side 1), and `unmet[k]` counts
    shares of D_k (tokens/s = unmet * D_k): a demand of 0.01 tokens/s and one of 1e9
    are held to the same relative tolerance. Pooled: the same with
    pool[g,k] = sum_s serve[s,g,k]. With `strict_demand`, unmet does not exist.
    """
    cls = data.classes
    terms: dict[int, list[tuple[float, object]]] = defaultdict(list)
    if _pooled(m):
        pool = m.pool
        seen: set[tuple[str, int]] = set()
        for _s, g, k in data.serve_index:
            if (g, k) in seen:
                continue
            seen.add((g, k))
            c = cls[k]
            terms[k].append((data.tokens_per_unit(g, k) / c.tokens_per_s,
                             pool[g, c.period, c.key]))
    else:
        serve = m.serve
        for s, g, k in data.serve_index:
            c = cls[k]
            terms[k].append((data.tokens_per_unit(g, k) / c.tokens_per_s,
                             serve[s, g, c.period, c.key]))
    rows = {}
    scale = _scales(m).setdefault("demand", {})
    for c in cls:
        ts = terms.get(c.index, [])
        if not data.strict_demand:
            ts = [*ts, (1.0, m.unmet[c.period, c.key])]
        if not ts:
            continue  # strict and unservable: caught by planner.core.solve.precheck
        rows[(c.period, c.key)] = (1.0, ts, None)
        scale[(c.period, c.key)] = c.tokens_per_s
    _add_rows(m, "demand", list(rows), rows)


def add_assignment_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """sum_k serve[s,g,k] <= fleet[s,g,t]   for each site, system and period with demand.

    Pooled (`assign_pool[g,t]`): sum_k pool[g,t,k] <= sum_s fleet[s,g,t].
    """
    L = data.labels
    rows: dict[Any, Row] = {}
    if _pooled(m):
        pool, fleet = m.pool, m.fleet
        groups: dict[tuple[str, str], list[tuple[float, object]]] = defaultdict(list)
        for g, lab, key in pool:
            groups[(g, lab)].append((1.0, pool[g, lab, key]))
        sites_of: dict[tuple[str, str], list[str]] = defaultdict(list)
        for s, g, t in data.fleet_index:
            sites_of[(g, L[t])].append(s)
        for (g, lab), ts in groups.items():
            rows[(g, lab)] = (None, ts + [(-1.0, fleet[s, g, lab]) for s in sites_of[(g, lab)]],
                              0.0)
        _add_rows(m, "assign_pool", list(rows), rows)
        return
    serve, fleet = m.serve, m.fleet
    sgroups: dict[tuple[str, str, str], list[tuple[float, object]]] = defaultdict(list)
    for s, g, k in data.serve_index:
        c = data.classes[k]
        sgroups[(s, g, c.period)].append((1.0, serve[s, g, c.period, c.key]))
    for (s, g, lab), ts in sgroups.items():
        rows[(s, g, lab)] = (None, [*ts, (-1.0, fleet[s, g, lab])], 0.0)
    _add_rows(m, "assign", list(rows), rows)


#: the tightest MIP feasibility tolerance a program gets for its `whole_unit` rows
MIN_FEASIBILITY_TOL = 1e-9
PROGRAM_OPTIONS_ATTR = "_planner_highs_options"


def _program_options(m: pyo.ConcreteModel) -> dict[str, float]:
    """HiGHS options the compiled program must carry (`MatrixProgram.options`)."""
    opts = getattr(m, PROGRAM_OPTIONS_ATTR, None)
    if opts is None:
        opts = {}
        setattr(m, PROGRAM_OPTIONS_ATTR, opts)
    return opts


#: a class whose whole demand needs less than this share of one unit of a system gets a
#: `whole_unit` row for that system (`add_whole_unit_constraints`)
WHOLE_UNIT_SHARE = 1e-3


def add_whole_unit_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """serve[s,g,k] * tokens_per_unit[g,k] / D_k <= fleet[s,g,t]   where D_k is below
    `WHOLE_UNIT_SHARE` x tokens_per_unit[g,k] (pooled: pool[g,k] ... <= sum_s fleet).

    A numerical guard, not a new limit: the share of class k that g serves is at most 1
    in some optimal plan (serving more than the demand buys nothing), and it is positive
    only where a whole unit is in service, so share <= fleet cuts off no optimum. Without
    it, a class needing 1e-7 of a unit (0.01 tokens/s on a 72-GPU rack) is "served" by
    an empty fleet within the solver's tolerance (1e-6 on rows and on integrality); with
    it, serving the class needs fleet >= 1, which no tolerance rounds away.
    """
    L = data.labels
    cls = data.classes
    fleet = m.fleet
    rows: dict[Any, Row] = {}
    if _pooled(m):
        pool = m.pool
        sites_of: dict[tuple[str, str], list[str]] = defaultdict(list)
        for s, g, t in data.fleet_index:
            sites_of[(g, L[t])].append(s)
        for g, lab, key in pool:
            k = data.class_of_key[(lab, key)]
            share = data.tokens_per_unit(g, k) / cls[k].tokens_per_s
            if share * WHOLE_UNIT_SHARE > 1.0:
                rows[(g, lab, key)] = (None, [(share, pool[g, lab, key])]
                                       + [(-1.0, fleet[s, g, lab]) for s in sites_of[(g, lab)]],
                                       0.0)
    else:
        serve = m.serve
        for s, g, k in data.serve_index:
            c = cls[k]
            share = data.tokens_per_unit(g, k) / c.tokens_per_s
            if share * WHOLE_UNIT_SHARE > 1.0:
                rows[(s, g, c.period, c.key)] = (None, [(share, serve[s, g, c.period, c.key]),
                                                        (-1.0, fleet[s, g, c.period])], 0.0)
    if rows:
        _add_rows(m, "whole_unit", list(rows), rows)
        # the share a unit serves is then ~1/share units: the MIP's integrality and
        # feasibility tolerance (1e-6 by default) must be well below it, or HiGHS may
        # take an empty fleet as serving the class and prune the plans that buy for it
        # (fuzz seed 373: 0.01 tokens/s against a 1.2e7 tokens/s unit)
        largest = max(r[1][0][0] for r in rows.values())
        _program_options(m)["mip_feasibility_tolerance"] = max(
            MIN_FEASIBILITY_TOL, min(1e-6, 0.1 / largest))


def add_power_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """sum_g fleet[s,g,t] * unit_power_kw[g] <= power_mw[s] * 1000   for each site and period."""
    fleet = m.fleet
    groups: dict[tuple[str, str], list[tuple[float, object]]] = defaultdict(list)
    for s, g, t in data.fleet_index:
        lab = data.labels[t]
        groups[(s, lab)].append((data.systems[g].unit_power_kw, fleet[s, g, lab]))
    sites = data.site_by_name
    rows = {k: (None, ts, sites[k[0]].power_mw * 1000.0) for k, ts in groups.items()}
    _add_rows(m, "power", list(rows), rows)


def add_space_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """sum_g fleet[s,g,t] * racks_per_unit[g] <= max_racks[s]   where a site sets max_racks."""
    sites = data.site_by_name
    fleet = m.fleet
    groups: dict[tuple[str, str], list[tuple[float, object]]] = defaultdict(list)
    for s, g, t in data.fleet_index:
        if sites[s].max_racks is not None and data.systems[g].racks_per_unit > 0:
            lab = data.labels[t]
            groups[(s, lab)].append((data.systems[g].racks_per_unit, fleet[s, g, lab]))
    rows = {k: (None, ts, float(sites[k[0]].max_racks or 0.0)) for k, ts in groups.items()}
    _add_rows(m, "space", list(rows), rows)


def add_supply_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """sum_s buy[s,g,t] <= max_units_per_period[g]   for each capped system and period.

    The plain formulation writes the row whenever the cap exists, even when one hall
    alone can buy the system; the strong one leaves a one-hall cap to the purchase's
    upper bound (`add_variables` sets buy <= max_units_per_period there).
    """
    strong = _pooled(m)  # the strong formulation (pooled serving, implied bounds)
    buy = m.buy
    groups: dict[tuple[str, str], list[tuple[float, object]]] = defaultdict(list)
    for s, g, t in data.buy_index:
        if data.systems[g].max_units_per_period is not None:
            lab = data.labels[t]
            groups[(g, lab)].append((1.0, buy[s, g, lab]))
    rows = {k: (None, ts, float(data.systems[k[0]].max_units_per_period or 0))
            for k, ts in groups.items() if len(ts) > 1 or not strong}
    _add_rows(m, "supply", list(rows), rows)


def add_budget_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """sum_{s,g} buy[s,g,t] * capex_usd[g] <= capex_usd_per_period   for each period;
    sum_{s,g,t} buy[s,g,t] * capex_usd[g] <= total_capex_usd   (full price).

    Each row is divided by `budget_scale` of the prices in it.
    """
    buy = m.buy
    by_t: dict[str, list[tuple[float, object]]] = defaultdict(list)
    for s, g, t in data.buy_index:
        lab = data.labels[t]
        by_t[lab].append((data.systems[g].capex_usd, buy[s, g, lab]))
    cap_p, cap_total = data.budget_per_period_usd, data.budget_total_usd
    scales = _scales(m)

    def scaled(ts: list[tuple[float, object]], cap: float
               ) -> tuple[float, list[tuple[float, object]], float]:
        f = budget_scale([c for c, _v in ts])
        return f, [(c / f, v) for c, v in ts], cap / f

    if cap_p is not None:
        rows: dict[Any, Row] = {}
        sc = scales.setdefault("budget", {})
        for lab, ts in by_t.items():
            f, sts, rhs = scaled(ts, cap_p)
            rows[lab] = (None, sts, rhs)
            sc[lab] = f
        _add_rows(m, "budget", list(rows), rows)
    if cap_total is not None and by_t:
        f, sts, rhs = scaled([term for ts in by_t.values() for term in ts], cap_total)
        m.budget_total = pyo.Constraint(expr=(None, _lin(sts), rhs))
        scales["budget_total"] = {None: f}


ConstraintFamily = Callable[[pyo.ConcreteModel, PlanData], None]

CONSTRAINT_FAMILIES: list[ConstraintFamily] = [
    add_fleet_constraints,
    add_demand_constraints,
    add_assignment_constraints,
    add_whole_unit_constraints,
    add_power_constraints,
    add_space_constraints,
    add_supply_constraints,
    add_budget_constraints,
]


def add_objective(m: pyo.ConcreteModel, data: PlanData) -> None:
    """min sum_t d_t * [capex + energy + fixed opex + unmet penalty]  (USD).

    d_t = 1/(1+discount_rate)^(t*H/8760); capex per unit bought in t is capex_usd
    (upfront) or capex_usd*min(1, (T-t)/(lifetime_years*periods_per_year)) (amortized);
    energy = fleet*unit_power_kw/1000*average_power_fraction*pue*H*electricity_usd_per_mwh;
    opex = fleet*opex_usd_per_year*H/8760; unmet = tokens/s*H*3600/1e6*penalty_usd_per_mtok.
    """
    L = data.labels
    terms: list[tuple[float, object]] = []
    buy, fleet = m.buy, m.fleet
    for s, g, t in data.buy_index:
        coef = data.capex_charge_usd(g, t)
        if coef:
            terms.append((coef, buy[s, g, L[t]]))
    for s, g, t in data.fleet_index:
        coef = data.energy_usd_per_unit(s, g, t) + data.opex_usd_per_unit(g, t)
        if coef:
            terms.append((coef, fleet[s, g, L[t]]))
    if not data.strict_demand:
        for c in data.classes:
            coef = data.unmet_usd_per_tokens_per_s(c.t) * c.tokens_per_s  # unmet: shares
            if coef:
                terms.append((coef, m.unmet[c.period, c.key]))
    m.cost = pyo.Objective(expr=_lin(terms) if terms else 0.0, sense=pyo.minimize)


def build_model(data: PlanData, formulation: str = "strong") -> pyo.ConcreteModel:
    """The Pyomo model of a prepared planning problem (formulations: module docstring).

    Python's cyclic collector is paused while the model is built (`planner.gcpause`).
    """
    with paused_gc():
        m = pyo.ConcreteModel(name=data.name or "plan")
        add_variables(m, data, formulation)
        for family in CONSTRAINT_FAMILIES:
            family(m, data)
        add_objective(m, data)
    return m


# --------------------------------------------------------------------------- compile and read back


@dataclass
class CompiledModel:
    """The standard-form arrays of a built model, and where each variable's column is.

    `row_scale[i]`: what row i was divided by (its natural units per model unit: tokens/s
    for a demand row, USD for a budget row, 1 for rows kept in their natural units), so a
    change of d natural units in a row's bound is d / row_scale[i] in the program.
    `col_scale[name]`: natural units per model unit of a scaled variable, aligned with
    `columns[name]` (`unmet`: tokens/s per share of the class's demand).
    """

    program: MatrixProgram
    columns: dict[str, tuple[list[tuple[object, ...]], np.ndarray]]
    rows: list[object]
    row_scale: np.ndarray | None = None
    col_scale: dict[str, np.ndarray] | None = None

    def row_name(self, i: int) -> str:
        return str(self.rows[i].name)  # type: ignore[attr-defined]

    def values(self, x: np.ndarray | None) -> dict[str, dict[tuple[object, ...], float]]:
        """Variable values by name and key, in natural units (`unmet` in tokens/s); a
        pooled model also gets `serve` per site."""
        out: dict[str, dict[tuple[object, ...], float]] = {}
        scale = self.col_scale or {}
        for name, (keys, pos) in self.columns.items():
            if x is None:
                out[name] = {}
                continue
            vals = np.where(pos >= 0, x[np.maximum(pos, 0)] if len(x) else 0.0, 0.0)
            if name in scale:
                vals = vals * scale[name]
            out[name] = dict(zip(keys, vals.tolist(), strict=True))
        if "pool" in out and "serve" not in out:
            out["serve"] = split_pool(out["pool"], out.get("fleet", {}))
        return out


def split_pool(pool: dict[tuple[object, ...], float], fleet: dict[tuple[object, ...], float]
               ) -> dict[tuple[object, ...], float]:
    """Units serving each class per site, from the pooled allocation.

    For each system and period, classes (in key order) take units from the sites' fleets
    in site order; what rounding leaves over goes to the site with the largest fleet.
    Deterministic, and the split serves exactly what the pool serves.
    """
    room: dict[tuple[object, object], list[list[object]]] = defaultdict(list)
    for (s, g, lab), v in fleet.items():
        if v > 1e-9:
            room[(g, lab)].append([s, float(v)])
    out: dict[tuple[object, ...], float] = {}
    for (g, lab, key), v in pool.items():
        left = float(v)
        if left <= 1e-12:
            continue
        sites = room.get((g, lab), [])
        for entry in sites:
            have = float(entry[1])  # type: ignore[arg-type]
            if have <= 1e-12:
                continue
            take = min(left, have)
            out[(entry[0], g, lab, key)] = out.get((entry[0], g, lab, key), 0.0) + take
            entry[1] = have - take
            left -= take
            if left <= 1e-12:
                break
        if left > 1e-12 and sites:
            s_big = max(sites, key=lambda e: fleet.get((e[0], g, lab), 0.0))[0]
            out[(s_big, g, lab, key)] = out.get((s_big, g, lab, key), 0.0) + left
    return out


def compile_model(m: pyo.ConcreteModel) -> CompiledModel:
    """Standard-form arrays through Pyomo's compiler, ready for HiGHS (cyclic collector
    paused, as in `build_model`)."""
    with paused_gc():
        return _compile(m)


def _compile(m: pyo.ConcreteModel) -> CompiledModel:
    info = LinearStandardFormCompiler().write(m, mixed_form=True)
    cols = info.columns
    n = len(cols)
    col_lo = np.empty(n)
    col_hi = np.empty(n)
    integer = np.zeros(n, dtype=bool)
    for j, v in enumerate(cols):
        lb, ub = v.bounds
        col_lo[j] = -np.inf if lb is None else lb
        col_hi[j] = np.inf if ub is None else ub
        integer[j] = v.is_integer()
    rhs = np.asarray(info.rhs, dtype=float)
    sense = np.array([r[1] for r in info.rows], dtype=int)
    row_lo = np.where(sense <= 0, rhs, -np.inf)
    row_hi = np.where(sense >= 0, rhs, np.inf)
    c = info.c.toarray()[0] if info.c.shape[0] else np.zeros(n)
    offset = float(info.c_offset[0]) if len(info.c_offset) else 0.0
    pos_of = {id(v): j for j, v in enumerate(cols)}
    scales: dict[str, dict[Any, float]] = getattr(m, SCALES_ATTR, None) or {}
    columns: dict[str, tuple[list[tuple[object, ...]], np.ndarray]] = {}
    col_scale: dict[str, np.ndarray] = {}
    for name in ("buy", "fleet", "serve", "pool", "unmet"):
        comp = getattr(m, name, None)
        if comp is None:
            continue
        raw = list(comp.keys())
        keys = [k if isinstance(k, tuple) else (k,) for k in raw]
        pos = np.array([pos_of.get(id(v), -1) for v in comp.values()], dtype=np.int64)
        columns[comp.local_name] = (keys, pos)
        cs = scales.get("col:" + name)
        if cs is not None:
            col_scale[name] = np.array([cs.get(k, 1.0) for k in raw], dtype=float)
    scale_of: dict[int, float] = {}
    for fam, by_index in scales.items():
        con = None if fam.startswith("col:") else getattr(m, fam, None)
        if con is not None:
            for idx, f in by_index.items():
                scale_of[id(con[idx])] = f
    row_scale = np.fromiter((scale_of.get(id(r[0]), 1.0) for r in info.rows), dtype=float,
                            count=len(info.rows))
    prog = MatrixProgram(c=np.asarray(c, dtype=float), offset=offset, A=info.A,
                         row_lo=row_lo, row_hi=row_hi, col_lo=col_lo, col_hi=col_hi,
                         integer=integer,
                         options=dict(getattr(m, PROGRAM_OPTIONS_ATTR, None) or {}))
    return CompiledModel(prog, columns, [r[0] for r in info.rows], row_scale, col_scale)


# --------------------------------------------------------------------------- start heuristic


@dataclass
class StartPlan:
    """A feasible plan to start HiGHS from, and its objective (x None: none found)."""

    x: np.ndarray | None
    objective: float | None
    seconds: float
    lp_bound: float | None = None


# the first LP of the start heuristic: interior point from this many columns on, dual
# simplex below (measured: large, 42-50k columns, IPM 6.7 s against simplex 13.8 s;
# medium, about 3,000 columns, simplex 34-45 ms against IPM 68-96 ms; small 1.3 ms
# against 2.5-3.8 ms)
IPM_FROM_COLUMNS = 10_000


class _Relaxation:
    """The LP relaxation of a program on one HiGHS instance: the first solve by interior
    point on large programs, dual simplex on smaller ones (`IPM_FROM_COLUMNS`); later
    solves with changed column bounds by dual simplex from the previous basis."""

    def __init__(self, prog: MatrixProgram, time_limit_s: float) -> None:
        relaxed = MatrixProgram(prog.c, prog.offset, prog.A, prog.row_lo, prog.row_hi,
                                prog.col_lo, prog.col_hi, np.zeros_like(prog.integer))
        self.h = highs_instance(relaxed, HighsSettings(time_limit_s=max(time_limit_s, 1e-3)),
                            tuned=False)
        self.n = prog.shape[1]
        self.h.setOptionValue("solver", "ipm" if self.n >= IPM_FROM_COLUMNS else "simplex")
        self.solves = 0

    def solve(self, time_limit_s: float, col_lo: np.ndarray | None = None,
              col_hi: np.ndarray | None = None) -> np.ndarray | None:
        import highspy

        if time_limit_s <= 0:
            return None
        h = self.h
        # HiGHS's time limit counts the instance's run time over all its runs (measured:
        # the xl seed 2 start plan ran out of time after one 25 s solve); add it
        h.setOptionValue("time_limit", float(h.getRunTime() + time_limit_s))
        if self.solves:
            h.setOptionValue("solver", "simplex")
        if col_lo is not None and col_hi is not None:
            idx = np.arange(self.n, dtype=np.int32)
            h.changeColsBounds(self.n, idx, np.asarray(col_lo, dtype=np.float64),
                               np.asarray(col_hi, dtype=np.float64))
        self.solves += 1
        run_interruptible(h)
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return np.asarray(h.getSolution().col_value, dtype=np.float64)


def start_plan(compiled: CompiledModel, time_limit_s: float = 60.0,
               lumpy_share: float = 0.01, improve_rounds: int = 3) -> StartPlan:
    """Relax, round in two phases, re-solve the rest: a feasible starting plan.

    1. Solve the LP relaxation.
    2. Lumpy systems first (a unit takes more than `lumpy_share` of some cap row, as a
       120 kW rack does of a 5 MW hall): round each cumulative LP purchase up to the next
       unit while every cap row (power, space, supply, budget: rows of purchases and
       fleet alone, all coefficients >= 0) still holds, counting the installed base of
       every system; fix them and re-solve the LP, so the small systems fill around them.
    3. The other systems: the floor of each purchase (fewer units never break a cap row),
       then, period by period, add back single units where the LP had more (to the
       nearest unit), largest shortfall first, while the cap rows hold.
    4. Fix purchases and fleet; an LP gives the serving and unmet demand that go with them.
    5. Up to `improve_rounds` times: add one unit wherever the purchase and the fleet it
       adds have a negative reduced cost (priced by the rows that are not caps) and the
       caps hold; keep the result if the re-solved plan costs less.
    Handed to HiGHS with `setSolution`, it is the incumbent the MIP starts from; the LP
    optimum (`lp_bound`) is a proven lower bound. Measured effects: benchmarks/README.md.
    """
    t0 = time.perf_counter()
    prog = compiled.program
    if "buy" not in compiled.columns or "fleet" not in compiled.columns:
        return StartPlan(None, None, 0.0)

    def left() -> float:
        return time_limit_s - (time.perf_counter() - t0)

    relax = _Relaxation(prog, left())
    x_lp = relax.solve(left())
    if x_lp is None:
        return StartPlan(None, None, time.perf_counter() - t0)
    lp_bound = float(prog.c @ x_lp + prog.offset)
    buy_keys, buy_pos = compiled.columns["buy"]
    fleet_keys, fleet_pos = compiled.columns["fleet"]
    label_pos: dict[object, int] = {}
    for _s, _g, lab in fleet_keys:  # fleet keys come in period order
        label_pos.setdefault(lab, len(label_pos))
    Sg = tuple[object, object]
    fleet_of: dict[Sg, list[tuple[int, int]]] = defaultdict(list)
    for (s, g, lab), j in zip(fleet_keys, fleet_pos.tolist(), strict=True):
        if j >= 0:
            fleet_of[(s, g)].append((label_pos[lab], j))
    buys_of: dict[Sg, list[tuple[int, int]]] = defaultdict(list)
    for (s, g, lab), j in zip(buy_keys, buy_pos.tolist(), strict=True):
        if j >= 0:
            buys_of[(s, g)].append((label_pos[lab], j))
    for d in (fleet_of, buys_of):
        for lst in d.values():
            lst.sort()
    n, nrow = prog.shape[1], prog.shape[0]
    integer_cols = np.zeros(n, dtype=bool)
    for d in (fleet_of, buys_of):
        for lst in d.values():
            for _t, j in lst:
                integer_cols[j] = True
    A = prog.A.tocsr()
    Ac = prog.A.tocsc()
    cont_cols = np.flatnonzero(~integer_cols)
    touches_cont = np.zeros(nrow, dtype=bool)
    if len(cont_cols):
        touches_cont = np.asarray(abs(A[:, cont_cols]) @ np.ones(len(cont_cols)) > 0).ravel()
    hi = prog.row_hi
    cap_row = (~touches_cont) & np.isfinite(hi) & ~np.isfinite(prog.row_lo)
    tol = 1e-7 * np.maximum(1.0, np.abs(np.where(np.isfinite(hi), hi, 0.0)))

    def cum_of(xv: np.ndarray, sg: Sg) -> dict[int, float]:
        """Cumulative purchases of (s,g) in service at each fleet period."""
        out: dict[int, float] = {}
        bl = buys_of.get(sg, [])
        acc, bi = 0.0, 0
        for t, _j in fleet_of[sg]:
            while bi < len(bl) and bl[bi][0] <= t:
                acc += max(0.0, xv[bl[bi][1]])
                bi += 1
            out[t] = acc
        return out

    # installed base in service (fleet minus cumulative purchases in the LP)
    base: dict[tuple[object, object, int], float] = {}
    for sg, lst in fleet_of.items():
        cum = cum_of(x_lp, sg)
        for t, j in lst:
            base[(sg[0], sg[1], t)] = float(round(x_lp[j] - cum[t]))
    # lumpiness of each (s,g): largest share of a cap row one unit takes
    share = np.zeros(n)
    Acap = A[np.flatnonzero(cap_row)]
    hcap = hi[cap_row]
    Ascaled = Acap.multiply(1.0 / np.maximum(np.abs(hcap), 1e-9)[:, None]).tocsc()
    if Ascaled.nnz:
        share = np.asarray(abs(Ascaled).max(axis=0).todense()).ravel()
    lumpy = {sg for sg in fleet_of
             if max(share[j] for _t, j in fleet_of[sg] + buys_of.get(sg, [])) > lumpy_share}
    # the plan under construction: every (s,g) at its installed base, no purchases
    x = np.zeros(n)
    for sg, lst in fleet_of.items():
        for t, j in lst:
            x[j] = base[(sg[0], sg[1], t)]
    act = A @ x
    fleet_after: dict[tuple[object, object, int], list[int]] = {}
    for sg, lst in fleet_of.items():
        for i, (t, _j) in enumerate(lst):
            fleet_after[(sg[0], sg[1], t)] = [jj for _tt, jj in lst[i:]]

    def add_units(j: int, cols: list[int], want: int) -> int:
        """Add up to `want` units at buy column j (and its later fleet), caps holding."""
        idx = np.concatenate([Ac.indices[Ac.indptr[c]:Ac.indptr[c + 1]] for c in cols])
        val = np.concatenate([Ac.data[Ac.indptr[c]:Ac.indptr[c + 1]] for c in cols])
        keep = cap_row[idx]
        rows, inv = np.unique(idx[keep], return_inverse=True)
        delta = np.bincount(inv, weights=val[keep], minlength=len(rows))
        room = math.inf
        pos = delta > 0
        if pos.any():
            room = float(np.min((hi[rows][pos] + tol[rows][pos] - act[rows][pos])
                                / delta[pos]))
        k = int(min(want, math.floor(room + 1e-9), prog.col_hi[j] - x[j]))
        if k <= 0:
            return 0
        x[cols] += k
        act[rows] += k * delta
        return k

    def round_group(group: set[Sg], xl: np.ndarray, nearest: bool) -> None:
        cum_lp = {sg: cum_of(xl, sg) for sg in group}
        by_t: dict[int, list[tuple[Sg, int, int]]] = defaultdict(list)
        for sg in sorted(group, key=str):
            for t, j in buys_of.get(sg, []):
                by_t[t].append((sg, t, j))
        if not nearest:  # floors first: always within the caps
            for sg in group:
                for _t, j in buys_of.get(sg, []):
                    f = math.floor(max(0.0, xl[j]) + 1e-6)
                    if f > 0:
                        add_units(j, [j, *fleet_after[(sg[0], sg[1], _t)]], f)
        for t_now in sorted(by_t):
            cands = []
            for sg, t, j in by_t[t_now]:
                have = x[fleet_after[(sg[0], sg[1], t)][0]] - base[(sg[0], sg[1], t)]
                short = cum_lp[sg][t] - have
                want = int(math.ceil(short - 1e-6)) if nearest else int(math.floor(short + 0.5))
                if want > 0:
                    cands.append((-short, j, sg, t, want))
            cands.sort(key=lambda c: (c[0], c[1]))
            for _neg, j, sg, t, want in cands:
                add_units(j, [j, *fleet_after[(sg[0], sg[1], t)]], want)

    fixed = np.zeros(n, dtype=bool)

    def fix(group: set[Sg]) -> None:
        for sg in group:
            for _t, j in fleet_of[sg] + buys_of.get(sg, []):
                fixed[j] = True

    def lp_with_fixed() -> np.ndarray | None:
        lo, up = prog.col_lo.copy(), prog.col_hi.copy()
        lo[fixed], up[fixed] = x[fixed], x[fixed]
        return relax.solve(left(), lo, up)

    if lumpy:
        round_group(lumpy, x_lp, nearest=True)
        fix(lumpy)
        x2 = lp_with_fixed()
        if x2 is not None:
            x_lp = x2
    rest = set(fleet_of) - lumpy
    round_group(rest, x_lp, nearest=False)
    fix(rest)
    x_full = lp_with_fixed() if left() > 0 else None
    if x_full is None:
        return StartPlan(None, None, time.perf_counter() - t0, lp_bound)
    x_full[integer_cols] = x[integer_cols]
    best_x, best_obj = x_full, float(prog.c @ x_full + prog.offset)
    # 5. improve: add single units whose reduced cost (purchase and the fleet it adds,
    #    priced by the rows that are not caps) says they pay, while the caps hold
    all_buys = [(j, [j, *fleet_after[(sg[0], sg[1], t)]])
                for sg in sorted(buys_of, key=str) for t, j in buys_of[sg]]
    for _round in range(improve_rounds):
        if left() <= 0:
            break
        y = np.asarray(relax.h.getSolution().row_dual, dtype=np.float64) / prog.objective_scale
        if len(y) != nrow:
            break
        dj = prog.c - prog.A.T @ np.where(cap_row, 0.0, y)
        scale = max(1.0, abs(best_obj)) * 1e-9
        cands = sorted((float(dj[cols].sum()), j, cols) for j, cols in all_buys)
        saved = x.copy(), act.copy()
        added = 0
        for v, j, cols in cands:
            if v >= -scale:
                break
            added += add_units(j, cols, 1)
        if not added:
            break
        x_new = lp_with_fixed()
        if x_new is None:
            x[:], act[:] = saved
            break
        x_new[integer_cols] = x[integer_cols]
        obj = float(prog.c @ x_new + prog.offset)
        if obj >= best_obj - scale:
            x[:], act[:] = saved
            break
        best_x, best_obj = x_new, obj
    return StartPlan(best_x, best_obj, time.perf_counter() - t0, lp_bound)
