"""Hand-checkable micro cases: each has a known optimum worked out in its docstring.

Test catalogue (tests/conftest.py): `old` = 8 GPUs, 10 kW, $100k, 100 tokens/s per GPU
at <= 10 tokens/s per user (800 per unit); `new` = 8 GPUs, 15 kW, $300k, 1000 tokens/s
per GPU at <= 10 (8000 per unit). One 1 MW air hall, 4 quarters from 2027Q1, upfront
capex, no energy cost, unmet penalty $100/Mtok. A quarter is 2190 h, so 1 token/s unmet
for a quarter costs 2190*3600/1e6*100 = $788.4.
"""

from __future__ import annotations

import copy

import pytest

import planner
from planner.core.problem import throughput_at
from tests.conftest import BASE_CATALOG, BASE_PROFILE

Q = 2190 * 3600 / 1e6 * 100  # $ per (token/s) unmet for one quarter = 788.4


def cat_with(**changes: dict) -> dict:
    cat = copy.deepcopy(BASE_CATALOG)
    for sysd in cat["systems"]:
        sysd.update(changes.get(sysd["id"], {}))
    return cat


def solve(scenario_factory, **kw):  # type: ignore[no-untyped-def]
    return planner.plan(scenario_factory(**kw))


def bought(result) -> dict[tuple[str, str, str], int]:  # type: ignore[no-untyped-def]
    pp = result.tables.purchase_plan
    return {(r.period, r.site, r.system): int(r.units) for r in pp.itertuples()}


def total(result) -> float:  # type: ignore[no-untyped-def]
    return float(result.summary.total_cost_usd)


# --------------------------------------------------------------------------- SLO rule


def test_throughput_interpolation_rule() -> None:
    pts = [[10, 1000.0], [50, 500.0], [100, 100.0]]
    assert throughput_at(pts, 0) == 1000.0  # below the lowest point: its throughput
    assert throughput_at(pts, 10) == 1000.0
    assert throughput_at(pts, 30) == pytest.approx(750.0)
    assert throughput_at(pts, 75) == pytest.approx(300.0)
    assert throughput_at(pts, 100) == 100.0
    assert throughput_at(pts, 100.01) == 0.0  # above the highest: cannot meet the SLO
    assert throughput_at([[50, 5.0], [10, 9.0]], 30) == pytest.approx(7.0)  # unsorted input


def test_cheapest_per_token_wins(scenario_factory) -> None:
    """8000 tokens/s: 1 `new` ($300k) beats 10 `old` ($1M)."""
    r = solve(scenario_factory)
    assert r.summary.status == "optimal"
    assert bought(r) == {("2027Q1", "hall-a", "new"): 1}
    assert total(r) == pytest.approx(300_000)


def test_slo_interpolates_and_excludes(scenario_factory) -> None:
    """At 75 tokens/s per user `old` (curve ends at 50) cannot serve; `new` gives
    300 tokens/s per GPU = 2400 per unit, so 4800 tokens/s needs 2 units = $600k."""
    r = solve(scenario_factory, demand=[("2027Q1", "m1", 4800.0, 75.0)])
    assert bought(r) == {("2027Q1", "hall-a", "new"): 2}
    assert total(r) == pytest.approx(600_000)


def test_system_that_cannot_meet_slo_is_never_used(scenario_factory) -> None:
    """Only `old` in the catalogue, SLO 75 above its curve: all 4800 tokens/s unmet."""
    cat = {"systems": [BASE_CATALOG["systems"][0]]}
    prof = {**BASE_PROFILE, "throughput": {"old": BASE_PROFILE["throughput"]["old"]}}
    r = solve(scenario_factory, catalog=cat, profiles=[prof],
              demand=[("2027Q1", "m1", 4800.0, 75.0)])
    assert bought(r) == {}
    assert total(r) == pytest.approx(4800 * Q)
    assert r.summary.unmet_tokens == pytest.approx(4800 * 2190 * 3600)


