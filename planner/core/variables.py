"""Sets, notation and the variables of the planning model.

Indices: ``s`` a site (hall), ``g`` a system (the unit a buyer orders: a server, a
rack), ``t`` a period, ``k`` a demand class. The sets are those that
`planner.core.prepare.prepare` derives (`PlanData`); a variable exists only on its set,
which is how the limits in `planner.core.sparsity.SPARSITY_LIMITS` are enforced::

    t in 0..T-1   periods of H hours (P a year), labelled 2027Q3 and so on
    K             demand classes: each demand row with tokens_per_s > 0; class k has
                  a period t_k, a model, an SLO (tokens/s per user) and a demand D_k
                  (tokens/s)
    B             (s,g,t) where a unit may be bought (PlanData.buy_index)
    F             (s,g,t) where units may stand (PlanData.fleet_index): B, every
                  later period of it, and the installed base in service
    V             (s,g,k) where a unit may serve class k (PlanData.serve_index):
                  (s,g,t_k) in F and tput[g,k] > 0
    E[s,g,t]      installed units of g at s still in service in t (PlanData.existing)
    tput[g,k]     tokens/s per GPU of g at the SLO of k (planner.core.problem.throughput_at)
    tokens_per_unit[g,k] = gpus_per_unit[g] * tput[g,k] * target_utilization

Data named after a field of the scenario or catalogue is that field (``power_mw[s]``,
``unit_power_kw[g]``, ``capex_usd[g]``). A sum over an index runs over the set the
summed variable exists on; a term whose index is outside its variable's set is 0.
Rows are named by family and index in the model (``power[hall-a,2027Q3]``), periods by
label and classes by period and key (``demand[2027Q3,llama-70b@30]``).
"""

from __future__ import annotations

import pyomo.environ as pyo

from planner.core.build_power import add_build_variables
from planner.core.problem import PlanData
from planner.core.refresh_model import add_retirement_variables
from planner.core.scaling import record_col_scale

#: the two formulations of `planner.core.build.build_model`
FORMULATIONS = ("strong", "plain")


# Over 80 lines for a reason: most of it is the docstring, the variables' math that
# docs/math.md is generated from.
def add_variables(m: pyo.ConcreteModel, data: PlanData, formulation: str = "strong") -> None:
    """Variables: purchases, the fleet, serving and unmet demand.

    Both formulations::

        buy[s,g,t]    integer >= 0    for (s,g,t) in B   units of g commissioned at s in t
        fleet[s,g,t]  >= 0            for (s,g,t) in F   units of g in service at s in t
        unmet[k]      >= 0            for k in K         share of D_k not served

    `unmet` does not exist with `strict_demand`. It counts shares of its class's demand
    (tokens/s = unmet[k] * D_k; `CompiledModel.values` reports tokens/s).

    Strong (the default)::

        buy[s,g,t]    <= buy_cap[s,g]                    (PlanData.buy_cap)
        fleet[s,g,t]  integer
        pool[g,k]     >= 0            for (g,k) with some (s,g,k) in V
                                                         units of g serving k, all sites

    `buy_cap[s,g]` is the most units of g the hall's power and racks hold, and the
    system's supply cap: it never cuts a feasible plan. `fleet` is integer (installed
    units plus integer purchases), so HiGHS's knapsack and cover cuts apply to the
    power and space rows directly.

    Section A (sites with `build`): `build[s,t]`, `planner.core.build_power`; with it,
    `buy_cap[s,g]` counts the most power the hall can ever have (power_mw + the blocks
    of max_mw).

    Plain (the contract's math as written)::

        fleet[s,g,t]  continuous
        serve[s,g,k]  >= 0            for (s,g,k) in V   units of g at s serving k

    C. Refresh, only with `options.allow_retirement` (`planner.core.refresh_model`)::

        retire[s,g,t]   integer >= 0  for (s,g,t) in R   bought units retired in t
        xretire[s,e,t]  integer >= 0  for (s,e,t) in X   units of installed entry e
                                                         retired early in t
        strong:  retire[s,g,t] <= the units of g hall s holds by power and racks (and
                 the supply of the periods before t);  xretire[s,e,t] <= U_e

    R holds (s,g,t) for t after the first period g may be bought at s; X holds (s,e,t)
    for each installed entry e of hall s (system g_e, U_e units, last period in service
    l_e) and t in 0..l_e. A unit retired in t is out of the fleet from t on. The strong
    bounds above stay valid: only units bought before t retire in t, so the units bought
    in t are in the fleet of t (buy <= buy_cap), and the fleet stays integer.
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
                cap = caps[(s, g)] = data.buy_cap(s, g)
            bounds[(s, g, lab)] = (0.0, cap)
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
        record_col_scale(m, "unmet", {(c.period, c.key): c.tokens_per_s for c in data.classes})
    if data.rent_offers:
        add_rent_variables(m, data, strong)

    # A. building power: build[s,t] (planner.core.build_power)
    if data.build_index:
        add_build_variables(m, data, strong)

    add_retirement_variables(m, data, strong)  # C. refresh: nothing without allow_retirement


def add_rent_variables(m: pyo.ConcreteModel, data: PlanData, strong: bool) -> None:
    """B. Renting: GPUs held from an offer, and what they serve (only with `rent:`).

    Both formulations::

        rent[r,t]     >= 0            for (r,t) in R     GPUs of offer r held through t
                      <= max_gpus[r]                     (the offer's cap, where given)
        rserve[r,k]   >= 0            for (r,k) in RS    rented GPUs of r serving k

        R   (r,t): t inside the offer's window (`from`..`until`) and some class of t
            that its system can serve
        RS  (r,k): t_k inside the window and tput[g_r,k] > 0

    Strong, the bound the demand implies (renting more than serves all the demand r
    can serve in t buys nothing)::

        rent[r,t]     <= sum_{k: t_k = t, (r,k) in RS} D_k / (tput[g_r,k] * target_utilization)
    """
    L = data.labels

    def bound(r: int, t: int) -> tuple[float, float | None]:
        if strong:
            return (0.0, data.rent_gpu_bound(r, t))
        return (0.0, data.rent_offers[r].max_gpus)

    bounds = {(r, L[t]): bound(r, t) for r, t in data.rent_index}
    m.rent = pyo.Var(list(bounds), domain=pyo.NonNegativeReals,
                     bounds=lambda _m, r, lab: bounds[(r, lab)])
    m.rserve = pyo.Var([(r, data.classes[k].period, data.classes[k].key)
                        for r, k in data.rserve_index], domain=pyo.NonNegativeReals)
