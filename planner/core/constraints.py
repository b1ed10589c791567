"""The constraint families of the planning model, one function each, in build order.

Each family's docstring states its rows in the notation of `planner.core.variables`,
for both formulations where they differ; `CONSTRAINT_FAMILIES` lists them in build order
and `python -m planner.core.mathdoc` writes them to docs/math.md. The limits that have
no row of their own, enforced by which variables exist or by a bound, are listed in
`planner.core.sparsity.SPARSITY_LIMITS`, with where each is enforced.

Rows are scaled as `planner.core.scaling` describes: demand rows by their demand, budget
rows by a typical price in them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pyomo.environ as pyo

from planner.core.build_power import (
    add_build_most_constraints,
    build_budget_terms,
    build_power_terms,
)
from planner.core.problem import KW_PER_MW, PlanData
from planner.core.refresh_model import (
    add_retirement_constraints,
    retirement_balance_terms,
)
from planner.core.renting import add_rent_constraints, rent_demand_terms
from planner.core.scaling import (
    DEMAND_ROW_RHS,
    SHORTFALL_TOL,
    WHOLE_UNIT_SHARE,
    budget_scale,
    program_options,
    record_row_scale,
    tighten_feasibility,
    whole_unit_tolerance,
)
from planner.core.terms import Row, Term, add_rows, lin, pooled


def add_fleet_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Fleet balance: the fleet is the installed base in service plus all purchases so far.

    Rows ``fleet_balance[s,g,t]``::

        fleet[s,g,t] - fleet[s,g,t-1] - buy[s,g,t] = E[s,g,t] - E[s,g,t-1]
                                                              for (s,g,t) in F

    that is fleet[s,g,t] = E[s,g,t] + sum_{t' <= t} buy[s,g,t']: bought units stay to the
    end of the horizon, installed ones until their `retire_after`. With
    `options.allow_retirement` (C. refresh) the row also carries the retirements::

        ... + retire[s,g,t] + sum_{e of g at s, t <= l_e} xretire[s,e,t]
            - sum_{e of g at s, l_e = t - 1} sum_{t' <= l_e} xretire[s,e,t'] = ...

    (an entry's scheduled end removes only its units still in service), so units retired
    in t are out of the fleet from t on (`add_retirement_constraints`).
    """
    L = data.labels
    buys = {(s, g, t) for s, g, t in data.buy_index}
    fleet_set = set(data.fleet_index)
    ex = data.existing
    fleet, buy = m.fleet, m.buy
    retirements = retirement_balance_terms(m, data)  # C. refresh: empty without it
    rows = {}
    for s, g, t in data.fleet_index:
        lab = L[t]
        terms: list[Term] = [(1.0, fleet[s, g, lab])]
        if (s, g, t - 1) in fleet_set:
            terms.append((-1.0, fleet[s, g, L[t - 1]]))
        if (s, g, t) in buys:
            terms.append((-1.0, buy[s, g, lab]))
        terms += retirements.get((s, g, t), [])
        rhs = float(ex.get((s, g, t), 0) - ex.get((s, g, t - 1), 0))
        rows[(s, g, lab)] = (rhs, terms, rhs)
    add_rows(m, "fleet_balance", rows)