def test_two_slo_classes_of_one_model_are_separate(scenario_factory) -> None:
    """800 tokens/s at SLO 10 (1 old, $100k) + 2400 at SLO 75 (1 new): old cannot
    serve the 75 class, and one new (8000 at SLO 10, 2400 at 75) cannot serve both."""
    r = solve(scenario_factory, demand=[("2027Q1", "m1", 800.0, 10.0),
                                        ("2027Q1", "m1", 2400.0, 75.0)])
    # 1 new ($300k) serves 2400@75 fully; the 800@10 needs another unit: old ($100k).
    assert total(r) == pytest.approx(400_000)
    assert bought(r) == {("2027Q1", "hall-a", "old"): 1, ("2027Q1", "hall-a", "new"): 1}


# --------------------------------------------------------------------------- fleet


def test_fleet_accumulates_over_periods(scenario_factory) -> None:
    """8000 in Q1 and 16000 in Q2: one new in each quarter (a 5% discount rate makes
    buying later strictly cheaper); units stay in service."""
    r = solve(scenario_factory, scenario={"finance": {"discount_rate": 0.05}},
              demand=[("2027Q1", "m1", 8000.0, 10.0), ("2027Q2", "m1", 16000.0, 10.0)])
    assert bought(r) == {("2027Q1", "hall-a", "new"): 1, ("2027Q2", "hall-a", "new"): 1}
    fl = r.tables.fleet
    assert fl[fl["period"] == "2027Q4"]["units"].sum() == 2


def test_retire_after_forces_replacement(scenario_factory) -> None:
    """One existing `new` serves Q1; retired after Q2, so Q3 needs a purchase ($300k,
    made in Q3 itself: with opex, buying earlier than needed costs more)."""
    site = {"name": "hall-a", "power_mw": 1.0,
            "existing": [{"system": "new", "units": 1, "retire_after": "2027Q2"}]}
    demand = [("2027Q1", "m1", 8000.0, 10.0), ("2027Q3", "m1", 8000.0, 10.0)]
    cat = cat_with(new={"opex_usd_per_year": 4_000})
    r = solve(scenario_factory, catalog=cat, scenario={"sites": [site]}, demand=demand)
    assert bought(r) == {("2027Q3", "hall-a", "new"): 1}
    # capex + opex of the existing unit in Q1-Q2 and of the new one in Q3-Q4
    assert total(r) == pytest.approx(300_000 + 4 * 1_000)
    site_keep = {**site, "existing": [{"system": "new", "units": 1}]}
    r2 = solve(scenario_factory, catalog=cat, scenario={"sites": [site_keep]}, demand=demand)
    assert bought(r2) == {} and total(r2) == pytest.approx(4_000)
    fl = r.tables.fleet
    assert set(fl[fl["existing_units"] > 0]["period"]) == {"2027Q1", "2027Q2"}


# --------------------------------------------------------------------------- limits


def test_power_binds(scenario_factory) -> None:
    """12 kW hall: `new` (15 kW) does not fit; 1 old serves 800, 7200 unmet."""
    r = solve(scenario_factory, scenario={"sites": [{"name": "hall-a", "power_mw": 0.012}]})
    assert bought(r) == {("2027Q1", "hall-a", "old"): 1}
    assert total(r) == pytest.approx(100_000 + 7200 * Q)
    assert r.tables.fleet["power_kw"].max() <= 12.0


def test_racks_bind(scenario_factory) -> None:
    """`new` takes 1 rack, `old` 0.05; with 0.99 racks only olds fit: 10 old = $1M."""
    cat = cat_with(new={"racks_per_unit": 1.0}, old={"racks_per_unit": 0.05})
    site = {"name": "hall-a", "power_mw": 1.0, "max_racks": 0.99}
    r = solve(scenario_factory, catalog=cat, scenario={"sites": [site]})
    assert bought(r) == {("2027Q1", "hall-a", "old"): 10}
    assert total(r) == pytest.approx(1_000_000)
    r2 = solve(scenario_factory, catalog=cat,
               scenario={"sites": [{**site, "max_racks": 1.0}]})
    assert total(r2) == pytest.approx(300_000)


def test_cooling_liquid_only_at_liquid_sites(scenario_factory) -> None:
    """`new` liquid-cooled: an air hall must use 10 old ($1M); a liquid hall 1 new."""
    cat = cat_with(new={"cooling": "liquid"})
    r = solve(scenario_factory, catalog=cat)
    assert bought(r) == {("2027Q1", "hall-a", "old"): 10}
    r2 = solve(scenario_factory, catalog=cat,
               scenario={"sites": [{"name": "hall-a", "power_mw": 1.0, "cooling": "liquid"}]})
    assert bought(r2) == {("2027Q1", "hall-a", "new"): 1}


