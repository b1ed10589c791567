"""Extract stage: solver values -> the plan's tidy tables (`planner.core.results.PlanTables`).

Purchases are rounded to whole units and the fleet is recomputed from them, so every
figure in the tables is consistent with the integer plan; the serving is clipped to that
fleet and to each class's demand. Each v2 section adds its own tables (A. build_plan, B.
rent_plan, C. retirements) and every section's money goes into one money table, from
which cashflow.csv is made (F).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import pandas as pd

from planner.core.build_results import build_blocks, build_tables, built_mw, money_build
from planner.core.cashflow import cashflow_table, money_table, money_v1
from planner.core.highs import SolveOutcome
from planner.core.prices import money_revenue
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
from planner.core.results import (
    ALLOCATION_COLUMNS,
    FLEET_COLUMNS,
    PURCHASE_COLUMNS,
    SERVICE_COLUMNS,
    SITE_COLUMNS,
    PlanTables,
    summarize,
)
from planner.core.scaling import SHORTFALL_TOL
from planner.core.thin_curves import thin_curve_table


def _round_units(v: float) -> int:
    return int(math.floor(v + 0.5)) if v > 0 else 0


def extract(data: PlanData, values: dict[str, dict[tuple[Any, ...], float]],
            outcome: SolveOutcome, settings: dict[str, Any] | None = None) -> PlanTables:
    """Build the plan tables from solver values (keys as in `planner.core.variables`)."""
    buys = _purchases(data, values)
    ret, xret = retired_units(data, values)  # C. refresh: empty without it
    fleet_units, in_service = _fleet_units(data, buys, ret, xret)
    serve, served = _serving(data, values, fleet_units)
    rserve = rent_serving(data, values, served) if data.rent_offers else {}  # B. renting
    rented = rented_tokens(data, rserve)
    blocks = build_blocks(data, values) if data.build_index else {}  # A. building power

    site_agg: dict[tuple[str, int], list[float]] = {}  # power kW, racks, units, tokens/s
    tables = PlanTables(
        purchase_plan=pd.DataFrame(_purchase_rows(data, buys), columns=PURCHASE_COLUMNS),
        fleet=pd.DataFrame(_fleet_rows(data, fleet_units, in_service, site_agg),
                           columns=FLEET_COLUMNS),
        allocation=pd.DataFrame(_allocation_rows(data, serve, site_agg),
                                columns=ALLOCATION_COLUMNS),
        service=pd.DataFrame(_service_rows(data, served, rented), columns=SERVICE_COLUMNS + (
            ["rented_tokens_per_s"] if data.rent_offers else [])),
        sites=pd.DataFrame(_site_rows(data, site_agg, built_mw(data, blocks)),
                           columns=SITE_COLUMNS + (["built_mw"] if data.build_index else [])),
    )
    if data.rent_offers:  # B. renting
        tables.rent_plan, tables.rent_allocation = rent_frames(data, values, rserve)
    if data.build_index:  # A. building power
        tables.build_plan, tables.build_power = build_tables(data, blocks)
    tables.thin_curves = thin_curve_table(data, serve, rserve)
    _money_tables(data, tables, ret, xret)
    tables.summary = summarize(data, tables, outcome, settings or {})
    return tables


def _purchases(data: PlanData, values: dict[str, dict[tuple[Any, ...], float]]
               ) -> dict[tuple[str, str, int], int]:
    """Whole units commissioned per (site, system, period index)."""
    pos = {lab: i for i, lab in enumerate(data.labels)}
    buys: dict[tuple[str, str, int], int] = {}
    for (s, g, lab), v in values.get("buy", {}).items():
        u = _round_units(v)
        if u > 0:
            buys[(str(s), str(g), pos[str(lab)])] = u
    return buys


def _serving(data: PlanData, values: dict[str, dict[tuple[Any, ...], float]],
             fleet_units: dict[tuple[str, str, int], int]
             ) -> tuple[dict[tuple[str, str, int], float], dict[int, float]]:
    """Units serving each (site, system, class), clipped to the integer fleet and then to
    each class's demand, and the tokens/s served per class."""
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
    served = _served(data, serve)
    for (s, g, k), v in list(serve.items()):
        c = data.classes[k]
        if served[k] > c.tokens_per_s > 0:
            serve[(s, g, k)] = v * c.tokens_per_s / served[k]
    return serve, _served(data, serve)


def _served(data: PlanData, serve: dict[tuple[str, str, int], float]) -> dict[int, float]:
    served: dict[int, float] = defaultdict(float)
    for (_s, g, k), v in serve.items():
        served[k] += v * data.tokens_per_unit(g, k)
    return served


