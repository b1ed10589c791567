"""The objective of the planning model: the discounted cost of the horizon, in USD."""

from __future__ import annotations

import pyomo.environ as pyo

from planner.core.build_power import build_cost_terms
from planner.core.problem import PlanData
from planner.core.refresh_model import retirement_objective_terms
from planner.core.terms import Term, lin


def add_objective(m: pyo.ConcreteModel, data: PlanData) -> None:
    """Objective: minimise the discounted cost of the horizon (USD).

    The cost of each term is charged with its period's discount factor d_t::

        min  sum_{(s,g,t) in B} price[g,t] * a[g,t] * d_t * buy[s,g,t]
           + sum_{(s,g,t) in F} (energy[s,g] + opex[g]) * d_t * fleet[s,g,t]
           + sum_{k in K} unmet_usd[k] * d_{t_k} * D_k * unmet[k]
           + sum_{(r,t) in R} usd_per_gpu_hour[r] * H * d_t * rent[r,t]

        d_t       = 1 / (1 + discount_rate)^(t * H / 8760)
        price[g,t] = capex_usd[g] * (1 - capex_decline_per_year[g])^(t * H / 8760)
        a[g,t]    = 1 (upfront), or min(1, (T - t) / (lifetime_years[g] * P)) (amortized)
        energy[s,g] = unit_power_kw[g] / 1000 * average_power_fraction * pue[s] * H
                      * electricity_usd_per_mwh[s]
        opex[g]   = opex_usd_per_year[g] * H / 8760
        unmet_usd[k] = H * 3600 / 1e6 * usd_per_mtok[k]    (per token/s unmet), where the
                    demand row of k has a price (D: revenue lost), else
                    H * 3600 / 1e6 * unmet_penalty_usd_per_mtok

    The last sum is renting (B, only with `rent:`). Installed units carry no capex.
    `unmet[k]` counts shares of D_k, hence the factor D_k (`PlanData.capex_charge_usd`,
    `energy_usd_per_unit`, `opex_usd_per_unit` and `unmet_usd_of_class` compute the
    coefficients).

    A site with `build` (section A, `planner.core.build_power`) adds, per block
    energised at s in t::

           + sum_{(s,t) in W} (block_mw[s] * capex_usd_per_mw[s] * ab[s,t] * d_t
                               + sum_{t' >= t} block_mw[s] * opex_usd_per_mw_year[s]
                                 * H / 8760 * d_t') * build[s,t]

        ab[s,t]   = 1 (upfront), or min(1, (T - t) / (lifetime_years[s] * P)) (amortized),
                    with the build's own lifetime_years

    that is build capex when energised, and fixed opex for every period a block stands.

    With `options.allow_retirement` (C. refresh) each unit retired in t earns its
    resale, discounted (a negative cost)::

           - sum_{(s,g,t) in R} resale[g,t] * d_t * retire[s,g,t]
           - sum_{(s,e,t) in X} resale[g_e,t] * d_t * xretire[s,e,t]

        resale[g,t] = resale_fraction[g] * unit_price[g,t] * a[g,t]
        unit_price[g,t] = capex_usd[g] * (1 - capex_decline_per_year[g])^(t * H / 8760)

    Installed units carry no capex. `unmet[k]` counts shares of D_k, hence the factor D_k
    (`PlanData.capex_charge_usd`, `energy_usd_per_unit`, `opex_usd_per_unit` and
    `unmet_usd_per_tokens_per_s` compute the coefficients).
    """
    L = data.labels
    terms: list[Term] = []
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
            coef = data.unmet_usd_of_class(c.index) * c.tokens_per_s  # unmet: shares
            if coef:
                terms.append((coef, m.unmet[c.period, c.key]))
    for r, t in data.rent_index:  # B. renting
        coef = data.rent_cash_usd_per_gpu(r) * data.discount(t)
        if coef:
            terms.append((coef, m.rent[r, L[t]]))
    terms += build_cost_terms(m, data)  # A: blocks built
    terms += retirement_objective_terms(m, data)  # C. refresh: empty without it
    m.cost = pyo.Objective(expr=lin(terms) if terms else 0.0, sense=pyo.minimize)