def add_demand_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Demand: each class is served, or what is not served is counted as unmet.

    Rows ``demand[k]``, each divided by its demand D_k::

        strong: sum_g     tokens_per_unit[g,k] / D_k * pool[g,k]    + unmet[k] >= 1
        plain:  sum_{s,g} tokens_per_unit[g,k] / D_k * serve[s,g,k] + unmet[k] >= 1
                                                              for k in K

    With `rent:` (B), each row also gains the rented tokens,
    sum_r tput[g_r,k] * target_utilization / D_k * rserve[r,k] (`rent_use`).

    Scaled so, `unmet[k]` counts shares of D_k, and a demand of 0.01 tokens/s and one of
    1e9 are held to the same relative tolerance, `SHORTFALL_TOL` (the program's MIP
    feasibility tolerance; what the outputs read as served). With `strict_demand` there is no
    `unmet`, and a class that no unit can serve has no row (`planner.core.solve.precheck`
    reports it before the solve).
    """
    cls = data.classes
    terms: dict[int, list[Term]] = defaultdict(list)
    if pooled(m):
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
    for k, ts in rent_demand_terms(m, data).items():  # B. renting
        terms[k].extend(ts)
    rows = {}
    scale = record_row_scale(m, "demand")
    for c in cls:
        ts = terms.get(c.index, [])
        if not data.strict_demand:
            ts = [*ts, (1.0, m.unmet[c.period, c.key])]
        if not ts:
            continue  # strict and unservable: caught by planner.core.solve.precheck
        rows[(c.period, c.key)] = (DEMAND_ROW_RHS, ts, None)
        scale[(c.period, c.key)] = c.tokens_per_s
    add_rows(m, "demand", rows)
    tighten_feasibility(program_options(m), SHORTFALL_TOL)


def add_assignment_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Assignment: a unit serves one class at a time.

    Strong, rows ``assign_pool[g,t]``; plain, rows ``assign[s,g,t]``::

        strong: sum_{k: t_k = t} pool[g,k]    - sum_s fleet[s,g,t] <= 0
                                                        for g, t with some pool[g,k]
        plain:  sum_{k: t_k = t} serve[s,g,k] - fleet[s,g,t]       <= 0
                                                        for s, g, t with some serve[s,g,k]

    A throughput per unit does not depend on the site, so any pooled allocation splits
    back over the sites' fleets (`planner.core.compile.split_pool`): the two are the
    same problem with the same LP bound.
    """
    L = data.labels
    rows: dict[Any, Row] = {}
    if pooled(m):
        pool, fleet = m.pool, m.fleet
        groups: dict[tuple[str, str], list[Term]] = defaultdict(list)
        for g, lab, key in pool:
            groups[(g, lab)].append((1.0, pool[g, lab, key]))
        sites_of: dict[tuple[str, str], list[str]] = defaultdict(list)
        for s, g, t in data.fleet_index:
            sites_of[(g, L[t])].append(s)
        for (g, lab), ts in groups.items():
            rows[(g, lab)] = (None, ts + [(-1.0, fleet[s, g, lab]) for s in sites_of[(g, lab)]],
                              0.0)
        add_rows(m, "assign_pool", rows)
        return
    serve, fleet = m.serve, m.fleet
    sgroups: dict[tuple[str, str, str], list[Term]] = defaultdict(list)
    for s, g, k in data.serve_index:
        c = data.classes[k]
        sgroups[(s, g, c.period)].append((1.0, serve[s, g, c.period, c.key]))
    for (s, g, lab), ts in sgroups.items():
        rows[(s, g, lab)] = (None, [*ts, (-1.0, fleet[s, g, lab])], 0.0)
    add_rows(m, "assign", rows)


def add_whole_unit_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Whole unit: a class that needs a tiny share of a unit is served only from a whole one.

    Rows ``whole_unit[g,t,k]`` (strong) or ``whole_unit[s,g,t,k]`` (plain), only where
    a unit serves more than 1 / WHOLE_UNIT_SHARE times the class's demand, that is
    tokens_per_unit[g,k] / D_k > 1000::

        strong: tokens_per_unit[g,k] / D_k * pool[g,k]    - sum_s fleet[s,g,t_k] <= 0
        plain:  tokens_per_unit[g,k] / D_k * serve[s,g,k] - fleet[s,g,t_k]       <= 0

    A numerical guard, not a new limit: the share of class k that g serves is at most 1
    in some optimal plan (serving more than the demand buys nothing), and it is positive
    only where a whole unit is in service, so share <= fleet cuts off no optimum. Without
    it, a class needing 1e-7 of a unit (0.01 tokens/s on a 72-GPU rack) is "served" by
    an empty fleet within the solver's tolerance (1e-6 on rows and on integrality); with
    it, serving the class needs fleet >= 1, which no tolerance rounds away. The program
    then carries a MIP feasibility tolerance below the smallest such share
    (`planner.core.scaling.whole_unit_tolerance`).
    """
    L = data.labels
    cls = data.classes
    fleet = m.fleet
    rows: dict[Any, Row] = {}
    if pooled(m):
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
        add_rows(m, "whole_unit", rows)
        # the share a unit serves is then ~1/share units: the MIP's integrality and
        # feasibility tolerance (1e-6 by default) must be well below it, or HiGHS may
        # take an empty fleet as serving the class and prune the plans that buy for it
        # (fuzz seed 373: 0.01 tokens/s against a 1.2e7 tokens/s unit)
        largest = max(r[1][0][0] for r in rows.values())
        tighten_feasibility(program_options(m), whole_unit_tolerance(largest))


def add_power_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Power: a hall's critical IT power caps what its fleet draws.

    Rows ``power[s,t]``, in kW::

        sum_g unit_power_kw[g] * fleet[s,g,t] <= 1000 * power_mw[s]
                                                        for s, t with some fleet[s,g,t]

    A site with `build` (section A) counts the blocks built so far::

        sum_g unit_power_kw[g] * fleet[s,g,t]
            - 1000 * block_mw[s] * sum_{t' <= t} build[s,t'] <= 1000 * power_mw[s]
    """
    fleet = m.fleet
    groups: dict[tuple[str, str], list[Term]] = defaultdict(list)
    for s, g, t in data.fleet_index:
        lab = data.labels[t]
        groups[(s, lab)].append((data.systems[g].unit_power_kw, fleet[s, g, lab]))
    sites = data.site_by_name
    pos = {lab: t for t, lab in enumerate(data.labels)}
    rows = {k: (None, ts + build_power_terms(m, data, k[0], pos[k[1]]),  # A: built power
                sites[k[0]].power_mw * KW_PER_MW) for k, ts in groups.items()}
    add_rows(m, "power", rows)


