"""Baselines: single-system plans against the scenario re-planned with `systems: [id]`,
the greedy rule on hand-checkable cases, and baselines.csv as `planner plan` writes it."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from typer.testing import CliRunner

from planner.api import plan
from planner.baselines import (
    BASELINE_COLUMNS,
    baselines,
    cost_per_mtok,
    greedy_purchases,
    restrict_to_system,
)
from planner.cli import app
from tests.conftest import make_scenario

SPEC_COLUMNS = ["baseline", "system", "status", "total_cost_usd", "cost_per_mtok_usd",
                "savings_usd"]

# one new unit serves 8000 tokens/s, one old unit 800: 8800 tokens/s is best served by
# 1 new + 1 old ($400k); new only needs 2 ($600k); old only needs 11 ($1.1M)
DEMAND = [("2027Q1", "m1", 8800.0, 10.0)]


def test_single_system_and_greedy_by_hand(tmp_path: Path) -> None:
    res = plan(make_scenario(tmp_path / "s", demand=DEMAND))
    assert res.summary["total_cost_usd"] == 400_000.0
    bl = baselines(res.data, res.settings, res.summary)
    assert list(bl.columns) == BASELINE_COLUMNS and BASELINE_COLUMNS[:6] == SPEC_COLUMNS
    rows = {(r.baseline, r.system): r for r in bl.itertuples()}
    assert rows[("optimised", "mixed")].total_cost_usd == 400_000.0
    assert rows[("single-system", "new")].total_cost_usd == 600_000.0
    assert rows[("single-system", "old")].total_cost_usd == 1_100_000.0
    assert rows[("single-system", "new")].savings_usd == 200_000.0
    assert rows[("single-system", "old")].savings_usd == 700_000.0
    # greedy: new is cheaper per token (0.24 vs 0.79 $/Mtok), so it buys new first:
    # ceil(8800/8000) = 2 new units, $600k; the optimiser saves $200k against it
    assert cost_per_mtok(res.data, "hall-a", "new", 0) < cost_per_mtok(res.data, "hall-a",
                                                                        "old", 0)
    assert greedy_purchases(res.data) == {("hall-a", "new", 0): 2}
    g = rows[("greedy", "new")]
    assert g.total_cost_usd == 600_000.0 and g.savings_usd == 200_000.0
    assert g.status == "optimal"


def test_greedy_respects_power_then_takes_next_cheapest(tmp_path: Path) -> None:
    # 25 kW: one new (15 kW) fits, then one old (10 kW) for the rest
    path = make_scenario(tmp_path / "s", demand=DEMAND,
                         scenario={"sites": [{"name": "hall-a", "power_mw": 0.025}]})
    res = plan(path)
    assert greedy_purchases(res.data) == {("hall-a", "new", 0): 1, ("hall-a", "old", 0): 1}
    # 20 kW: one new fits, no old unit fits after it; the rest is left unmet
    path = make_scenario(tmp_path / "t", demand=DEMAND,
                         scenario={"sites": [{"name": "hall-a", "power_mw": 0.020}]})
    res = plan(path)
    assert greedy_purchases(res.data) == {("hall-a", "new", 0): 1}


def test_greedy_respects_budget(tmp_path: Path) -> None:
    path = make_scenario(tmp_path / "s", demand=DEMAND,
                         scenario={"budget": {"capex_usd_per_period": 350_000.0}})
    res = plan(path)
    # the budget buys one new ($300k); $50k left buys no old unit ($100k)
    assert greedy_purchases(res.data) == {("hall-a", "new", 0): 1}


def test_single_system_equals_replan_with_systems_extension(tmp_path: Path) -> None:
    demand = [("2027Q1", "m1", 8800.0, 10.0), ("2027Q2", "m1", 20000.0, 10.0),
              ("2027Q3", "m1", 30000.0, 30.0)]
    sc = {"sites": [{"name": "hall-a", "power_mw": 0.1, "electricity_usd_per_mwh": 60}],
          "finance": {"capex_accounting": "amortized", "discount_rate": 0.05}}
    res = plan(make_scenario(tmp_path / "s", demand=demand, scenario=sc))
    bl = baselines(res.data, res.settings, res.summary)
    for g in ("old", "new"):
        alone = plan(make_scenario(tmp_path / g, demand=demand,
                                   scenario={**sc, "systems": [g]}))
        row = bl[(bl["baseline"] == "single-system") & (bl["system"] == g)].iloc[0]
        assert math.isclose(row["total_cost_usd"], alone.summary["total_cost_usd"],
                            rel_tol=1e-9)
        assert math.isclose(row["savings_usd"], alone.summary["total_cost_usd"]
                            - res.summary["total_cost_usd"], rel_tol=1e-9, abs_tol=1e-6)
        assert row["savings_usd"] >= -1e-6  # the optimum is never beaten
    restricted = restrict_to_system(res.data, "old")
    assert {g for _, g, _ in restricted.buy_index} == {"old"}
    greedy = bl[bl["baseline"] == "greedy"].iloc[0]
    assert greedy["total_cost_usd"] >= res.summary["total_cost_usd"] - 1e-6


def test_plan_cli_writes_baselines_csv(tmp_path: Path) -> None:
    path = make_scenario(tmp_path / "s", demand=DEMAND)
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["plan", str(path), "-o", str(out), "-q", "--no-marginals"])
    assert r.exit_code == 0, r.output
    with (out / "baselines.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[:6] == SPEC_COLUMNS
    by = {(r["baseline"], r["system"]): r for r in rows}
    assert float(by[("greedy", "new")]["savings_usd"]) == 200_000.0
    assert not (out / "marginal_values.csv").exists()
    # --no-baselines on a rerun removes the stale table
    r = CliRunner().invoke(app, ["plan", str(path), "-o", str(out), "-q", "--no-baselines"])
    assert r.exit_code == 0, r.output
    assert not (out / "baselines.csv").exists() and (out / "marginal_values.csv").exists()