def test_budget_per_period_binds(scenario_factory) -> None:
    """$250k per quarter, 8000 needed in Q4: `new` never fits a quarter's budget;
    2 old per quarter x 4 = 8 old ($800k) serve 6400, 1600 unmet."""
    r = solve(scenario_factory, scenario={"budget": {"capex_usd_per_period": 250_000}},
              demand=[("2027Q4", "m1", 8000.0, 10.0)])
    assert total(r) == pytest.approx(800_000 + 1600 * Q)
    per = r.tables.purchase_plan.groupby("period")["capex_usd"].sum()
    assert (per <= 250_000).all() and len(per) == 4


def test_total_budget_binds(scenario_factory) -> None:
    """$250k over the horizon: 2 old (1600 served), 6400 unmet."""
    r = solve(scenario_factory, scenario={"budget": {"total_capex_usd": 250_000}})
    assert bought(r) == {("2027Q1", "hall-a", "old"): 2}
    assert total(r) == pytest.approx(200_000 + 6400 * Q)


def test_supply_cap_binds_across_sites(scenario_factory) -> None:
    """16000 in Q1, at most 1 `new` per quarter over both halls: 1 new + 10 old."""
    cat = cat_with(new={"max_units_per_period": 1})
    sites = [{"name": "hall-a", "power_mw": 1.0}, {"name": "hall-b", "power_mw": 1.0}]
    r = solve(scenario_factory, catalog=cat, scenario={"sites": sites},
              demand=[("2027Q1", "m1", 16000.0, 10.0)])
    assert total(r) == pytest.approx(1_300_000)
    pp = r.tables.purchase_plan
    assert pp[pp["system"] == "new"]["units"].sum() == 1
    assert pp[pp["system"] == "old"]["units"].sum() == 10


def test_lead_time_binds(scenario_factory) -> None:
    """`new` takes 2 quarters: Q1 demand needs 10 old; Q3 demand can wait for 1 new."""
    cat = cat_with(new={"lead_time_periods": 2})
    r = solve(scenario_factory, catalog=cat)
    assert bought(r) == {("2027Q1", "hall-a", "old"): 10}
    r2 = solve(scenario_factory, catalog=cat, demand=[("2027Q3", "m1", 8000.0, 10.0)])
    assert bought(r2) == {("2027Q3", "hall-a", "new"): 1}


def test_available_from_binds(scenario_factory) -> None:
    """hall-b opens 2027Q3; hall-a has room for nothing (5 kW). Q2 demand is unmet,
    Q3 demand is met by 1 new in hall-b."""
    sites = [{"name": "hall-a", "power_mw": 0.005},
             {"name": "hall-b", "power_mw": 1.0, "available_from": "2027Q3"}]
    r = solve(scenario_factory, scenario={"sites": sites},
              demand=[("2027Q2", "m1", 8000.0, 10.0), ("2027Q3", "m1", 8000.0, 10.0)])
    assert bought(r) == {("2027Q3", "hall-b", "new"): 1}
    assert total(r) == pytest.approx(300_000 + 8000 * Q)
    assert (r.tables.sites.query("site == 'hall-b'")["period"] >= "2027Q3").all()


# --------------------------------------------------------------------------- unmet demand


def test_unmet_penalty_trades_against_capex(scenario_factory) -> None:
    """At $1/Mtok, 8000 tokens/s unmet for a quarter costs $63,072 < $100k: buy nothing."""
    r = solve(scenario_factory, scenario={
        "sites": [{"name": "hall-a", "power_mw": 0.012}],
        "options": {"unmet_penalty_usd_per_mtok": 1.0}})
    assert bought(r) == {}
    assert total(r) == pytest.approx(8000 * 2190 * 3600 / 1e6)
    assert r.summary.cost_breakdown_usd.unmet_penalty == pytest.approx(total(r))


