"""Build stage: the planning MILP of a prepared problem, in Pyomo.

`build_model` reads as the model's table of contents: the variables
(`planner.core.variables`), each constraint family in `CONSTRAINT_FAMILIES` order
(`planner.core.constraints`, one function each, its rows in its docstring), and the
objective (`planner.core.objective`), in one of two formulations with the same optimum
(`build_model`'s docstring). `planner.core.compile` turns the model into the arrays
HiGHS reads; `python -m planner.core.mathdoc` writes these docstrings to docs/math.md.
"""

from __future__ import annotations

import pyomo.environ as pyo

from planner.core.constraints import CONSTRAINT_FAMILIES
from planner.core.objective import add_objective
from planner.core.problem import PlanData
from planner.core.variables import add_variables
from planner.gcpause import paused_gc


def build_model(data: PlanData, formulation: str = "strong") -> pyo.ConcreteModel:
    """The Pyomo model of a prepared planning problem.

    Two formulations, with the same optimum:

    - ``plain``: the contract's math as written. Serving is per site, `serve[s,g,k]`,
      with rows `assign[s,g,t]`; a `supply` row for every capped system and period (one
      hall or many); no implied bounds; `fleet` continuous.
    - ``strong`` (the default): serving is pooled over sites, `pool[g,k]`, with rows
      `assign_pool[g,t]`. A throughput per unit does not depend on the site, so any
      pooled allocation splits back over the sites' fleets
      (`planner.core.compile.split_pool` fills sites in order) and the two are the same
      problem with the same LP bound, with about (number of sites) times fewer columns.
      Purchases carry the bounds power, floor space and supply imply, and `fleet` is
      integer, so HiGHS's knapsack and cover cuts apply to the power and space rows
      directly.

    The planner solves the strong formulation, from a starting plan
    (`planner.core.start`).
    """
    with paused_gc():  # the cyclic collector has nothing to free while the model grows
        m = pyo.ConcreteModel(name=data.name or "plan")
        add_variables(m, data, formulation)
        for family in CONSTRAINT_FAMILIES:
            family(m, data)
        add_objective(m, data)
    return m
