"""Analysis: which limits bind, and why demand cannot be met, in the planner's words.

When a cap binds is decided here, for every place that says so: `binds` (power, floor
space, budgets, supply: no room left for one more unit) and `slo_binds` (an
interactivity SLO that costs throughput) for limits.csv (`planner.report.facts`), the
periods the marginal values step the power of (`planner.analysis.marginal`) and the
shortfall words below; `nearly_full` for a report whose plan folder has no limits.csv.

`unservable_reason` reads the prepared problem (a class no unit can serve in its period);
`binding_caps` and `shortfall_details` read a solved (or relaxed) plan. They explain an
infeasible scenario (`planner.core.solve.explain_infeasible`, through
`planner.analysis.solve.DIAGNOSIS`) and each short class of a plan
(`planner.analysis.shortfall`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner.fmt import sig

if TYPE_CHECKING:  # the core's types only: importing them would load the solver stack
    from planner.core.problem import PlanData
    from planner.core.results import PlanTables

#: The room a cap must leave, beyond one unit, not to bind, in the cap's own units (kW,
#: USD, units): far below any unit, far above the float rounding of sums of unit sizes.
TOL = 1e-6
#: The same for floor space (racks) in limits.csv and for the power and floor space of
#: the shortfall words (`binding_caps`): tighter, as those rules were first written; a
#: changed tolerance would change which caps the outputs name in rare cases.
FINE_TOL = 1e-9
#: An interactivity SLO binds when it holds a system below its best throughput by more
#: than this share (float rounding of the curve's interpolation is not a cost).
SLO_TOL = 1e-9
#: Without unit sizes (a plan folder without limits.csv), a cap counts as binding when
#: the plan uses at least this share of it.
NEARLY_FULL = 0.98


def binds(used: float, cap: float, unit: float | None, tol: float = TOL) -> bool:
    """Whether a cap leaves no room for one more unit: ``cap - used < unit - tol``.

    `unit` is what one more unit takes of the cap (kW of power, racks of floor space, USD
    of a budget, 1 of a supply cap), for the unit in question: the largest system a hall
    can hold (limits.csv, the marginal values) or the smallest that could serve a short
    demand class (the shortfall words). None when no unit could be added there (no
    system fits the hall then, nothing is buyable, a unit costs nothing of the budget):
    the cap holds nothing back, so it does not bind. A unit of 0 binds only a cap overrun
    by more than `tol`.
    """
    return unit is not None and cap - used < unit - tol


def slo_binds(tokens_per_s_at_slo: float, best_tokens_per_s: float) -> bool:
    """Whether an interactivity SLO costs throughput: the tokens/s per GPU a system
    delivers at the SLO is below its best point, ``at < best x (1 - SLO_TOL)``."""
    return tokens_per_s_at_slo < best_tokens_per_s * (1 - SLO_TOL)


def nearly_full(used: float, cap: float) -> bool:
    """The rule for a plan folder without limits.csv (no unit sizes to compare with): a
    positive cap binds when ``used >= NEARLY_FULL x cap`` (within 2% of it)."""
    return cap > 0 and used >= NEARLY_FULL * cap


def lead_words(data: PlanData, g: str) -> str:
    """A system's lead time as the plan reads it: "2 periods", or "4 months = 2 periods"
    when the catalogue gives months, or "2 periods (scenario)" when overridden."""
    n = data.lead(g)
    periods = f"{n} period{'' if n == 1 else 's'}"
    months = data.systems[g].lead_time_months
    if data.lead_basis.get(g) == "months" and months is not None:
        return f"{months:g} months = {periods}"
    if data.lead_basis.get(g) == "scenario":
        return f"{periods} (scenario)"
    return periods


def unservable_reason(data: PlanData, k: int) -> str:
    """Why no unit can serve demand class k in its period (it has no serve variable)."""
    c = data.classes[k]
    able = [g for (g, kk) in data.tput if kk == k]
    if not able:
        return (f"no system in the catalogue reaches {c.slo:g} tokens/s per user for "
                f"{c.model} (lower min_tokens_per_s_per_user, or add a faster system)")
    reasons = []
    liquid_sites = [s for s in data.sites if s.cooling == "liquid"]
    for g in able:
        sysd = data.systems[g]
        lead = data.lead(g)
        if lead > c.t:
            first = data.labels[lead] if lead < data.T else "after the horizon"
            reasons.append(f"{g}: lead time {lead_words(data, g)}, first in service {first}")
        elif sysd.cooling == "liquid" and not liquid_sites:
            reasons.append(f"{g}: liquid-cooled, and no site is liquid-cooled")
        elif sysd.max_units_per_period == 0:
            reasons.append(f"{g}: max_units_per_period is 0")
        else:
            sites = [s for s in data.sites if sysd.cooling != "liquid" or s.cooling == "liquid"]
            later = [f"{s.name} from {data.labels[data.available_t[s.name]]}"
                     if data.available_t[s.name] < data.T else f"{s.name} after the horizon"
                     for s in sites if data.available_t[s.name] > c.t]
            if later and len(later) == len(sites):
                reasons.append(f"{g}: no hall is available yet ({', '.join(later)})")
            else:
                reasons.append(f"{g}: cannot be in service in {c.period}")
    return "the systems that meet this SLO cannot be in service then: " + "; ".join(reasons)


def binding_caps(data: PlanData, tables: PlanTables, k: int) -> list[str]:
    """The caps that bind for demand class k in a (relaxed) plan: no room for one more
    unit of any system that could serve it."""
    c = data.classes[k]
    able = sorted({g for (g, kk) in data.tput if kk == k})
    fleet_at = {(s, g) for (s, g, t) in data.fleet_index if t == c.t}
    out: list[str] = []
    st = tables.sites
    for r in st[st["period"] == c.period].itertuples():
        here = [data.systems[g] for g in able if (r.site, g) in fleet_at]
        if not here:
            continue
        min_kw = min(sd.unit_power_kw for sd in here)
        if binds(r.power_kw, r.power_cap_kw, min_kw, FINE_TOL):
            out.append(f"power at {r.site} ({r.power_kw / 1000:.4g} of "
                       f"{r.power_cap_kw / 1000:g} MW used)")
        racks = [sd.racks_per_unit for sd in here if sd.racks_per_unit > 0]
        if r.max_racks is not None and r.max_racks == r.max_racks and racks and \
                binds(r.racks, r.max_racks, min(racks), FINE_TOL):
            out.append(f"max_racks at {r.site} ({r.racks:g} of {r.max_racks:g} racks used)")
    pp = tables.purchase_plan
    capex = [data.unit_price_usd(g, c.t) for g in able]  # E: the price in the class's period
    min_capex = min(capex) if capex else 0.0
    if data.budget_per_period_usd is not None:
        tight = []
        for t in range(c.t + 1):
            spent = float(pp.loc[pp["period"] == data.labels[t], "capex_usd"].sum())
            if binds(spent, data.budget_per_period_usd, min_capex):
                tight.append(data.labels[t])
        if tight:
            budget = sig(data.budget_per_period_usd, 4, grouping=False)
            out.append(f"budget.capex_usd_per_period {budget} (spent in {', '.join(tight)})")
    if data.budget_total_usd is not None:
        spent = float(pp["capex_usd"].sum())
        if binds(spent, data.budget_total_usd, min_capex):
            out.append(f"budget.total_capex_usd ({sig(spent, 4, grouping=False)} of "
                       f"{sig(data.budget_total_usd, 4, grouping=False)} spent)")
    for g in able:
        cap = data.systems[g].max_units_per_period
        if not cap:  # no cap, or a supply of 0: `unservable_reason` says so
            continue
        bought = {lab: int(pp.loc[(pp["period"] == lab) & (pp["system"] == g), "units"].sum())
                  for lab in data.labels[:c.t + 1]}
        full = [lab for lab, units in bought.items() if binds(units, cap, 1)]
        if full:
            out.append(f"max_units_per_period of {g} ({cap} units bought in "
                       f"{', '.join(full)})")
    late = [f"{g} (lead time {lead_words(data, g)})" for g in able if data.lead(g) > c.t]
    if late:
        out.append("not yet deliverable: " + ", ".join(late))
    closed = [s.name for s in data.sites if data.available_t[s.name] > c.t]
    if closed:
        out.append("halls not yet available: " + ", ".join(closed))
    return out


def shortfall_details(data: PlanData, tables: PlanTables) -> list[str]:
    """One line per (model, period, SLO) that a plan cannot fully serve."""
    sv = tables.service
    details = []
    key = {(c.period, c.model, c.slo): c.index for c in data.classes}
    for row in sv.itertuples():
        if row.unmet_tokens_per_s <= 1e-6 * max(row.demand_tokens_per_s, 1.0):
            continue
        k = key.get((row.period, row.model, row.min_tokens_per_s_per_user))
        share = row.unmet_tokens_per_s / row.demand_tokens_per_s if row.demand_tokens_per_s \
            else 0.0
        demand, served, unmet = (sig(v, 4, grouping=False) for v in (
            row.demand_tokens_per_s, row.served_tokens_per_s, row.unmet_tokens_per_s))
        head = (f"{row.model} in {row.period} at {row.min_tokens_per_s_per_user:g} tokens/s "
                f"per user: demand {demand} tokens/s, the caps allow at most {served} (short "
                f"{unmet} tokens/s, {share:.1%})")
        if k is None:
            details.append(head)
            continue
        if not any(kk == k for (_, _, kk) in data.serve_index):
            details.append(f"{head}: {unservable_reason(data, k)}")
            continue
        caps = binding_caps(data, tables, k)
        details.append(head + ("; binding: " + "; ".join(caps) if caps else
                               "; no single cap is full: the shortfall comes from the "
                               "caps of other periods or models sharing the fleet"))
    return details
