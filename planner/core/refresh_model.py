"""Section C of contract v2, refresh: units retired early, in the Pyomo model.

Only with `options.allow_retirement` (`PlanData.allow_retirement`); without it nothing
here adds a variable, a term or a row, and the model is v1's. The sets are
`PlanData.retire_index` and `PlanData.xretire_index` (`planner.core.prepare.prepare`):

    R             (s,g,t) where bought units of g at s may retire: t after the first
                  period in which g may be bought at s
    X             (s,e,t) for each installed entry e of hall s (system g_e, units U_e,
                  last period in service l_e): t in 0..l_e
    resale[g,t]   = resale_fraction[g] * unit_price[g,t] * a[g,t]    (USD per unit)
    unit_price[g,t] = capex_usd[g] * (1 - capex_decline_per_year[g])^(t * H / 8760)
"""

from __future__ import annotations

from collections import defaultdict

import pyomo.environ as pyo

from planner.core.problem import PlanData
from planner.core.terms import Row, Term, add_rows


def retire_cap(data: PlanData, s: str, g: str, periods: int) -> float:
    """The most bought units of g that can stand at s, so retire in one period: what the
    hall's power (built power included) and racks hold (`PlanData.hall_cap`), and the
    supply of the `periods` purchase periods before it."""
    sysd = data.systems[g]
    cap = data.hall_cap(s, g)  # power (with the most it may build, A) and racks
    if sysd.max_units_per_period is not None:
        cap = min(cap, sysd.max_units_per_period * periods)
    return float(cap)


def add_retirement_variables(m: pyo.ConcreteModel, data: PlanData, strong: bool) -> None:
    """``retire[s,g,t]`` for R and ``xretire[s,e,t]`` for X, integer >= 0; in the strong
    formulation bounded by the units that can stand there (`retire_cap`, U_e)."""
    if not data.allow_retirement:
        return
    L = data.labels
    units = {(s, j): u for s, j, _g, u, _l in data.existing_entries}
    rkeys = [(s, g, L[t]) for s, g, t in data.retire_index]
    xkeys = [(s, j, L[t]) for s, j, t in data.xretire_index]
    if strong:
        first: dict[tuple[str, str], int] = {}
        for s, g, t in data.buy_index:  # ordered by period; purchase periods are contiguous
            first.setdefault((s, g), t)
        rb = {(s, g, L[t]): (0.0, retire_cap(data, s, g, t - first[(s, g)]))
              for s, g, t in data.retire_index}
        m.retire = pyo.Var(rkeys, domain=pyo.NonNegativeIntegers,
                           bounds=lambda _m, s, g, lab: rb[(s, g, lab)])
        m.xretire = pyo.Var(xkeys, domain=pyo.NonNegativeIntegers,
                            bounds=lambda _m, s, j, lab: (0.0, float(units[(s, j)])))
    else:
        m.retire = pyo.Var(rkeys, domain=pyo.NonNegativeIntegers)
        m.xretire = pyo.Var(xkeys, domain=pyo.NonNegativeIntegers)


def retirement_balance_terms(m: pyo.ConcreteModel, data: PlanData
                             ) -> dict[tuple[str, str, int], list[Term]]:
    """The terms retirement adds to the rows ``fleet_balance[s,g,t]`` (empty without it):
    +retire[s,g,t], +xretire[s,e,t] of each entry e of g at s, and, in the period after
    an entry's last, -sum_t' xretire[s,e,t'] (its scheduled end removes only the units
    still in service)."""
    out: dict[tuple[str, str, int], list[Term]] = defaultdict(list)
    if not data.allow_retirement:
        return out
    L = data.labels
    for s, g, t in data.retire_index:
        out[(s, g, t)].append((1.0, m.retire[s, g, L[t]]))
    system = {(s, j): (g, last) for s, j, g, _u, last in data.existing_entries}
    for s, j, t in data.xretire_index:
        g, last = system[(s, j)]
        var = m.xretire[s, j, L[t]]
        out[(s, g, t)].append((1.0, var))
        if last + 1 < data.T:
            out[(s, g, last + 1)].append((-1.0, var))
    return out


