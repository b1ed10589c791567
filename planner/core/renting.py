"""B. Renting: the constraint rows of rented capacity (contract v2, section B).

Rented GPUs serve demand outside the halls: they take no hall power, floor space, energy,
fixed opex or capex budget, so their only rows are the demand rows they add to
(`rent_demand_terms`, read by `planner.core.constraints.add_demand_constraints`) and
`rent_use` below. The variables are in `planner.core.variables.add_rent_variables`,
their price in `planner.core.objective`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyomo.environ as pyo

from planner.core.problem import PlanData
from planner.core.terms import Row, Term, add_rows


def rent_demand_terms(m: pyo.ConcreteModel, data: PlanData) -> dict[int, list[Term]]:
    """The terms rented GPUs add to each demand row (divided by the class's demand D_k):
    tput[g_r,k] * target_utilization / D_k * rserve[r,k]."""
    terms: dict[int, list[Term]] = defaultdict(list)
    if not data.rserve_index:
        return terms
    rserve = m.rserve
    for r, k in data.rserve_index:
        c = data.classes[k]
        terms[k].append((data.rent_tokens_per_gpu(r, k) / c.tokens_per_s,
                         rserve[r, c.period, c.key]))
    return terms


def add_rent_constraints(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Rent use (B): rented GPUs serve only while they are held.

    Rows ``rent_use[r,t]``, in GPUs, for (r,t) in R (only with `rent:`)::

        sum_{k: t_k = t} rserve[r,k] - rent[r,t] <= 0

    The demand rows gain the rented tokens: demand[k] adds
    sum_r tput[g_r,k] * target_utilization / D_k * rserve[r,k]. The offer's cap is the
    bound rent[r,t] <= max_gpus[r] (`planner.core.variables.add_rent_variables`).
    """
    if not data.rent_index:
        return
    L = data.labels
    rserve, rent = m.rserve, m.rent
    groups: dict[tuple[int, str], list[Term]] = defaultdict(list)
    for r, k in data.rserve_index:
        c = data.classes[k]
        groups[(r, c.period)].append((1.0, rserve[r, c.period, c.key]))
    rows: dict[Any, Row] = {}
    for r, t in data.rent_index:
        key = (r, L[t])
        rows[key] = (None, [*groups[key], (-1.0, rent[r, L[t]])], 0.0)
    add_rows(m, "rent_use", rows)
