"""A. Building power (contract v2): the hall's power is a decision too.

A site with `build:` may energise whole blocks of `block_mw` MW. This module holds that
decision's pieces of the model: the variable `build[s,t]`, the `build_most` rows, and the
terms built blocks add to the power rows, the budget rows and the objective (the power
and budget families of `planner.core.constraints` and `planner.core.objective` call
them). Notation as in `planner.core.variables`, plus::

    W             (s,t) where a block may be energised at s (PlanData.build_index):
                  sites with `build`, t >= the hall's available_from and t >= the
                  build's lead_time_periods
    block_mw[s], capex_usd_per_mw[s], opex_usd_per_mw_year[s], lifetime_years[s]:
                  the fields of `sites[s].build`
    nmax[s]       = floor(max_mw[s] / block_mw[s]), the most blocks s may build
"""

from __future__ import annotations

import math
from collections import defaultdict

import pyomo.environ as pyo

from planner.core.problem import KW_PER_MW, UNIT_FLOOR_SLACK, PlanData
from planner.core.terms import Term, add_rows


def add_build_variables(m: pyo.ConcreteModel, data: PlanData, strong: bool) -> None:
    """Blocks energised (section A), both formulations::

        build[s,t]    integer >= 0    for (s,t) in W     blocks energised at s in t

    Strong: build[s,t] <= nmax[s], and <= floor(capex_usd_per_period / (block_mw[s] *
    capex_usd_per_mw[s])) where a per-period budget is set (and likewise the total
    budget): the bounds the most MW and the budgets imply, so they never cut a plan.
    """
    keys = [(s, data.labels[t]) for s, t in data.build_index]
    if not strong:
        m.build = pyo.Var(keys, domain=pyo.NonNegativeIntegers)
        return
    bounds = {(s, lab): (0.0, float(build_cap(data, s))) for s, lab in keys}
    m.build = pyo.Var(keys, domain=pyo.NonNegativeIntegers,
                      bounds=lambda _m, s, lab: bounds[(s, lab)])


def build_cap(data: PlanData, s: str) -> int:
    """The most blocks site s can energise in one period: nmax[s], and what the capex
    budgets (per period, total) pay for at the block's full price."""
    cap = data.max_blocks(s)
    price = data.block_capex_usd(s)
    for budget in (data.budget_per_period_usd, data.budget_total_usd):
        if budget is not None and price > 0:
            cap = min(cap, math.floor(budget / price + UNIT_FLOOR_SLACK))
    return cap


def add_build_most_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Most MW built (section A): a site builds at most `max_mw` in whole blocks.

    Rows ``build_most[s]``, in blocks, for each site with `build`::

        sum_t build[s,t] <= nmax[s]                      (block_mw * sum_t build <= max_mw)

    Built blocks stay to the end of the horizon; the power rows
    (`planner.core.constraints.add_power_constraints`) count every block built so far.
    """
    if not hasattr(m, "build"):
        return
    groups: dict[str, list[Term]] = defaultdict(list)
    for s, t in data.build_index:
        groups[s].append((1.0, m.build[s, data.labels[t]]))
    add_rows(m, "build_most", {s: (None, ts, float(data.max_blocks(s)))
                               for s, ts in groups.items()})


def build_power_terms(m: pyo.ConcreteModel, data: PlanData, s: str, t: int) -> list[Term]:
    """The power row of site s in period t gains -1000 * block_mw[s] * build[s,t'] for
    each t' <= t (in kW): the power built so far."""
    b = data.site_by_name[s].build
    if b is None or not hasattr(m, "build"):
        return []
    kw = -b.block_mw * KW_PER_MW
    return [(kw, m.build[s, data.labels[u]]) for ss, u in data.build_index
            if ss == s and u <= t]


def build_budget_terms(m: pyo.ConcreteModel, data: PlanData) -> dict[str, list[Term]]:
    """Budget terms by period label: block_mw[s] * capex_usd_per_mw[s] * build[s,t]
    (full price, whatever the accounting)."""
    out: dict[str, list[Term]] = defaultdict(list)
    if not hasattr(m, "build"):
        return out
    for s, t in data.build_index:
        lab = data.labels[t]
        price = data.block_capex_usd(s)
        if price:
            out[lab].append((price, m.build[s, lab]))
    return out


def build_cost_terms(m: pyo.ConcreteModel, data: PlanData) -> list[Term]:
    """Objective terms of the blocks (`planner.core.objective.add_objective`): per block
    energised in t, its capex charge and its fixed opex from t to the horizon's end."""
    if not hasattr(m, "build"):
        return []
    terms: list[Term] = []
    for s, t in data.build_index:
        coef = data.block_capex_charge_usd(s, t) + data.block_opex_charge_usd(s, t)
        if coef:
            terms.append((coef, m.build[s, data.labels[t]]))
    return terms
