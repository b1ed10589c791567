"""A. Building power (contract v2): binding micro cases with hand-computed optima, in both
formulations, the plan files, and the input checks.

Test catalogue (tests/conftest.py): `old` = 8 GPUs, 10 kW, $100k, 800 tokens/s per unit at
an SLO of 10; `new` = 8 GPUs, 15 kW, $300k, 8000 tokens/s per unit. 4 quarters from 2027Q1,
upfront capex, no energy cost; unmet demand at $100/Mtok: 1 token/s unmet for a quarter
costs Q = 2190*3600/1e6*100 = $788.4, so 8000 tokens/s unmet for a quarter cost
8000 Q = $6,307,200. A block of 0.015 MW holds one `new` (15 kW) or one `old` (10 kW);
at $1e7 per MW it costs $150k.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from planner.api import PlanResult, solve_data
from planner.core.highs import HighsSettings
from planner.core.prepare import prepare
from planner.errors import InputError
from planner.inputs.loader import load_inputs
from tests.conftest import make_scenario

Q = 2190 * 3600 / 1e6 * 100  # $ per (token/s) unmet for one quarter
UNMET_8K = 8000 * Q  # $6,307,200
EXACT = HighsSettings(time_limit_s=30, mip_rel_gap=1e-9, random_seed=0)
FORMULATIONS = ["strong", "plain"]


def green(**build: Any) -> dict[str, Any]:
    """A greenfield hall (power_mw 0) that may build blocks of 0.015 MW at $1e7/MW."""
    b = {"block_mw": 0.015, "max_mw": 0.015, "capex_usd_per_mw": 1e7, **build}
    return {"name": "hall-g", "power_mw": 0, "build": b}


def solve(tmp: Path, formulation: str, sites: list[dict[str, Any]],
          demand: list[tuple[str, str, float, float]], **scenario: Any) -> PlanResult:
    p = make_scenario(tmp / formulation, scenario={"sites": sites, **scenario}, demand=demand)
    return solve_data(prepare(load_inputs(p)), EXACT, formulation=formulation)


def blocks(r: PlanResult) -> dict[str, int]:
    bp = r.tables.build_plan
    assert bp is not None
    return {str(k): int(v) for k, v in bp.groupby("period")["blocks"].sum().items()}


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_building_a_block_beats_unmet_demand(formulation: str, tmp_path: Path) -> None:
    """8000 tokens/s in Q1 at a greenfield hall: build one block ($150k) and buy one
    `new` ($300k): $450,000, against $6,307,200 unmet without building."""
    r = solve(tmp_path, formulation, [green()], [("2027Q1", "m1", 8000.0, 10.0)])
    assert r.summary.total_cost_usd == pytest.approx(450_000, rel=1e-9)
    assert blocks(r) == {"2027Q1": 1}
    assert r.summary.built_mw == pytest.approx(0.015)
    cb = r.summary.cost_breakdown_usd
    assert (cb.capex, cb.build_capex, cb.build_opex) == pytest.approx((300_000, 150_000, 0))
    st = r.tables.sites
    assert list(st["built_mw"]) == [0.015] * 4 and list(st["power_cap_kw"]) == [15.0] * 4


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_build_nothing_when_a_block_costs_more_than_the_demand(formulation: str,
                                                               tmp_path: Path) -> None:
    """At $1e9 per MW a block costs $15M, more than the $6,307,200 the unmet demand costs:
    build nothing, buy nothing."""
    r = solve(tmp_path, formulation, [green(capex_usd_per_mw=1e9)],
              [("2027Q1", "m1", 8000.0, 10.0)])
    assert r.summary.total_cost_usd == pytest.approx(UNMET_8K, rel=1e-9)
    assert r.summary.built_mw == 0.0 and r.summary.units_bought == 0
    assert r.tables.build_plan is not None and len(r.tables.build_plan) == 0


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_max_mw_binds(formulation: str, tmp_path: Path) -> None:
    """16000 tokens/s in Q1; max_mw 0.02 holds one block of 0.015: 1 block + 1 new
    ($450k) and 8000 tokens/s unmet ($6,307,200): $6,757,200. With max_mw 0.03: two
    blocks and two new, $900,000."""
    dem = [("2027Q1", "m1", 16000.0, 10.0)]
    r = solve(tmp_path, formulation, [green(max_mw=0.02)], dem)
    assert r.summary.total_cost_usd == pytest.approx(450_000 + UNMET_8K, rel=1e-9)
    assert blocks(r) == {"2027Q1": 1}
    r2 = solve(tmp_path / "more", formulation, [green(max_mw=0.03)], dem)
    assert r2.summary.total_cost_usd == pytest.approx(900_000, rel=1e-9)
    assert blocks(r2) == {"2027Q1": 2}


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_lead_time_binds(formulation: str, tmp_path: Path) -> None:
    """8000 tokens/s in Q1 and Q3; the first block can be energised in Q3 (lead time 2):
    Q1 goes unmet ($6,307,200), Q3 is built and bought ($450k): $6,757,200."""
    dem = [("2027Q1", "m1", 8000.0, 10.0), ("2027Q3", "m1", 8000.0, 10.0)]
    r = solve(tmp_path, formulation, [green(lead_time_periods=2)], dem)
    assert r.summary.total_cost_usd == pytest.approx(450_000 + UNMET_8K, rel=1e-9)
    assert blocks(r) == {"2027Q3": 1}
    assert set(r.tables.purchase_plan["period"]) == {"2027Q3"}


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_budget_counts_build_capex_at_full_price(formulation: str, tmp_path: Path) -> None:
    """Amortized (4 quarters of a 15-year block: 1/15 of $150k = $10k; of a 5-year unit:
    1/5), total_capex_usd $400k. A block and a `new` cost $450k at full price: over the
    budget. A block and an `old` ($250k) serve 800 tokens/s: $10k + $20k + 7200 Q
    ($5,676,480) = $5,706,480. Without the budget: $10k + $60k = $70,000."""
    dem = [("2027Q1", "m1", 8000.0, 10.0)]
    fin = {"capex_accounting": "amortized"}
    r = solve(tmp_path, formulation, [green()], dem, finance=fin,
              budget={"total_capex_usd": 400_000})
    assert r.summary.total_cost_usd == pytest.approx(30_000 + 7200 * Q, rel=1e-9)
    assert set(r.tables.purchase_plan["system"]) == {"old"}
    r2 = solve(tmp_path / "free", formulation, [green()], dem, finance=fin)
    assert r2.summary.total_cost_usd == pytest.approx(70_000, rel=1e-9)


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_build_opex_runs_from_the_block_to_the_end(formulation: str, tmp_path: Path) -> None:
    """$4M per MW-year: a block costs $15k a quarter while it stands. Demand in Q3 only:
    build in Q3 (not before): $150k + 2 x $15k + $300k = $480,000."""
    r = solve(tmp_path, formulation, [green(opex_usd_per_mw_year=4e6)],
              [("2027Q3", "m1", 8000.0, 10.0)])
    assert r.summary.total_cost_usd == pytest.approx(480_000, rel=1e-9)
    assert blocks(r) == {"2027Q3": 1}
    assert r.tables.money is not None  # the plan's money table (the cash flow's source)
    money = r.tables.money[r.tables.money["kind"].isin(["build_capex", "build_opex"])]
    assert money.to_dict(orient="records") == [
        {"period": "2027Q3", "kind": "build_capex", "usd": pytest.approx(150_000)},
        {"period": "2027Q3", "kind": "build_opex", "usd": pytest.approx(15_000)},
        {"period": "2027Q4", "kind": "build_opex", "usd": pytest.approx(15_000)}]


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_a_fixed_hall_and_a_build_hall(formulation: str, tmp_path: Path) -> None:
    """16000 tokens/s: one `new` in the fixed 15 kW hall ($300k), one block and one `new`
    in the greenfield hall ($450k): $750,000."""
    fixed = {"name": "hall-a", "power_mw": 0.015}
    r = solve(tmp_path, formulation, [fixed, green()], [("2027Q1", "m1", 16000.0, 10.0)])
    assert r.summary.total_cost_usd == pytest.approx(750_000, rel=1e-9)
    assert blocks(r) == {"2027Q1": 1}


def test_plan_files_carry_the_build_only_when_used(tmp_path: Path) -> None:
    """build_plan.csv, sites.csv's built_mw, summary.json's built_mw and build costs: only
    for a scenario with `build`."""
    p = make_scenario(tmp_path / "b", scenario={"sites": [green()]})
    r = solve_data(prepare(load_inputs(p)), EXACT)
    r.write(tmp_path / "out")
    assert (tmp_path / "out" / "build_plan.csv").read_text().splitlines() == [
        "period,site,blocks,mw,capex_usd,capex_charged_usd",
        "2027Q1,hall-g,1,0.015,150000,150000"]
    assert (tmp_path / "out" / "sites.csv").read_text().splitlines()[0].endswith(",built_mw")
    s = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert s["built_mw"] == 0.015
    assert s["cost_breakdown_usd"]["build_capex"] == 150_000
    p1 = make_scenario(tmp_path / "v1")
    r1 = solve_data(prepare(load_inputs(p1)), EXACT)
    r1.write(tmp_path / "out1")
    assert not (tmp_path / "out1" / "build_plan.csv").exists()
    s1 = json.loads((tmp_path / "out1" / "summary.json").read_text())
    assert "built_mw" not in s1 and "build_capex" not in s1["cost_breakdown_usd"]
    assert "built_mw" not in (tmp_path / "out1" / "sites.csv").read_text()


@pytest.mark.parametrize(("build", "power", "words"), [
    ({"block_mw": 0, "max_mw": 5, "capex_usd_per_mw": 1}, 0,
     "sites[0].build.block_mw: must be > 0, got 0"),
    ({"block_mw": 5, "max_mw": 2, "capex_usd_per_mw": 1}, 0,
     "max_mw (2) must be >= block_mw (5)"),
    ({"block_mw": 5, "max_mw": 5, "capex_usd_per_mw": -1}, 0,
     "sites[0].build.capex_usd_per_mw: must be >= 0, got -1"),
    ({"block_mw": 5, "max_mw": 5, "capex_usd_per_mw": 1, "opex_usd_per_mw_year": -2}, 0,
     "sites[0].build.opex_usd_per_mw_year: must be >= 0, got -2"),
    ({"block_mw": 5, "max_mw": 5, "capex_usd_per_mw": 1}, -1,
     "sites[0].power_mw: must be >= 0, got -1"),
    (None, 0, "sites[0].power_mw: must be > 0, got 0"),
])
def test_bad_build_is_refused_with_file_and_field(tmp_path: Path, build: dict[str, Any] | None,
                                                  power: float, words: str) -> None:
    site: dict[str, Any] = {"name": "a", "power_mw": power}
    if build is not None:
        site["build"] = build
    p = make_scenario(tmp_path, scenario={"sites": [site]})
    with pytest.raises(InputError) as ei:
        load_inputs(p)
    assert words in str(ei.value) and "scenario.yaml" in str(ei.value)


def test_greenfield_site_with_build_loads(tmp_path: Path) -> None:
    p = make_scenario(tmp_path, scenario={"sites": [green()]})
    data = prepare(load_inputs(p))
    assert data.build_index == [("hall-g", t) for t in range(4)]
    assert data.buy_cap("hall-g", "new") == 1.0  # the most power it can ever have: 15 kW