def add_space_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Space: a hall's floor space caps the racks its fleet fills.

    Rows ``space[s,t]``, in racks, where the site sets `max_racks` (systems with
    `racks_per_unit` 0 take no floor space)::

        sum_g racks_per_unit[g] * fleet[s,g,t] <= max_racks[s]
                                                        for s with max_racks, t
    """
    sites = data.site_by_name
    fleet = m.fleet
    groups: dict[tuple[str, str], list[Term]] = defaultdict(list)
    for s, g, t in data.fleet_index:
        if sites[s].max_racks is not None and data.systems[g].racks_per_unit > 0:
            lab = data.labels[t]
            groups[(s, lab)].append((data.systems[g].racks_per_unit, fleet[s, g, lab]))
    rows = {k: (None, ts, float(sites[k[0]].max_racks or 0.0)) for k, ts in groups.items()}
    add_rows(m, "space", rows)


def add_supply_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Supply: a vendor's allocation caps the units of a system bought per period.

    Rows ``supply[g,t]``, in units, for each system with `max_units_per_period`::

        sum_s buy[s,g,t] <= max_units_per_period[g]
                               plain: for g with a cap, t
                               strong: for g with a cap, t where two or more halls can buy g

    The strong formulation leaves a one-hall cap to the purchase's upper bound
    (buy[s,g,t] <= buy_cap[s,g], `planner.core.variables.add_variables`).
    """
    strong = pooled(m)  # the strong formulation (pooled serving, implied bounds)
    buy = m.buy
    groups: dict[tuple[str, str], list[Term]] = defaultdict(list)
    for s, g, t in data.buy_index:
        if data.systems[g].max_units_per_period is not None:
            lab = data.labels[t]
            groups[(g, lab)].append((1.0, buy[s, g, lab]))
    rows = {k: (None, ts, float(data.systems[k[0]].max_units_per_period or 0))
            for k, ts in groups.items() if len(ts) > 1 or not strong}
    add_rows(m, "supply", rows)


def add_budget_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Budget: capex commissioned, at full price, per period and over the horizon.

    Rows ``budget[t]`` where `capex_usd_per_period` is set and ``budget_total`` where
    `total_capex_usd` is set, each divided by f = budget_scale(the prices in it)::

        sum_{s,g}   price[g,t] / f * buy[s,g,t] <= capex_usd_per_period / f   for t
        sum_{s,g,t} price[g,t] / f * buy[s,g,t] <= total_capex_usd / f

        price[g,t] = capex_usd[g] * (1 - capex_decline_per_year[g])^(t * H / 8760)

    (E: the price of a unit commissioned in t; capex_usd[g] where the price does not fall.)

    Blocks built (section A) count at full price beside the units: each row gains
    sum_s block_mw[s] * capex_usd_per_mw[s] / f * build[s,t] (over t for the total).
    """
    buy = m.buy
    by_t: dict[str, list[Term]] = defaultdict(list)
    for s, g, t in data.buy_index:
        lab = data.labels[t]
        by_t[lab].append((data.unit_price_usd(g, t), buy[s, g, lab]))
    for lab, bts in build_budget_terms(m, data).items():  # A: blocks built
        by_t[lab].extend(bts)
    cap_p, cap_total = data.budget_per_period_usd, data.budget_total_usd

    def scaled(ts: list[Term], cap: float) -> tuple[float, list[Term], float]:
        f = budget_scale([c for c, _v in ts])
        return f, [(c / f, v) for c, v in ts], cap / f

    if cap_p is not None:
        rows: dict[Any, Row] = {}
        sc = record_row_scale(m, "budget")
        for lab, ts in by_t.items():
            f, sts, rhs = scaled(ts, cap_p)
            rows[lab] = (None, sts, rhs)
            sc[lab] = f
        add_rows(m, "budget", rows)
    if cap_total is not None and by_t:
        f, sts, rhs = scaled([term for ts in by_t.values() for term in ts], cap_total)
        m.budget_total = pyo.Constraint(expr=(None, lin(sts), rhs))
        record_row_scale(m, "budget_total")[None] = f


ConstraintFamily = Callable[[pyo.ConcreteModel, PlanData], None]

#: the constraint families in build order (the order of the rows in the program)
CONSTRAINT_FAMILIES: list[ConstraintFamily] = [
    add_fleet_constraints,
    add_demand_constraints,
    add_assignment_constraints,
    add_whole_unit_constraints,
    add_power_constraints,
    add_space_constraints,
    add_supply_constraints,
    add_budget_constraints,
    # ---- B. renting (contract v2) ----
    add_rent_constraints,
    # A. building power
    add_build_most_constraints,
    # C. refresh (contract v2): no rows without options.allow_retirement
    add_retirement_constraints,
]
