"""The plan's tables and its summary: `PlanTables` (what `planner.core.extract.extract`
fills from the solver's values), `cost_of_tables` (the cost recomputed from the tables)
and `summarize` (summary.json's figures). Reports read these tables only, never the
solver model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from planner.core.highs import SolveOutcome
from planner.core.prices import price_figures
from planner.core.problem import PlanData
from planner.core.summary import (
    CostBreakdown,
    Horizon,
    PlanSummary,
    SiteSummary,
    usd_per_mtok,
)

#: `gpus` = units x gpus_per_unit; `order_by_period` = period - the system's lead time in
#: whole periods (`PlanData.order_by`): the latest period at whose start the order is placed
PURCHASE_COLUMNS = ["period", "site", "system", "units", "capex_usd", "capex_charged_usd",
                    "gpus", "order_by_period"]  # the contract's columns first, in its order
FLEET_COLUMNS = ["period", "site", "system", "units", "power_kw", "existing_units",
                 "energy_usd", "opex_usd"]
ALLOCATION_COLUMNS = ["period", "site", "system", "model", "units", "tokens_per_s",
                      "min_tokens_per_s_per_user"]
SERVICE_COLUMNS = ["period", "model", "min_tokens_per_s_per_user", "demand_tokens_per_s",
                   "served_tokens_per_s", "unmet_tokens_per_s", "unmet_penalty_usd"]
SITE_COLUMNS = ["period", "site", "power_kw", "power_cap_kw", "racks", "max_racks", "units",
                "tokens_per_s"]


@dataclass(repr=False)
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
    #: thin_curves.csv: demand served from a one-point curve or below a curve's lowest
    #: point (`planner.core.thin_curves`); only when there is some
    thin_curves: pd.DataFrame | None = None
    #: set by `extract` once the tables are complete
    summary: PlanSummary = field(init=False)

    def __repr__(self) -> str:
        """The tables by name and size, not their contents (each is a DataFrame)."""
        sizes = ", ".join(f"{name} {len(df)}" for name, df in self.frames().items())
        return f"PlanTables(rows: {sizes})"

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
        if self.thin_curves is not None:
            out["thin_curves"] = self.thin_curves
        return out


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
        lead_times=lead_times(data),
        demand_input=data.demand_reading,
    )


def lead_times(data: PlanData) -> dict[str, dict[str, Any]] | None:
    """summary.json's `lead_times`: per system of the model with a lead time, or with one
    given in months or by the scenario, its whole periods in this plan, its months where
    the catalogue gives them, and its basis; None when no system has one."""
    out: dict[str, dict[str, Any]] = {}
    for g, sysd in data.systems.items():
        basis = data.lead_basis.get(g, "periods")
        if data.lead(g) == 0 and basis == "periods":
            continue
        entry: dict[str, Any] = {"periods": data.lead(g), "basis": basis}
        if basis == "months":
            entry["months"] = sysd.lead_time_months
        out[g] = entry
    return out or None


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
