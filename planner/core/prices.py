"""D. Prices: revenue and margin of a plan where demand rows carry `usd_per_mtok`.

Revenue is the price times the tokens served, over the priced classes only (a class
without a price earns nothing here: its unserved tokens cost the unmet penalty, as in
v1). In summary.json, `revenue_usd` is discounted like every cost of the plan, so that
`margin_usd = revenue_usd - spend_usd` compares like with like (spend: capex as the
scenario accounts it, energy, opex and rent; penalties are not money); the undiscounted
sum is `revenue_cash_usd`. `margin_per_mw_usd` divides the margin by the peak IT power in
service over all halls (the MW the plan needs), None when no hall power is in service.
"""

from __future__ import annotations

import pandas as pd

from planner.core.problem import SECONDS_PER_HOUR, TOKENS_PER_MTOK, PlanData
from planner.core.rent_tables import MONEY_COLUMNS


def revenue_by_class(data: PlanData, service: pd.DataFrame) -> list[tuple[int, float]]:
    """(class index, undiscounted revenue) of each priced class; service.csv rows are in
    class order."""
    served = service["served_tokens_per_s"].tolist()
    out = []
    for c in data.classes:
        if c.usd_per_mtok is not None:
            out.append((c.index, float(served[c.index]) * data.hours * SECONDS_PER_HOUR
                        / TOKENS_PER_MTOK * c.usd_per_mtok))
    return out


def money_revenue(data: PlanData, service: pd.DataFrame) -> pd.DataFrame:
    """Money earned per period: columns period, kind (`revenue`), usd (undiscounted,
    negative = earned); no rows without prices."""
    by: dict[str, float] = {}
    for k, usd in revenue_by_class(data, service):
        lab = data.classes[k].period
        by[lab] = by.get(lab, 0.0) - usd
    return pd.DataFrame([(lab, "revenue", v) for lab, v in by.items()], columns=MONEY_COLUMNS)


def price_figures(data: PlanData, service: pd.DataFrame, sites: pd.DataFrame,
                  spend_usd: float) -> dict[str, float | None]:
    """revenue_usd (discounted), revenue_cash_usd, margin_usd and margin_per_mw_usd."""
    rev = revenue_by_class(data, service)
    revenue = sum(usd * data.discount(data.classes[k].t) for k, usd in rev)
    cash = sum(usd for _k, usd in rev)
    margin = revenue - spend_usd
    peak_mw = 0.0
    if len(sites):
        peak_mw = float(sites.groupby("period", sort=False)["power_kw"].sum().max()) / 1000.0
    return {"revenue_usd": revenue, "revenue_cash_usd": cash, "margin_usd": margin,
            "margin_per_mw_usd": margin / peak_mw if peak_mw > 0 else None}
