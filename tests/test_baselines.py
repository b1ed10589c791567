"""Baselines: single-system plans against the scenario re-planned with `systems: [id]`,
the greedy rule on hand-checkable cases, and baselines.csv as `planner plan` writes it."""

from __future__ import annotations

import csv
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from planner.analysis.baselines import (
    BASELINE_COLUMNS,
    baselines,
    cost_per_mtok,
    greedy_purchases,
    restrict_to_system,
)
from planner.analysis.verdicts import cost_noise_usd, same_cost
from planner.api import plan
from planner.cli import app
from planner.core.highs import HighsSettings
from planner.core.summary import CostBreakdown, Horizon, PlanSummary
from tests.conftest import BASE_CATALOG, deep_merge, make_scenario

SPEC_COLUMNS = ["baseline", "system", "status", "total_cost_usd", "cost_per_mtok_usd",
                "savings_usd"]

# one new unit serves 8000 tokens/s, one old unit 800: 8800 tokens/s is best served by
# 1 new + 1 old ($400k); new only needs 2 ($600k); old only needs 11 ($1.1M)
DEMAND = [("2027Q1", "m1", 8800.0, 10.0)]


def test_single_system_and_greedy_by_hand(tmp_path: Path) -> None:
    res = plan(make_scenario(tmp_path / "s", demand=DEMAND))
    assert res.summary.total_cost_usd == 400_000.0
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
    for r in bl.itertuples():  # no demand goes unmet: all of it is spend
        assert r.spend_usd == r.total_cost_usd and r.unmet_penalty_usd == 0.0


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
        assert math.isclose(row["total_cost_usd"], alone.summary.total_cost_usd,
                            rel_tol=1e-9)
        assert math.isclose(row["savings_usd"], alone.summary.total_cost_usd
                            - res.summary.total_cost_usd, rel_tol=1e-9, abs_tol=1e-6)
        assert row["savings_usd"] >= -1e-6  # the optimum is never beaten
    restricted = restrict_to_system(res.data, "old")
    assert {g for _, g, _ in restricted.buy_index} == {"old"}
    greedy = bl[bl["baseline"] == "greedy"].iloc[0]
    assert greedy["total_cost_usd"] >= res.summary.total_cost_usd - 1e-6


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
    assert list(rows[0])[-2:] == ["spend_usd", "unmet_penalty_usd"]
    # the optimised row names what the plan buys; the plan buys a mix, and says so
    assert ("optimised", "old+new") in by
    md = (out / "report.md").read_text()
    assert "The optimised plan buys a mix: " in md and "the optimised mix spends" in md
    assert not (out / "marginal_values.csv").exists()
    # --no-baselines on a rerun removes the stale table
    r = CliRunner().invoke(app, ["plan", str(path), "-o", str(out), "-q", "--no-baselines"])
    assert r.exit_code == 0, r.output
    assert not (out / "baselines.csv").exists() and (out / "marginal_values.csv").exists()


def _catalog(**over: dict[str, object]) -> dict[str, object]:
    """The test catalogue with some fields of some systems changed."""
    cat = deep_merge(BASE_CATALOG, {})
    for sysd in cat["systems"]:
        sysd.update(over.get(sysd["id"], {}))
    return cat


def test_greedy_without_floor_space_cap(tmp_path: Path) -> None:
    # regression: a system taking racks in a hall without max_racks divided infinity
    # (OverflowError: cannot convert float infinity to integer)
    cat = _catalog(old={"racks_per_unit": 1.0}, new={"racks_per_unit": 2.0})
    res = plan(make_scenario(tmp_path / "s", demand=DEMAND, catalog=cat))
    assert greedy_purchases(res.data) == {("hall-a", "new", 0): 2}
    bl = baselines(res.data, res.settings, res.summary)
    g = bl[bl["baseline"] == "greedy"].iloc[0]
    assert g["system"] == "new" and g["total_cost_usd"] == 600_000.0
    # with a floor-space cap of 3 racks: one new (2 racks), then one old (1 rack)
    res = plan(make_scenario(tmp_path / "t", demand=DEMAND, catalog=cat, scenario={
        "sites": [{"name": "hall-a", "power_mw": 1.0, "max_racks": 3}]}))
    assert greedy_purchases(res.data) == {("hall-a", "new", 0): 1, ("hall-a", "old", 0): 1}


