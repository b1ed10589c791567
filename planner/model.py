"""Build stage: the planning MILP in Pyomo (the only module that imports Pyomo).

Each constraint family is one function, its inequality in the docstring, registered in
`CONSTRAINT_FAMILIES` in build order. Index tuples are the names a planner reads
(``power[hall-a,2027Q3]``). The model is compiled to standard-form arrays with Pyomo's
`LinearStandardFormCompiler` and handed to HiGHS in one call (`planner.highs`).

Units in the model: tokens in millions of tokens/s in the demand rows and for `unmet`,
money in $M in the budget rows, power in kW; the objective is in USD.

Cooling and availability are enforced by construction (`planner.problem.prepare`): a
`buy` variable exists only where the system's cooling fits the hall, the hall is
available and the system's lead time has passed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from planner.highs import MatrixProgram
from planner.problem import PlanData

MTOK = 1e6  # tokens/s per Mtok/s
MUSD = 1e6  # USD per $M


def _label(data: PlanData, t: int) -> str:
    return data.labels[t]


# --------------------------------------------------------------------------- variables


def add_variables(m: pyo.ConcreteModel, data: PlanData) -> None:
    """buy[s,g,t] integer >= 0; fleet[s,g,t] >= 0; serve[s,g,class] >= 0; unmet[class] >= 0.

    Purchases get the upper bounds power and floor space imply (they never cut a
    feasible plan): buy, fleet <= floor(power_mw*1000 / unit_power_kw), and
    <= floor(max_racks / racks_per_unit); buy <= max_units_per_period.
    """
    L = data.labels
    sites = data.site_by_name

    def unit_cap(s: str, g: str) -> float:
        site, sysd = sites[s], data.systems[g]
        cap = math.floor(site.power_mw * 1000.0 / sysd.unit_power_kw + 1e-9)
        if site.max_racks is not None and sysd.racks_per_unit > 0:
            cap = min(cap, math.floor(site.max_racks / sysd.racks_per_unit + 1e-9))
        return float(cap)

    def buy_bounds(_m: object, s: str, g: str, lab: str) -> tuple[float, float]:
        cap = unit_cap(s, g)
        supply = data.systems[g].max_units_per_period
        if supply is not None:
            cap = min(cap, float(supply))
        return (0.0, cap)

    m.buy = pyo.Var([(s, g, L[t]) for s, g, t in data.buy_index],
                    domain=pyo.NonNegativeIntegers, bounds=buy_bounds)
    m.fleet = pyo.Var([(s, g, L[t]) for s, g, t in data.fleet_index],
                      domain=pyo.NonNegativeReals)
    m.serve = pyo.Var([(s, g, L[data.classes[k].t], data.classes[k].key)
                       for s, g, k in data.serve_index],
                      domain=pyo.NonNegativeReals)
    unmet_idx = [] if data.strict_demand else [(c.period, c.key) for c in data.classes]
    m.unmet = pyo.Var(unmet_idx, domain=pyo.NonNegativeReals)


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

    def rule(_m: object, s: str, g: str, lab: str) -> object:
        t = _pos[lab]
        lhs = m.fleet[s, g, lab]
        if (s, g, t - 1) in fleet_set:
            lhs = lhs - m.fleet[s, g, L[t - 1]]
        if (s, g, t) in buys:
            lhs = lhs - m.buy[s, g, lab]
        rhs = ex.get((s, g, t), 0) - ex.get((s, g, t - 1), 0)
        return lhs == rhs

    _pos = {lab: i for i, lab in enumerate(L)}
    m.fleet_balance = pyo.Constraint([(s, g, L[t]) for s, g, t in data.fleet_index], rule=rule)


def add_demand_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """sum_{s,g} serve[s,g,k] * gpus_per_unit[g] * tput[g,k] * target_utilization
    + unmet[k] >= tokens_per_s[k]   for each demand class k (rows in Mtok/s).

    With `strict_demand`, unmet does not exist.
    """
    by_class: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for s, g, k in data.serve_index:
        by_class[k].append((s, g))
    cls = data.classes

    def rule(_m: object, lab: str, key: str) -> object:
        k = _idx[(lab, key)]
        c = cls[k]
        expr = sum(m.serve[s, g, lab, key] * (data.tokens_per_unit(g, k) / MTOK)
                   for s, g in by_class[k])
        if not data.strict_demand:
            expr = expr + m.unmet[lab, key]
        if isinstance(expr, (int, float)):
            return pyo.Constraint.Skip  # strict and unservable: caught by planner.api precheck
        return expr >= c.tokens_per_s / MTOK

    _idx = {(c.period, c.key): c.index for c in cls}
    m.demand = pyo.Constraint(list(_idx), rule=rule)


def add_assignment_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """sum_k serve[s,g,k] <= fleet[s,g,t]   for each site, system and period with demand."""
    groups: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for s, g, k in data.serve_index:
        c = data.classes[k]
        groups[(s, g, c.period)].append(c.key)

    def rule(_m: object, s: str, g: str, lab: str) -> object:
        return sum(m.serve[s, g, lab, key] for key in groups[(s, g, lab)]) <= m.fleet[s, g, lab]

    m.assign = pyo.Constraint(list(groups), rule=rule)


def add_power_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """sum_g fleet[s,g,t] * unit_power_kw[g] <= power_mw[s] * 1000   for each site and period."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for s, g, t in data.fleet_index:
        groups[(s, data.labels[t])].append(g)
    sites = data.site_by_name

    def rule(_m: object, s: str, lab: str) -> object:
        return (sum(m.fleet[s, g, lab] * data.systems[g].unit_power_kw for g in groups[(s, lab)])
                <= sites[s].power_mw * 1000.0)

    m.power = pyo.Constraint(list(groups), rule=rule)


