"""Extract stage: solver values -> tidy pandas tables and the summary.

Reports read these tables only, never the solver model. Purchases are rounded to whole
units and the fleet is recomputed from them, so every figure in the tables is consistent
with the integer plan; `cost_of_tables` recomputes the total cost from the tables.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from planner.core.build_results import build_blocks, build_tables, built_mw, money_build
from planner.core.cashflow import cashflow_table, money_table, money_v1
from planner.core.highs import SolveOutcome
from planner.core.prices import money_revenue, price_figures
from planner.core.problem import PlanData
from planner.core.refresh import (
    Retired,
    XRetired,
    money_resale,
    retired_so_far,
    retired_units,
    retirements_table,
)
from planner.core.rent_tables import money_rent, rent_frames, rent_serving, rented_tokens
from planner.core.summary import (
    CostBreakdown,
    Horizon,
    PlanSummary,
    SiteSummary,
    usd_per_mtok,
)
from planner.errors import PlanCheckError

PURCHASE_COLUMNS = ["period", "site", "system", "units", "capex_usd", "capex_charged_usd"]
FLEET_COLUMNS = ["period", "site", "system", "units", "power_kw", "existing_units",
                 "energy_usd", "opex_usd"]
ALLOCATION_COLUMNS = ["period", "site", "system", "model", "units", "tokens_per_s",
                      "min_tokens_per_s_per_user"]
SERVICE_COLUMNS = ["period", "model", "min_tokens_per_s_per_user", "demand_tokens_per_s",
                   "served_tokens_per_s", "unmet_tokens_per_s", "unmet_penalty_usd"]
SITE_COLUMNS = ["period", "site", "power_kw", "power_cap_kw", "racks", "max_racks", "units",
                "tokens_per_s"]


@dataclass
class PlanTables:
    purchase_plan: pd.DataFrame
    fleet: pd.DataFrame
    allocation: pd.DataFrame
    service: pd.DataFrame
    sites: pd.DataFrame
    # ---- B. renting (only with `rent:`; planner.core.rent_tables) ----
    rent_plan: pd.DataFrame | None = None
    rent_allocation: pd.DataFrame | None = None
    # A. building power (`planner.core.build_results`): only when some site has `build`
    build_plan: pd.DataFrame | None = None
    build_power: pd.DataFrame | None = None
    #: C. refresh: retirements.csv, only with options.allow_retirement
    retirements: pd.DataFrame | None = None
    #: money per period and kind, undiscounted (`planner.core.cashflow`; not a file)
    money: pd.DataFrame | None = None
    #: F. cashflow.csv, by calendar year
    cashflow: pd.DataFrame | None = None
    #: set by `extract` once the tables are complete
    summary: PlanSummary = field(init=False)

    def frames(self) -> dict[str, pd.DataFrame]:
        out = {
            "purchase_plan": self.purchase_plan,
            "fleet": self.fleet,
            "allocation": self.allocation,
            "service": self.service,
            "sites": self.sites,
        }
        if self.rent_plan is not None and self.rent_allocation is not None:  # B. renting
            out["rent_plan"] = self.rent_plan
            out["rent_allocation"] = self.rent_allocation
        if self.build_plan is not None:  # A. building power
            out["build_plan"] = self.build_plan
        if self.retirements is not None:  # C. refresh
            out["retirements"] = self.retirements
        if self.cashflow is not None:  # F. cash flow
            out["cashflow"] = self.cashflow
        return out


def _round_units(v: float) -> int:
    return int(math.floor(v + 0.5)) if v > 0 else 0


def extract(data: PlanData, values: dict[str, dict[tuple[Any, ...], float]],
            outcome: SolveOutcome, settings: dict[str, Any] | None = None) -> PlanTables:
    """Build the plan tables from solver values (keys as in `planner.core.variables`)."""
    L = data.labels
    pos = {lab: i for i, lab in enumerate(L)}
    site_order = {s.name: i for i, s in enumerate(data.sites)}
    sys_order = {g: i for i, g in enumerate(data.systems)}

    # purchases (integers) and the fleet they imply
    buys: dict[tuple[str, str, int], int] = {}
    for (s, g, lab), v in values.get("buy", {}).items():
        u = _round_units(v)
        if u > 0:
            buys[(str(s), str(g), pos[str(lab)])] = u
    ret, xret = retired_units(data, values)  # C. refresh: empty without it
    fleet_units, in_service = _fleet_units(data, buys, ret, xret)

    # allocation: clip to the integer fleet, then to each class's demand
    class_of = {(c.period, c.key): c.index for c in data.classes}
    serve: dict[tuple[str, str, int], float] = {}
    for (s, g, lab, key), v in values.get("serve", {}).items():
        k = class_of[(str(lab), str(key))]
        # noise is what serves under 1e-12 of the class (a share of a unit can be tiny:
        # 0.01 tokens/s on a 72-GPU rack is 1.4e-7 of it)
        if v > 0 and v * data.tokens_per_unit(str(g), k) > 1e-12 * data.classes[k].tokens_per_s:
            serve[(str(s), str(g), k)] = float(v)
    per_unit: dict[tuple[str, str, int], float] = defaultdict(float)
    for (s, g, k), v in serve.items():
        per_unit[(s, g, data.classes[k].t)] += v
    for (s, g, k), v in list(serve.items()):
        tot = per_unit[(s, g, data.classes[k].t)]
        have = fleet_units.get((s, g, data.classes[k].t), 0)
        if tot > have:
            serve[(s, g, k)] = v * have / tot if tot > 0 else 0.0
    served: dict[int, float] = defaultdict(float)
    for (_s, g, k), v in serve.items():
        served[k] += v * data.tokens_per_unit(g, k)
    for (s, g, k), v in list(serve.items()):
        c = data.classes[k]
        if served[k] > c.tokens_per_s > 0:
            serve[(s, g, k)] = v * c.tokens_per_s / served[k]
    served = defaultdict(float)
    for (_s, g, k), v in serve.items():
        served[k] += v * data.tokens_per_unit(g, k)
    rserve = rent_serving(data, values, served) if data.rent_offers else {}  # B. renting
    rented = rented_tokens(data, rserve)

    pp_rows = []
    for (s, g, t), u in sorted(buys.items(), key=lambda x: (x[0][2], site_order[x[0][0]],
                                                          sys_order[x[0][1]])):
        pp_rows.append((L[t], s, g, u, u * data.unit_price_usd(g, t),
                        u * data.capex_charge_usd(g, t)))
    fl_rows = []
    site_agg: dict[tuple[str, int], list[float]] = {}
    for s, g, t in data.fleet_index:
        u = fleet_units[(s, g, t)]
        if u <= 0:
            continue
        sysd = data.systems[g]
        fl_rows.append((L[t], s, g, u, u * sysd.unit_power_kw, in_service.get((s, g, t), 0),
                        u * data.energy_usd_per_unit(s, g, t), u * data.opex_usd_per_unit(g, t)))
        agg = site_agg.setdefault((s, t), [0.0, 0.0, 0.0, 0.0])
        agg[0] += u * sysd.unit_power_kw
        agg[1] += u * sysd.racks_per_unit
        agg[2] += u
    al_rows = []
    for (s, g, k), v in sorted(serve.items(), key=lambda x: (
            data.classes[x[0][2]].t, site_order[x[0][0]], sys_order[x[0][1]],
            data.classes[x[0][2]].model, data.classes[x[0][2]].slo, x[0][2])):
        if v <= 0:
            continue
        c = data.classes[k]
        tps = v * data.tokens_per_unit(g, k)
        al_rows.append((c.period, s, g, c.model, v, tps, c.slo))
        site_agg.setdefault((s, c.t), [0.0, 0.0, 0.0, 0.0])[3] += tps
    sv_rows = []
    for c in data.classes:
        got = min(served.get(c.index, 0.0) + rented.get(c.index, 0.0), c.tokens_per_s)
        if c.tokens_per_s - got <= 1e-7 * c.tokens_per_s:
            got = c.tokens_per_s  # solver tolerance, not a shortfall
        unmet = max(0.0, c.tokens_per_s - got)
        row = (c.period, c.model, c.slo, c.tokens_per_s, got, unmet,
               unmet * data.unmet_usd_of_class(c.index))
        sv_rows.append((*row, rented.get(c.index, 0.0)) if data.rent_offers else row)
    st_rows = []
    blocks = build_blocks(data, values) if data.build_index else {}  # A. building power
    built = built_mw(data, blocks)
    for t in range(data.T):
        for site in data.sites:
            agg = site_agg.get((site.name, t), [0.0, 0.0, 0.0, 0.0])
            if t < data.available_t[site.name] and agg[2] == 0:
                continue
            mw = built.get((site.name, t), 0.0)
            site_row = (L[t], site.name, agg[0], (site.power_mw + mw) * 1000.0, agg[1],
                        site.max_racks, int(agg[2]), agg[3])
            st_rows.append((*site_row, mw) if data.build_index else site_row)

    tables = PlanTables(
        purchase_plan=pd.DataFrame(pp_rows, columns=PURCHASE_COLUMNS),
        fleet=pd.DataFrame(fl_rows, columns=FLEET_COLUMNS),
        allocation=pd.DataFrame(al_rows, columns=ALLOCATION_COLUMNS),
        service=pd.DataFrame(sv_rows, columns=SERVICE_COLUMNS + (
            ["rented_tokens_per_s"] if data.rent_offers else [])),
        sites=pd.DataFrame(st_rows, columns=SITE_COLUMNS
                           + (["built_mw"] if data.build_index else [])),
    )
    if data.rent_offers:  # B. renting
        tables.rent_plan, tables.rent_allocation = rent_frames(data, values, rserve)
    if data.build_index:  # A. building power
        tables.build_plan, tables.build_power = build_tables(data, blocks)
    _money_tables(data, tables, ret, xret)
    tables.summary = summarize(data, tables, outcome, settings or {})
    return tables


def _fleet_units(data: PlanData, buys: dict[tuple[str, str, int], int], ret: Retired,
                 xret: XRetired) -> tuple[dict[tuple[str, str, int], int],
                                          dict[tuple[str, str, int], int]]:
    """The whole units in service per (site, system, period), and the installed ones
    among them: installed units in service (less those retired early) plus purchases
    so far (less those retired)."""
    gone_x, gone_b = retired_so_far(data, ret, xret)
    in_service = {k: u - gone_x.get(k, 0) for k, u in data.existing.items()}
    fleet_units: dict[tuple[str, str, int], int] = {}
    cum: dict[tuple[str, str], int] = defaultdict(int)
    for s, g, t in data.fleet_index:  # ordered by t
        cum[(s, g)] += buys.get((s, g, t), 0)
        fleet_units[(s, g, t)] = (in_service.get((s, g, t), 0) + cum[(s, g)]
                                  - gone_b.get((s, g, t), 0))
    return fleet_units, in_service


def _money_tables(data: PlanData, tables: PlanTables, ret: Retired, xret: XRetired) -> None:
    """C. retirements.csv (with allow_retirement); F. the money table (every section's
    money per period: v1 capex, energy and opex, C resale, B rent, D revenue, A the blocks
    built) and cashflow.csv."""
    if data.allow_retirement:
        tables.retirements = retirements_table(data, ret, xret)
    tables.money = money_table([
        money_v1(data, tables.purchase_plan, tables.fleet),
        money_resale(tables.retirements),  # C
        money_rent(tables.rent_plan) if tables.rent_plan is not None else None,  # B
        money_revenue(data, tables.service) if data.priced else None,  # D
        money_build(data, tables.build_plan, tables.build_power)  # A
        if tables.build_plan is not None and tables.build_power is not None else None])
    tables.cashflow = cashflow_table(data, tables.money)


def cost_of_tables(tables: PlanTables) -> dict[str, float]:
    """The cost breakdown recomputed from the tables (what the objective charges); `rent`
    only in a plan with `rent:`; with blocks built (section A), also ``build_capex`` and
    ``build_opex``; ``resale`` (negative) only with retirements allowed."""
    out = {
        "capex": float(tables.purchase_plan["capex_charged_usd"].sum()),
        "energy": float(tables.fleet["energy_usd"].sum()),
        "opex": float(tables.fleet["opex_usd"].sum()),
        "unmet_penalty": float(tables.service["unmet_penalty_usd"].sum()),
    }
    if tables.rent_plan is not None:  # B. renting
        out["rent"] = float(tables.rent_plan["charged_usd"].sum())
    if tables.build_plan is not None and tables.build_power is not None:
        out["build_capex"] = float(tables.build_plan["capex_charged_usd"].sum())
        out["build_opex"] = float(tables.build_power["opex_usd"].sum())
    if tables.retirements is not None:  # C. refresh
        out["resale"] = -float(tables.retirements["resale_credited_usd"].sum())
    return out


def summarize(data: PlanData, tables: PlanTables, outcome: SolveOutcome,
              settings: dict[str, Any]) -> PlanSummary:
    """The plan's summary figures, recomputed from its tables."""
    H = data.hours
    breakdown = cost_of_tables(tables)
    total = sum(breakdown.values())
    sv = tables.service
    demand_tokens = float((sv["demand_tokens_per_s"] * H * 3600).sum())
    unmet_tokens = float((sv["unmet_tokens_per_s"] * H * 3600).sum())
    # summed, not demand - unmet: that cancels when nearly all demand goes unserved
    served_tokens = float((sv["served_tokens_per_s"] * H * 3600).sum())
    # summed, not total - penalty: a penalty of $1e13 would leave a $20 spend in rounding
    cost_wo_penalty = breakdown["capex"] + breakdown["energy"] + breakdown["opex"]
    if "rent" in breakdown:  # B. renting: money spent
        cost_wo_penalty += breakdown["rent"]
    cost_wo_penalty += breakdown.get("build_capex", 0.0) + breakdown.get("build_opex", 0.0)
    if "resale" in breakdown:  # C. refresh: money earned back
        cost_wo_penalty += breakdown["resale"]
    cpm = usd_per_mtok(cost_wo_penalty, served_tokens) if served_tokens > 0 else None

    st = tables.sites
    per_site: dict[str, SiteSummary] = {}
    for site in data.sites:
        rows = st[st["site"] == site.name]
        mw_periods = float(rows["power_kw"].sum()) / 1000.0
        tps_sum = float(rows["tokens_per_s"].sum())
        per_site[site.name] = SiteSummary(
            power_cap_mw=site.power_mw + _final_built_mw(tables, site.name),
            peak_power_mw=float(rows["power_kw"].max()) / 1000.0 if len(rows) else 0.0,
            tokens_per_s_per_mw=tps_sum / mw_periods if mw_periods > 0 else None,
            peak_racks=float(rows["racks"].max()) if len(rows) else 0.0,
            max_racks=site.max_racks,
        )
    mw_all = float(st["power_kw"].sum()) / 1000.0
    tps_all = float(st["tokens_per_s"].sum())
    pp = tables.purchase_plan
    by_period = {lab: int(pp.loc[pp["period"] == lab, "units"].sum())
                 for lab in data.labels if (pp["period"] == lab).any()}
    return PlanSummary(
        scenario=data.name,
        status=outcome.status,
        time_limited=outcome.status == "time_limit",
        total_cost_usd=total,
        spend_usd=cost_wo_penalty,
        unmet_penalty_usd=breakdown["unmet_penalty"],
        cost_breakdown_usd=CostBreakdown(**breakdown),
        tokens_served=served_tokens,
        unmet_tokens=unmet_tokens,
        demand_tokens=demand_tokens,
        demand_served_share=served_tokens / demand_tokens if demand_tokens > 0 else 1.0,
        cost_per_mtok_usd=cpm,
        tokens_per_s_per_mw=tps_all / mw_all if mw_all > 0 else None,
        objective_usd=outcome.objective,
        best_bound_usd=outcome.best_bound,
        mip_gap=outcome.mip_gap,
        solve_seconds=outcome.seconds,
        solver_status=outcome.highs_status,
        capex_cash_usd=float(pp["capex_usd"].sum()),
        units_bought=int(pp["units"].sum()),
        units_bought_by_period=by_period,
        sites=per_site,
        horizon=Horizon(start=data.labels[0], periods=data.T,
                        granularity=data.granularity, hours_per_period=data.hours),
        solver_settings=settings,
        **_v2_figures(data, tables, served_tokens, cost_wo_penalty),
        built_mw=None if tables.build_plan is None else float(tables.build_plan["mw"].sum()),
        retired_units=None if tables.retirements is None
        else int(tables.retirements["units"].sum()),
        npv_usd=float(tables.cashflow["net_discounted_usd"].sum())
        if tables.cashflow is not None and data.priced else None,
    )


def _v2_figures(data: PlanData, tables: PlanTables, served_tokens: float,
                spend_usd: float) -> dict[str, Any]:
    """The summary's renting (B) and price (D) figures, where the scenario has them."""
    out: dict[str, Any] = {}
    if data.rent_offers:
        sv = tables.service
        rented = float((sv["rented_tokens_per_s"] * data.hours * 3600).sum())
        out.update(has_rent=True, rented_tokens=rented,
                   rented_share=rented / served_tokens if served_tokens > 0 else None)
    if data.priced:
        out.update(has_prices=True,
                   **price_figures(data, tables.service, tables.sites, spend_usd))
    return out


def _final_built_mw(tables: PlanTables, site: str) -> float:
    """MW built at `site` over the horizon (section A; 0 without `build`)."""
    bp = tables.build_plan
    return 0.0 if bp is None else float(bp.loc[bp["site"] == site, "mw"].sum())


# --------------------------------------------------------------------------- post-solve check

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
