"""The post-solve check: the extracted plan serves strict demand in full, keeps every cap
as a whole-unit plan, and costs what the solver's objective says (`check_plan`); anything
else is a planner bug, raised as PlanCheckError instead of written as a plan.
"""

from __future__ import annotations

import math
from collections import defaultdict

from planner.core.highs import SolveOutcome
from planner.core.problem import PlanData
from planner.core.results import PlanTables, cost_of_tables
from planner.errors import PlanCheckError

#: a strict class counts as served when served >= demand * (1 - STRICT_SHORTFALL)
STRICT_SHORTFALL = 1e-6
#: caps hold when the plan's use <= cap * (1 + CAP_REL) (+ CAP_ABS in the cap's units):
#: the solver's own feasibility tolerance (1e-6 on rows scaled near 1); a whole unit
#: too many is far above it
CAP_REL = 1e-6
CAP_ABS = 1e-6
#: the recomputed total equals the objective within OBJ_REL of the larger of the two,
#: plus OBJ_ABS times the larger of 1 USD and the largest cost component
OBJ_REL = 1e-6
OBJ_ABS = 1e-9


def plan_problems(data: PlanData, tables: PlanTables, outcome: SolveOutcome) -> list[str]:
    """What is wrong with a solved plan, recomputed from its tables (empty: nothing).

    Checks that with `strict_demand` every class is served in full, that the rounded plan
    keeps every cap (power, floor space, supply, budgets; purchases only where cooling,
    availability and lead time allow them), and that `total_cost_usd` recomputed from the
    tables equals the solver's objective (for a time-limited plan: its incumbent's).
    """
    out: list[str] = []
    sv = tables.service
    if data.strict_demand and len(sv):
        for r in sv.itertuples():
            d, got = float(r.demand_tokens_per_s), float(r.served_tokens_per_s)
            if got < d * (1.0 - STRICT_SHORTFALL):
                out.append(f"strict demand of {r.model} in {r.period} at "
                           f"{float(r.min_tokens_per_s_per_user):g} tokens/s per user is "
                           f"not served in full: {got:.6g} of {d:.6g} tokens/s "
                           f"(short {d - got:.3g}, {(d - got) / d:.3g} of it)")

    def over(use: float, cap: float) -> bool:
        return use > cap * (1.0 + CAP_REL) + CAP_ABS

    st = tables.sites
    for r in st.itertuples():
        if over(float(r.power_kw), float(r.power_cap_kw)):
            out.append(f"power of {r.site} in {r.period}: {float(r.power_kw):.9g} kW above "
                       f"the cap {float(r.power_cap_kw):.9g} kW")
        mr = r.max_racks
        if mr is not None and not (isinstance(mr, float) and math.isnan(mr)) \
                and over(float(r.racks), float(mr)):
            out.append(f"racks of {r.site} in {r.period}: {float(r.racks):.9g} above "
                       f"max_racks {float(mr):.9g}")
    pp = tables.purchase_plan
    pos = {lab: i for i, lab in enumerate(data.labels)}
    allowed = set(data.buy_index)
    units: dict[tuple[str, str], int] = defaultdict(int)
    spend: dict[str, float] = defaultdict(float)
    for r in pp.itertuples():
        s, g, lab = str(r.site), str(r.system), str(r.period)
        if (s, g, pos[lab]) not in allowed:
            out.append(f"{int(r.units)} {g} bought at {s} in {lab}, where cooling, the "
                       "hall's availability or the lead time forbid a purchase")
        units[(g, lab)] += int(r.units)
        spend[lab] += float(r.capex_usd)
    for (g, lab), u in sorted(units.items()):
        cap = data.systems[g].max_units_per_period if g in data.systems else None
        if cap is not None and over(float(u), float(cap)):
            out.append(f"supply of {g} in {lab}: {u} units bought over all halls, above "
                       f"max_units_per_period {cap}")
    out += _build_problems(data, tables, spend)  # A. building power
    if data.budget_per_period_usd is not None:
        for lab, usd in sorted(spend.items(), key=lambda kv: pos[kv[0]]):
            if over(usd, data.budget_per_period_usd):
                out.append(f"capex in {lab}: ${usd:,.2f}, above capex_usd_per_period "
                           f"${data.budget_per_period_usd:,.2f}")
    if data.budget_total_usd is not None and over(sum(spend.values()), data.budget_total_usd):
        out.append(f"capex over the horizon: ${sum(spend.values()):,.2f}, above "
                   f"total_capex_usd ${data.budget_total_usd:,.2f}")
    obj = outcome.objective
    if obj is not None:
        breakdown = cost_of_tables(tables)
        total = sum(breakdown.values())
        tol = OBJ_REL * max(abs(total), abs(obj)) + OBJ_ABS * max(
            1.0, *(abs(v) for v in breakdown.values()))
        if not (abs(total - obj) <= tol):  # also catches NaN
            out.append(f"the plan's cost recomputed from its tables, ${total:,.6f} "
                       f"(capex {breakdown['capex']:,.6f}, energy {breakdown['energy']:,.6f}, "
                       f"opex {breakdown['opex']:,.6f}, unmet penalty "
                       f"{breakdown['unmet_penalty']:,.6f}), differs from the solver's "
                       f"objective ${obj:,.6f} by ${abs(total - obj):,.6g} "
                       f"(tolerance ${tol:,.6g})")
    return out


def _build_problems(data: PlanData, tables: PlanTables, spend: dict[str, float]) -> list[str]:
    """Blocks only where `build` allows them, within max_mw; their full price is added
    to `spend` (capex per period label) for the budget checks."""
    out: list[str] = []
    bp = tables.build_plan
    if bp is None:
        return out
    pos = {lab: i for i, lab in enumerate(data.labels)}
    allowed = set(data.build_index)
    for r in bp.itertuples():
        s, lab = str(r.site), str(r.period)
        if (s, pos[lab]) not in allowed:
            out.append(f"{int(r.blocks)} blocks built at {s} in {lab}, where the hall's "
                       "availability or the build's lead time forbid it")
        spend[lab] += float(r.capex_usd)
    for site in data.sites:
        if site.build is not None:
            mw = float(bp.loc[bp["site"] == site.name, "mw"].sum())
            if mw > site.build.max_mw * (1.0 + CAP_REL) + CAP_ABS:
                out.append(f"{mw:g} MW built at {site.name}, above max_mw "
                           f"{site.build.max_mw:g}")
    return out


def check_plan(data: PlanData, tables: PlanTables, outcome: SolveOutcome) -> None:
    """Raise `PlanCheckError` (a `SolverError`) when a solved plan fails `plan_problems`:
    a plan the solver reports optimal (or the incumbent at a time limit) must serve strict
    demand in full, keep every cap once rounded to whole units, and cost what the
    objective says."""
    problems = plan_problems(data, tables, outcome)
    if problems:
        raise PlanCheckError(
            f"the solver's plan (status {outcome.status}) fails the planner's own check "
            "after the solve, so it is not reported:\n  - " + "\n  - ".join(problems),
            "this is a numerical problem in the planner or the solver, not a verdict on "
            "the scenario; please report it with the scenario. Extreme numbers in the "
            "inputs (very large or very small demands, prices or caps) make it likelier")