def add_space_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """sum_g fleet[s,g,t] * racks_per_unit[g] <= max_racks[s]   where a site sets max_racks."""
    sites = data.site_by_name
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for s, g, t in data.fleet_index:
        if sites[s].max_racks is not None and data.systems[g].racks_per_unit > 0:
            groups[(s, data.labels[t])].append(g)

    def rule(_m: object, s: str, lab: str) -> object:
        return (sum(m.fleet[s, g, lab] * data.systems[g].racks_per_unit for g in groups[(s, lab)])
                <= float(sites[s].max_racks or 0.0))

    m.space = pyo.Constraint(list(groups), rule=rule)


def add_supply_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """sum_s buy[s,g,t] <= max_units_per_period[g]   for each capped system and period."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for s, g, t in data.buy_index:
        if data.systems[g].max_units_per_period is not None:
            groups[(g, data.labels[t])].append(s)
    groups = {k: v for k, v in groups.items() if len(v) > 1}  # one site: a variable bound

    def rule(_m: object, g: str, lab: str) -> object:
        return (sum(m.buy[s, g, lab] for s in groups[(g, lab)])
                <= float(data.systems[g].max_units_per_period or 0))

    m.supply = pyo.Constraint(list(groups), rule=rule)


def add_budget_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """sum_{s,g} buy[s,g,t] * capex_usd[g] <= capex_usd_per_period   for each period;
    sum_{s,g,t} buy[s,g,t] * capex_usd[g] <= total_capex_usd   (full price, rows in $M).
    """
    by_t: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for s, g, t in data.buy_index:
        by_t[data.labels[t]].append((s, g))
    cap_p, cap_total = data.budget_per_period_usd, data.budget_total_usd

    def spend(lab: str) -> object:
        return sum(m.buy[s, g, lab] * (data.systems[g].capex_usd / MUSD) for s, g in by_t[lab])

    if cap_p is not None:
        m.budget = pyo.Constraint(list(by_t), rule=lambda _m, lab: spend(lab) <= cap_p / MUSD)
    if cap_total is not None and by_t:
        m.budget_total = pyo.Constraint(
            expr=sum(spend(lab) for lab in by_t) <= cap_total / MUSD)  # type: ignore[arg-type]


ConstraintFamily = Callable[[pyo.ConcreteModel, PlanData], None]

CONSTRAINT_FAMILIES: list[ConstraintFamily] = [
    add_fleet_constraints,
    add_demand_constraints,
    add_assignment_constraints,
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
    terms = []
    for s, g, t in data.buy_index:
        coef = data.capex_charge_usd(g, t)
        if coef:
            terms.append(coef * m.buy[s, g, L[t]])
    for s, g, t in data.fleet_index:
        coef = data.energy_usd_per_unit(s, g, t) + data.opex_usd_per_unit(g, t)
        if coef:
            terms.append(coef * m.fleet[s, g, L[t]])
    if not data.strict_demand:
        for c in data.classes:
            coef = data.unmet_usd_per_tokens_per_s(c.t) * MTOK
            if coef:
                terms.append(coef * m.unmet[c.period, c.key])
    m.cost = pyo.Objective(expr=pyo.quicksum(terms) if terms else 0.0,
                           sense=pyo.minimize)


def build_model(data: PlanData) -> pyo.ConcreteModel:
    """The Pyomo model of a prepared planning problem."""
    m = pyo.ConcreteModel(name=data.name or "plan")
    add_variables(m, data)
    for family in CONSTRAINT_FAMILIES:
        family(m, data)
    add_objective(m, data)
    return m


# --------------------------------------------------------------------------- compile and read back


@dataclass
class CompiledModel:
    """The standard-form arrays of a built model, and where each variable's column is."""

    program: MatrixProgram
    columns: dict[str, tuple[list[tuple[object, ...]], np.ndarray]]
    rows: list[object]

    def row_name(self, i: int) -> str:
        return str(self.rows[i].name)  # type: ignore[attr-defined]

    def values(self, x: np.ndarray | None) -> dict[str, dict[tuple[object, ...], float]]:
        out: dict[str, dict[tuple[object, ...], float]] = {}
        for name, (keys, pos) in self.columns.items():
            if x is None:
                out[name] = {}
                continue
            vals = np.where(pos >= 0, x[np.maximum(pos, 0)] if len(x) else 0.0, 0.0)
            out[name] = dict(zip(keys, vals.tolist(), strict=True))
        return out


def compile_model(m: pyo.ConcreteModel) -> CompiledModel:
    """Standard-form arrays through Pyomo's compiler, ready for HiGHS."""
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
    columns: dict[str, tuple[list[tuple[object, ...]], np.ndarray]] = {}
    for comp in (m.buy, m.fleet, m.serve, m.unmet):
        keys = [k if isinstance(k, tuple) else (k,) for k in comp.keys()]
        pos = np.array([pos_of.get(id(v), -1) for v in comp.values()], dtype=np.int64)
        columns[comp.local_name] = (keys, pos)
    prog = MatrixProgram(c=np.asarray(c, dtype=float), offset=offset, A=info.A,
                         row_lo=row_lo, row_hi=row_hi, col_lo=col_lo, col_hi=col_hi,
                         integer=integer)
    return CompiledModel(prog, columns, [r[0] for r in info.rows])
