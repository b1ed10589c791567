"""Which limits bind and when: the `limits.csv` table, written beside the plan tables.

Computed once, when the plan is made, from the prepared problem (caps, unit sizes,
throughput curves) and the plan tables, so the report can be rebuilt from the plan
folder alone. One row per limit and place and period:

- `power`, `racks` (per hall and period): used against the cap; binding when the
  headroom left is below one unit of the largest system the hall can hold then;
- `budget_period` (per period), `budget_total`: capex commissioned against the cap;
  binding when the money left buys no unit of the dearest system buyable then;
- `supply` (per system and period, where `max_units_per_period` is set): units bought
  against the cap; binding when they are equal;
- `slo` (per demand class and system serving it; needs the model profiles): tokens/s per
  GPU at the class's interactivity SLO against the same system's best point on its
  curve; binding when the SLO costs throughput. A class no system can serve at its SLO
  gets a row with system "" and cap 0.

The rules are `planner.analysis.binding.binds` and `slo_binds`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from planner.analysis.binding import FINE_TOL, binds, slo_binds
from planner.core.problem import PlanData
from planner.core.results import PlanTables

LIMIT_COLUMNS = ["limit", "site", "system", "model", "period", "used", "cap", "unit",
                 "binding", "note"]


def limits_table(data: PlanData, tables: PlanTables,
                 profiles: Mapping[str, Any] | None = None) -> pd.DataFrame:
    rows: list[tuple[object, ...]] = []
    pos = {lab: i for i, lab in enumerate(data.labels)}
    big_kw: dict[tuple[str, int], float] = {}
    big_racks: dict[tuple[str, int], float] = {}
    for s, g, t in data.fleet_index:
        sysd = data.systems[g]
        big_kw[(s, t)] = max(big_kw.get((s, t), 0.0), sysd.unit_power_kw)
        big_racks[(s, t)] = max(big_racks.get((s, t), 0.0), sysd.racks_per_unit)
    # a unit of 0 below (no system fits the hall then, the systems take no floor space,
    # nothing is buyable): `binds` is given None, the cap holds nothing back
    for r in tables.sites.itertuples():
        t = pos[str(r.period)]
        used, cap = float(r.power_kw), float(r.power_cap_kw)
        unit = big_kw.get((str(r.site), t), 0.0)
        binding = binds(used, cap, unit or None)
        rows.append(("power", r.site, "", "", r.period, used, cap, "kW", binding,
                     f"headroom {cap - used:g} kW; largest unit {unit:g} kW" if unit else ""))
        mr = r.max_racks
        if mr is not None and not (isinstance(mr, float) and math.isnan(mr)):
            ru = big_racks.get((str(r.site), t), 0.0)
            used_r = float(r.racks)
            binding = binds(used_r, float(mr), ru or None, FINE_TOL)
            rows.append(("racks", r.site, "", "", r.period, used_r, float(mr), "racks",
                         binding, f"largest unit {ru:g} racks" if ru else ""))
    pp = tables.purchase_plan
    spent = {lab: float(pp.loc[pp["period"] == lab, "capex_usd"].sum()) for lab in data.labels}
    dear: dict[int, float] = {}
    for _s, g, t in data.buy_index:
        dear[t] = max(dear.get(t, 0.0), data.unit_price_usd(g, t))  # E: price in t
    if data.budget_per_period_usd is not None:
        cap = float(data.budget_per_period_usd)
        for t, lab in enumerate(data.labels):
            d = dear.get(t, 0.0)
            binding = binds(spent[lab], cap, d or None)
            rows.append(("budget_period", "", "", "", lab, spent[lab], cap, "USD", binding,
                         f"dearest unit buyable {d:g} USD" if d else "nothing buyable"))
    if data.budget_total_usd is not None:
        cap = float(data.budget_total_usd)
        used = sum(spent.values())
        d = max(dear.values(), default=0.0)
        binding = binds(used, cap, d or None)
        rows.append(("budget_total", "", "", "", "all", used, cap, "USD", binding,
                     f"dearest unit buyable {d:g} USD" if d else "nothing buyable"))
    for g, sysd in data.systems.items():
        if sysd.max_units_per_period is None:
            continue
        for t, lab in enumerate(data.labels):
            if not any(gg == g and tt == t for _, gg, tt in data.buy_index):
                continue
            got = int(pp.loc[(pp["period"] == lab) & (pp["system"] == g), "units"].sum())
            cap_u = int(sysd.max_units_per_period)
            rows.append(("supply", "", g, "", lab, got, cap_u, "units", binds(got, cap_u, 1),
                         ""))
    if profiles is not None:
        rows.extend(_slo_rows(data, tables, profiles))
    return pd.DataFrame(rows, columns=LIMIT_COLUMNS)


def _slo_rows(data: PlanData, tables: PlanTables,
              profiles: Mapping[str, Any]) -> list[tuple[object, ...]]:
    al = tables.allocation
    rows: list[tuple[object, ...]] = []
    for c in data.classes:
        prof = profiles.get(c.model)
        curves = getattr(prof, "throughput", {}) if prof is not None else {}
        in_cat = [g for g in curves if g in data.systems]
        able = [g for g in in_cat if (g, c.index) in data.tput]
        serving = al[(al["period"] == c.period) & (al["model"] == c.model)
                     & (al["min_tokens_per_s_per_user"] == c.slo)]
        used_sys = list(dict.fromkeys(str(g) for g in serving["system"]))
        excluded = [g for g in in_cat if g not in able]
        note = (f"SLO {c.slo:g} tokens/s per user; "
                + (f"{len(excluded)} of {len(in_cat)} systems with a curve cannot meet it "
                   f"({', '.join(excluded)})" if excluded
                   else f"all {len(in_cat)} systems with a curve meet it"))
        if not able:
            rows.append(("slo", "", "", c.model, c.period, 0.0, 0.0, "tokens/s per GPU", True,
                         note))
            continue
        for g in used_sys:
            pts = curves.get(g) or []
            best = max((float(p[1]) for p in pts), default=0.0)
            at = float(data.tput.get((g, c.index), 0.0))
            rows.append(("slo", "", g, c.model, c.period, at, best, "tokens/s per GPU",
                         slo_binds(at, best), note))
    return rows