def test_strict_demand_makes_shortfall_infeasible(scenario_factory) -> None:
    with pytest.raises(planner.InfeasibleError) as err:
        solve(scenario_factory, scenario={
            "sites": [{"name": "hall-a", "power_mw": 0.012}],
            "options": {"strict_demand": True}})
    text = err.value.explain()
    assert "m1" in text and "2027Q1" in text and "at most" in text
    # and a strict scenario that can be met plans normally, with no unmet at all
    r = solve(scenario_factory, scenario={"options": {"strict_demand": True}})
    assert total(r) == pytest.approx(300_000) and r.summary.unmet_tokens == 0


# --------------------------------------------------------------------------- costs


def test_amortized_capex(scenario_factory) -> None:
    """Amortized, 5-year life, 4 quarters: a unit bought in Q1 counts 4/20 of its price."""
    r = solve(scenario_factory, scenario={"finance": {"capex_accounting": "amortized"}})
    assert total(r) == pytest.approx(300_000 * 4 / 20)
    assert r.tables.purchase_plan["capex_usd"].sum() == pytest.approx(300_000)
    # a 0.5-year life (2 quarters) is fully inside the horizon: the full price counts,
    # so 10 old at 4/20 of $100k each ($200k) now beat 1 new ($300k)
    cat = cat_with(new={"lifetime_years": 0.5})
    r2 = solve(scenario_factory, catalog=cat,
               scenario={"finance": {"capex_accounting": "amortized"}})
    assert bought(r2) == {("2027Q1", "hall-a", "old"): 10}
    assert total(r2) == pytest.approx(200_000)


def test_amortized_capex_changes_the_choice(scenario_factory) -> None:
    """Upfront, 1 new ($300k) beats 10 old ($1M) at 8000 tokens/s. Amortized, `new` has
    a 50-year life (4/200 of $300k = $6k) ... and `old` a 0.1-year one (full $1M): same
    choice; flip the lives and 10 old cost 10*$100k*4/200 = $20k < $300k."""
    cat = cat_with(new={"lifetime_years": 0.1}, old={"lifetime_years": 50})
    r = solve(scenario_factory, catalog=cat,
              scenario={"finance": {"capex_accounting": "amortized"}})
    assert bought(r) == {("2027Q1", "hall-a", "old"): 10}
    assert total(r) == pytest.approx(1_000_000 * 4 / 200)
    r_up = solve(scenario_factory, catalog=cat)
    assert bought(r_up) == {("2027Q1", "hall-a", "new"): 1}


def test_discounting(scenario_factory) -> None:
    """10% a year, purchase in Q3 (t=2): factor 1/1.1^(2*2190/8760) = 1/1.1^0.5."""
    r = solve(scenario_factory, scenario={"finance": {"discount_rate": 0.1}},
              demand=[("2027Q3", "m1", 8000.0, 10.0)])
    assert total(r) == pytest.approx(300_000 / 1.1 ** 0.5)
    assert r.tables.purchase_plan["capex_usd"].sum() == pytest.approx(300_000)


def test_energy_and_opex(scenario_factory) -> None:
    """1 new from Q1: energy 15 kW/1000*0.8*1.5*2190 h*$100/MWh per quarter x 4,
    opex $10k/year x 1 year."""
    cat = cat_with(new={"opex_usd_per_year": 10_000})
    r = solve(scenario_factory, catalog=cat, scenario={
        "sites": [{"name": "hall-a", "power_mw": 1.0, "pue": 1.5,
                   "electricity_usd_per_mwh": 100}],
        "options": {"average_power_fraction": 0.8}})
    b = r.summary.cost_breakdown_usd
    assert b.energy == pytest.approx(15 / 1000 * 0.8 * 1.5 * 2190 * 100 * 4)
    assert b.opex == pytest.approx(10_000)
    assert total(r) == pytest.approx(300_000 + b.energy + 10_000)


def test_target_utilization(scenario_factory) -> None:
    """At 50% utilization a `new` unit counts 4000 tokens/s: 8000 needs 2."""
    r = solve(scenario_factory, scenario={"options": {"target_utilization": 0.5}})
    assert bought(r) == {("2027Q1", "hall-a", "new"): 2}


def test_systems_allow_list(scenario_factory) -> None:
    """Extension `systems:` restricts the plan to listed catalogue systems."""
    r = solve(scenario_factory, scenario={"systems": ["old"]})
    assert bought(r) == {("2027Q1", "hall-a", "old"): 10}
