"""The report's sections on money over time and on the fleet's refresh (contract v2).

`refresh_section` (C, only in a plan folder with retirements.csv): what was retired,
when, what it freed (power and racks) and what was bought in its place.
`cashflow_section` (F, every plan with cashflow.csv): money paid and earned by calendar
year, undiscounted, with the discounted net; a chart of paid against earned.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from planner.fmt import fixed, sig, usd
from planner.report import svg
from planner.report.document import Chart, Section, Table
from planner.report.folder import PlanFolder


def refresh_section(pf: PlanFolder) -> Section | None:
    """Retirements: what left, when, what it freed and what came in its place."""
    rt = pf.retirements
    if rt is None:
        return None
    sec = Section("Refresh: units retired early", "refresh")
    if not len(rt):
        sec.blocks.append("Retirement was allowed (`options.allow_retirement`), and the plan "
                          "retires nothing early: keeping every unit in service costs less.")
        return sec
    units = int(rt["units"].sum())
    by_src = {str(k): int(v) for k, v in rt.groupby("source")["units"].sum().items()}
    resale = float(rt["resale_usd"].sum())
    sec.blocks.append(
        f"The plan retires **{fixed(units)} units** early ({fixed(by_src.get('existing', 0))} "
        f"installed, {fixed(by_src.get('bought', 0))} bought by the plan), freeing "
        f"{sig(float(rt['power_kw'].sum()) / 1000.0, 4)} MW of IT power, and earns "
        f"{usd(resale)} of resale (cash, undiscounted).")
    bought = _bought_by(pf.purchase_plan)
    rows = []
    for r in rt.itertuples():
        rows.append([str(r.period), str(r.site), str(r.system), fixed(int(r.units)),
                     str(r.source), sig(float(r.power_kw), 4), sig(float(r.racks), 4),
                     usd(float(r.resale_usd)), bought.get((str(r.period), str(r.site)), "-")])
    sec.blocks.append(Table(
        ["period", "hall", "system retired", "units", "source", "kW freed", "racks freed",
         "resale (cash)", "bought at the hall that period"],
        rows, "lllrlrrrl", "Retirements, and what the hall bought in the same period"))
    return sec


def _bought_by(pp: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(period, hall) -> the purchases there, as text ("4 gb300, 2 b200")."""
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in pp.itertuples():
        out[(str(r.period), str(r.site))].append(f"{fixed(int(r.units))} {r.system}")
    return {k: ", ".join(v) for k, v in out.items()}


def cashflow_section(pf: PlanFolder) -> Section | None:
    """Money by calendar year: paid (capex at full price, energy, opex, rent) and earned
    (resale, revenue), the net, and the net discounted."""
    cf = pf.cashflow
    if cf is None or not len(cf):
        return None
    sec = Section("Cash flow by year", "cashflow")
    years = [str(int(y)) for y in cf["year"]]
    paid_cols = ["capex_usd", "energy_usd", "opex_usd", "rent_usd"]
    paid = [float(sum(float(r[c]) for c in paid_cols)) for _i, r in cf.iterrows()]
    earned = [float(r["resale_usd"]) + float(r["revenue_usd"]) for _i, r in cf.iterrows()]
    net_disc = float(cf["net_discounted_usd"].sum())
    sec.blocks.append(
        "Money by calendar year, undiscounted: capex at full price in the year the units "
        "are commissioned (whatever the accounting), energy and fixed opex as they are "
        "paid, resale and revenue as they are earned; unmet demand is not money and is "
        f"left out. Net discounted over the horizon: **{usd(net_disc)}** (cashflow.csv).")
    rows = [[y, usd(float(r.capex_usd)), usd(float(r.energy_usd)), usd(float(r.opex_usd)),
             usd(float(r.rent_usd)), usd(float(r.resale_usd)), usd(float(r.revenue_usd)),
             usd(float(r.net_usd)), sig(float(r.discount_factor), 4),
             usd(float(r.net_discounted_usd))]
            for y, r in zip(years, cf.itertuples(), strict=True)]
    table = Table(["year", "capex", "energy", "opex", "rent", "resale", "revenue", "net",
                   "discount factor", "net discounted"], rows, "lrrrrrrrrr",
                  "Cash flow by calendar year (USD)")
    sec.blocks.append(table)
    sec.blocks.append(Chart(
        svg.bars_vs_line("Cash flow by year: paid and earned", "USD (millions)", years,
                         [("paid", [v / 1e6 for v in paid]),
                          ("earned", [v / 1e6 for v in earned])], [], "$M"),
        "Money paid (capex, energy, opex, rent) and earned (resale, revenue) each calendar "
        "year, undiscounted, in millions of USD.",
        Table(["year", "paid", "earned"],
              [[y, usd(p), usd(e)] for y, p, e in zip(years, paid, earned, strict=True)],
              "lrr", "Paid and earned by year (USD)")))
    return sec