def test_baselines_on_degenerate_scenarios(tmp_path: Path) -> None:
    installed = {"sites": [{"name": "hall-a", "power_mw": 1.0,
                            "existing": [{"system": "old", "units": 5}]}]}
    cases = {
        # free units, no budget: nothing caps the greedy fit but power
        "free": ({"catalog": _catalog(new={"capex_usd": 0.0, "racks_per_unit": 1.0})},
                 {("hall-a", "new", 0): 2}),
        # no demand at all
        "no-demand": ({"demand": [("2027Q1", "m1", 0.0, 10.0)]}, {}),
        # nothing can be bought; the installed base serves what it can
        "nothing-buyable": ({"catalog": _catalog(old={"max_units_per_period": 0},
                                                 new={"max_units_per_period": 0}),
                             "scenario": installed}, {}),
        # a zero budget buys nothing
        "zero-budget": ({"scenario": {"budget": {"capex_usd_per_period": 0.0,
                                                 "total_capex_usd": 0.0}}}, {}),
    }
    for name, (kw, greedy) in cases.items():
        kw.setdefault("demand", DEMAND)
        res = plan(make_scenario(tmp_path / name, **kw))  # type: ignore[arg-type]
        assert greedy_purchases(res.data) == greedy, name
        bl = baselines(res.data, res.settings, res.summary)
        assert list(bl.columns) == BASELINE_COLUMNS, name
        assert set(bl["status"]) == {"optimal"}, name
        assert (bl["savings_usd"] >= 0).all(), name
        assert ((bl["spend_usd"] + bl["unmet_penalty_usd"] - bl["total_cost_usd"]).abs()
                <= 1e-6 * bl["total_cost_usd"].abs().clip(lower=1.0)).all(), name
        if not greedy:
            assert bl[bl["baseline"] == "greedy"].iloc[0]["system"] == "none", name


# 10 installed "old" units serve 8000 tokens/s; demand doubles in 2027Q2, which one "new"
# unit ($300k) covers: the optimised plan buys only "new", and the installed base serves
INSTALLED = {"sites": [{"name": "hall-a", "power_mw": 1.0,
                        "existing": [{"system": "old", "units": 10}]}]}
GROWING_2 = [("2027Q1", "m1", 8000.0, 10.0), ("2027Q2", "m1", 16000.0, 10.0)]


def test_single_system_keeps_the_installed_base_serving(tmp_path: Path) -> None:
    res = plan(make_scenario(tmp_path / "s", demand=GROWING_2, scenario=INSTALLED))
    assert res.summary.total_cost_usd == 300_000.0
    assert set(res.tables.purchase_plan["system"]) == {"new"}
    only_new = restrict_to_system(res.data, "new")
    assert {g for _, g, _ in only_new.buy_index} == {"new"}
    assert {(s, g, k) for s, g, k in res.data.serve_index if g == "old"} <= set(
        only_new.serve_index)
    bl = baselines(res.data, res.settings, res.summary, optimised_systems=["new"])
    rows = {(r.baseline, r.system): r for r in bl.itertuples()}
    assert rows[("optimised", "new")].total_cost_usd == 300_000.0
    # "every new purchase a new unit" is the optimised plan itself: the old units serve
    # (the old code barred them and charged two new units, $600k)
    same = rows[("single-system", "new")]
    assert math.isclose(same.total_cost_usd, 300_000.0, rel_tol=1e-9)
    assert same.savings_usd == 0.0 and same.unmet_tokens == 0.0
    # old only: 10 more old units for the growth
    assert rows[("single-system", "old")].total_cost_usd == 1_000_000.0
    # greedy serves 2027Q1 from the installed base and buys one new unit for 2027Q2
    assert greedy_purchases(res.data) == {("hall-a", "new", 1): 1}
    assert rows[("greedy", "new")].savings_usd == 0.0
    # retired after 2027Q1, the installed units serve only there
    res = plan(make_scenario(tmp_path / "r", demand=GROWING_2, scenario={"sites": [
        {"name": "hall-a", "power_mw": 1.0,
         "existing": [{"system": "old", "units": 10, "retire_after": "2027Q1"}]}]}))
    only_new = restrict_to_system(res.data, "new")
    assert {res.data.classes[k].t for _, g, k in only_new.serve_index if g == "old"} == {0}
    assert greedy_purchases(res.data) == {("hall-a", "new", 1): 2}


def test_report_of_a_one_system_plan_claims_no_mix_saving(tmp_path: Path) -> None:
    path = make_scenario(tmp_path / "s", demand=GROWING_2, scenario=INSTALLED)
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["plan", str(path), "-o", str(out), "-q", "--no-marginals"])
    assert r.exit_code == 0, r.output
    with (out / "baselines.csv").open() as f:
        by = {(r["baseline"], r["system"]): r for r in csv.DictReader(f)}
    assert float(by[("single-system", "new")]["savings_usd"]) == 0.0
    assert ("optimised", "new") in by
    md = (out / "report.md").read_text()
    section = md[md.index("## Against simpler plans"):]
    section = section[:section.index("\n## ", 3)]
    assert "optimised mix" not in section
    assert "The optimised plan buys only new; the new-only baseline is the same plan" in section
    assert "none: same within solver tolerance" in section


