"""Section C of contract v2, refresh: the retirements of a solved plan, as tables.

`retired_units` reads the solver's `retire` and `xretire` values as whole units;
`retired_so_far` says how many units of each (site, system, period) of the fleet have
left by then, so the plan's fleet is recomputed from whole purchases and retirements;
`retirements_table` is retirements.csv and `money_resale` the resale cash of the cash
flow. Nothing here without `options.allow_retirement`. No Pyomo.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import pandas as pd

from planner.core.cashflow import MONEY_COLUMNS
from planner.core.problem import PlanData

RETIREMENT_COLUMNS = ["period", "site", "system", "units", "source", "resale_usd",
                      "resale_credited_usd", "power_kw", "racks"]

#: (site, system, t) -> units of bought units retired in t
Retired = dict[tuple[str, str, int], int]
#: (site, entry position, t) -> installed units of the entry retired in t
XRetired = dict[tuple[str, int, int], int]


def _units(v: float) -> int:
    return int(math.floor(v + 0.5)) if v > 0 else 0


def retired_units(data: PlanData, values: Mapping[str, Mapping[tuple[Any, ...], float]]
                  ) -> tuple[Retired, XRetired]:
    """Whole units retired, bought and installed (empty without retirement)."""
    pos = {lab: i for i, lab in enumerate(data.labels)}
    ret: Retired = {}
    for (s, g, lab), v in values.get("retire", {}).items():
        if _units(v):
            ret[(str(s), str(g), pos[str(lab)])] = _units(v)
    xret: XRetired = {}
    for (s, j, lab), v in values.get("xretire", {}).items():
        if _units(v):
            xret[(str(s), int(str(j)), pos[str(lab)])] = _units(v)
    return ret, xret


def retired_so_far(data: PlanData, ret: Retired, xret: XRetired
                   ) -> tuple[dict[tuple[str, str, int], int], dict[tuple[str, str, int], int]]:
    """Per (site, system, t): installed units retired early by t that would still be in
    service in t, and bought units retired by t."""
    gone_x: dict[tuple[str, str, int], int] = defaultdict(int)
    gone_b: dict[tuple[str, str, int], int] = defaultdict(int)
    if not ret and not xret:
        return gone_x, gone_b
    for s, j, g, _u, last in data.existing_entries:
        acc = 0
        for t in range(last + 1):
            acc += xret.get((s, j, t), 0)
            if acc:
                gone_x[(s, g, t)] += acc
    by_sg: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for (s, g, t), u in ret.items():
        by_sg[(s, g)].append((t, u))
    for (s, g), lst in by_sg.items():
        lst.sort()
        acc, i = 0, 0
        for t in range(lst[0][0], data.T):
            while i < len(lst) and lst[i][0] <= t:
                acc += lst[i][1]
                i += 1
            gone_b[(s, g, t)] = acc
    return gone_x, gone_b


def retirements_table(data: PlanData, ret: Retired, xret: XRetired) -> pd.DataFrame:
    """retirements.csv: one row per period, site, system and source (``existing`` for
    installed units, ``bought`` for the plan's own); `resale_usd` is the cash the units
    earn (resale_fraction x the price of a new unit then, like `capex_usd` of a
    purchase), `resale_credited_usd` what the objective credits (x the accounting factor
    of the period, discounted), like `capex_charged_usd`; `power_kw` and `racks` what
    the units free in their hall."""
    units: dict[tuple[int, str, str, str], int] = defaultdict(int)
    system = {(s, j): g for s, j, g, _u, _l in data.existing_entries}
    for (s, j, t), u in xret.items():
        units[(t, s, system[(s, j)], "existing")] += u
    for (s, g, t), u in ret.items():
        units[(t, s, g, "bought")] += u
    site_pos = {s.name: i for i, s in enumerate(data.sites)}
    sys_pos = {g: i for i, g in enumerate(data.systems)}
    rows = []
    for (t, s, g, src), u in sorted(units.items(), key=lambda kv: (
            kv[0][0], site_pos[kv[0][1]], sys_pos[kv[0][2]], kv[0][3] != "existing")):
        sysd = data.systems[g]
        cash = sysd.resale_fraction * data.unit_price_usd(g, t)
        rows.append((data.labels[t], s, g, u, src, u * cash,
                     u * data.resale_credit_usd(g, t), u * sysd.unit_power_kw,
                     u * sysd.racks_per_unit))
    return pd.DataFrame(rows, columns=RETIREMENT_COLUMNS)


def money_resale(retirements: pd.DataFrame | None) -> pd.DataFrame:
    """The resale of a plan as money per period (kind ``resale``, usd negative: earned),
    undiscounted, for the cash flow (`planner.core.cashflow`)."""
    if retirements is None or not len(retirements):
        return pd.DataFrame([], columns=MONEY_COLUMNS)
    by = retirements.groupby("period", sort=False)["resale_usd"].sum()
    return pd.DataFrame([(str(p), "resale", -float(v)) for p, v in by.items()],
                        columns=MONEY_COLUMNS)
