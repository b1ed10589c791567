"""Section F of contract v2, cash flow: a plan's money by calendar year (cashflow.csv).

Every stage of the plan that moves money exposes it as one tidy table of undiscounted
money per period and kind, ``period, kind, usd`` (full price in the period it is paid
or earned; positive paid, negative earned): `money_v1` (capex of purchases, energy,
fixed opex) and `planner.core.refresh.money_resale` (section C). `CASHFLOW_COLUMN` maps
each kind to its column of cashflow.csv; `cashflow_table` sums them by calendar year.
No Pyomo.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import pandas as pd

from planner.core.problem import PlanData

MONEY_COLUMNS = ["period", "kind", "usd"]
CASHFLOW_COLUMNS = ["year", "capex_usd", "energy_usd", "opex_usd", "rent_usd", "resale_usd",
                    "revenue_usd", "net_usd", "discount_factor", "net_discounted_usd"]
#: money kind -> cashflow.csv column, one line per kind
CASHFLOW_COLUMN: dict[str, str] = {
    "capex": "capex_usd",
    "energy": "energy_usd",
    "opex": "opex_usd",
    "resale": "resale_usd",  # C. refresh
    "rent": "rent_usd",  # B. renting
    "revenue": "revenue_usd",  # D. prices
    "build_capex": "capex_usd",  # A. building power: blocks at full price when energised
    "build_opex": "opex_usd",  # A. building power: fixed opex of the MW built
}
#: columns of money earned: shown positive (the money table's usd is negative)
EARNED = ("resale_usd", "revenue_usd")
#: the columns that add up to net_usd
MONEY_FIELDS = ("capex_usd", "energy_usd", "opex_usd", "rent_usd", "resale_usd",
                "revenue_usd")


def money_v1(data: PlanData, purchase_plan: pd.DataFrame, fleet: pd.DataFrame
             ) -> pd.DataFrame:
    """The v1 money of a plan per period, undiscounted: ``capex`` (units commissioned, at
    full price, in their period), ``energy`` and ``opex`` (of the fleet in service)."""
    pos = {lab: i for i, lab in enumerate(data.labels)}
    rows: list[tuple[str, str, float]] = []
    capex = purchase_plan.groupby("period", sort=False)["capex_usd"].sum()
    rows += [(str(p), "capex", float(v)) for p, v in capex.items()]
    for kind, col in (("energy", "energy_usd"), ("opex", "opex_usd")):
        by = fleet.groupby("period", sort=False)[col].sum()
        rows += [(str(p), kind, float(v) / data.discount(pos[str(p)])) for p, v in by.items()]
    return pd.DataFrame(rows, columns=MONEY_COLUMNS)


def money_table(parts: Sequence[pd.DataFrame | None]) -> pd.DataFrame:
    """The plan's money tables as one (``period, kind, usd``), empty parts left out."""
    keep = [p for p in parts if p is not None and len(p)]
    if not keep:
        return pd.DataFrame([], columns=MONEY_COLUMNS)
    return pd.concat(keep, ignore_index=True)[MONEY_COLUMNS]


def year_of(label: str) -> int:
    """The calendar year of a period label (``2027Q3``, ``2027-07``, ``2027``)."""
    return int(label[:4])


def cashflow_table(data: PlanData, money: pd.DataFrame) -> pd.DataFrame:
    """cashflow.csv: one row per calendar year of the horizon.

    The money columns are undiscounted sums of the year's periods (paid positive in
    capex, energy, opex and rent; earned positive in resale and revenue); `net_usd` =
    revenue + resale - the rest. `net_discounted_usd` is the sum over the year's periods
    of each period's net times its discount factor d_t (the objective's), so the column
    sums to the plan's discounted net; `discount_factor` = net_discounted_usd / net_usd,
    the money-weighted factor of the year (the factor of its first period when the net
    is 0).
    """
    pos = {lab: i for i, lab in enumerate(data.labels)}
    per: dict[tuple[int, str], float] = defaultdict(float)
    net_p: dict[int, float] = defaultdict(float)
    for r in money.itertuples(index=False):
        col = CASHFLOW_COLUMN.get(str(r.kind))
        if col is None:
            raise ValueError(f"money kind {r.kind!r} has no cashflow.csv column")
        t = pos[str(r.period)]
        usd = float(r.usd)
        per[(year_of(data.labels[t]), col)] += -usd if col in EARNED else usd
        net_p[t] -= usd
    years = list(dict.fromkeys(year_of(lab) for lab in data.labels))
    first_t: dict[int, int] = {}
    for t, lab in enumerate(data.labels):
        first_t.setdefault(year_of(lab), t)
    rows = []
    for y in years:
        vals = {c: per.get((y, c), 0.0) + 0.0 for c in MONEY_FIELDS}
        net = vals["revenue_usd"] + vals["resale_usd"] - sum(
            vals[c] for c in MONEY_FIELDS if c not in EARNED)
        disc = sum(v * data.discount(t) for t, v in net_p.items()
                   if year_of(data.labels[t]) == y)
        gross = sum(abs(vals[c]) for c in MONEY_FIELDS)
        factor = disc / net if abs(net) > 1e-12 * gross else data.discount(first_t[y])
        rows.append((y, *(vals[c] for c in MONEY_FIELDS), net, factor, disc))
    return pd.DataFrame(rows, columns=CASHFLOW_COLUMNS)