def _orders(data: PlanData) -> tuple[dict[str, int], dict[str, int]]:
    """Sites and systems in the order of the files (the tables' row order)."""
    return ({s.name: i for i, s in enumerate(data.sites)},
            {g: i for i, g in enumerate(data.systems)})


def _purchase_rows(data: PlanData, buys: dict[tuple[str, str, int], int]) -> list[tuple]:
    site_order, sys_order = _orders(data)
    return [(data.labels[t], s, g, u, u * data.unit_price_usd(g, t),
             u * data.capex_charge_usd(g, t), u * data.systems[g].gpus_per_unit,
             data.order_by(g, t))
            for (s, g, t), u in sorted(buys.items(), key=lambda x: (
                x[0][2], site_order[x[0][0]], sys_order[x[0][1]]))]


def _fleet_rows(data: PlanData, fleet_units: dict[tuple[str, str, int], int],
                in_service: dict[tuple[str, str, int], int],
                site_agg: dict[tuple[str, int], list[float]]) -> list[tuple]:
    """fleet.csv's rows; adds each hall's power, racks and units to `site_agg`."""
    rows = []
    for s, g, t in data.fleet_index:
        u = fleet_units[(s, g, t)]
        if u <= 0:
            continue
        sysd = data.systems[g]
        rows.append((data.labels[t], s, g, u, u * sysd.unit_power_kw,
                     in_service.get((s, g, t), 0), u * data.energy_usd_per_unit(s, g, t),
                     u * data.opex_usd_per_unit(g, t)))
        agg = site_agg.setdefault((s, t), [0.0, 0.0, 0.0, 0.0])
        agg[0] += u * sysd.unit_power_kw
        agg[1] += u * sysd.racks_per_unit
        agg[2] += u
    return rows


def _allocation_rows(data: PlanData, serve: dict[tuple[str, str, int], float],
                     site_agg: dict[tuple[str, int], list[float]]) -> list[tuple]:
    """allocation.csv's rows; adds each hall's tokens/s to `site_agg`."""
    site_order, sys_order = _orders(data)
    rows = []
    for (s, g, k), v in sorted(serve.items(), key=lambda x: (
            data.classes[x[0][2]].t, site_order[x[0][0]], sys_order[x[0][1]],
            data.classes[x[0][2]].model, data.classes[x[0][2]].slo, x[0][2])):
        if v <= 0:
            continue
        c = data.classes[k]
        tps = v * data.tokens_per_unit(g, k)
        rows.append((c.period, s, g, c.model, v, tps, c.slo))
        site_agg.setdefault((s, c.t), [0.0, 0.0, 0.0, 0.0])[3] += tps
    return rows


def _service_rows(data: PlanData, served: dict[int, float], rented: dict[int, float]
                  ) -> list[tuple]:
    """service.csv's rows: demand, served (owned and rented), unmet and its penalty."""
    rows = []
    for c in data.classes:
        got = min(served.get(c.index, 0.0) + rented.get(c.index, 0.0), c.tokens_per_s)
        if c.tokens_per_s - got <= SHORTFALL_TOL * c.tokens_per_s:
            got = c.tokens_per_s  # the solver's tolerance on the row, not a shortfall
        unmet = max(0.0, c.tokens_per_s - got)
        row = (c.period, c.model, c.slo, c.tokens_per_s, got, unmet,
               unmet * data.unmet_usd_of_class(c.index))
        # rented tokens are clipped to the demand in products of floats: never above
        # what the class is served (a last-digit excess would read as owned units < 0)
        rows.append((*row, min(rented.get(c.index, 0.0), got)) if data.rent_offers else row)
    return rows


def _site_rows(data: PlanData, site_agg: dict[tuple[str, int], list[float]],
               built: dict[tuple[str, int], float]) -> list[tuple]:
    """sites.csv's rows: each hall's power, racks, units and tokens/s per period (and the
    MW built so far, with `build`)."""
    rows = []
    for t in range(data.T):
        for site in data.sites:
            agg = site_agg.get((site.name, t), [0.0, 0.0, 0.0, 0.0])
            if t < data.available_t[site.name] and agg[2] == 0:
                continue
            mw = built.get((site.name, t), 0.0)
            row = (data.labels[t], site.name, agg[0], (site.power_mw + mw) * 1000.0, agg[1],
                   site.max_racks, int(agg[2]), agg[3])
            rows.append((*row, mw) if data.build_index else row)
    return rows


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