def test_savings_split_spend_and_avoided_penalty(tmp_path: Path) -> None:
    # old serves m1 only at 10 tokens/s per user; at 60 only new can: the old-only plan
    # leaves that class unmet and pays the penalty, the optimised plan buys 3 new units
    demand = [("2027Q1", "m1", 800.0, 10.0), ("2027Q1", "m1", 8000.0, 60.0)]
    path = make_scenario(tmp_path / "s", demand=demand)
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["plan", str(path), "-o", str(out), "-q", "--no-marginals"])
    assert r.exit_code == 0, r.output
    with (out / "baselines.csv").open() as f:
        by = {(r["baseline"], r["system"]): r for r in csv.DictReader(f)}
    old = by[("single-system", "old")]
    assert float(old["spend_usd"]) == 100_000.0
    assert float(old["unmet_penalty_usd"]) > 0
    assert math.isclose(float(old["spend_usd"]) + float(old["unmet_penalty_usd"]),
                        float(old["total_cost_usd"]), rel_tol=1e-12)
    md = (out / "report.md").read_text()
    # led by spend and tokens, the penalty named as a price
    assert ("Best single-system plan of another system: old spends $100,000 ($800,000 "
            "less than the optimised plan) and leaves " in md)
    assert "(a price it sets, not money)" in md


def _summary(**fields: Any) -> PlanSummary:
    """A plan's summary with only `fields` known: no objective, bound or gap otherwise."""
    zero = CostBreakdown(capex=0.0, energy=0.0, opex=0.0, unmet_penalty=0.0)
    blank = PlanSummary(
        scenario="", status="optimal", time_limited=False, total_cost_usd=0.0, spend_usd=0.0,
        unmet_penalty_usd=0.0, cost_breakdown_usd=zero, tokens_served=0.0, unmet_tokens=0.0,
        demand_tokens=0.0, demand_served_share=None, cost_per_mtok_usd=None,
        tokens_per_s_per_mw=None, objective_usd=None, best_bound_usd=None, mip_gap=None,
        solve_seconds=0.0, solver_status="", capex_cash_usd=0.0, units_bought=0,
        units_bought_by_period={}, sites={},
        horizon=Horizon(start="2027Q1", periods=1, granularity="quarter",
                        hours_per_period=2190.0), solver_settings={})
    return replace(blank, **fields)


def test_saving_within_solver_noise_is_none() -> None:
    """The one rule for noise (planner.analysis.verdicts): costs closer than the larger proven gap
    (objective - best bound) of the two plans are the same cost."""
    a = _summary(total_cost_usd=100_000.0, objective_usd=100_000.0, best_bound_usd=99_990.0)
    b = _summary(total_cost_usd=99_995.0, objective_usd=99_995.0, best_bound_usd=99_995.0)
    c = _summary(total_cost_usd=99_000.0, objective_usd=99_000.0, best_bound_usd=99_000.0)
    assert same_cost(a, b) and same_cost(b, a)
    assert not same_cost(a, c)
    assert cost_noise_usd(a) == 10.0
    # no bound: the relative gap; nothing at all: float tolerance only
    assert cost_noise_usd(_summary(total_cost_usd=1e6, mip_gap=1e-3)) == 1e3
    assert not same_cost(_summary(total_cost_usd=100.0), _summary(total_cost_usd=101.0))
    assert same_cost(_summary(total_cost_usd=0.0), _summary(total_cost_usd=0.0))
    # broken values are not numbers, never a crash
    assert not same_cost(_summary(total_cost_usd="lots"), a)


def test_scenario_systems_restricts_purchases_not_the_installed_base(tmp_path: Path) -> None:
    """`systems: [new]` with installed `old` units: the old units keep serving and only
    `new` is bought (before, the installed units sat idle and more was bought)."""
    sc = make_scenario(tmp_path, scenario={
        "systems": ["new"],
        "sites": [{"name": "hall-a", "power_mw": 1.0,
                   "existing": [{"system": "old", "units": 3}]}]},
        demand=[("2027Q1", "m1", 2400.0 + 8000.0, 10.0)])
    res = plan(sc)
    al = res.tables.allocation
    assert float(al.loc[al["system"] == "old", "units"].sum()) == 3.0
    pp = res.tables.purchase_plan
    assert set(pp["system"]) == {"new"} and int(pp["units"].sum()) == 1


def test_strict_demand_baselines_show_their_shortfall(tmp_path: Path) -> None:
    """Under strict_demand a baseline that cannot serve everything is not just
    `infeasible`: it is planned with the shortfall at the penalty price, status `short`."""
    demand = [("2027Q1", "m1", 800.0, 10.0), ("2027Q1", "m1", 8000.0, 60.0)]
    path = make_scenario(tmp_path / "s", demand=demand,
                         scenario={"options": {"strict_demand": True}})
    res = plan(path)
    bl = baselines(res.data, HighsSettings(time_limit_s=30, mip_rel_gap=1e-9), res.summary)
    old = bl[(bl["baseline"] == "single-system") & (bl["system"] == "old")].iloc[0]
    assert old["status"] == "short"
    assert old["unmet_tokens"] == pytest.approx(8000.0 * 2190 * 3600)
    assert old["spend_usd"] == 100_000.0
    new = bl[(bl["baseline"] == "single-system") & (bl["system"] == "new")].iloc[0]
    assert new["status"] == "optimal" and new["unmet_tokens"] == 0