def add_retirement_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Retirement: only units in service retire (with `options.allow_retirement`).

    Rows ``retire_bought[s,g,t]`` and ``retire_existing[s,e]``::

        sum_{t' <= t} retire[s,g,t'] <= sum_{t' < t} buy[s,g,t']          for (s,g,t) in R
        sum_{t <= l_e} xretire[s,e,t]                        <= U_e     for each entry e

    that is fleet_new[s,g,t] = sum_{t' <= t} (buy[s,g,t'] - retire[s,g,t']) >= 0, and an
    entry never retires more units than it has: a unit retired in t leaves at the start
    of t, so it is not in the fleet of t, and only units bought before t retire in t.
    With the terms it adds to ``fleet_balance`` (`planner.core.constraints.
    add_fleet_constraints`), the fleet is::

        fleet[s,g,t] = sum_{e of g at s, t <= l_e} (U_e - sum_{t' <= t} xretire[s,e,t'])
                     + fleet_new[s,g,t]

    so the first row is written through the fleet, with the same solutions (the LP's
    too)::

        fleet[s,g,t] - buy[s,g,t]
            + sum_{e of g at s, t <= l_e} sum_{t' <= t} xretire[s,e,t'] >= E[s,g,t]

    two terms where no installed entry of g stands at s, instead of up to 2t: on
    installed-base large seed 2 (40 periods) the cumulative rows held 847,110 of the
    program's 1,034,700 non-zeros.
    """
    if not data.allow_retirement:
        return
    L = data.labels
    buys = set(data.buy_index)
    entries: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for s, j, g, _u, last in data.existing_entries:
        entries[(s, g)].append((j, last))
    xrets: dict[tuple[str, int], list[int]] = defaultdict(list)
    for s, j, t in data.xretire_index:
        xrets[(s, j)].append(t)
    rows: dict[tuple[str, str, str], Row] = {}
    for s, g, t in data.retire_index:
        terms: list[Term] = [(1.0, m.fleet[s, g, L[t]])]
        if (s, g, t) in buys:
            terms.append((-1.0, m.buy[s, g, L[t]]))
        for j, last in entries.get((s, g), []):
            if t <= last:
                terms += [(1.0, m.xretire[s, j, L[tt]]) for tt in xrets[(s, j)] if tt <= t]
        rows[(s, g, L[t])] = (float(data.existing.get((s, g, t), 0)), terms, None)
    add_rows(m, "retire_bought", rows)
    xrows: dict[tuple[str, int], Row] = {}
    by_entry: dict[tuple[str, int], list[Term]] = defaultdict(list)
    for s, j, t in data.xretire_index:
        by_entry[(s, j)].append((1.0, m.xretire[s, j, L[t]]))
    for s, j, _g, u, _last in data.existing_entries:
        if by_entry[(s, j)]:
            xrows[(s, j)] = (None, by_entry[(s, j)], float(u))
    add_rows(m, "retire_existing", xrows)


def retirement_objective_terms(m: pyo.ConcreteModel, data: PlanData) -> list[Term]:
    """The resale credit: -resale[g,t] * d_t per unit retired in t (bought or installed)."""
    if not data.allow_retirement:
        return []
    L = data.labels
    terms: list[Term] = []
    for s, g, t in data.retire_index:
        coef = data.resale_credit_usd(g, t)
        if coef:
            terms.append((-coef, m.retire[s, g, L[t]]))
    system = {(s, j): g for s, j, g, _u, _l in data.existing_entries}
    for s, j, t in data.xretire_index:
        coef = data.resale_credit_usd(system[(s, j)], t)
        if coef:
            terms.append((-coef, m.xretire[s, j, L[t]]))
    return terms

