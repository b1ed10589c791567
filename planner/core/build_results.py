"""A. Building power: the plan's blocks, as tidy tables, and their money per period.

`extract` (`planner.core.results`) calls `build_blocks` and `build_tables` when some site
has `build`; a v1 plan has no such tables, and its files are unchanged.

- ``build_plan`` (build_plan.csv): period, site, blocks, mw, capex_usd (full price),
  capex_charged_usd (the objective's: accounting factor and discount), rows with blocks > 0;
- ``build_power`` (not a file): period, site, built_mw (cumulative), opex_usd (the
  objective's, discounted), per build site and period from its first block on;
- `money_build`: undiscounted money per period and kind (``build_capex`` at full price
  in the period a block is energised, ``build_opex`` for every period blocks stand):
  columns period, kind, usd (positive = paid), for the cash flow (section F).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from planner.core.cashflow import MONEY_COLUMNS
from planner.core.problem import PlanData

BUILD_PLAN_COLUMNS = ["period", "site", "blocks", "mw", "capex_usd", "capex_charged_usd"]
BUILD_POWER_COLUMNS = ["period", "site", "built_mw", "opex_usd"]


def build_blocks(data: PlanData, values: dict[str, dict[tuple[Any, ...], float]]
                 ) -> dict[tuple[str, int], int]:
    """Blocks energised per (site, period position), rounded to whole blocks (> 0 only)."""
    pos = {lab: i for i, lab in enumerate(data.labels)}
    out: dict[tuple[str, int], int] = {}
    for (s, lab), v in values.get("build", {}).items():
        n = int(math.floor(v + 0.5)) if v > 0 else 0
        if n > 0:
            out[(str(s), pos[str(lab)])] = n
    return out


def built_mw(data: PlanData, blocks: dict[tuple[str, int], int]) -> dict[tuple[str, int], float]:
    """MW built so far at each build site in each period (0 before its first block)."""
    out: dict[tuple[str, int], float] = {}
    for site in data.sites:
        if site.build is None:
            continue
        n = 0
        for t in range(data.T):
            n += blocks.get((site.name, t), 0)
            out[(site.name, t)] = n * site.build.block_mw
    return out


def build_tables(data: PlanData, blocks: dict[tuple[str, int], int]
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``build_plan`` and ``build_power`` tables (module docstring)."""
    order = {s.name: i for i, s in enumerate(data.sites)}
    plan_rows = []
    for (s, t), n in sorted(blocks.items(), key=lambda kv: (kv[0][1], order[kv[0][0]])):
        b = data.site_by_name[s].build
        assert b is not None
        plan_rows.append((data.labels[t], s, n, n * b.block_mw, n * data.block_capex_usd(s),
                          n * data.block_capex_charge_usd(s, t)))
    power_rows = []
    cum = built_mw(data, blocks)
    for t in range(data.T):
        for site in data.sites:
            mw = cum.get((site.name, t), 0.0)
            if site.build is None or mw <= 0:
                continue
            n = round(mw / site.build.block_mw)
            power_rows.append((data.labels[t], site.name, mw,
                               n * data.block_opex_usd(site.name, t)))
    return (pd.DataFrame(plan_rows, columns=BUILD_PLAN_COLUMNS),
            pd.DataFrame(power_rows, columns=BUILD_POWER_COLUMNS))


def money_build(data: PlanData, build_plan: pd.DataFrame, build_power: pd.DataFrame
                ) -> pd.DataFrame:
    """Undiscounted money per period of the blocks built: kinds ``build_capex`` (full
    price, in the period energised) and ``build_opex`` (every period blocks stand);
    columns period, kind, usd (positive = paid), periods in horizon order."""
    usd: dict[tuple[str, str], float] = {}
    for r in build_plan.itertuples():
        key = (str(r.period), "build_capex")
        usd[key] = usd.get(key, 0.0) + float(r.capex_usd)
    for r in build_power.itertuples():
        b = data.site_by_name[str(r.site)].build
        assert b is not None
        n = round(float(r.built_mw) / b.block_mw)
        t = data.labels.index(str(r.period))
        key = (str(r.period), "build_opex")
        usd[key] = usd.get(key, 0.0) + n * data.block_opex_usd(str(r.site), t, discounted=False)
    pos = {lab: i for i, lab in enumerate(data.labels)}
    rows = sorted(((p, k, v) for (p, k), v in usd.items() if v),
                  key=lambda x: (pos[x[0]], x[1]))
    return pd.DataFrame(rows, columns=MONEY_COLUMNS)
