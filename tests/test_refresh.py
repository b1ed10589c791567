"""Contract v2, section C (refresh: retirement with resale): hand-computed optima in both
formulations, v1 unchanged without `allow_retirement`, validation, and the plan files.

Test catalogue (tests/conftest.py): `old` = 8 GPUs, 10 kW, $100k, 800 tokens/s per unit
at an SLO of 10; `new` = 8 GPUs, 15 kW, $300k, 8000 tokens/s per unit at 10. Four
quarters from 2027Q1, upfront capex, no energy cost, unmet demand at $100/Mtok: 1 token/s
unmet for a quarter costs Q = 2190*3600/1e6*100 = $788.4.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from planner.api import PlanResult, solve_data
from planner.cli import app
from planner.core.build import build_model
from planner.core.highs import HighsSettings
from planner.core.prepare import prepare
from planner.core.problem import PlanData
from planner.errors import InputError
from planner.inputs.loader import load_inputs
from tests.conftest import BASE_CATALOG, make_scenario
from tests.test_invariants import check_plan

Q = 2190 * 3600 / 1e6 * 100
EXACT = HighsSettings(time_limit_s=30, mip_rel_gap=1e-9, random_seed=0)


def catalog(resale: float = 0.5, **changes: dict[str, Any]) -> dict[str, Any]:
    cat = copy.deepcopy(BASE_CATALOG)
    for sysd in cat["systems"]:
        sysd["resale_fraction"] = resale
        sysd.update(changes.get(sysd["id"], {}))
    return cat


def data_of(tmp: Path, **kw: Any) -> PlanData:
    return prepare(load_inputs(make_scenario(tmp, **kw)))


def both(data: PlanData) -> list[PlanResult]:
    """The plain formulation (no start heuristic) and the strong one (the default)."""
    return [solve_data(data, EXACT, formulation="plain", heuristic=False),
            solve_data(data, EXACT)]


def full_hall(allow: bool, resale: float = 0.5) -> dict[str, Any]:
    """A 30 kW hall full of 3 installed `old` (30 kW, 2400 tokens/s); `new` has a lead
    time of one quarter; 2400 tokens/s in Q1, then 16000 (two `new`) in Q2-Q4."""
    return {
        "catalog": catalog(resale, new={"lead_time_periods": 1}),
        "scenario": {"sites": [{"name": "hall-a", "power_mw": 0.03,
                                "existing": [{"system": "old", "units": 3}]}],
                     "options": {"allow_retirement": allow}},
        "demand": [("2027Q1", "m1", 2400.0, 10.0)]
        + [(p, "m1", 16000.0, 10.0) for p in ("2027Q2", "2027Q3", "2027Q4")],
    }


def test_retiring_installed_units_frees_power_for_a_better_system(tmp_path: Path) -> None:
    """Retire the 3 `old` in Q2 (resale 3 x 0.5 x $100k = $150k) for 2 `new` ($600k):
    $450k. Retiring 2 frees 20 kW for one `new` only (8800 tokens/s: 7200 unmet for three
    quarters, $17M); keeping them leaves 13600 unmet: 13600 x 3 x Q = $32.17M (the v1
    plan)."""
    data = data_of(tmp_path / "on", **full_hall(True))
    for r in both(data):
        assert r.outcome.status == "optimal"
        assert r.summary.total_cost_usd == pytest.approx(450_000, rel=1e-9)
        rt = r.tables.retirements
        assert rt is not None
        assert rt[["period", "system", "units", "source"]].values.tolist() == [
            ["2027Q2", "old", 3, "existing"]]
        assert float(rt["resale_usd"].sum()) == pytest.approx(150_000)
        assert r.summary.cost_breakdown_usd.resale == pytest.approx(-150_000)
        assert r.summary.retired_units == 3
        fl = r.tables.fleet
        assert fl[["period", "system", "units"]].values.tolist() == [
            ["2027Q1", "old", 3], ["2027Q2", "new", 2], ["2027Q3", "new", 2],
            ["2027Q4", "new", 2]]
    off = both(data_of(tmp_path / "off", **full_hall(False)))
    for r in off:
        assert r.summary.total_cost_usd == pytest.approx(13600 * 3 * Q, rel=1e-9)


def test_retirement_pays_without_resale_by_the_power_it_frees(tmp_path: Path) -> None:
    """Resale 0: the same refresh costs the two `new` alone, $600k."""
    for r in both(data_of(tmp_path, **full_hall(True, resale=0.0))):
        assert r.summary.total_cost_usd == pytest.approx(600_000, rel=1e-9)
        assert r.summary.cost_breakdown_usd.resale == 0.0


def test_resale_credit_is_fraction_price_accounting_and_discount(tmp_path: Path) -> None:
    """2 installed `old` serve 1600 tokens/s in Q1 and Q2, nothing after. Amortized over
    1 year (a[t] = (4 - t) / 4), 10% a year: retired in Q3 (t = 2) each earns
    0.5 x $100k x 0.5 x d_2, d_2 = 1.1^-0.5; later earns less (a falls), earlier leaves
    demand unserved or needs a unit bought in its place (charged a[t] of its price, more
    than its resale). Optimum: -2 x 25,000 / sqrt(1.1) = -$47,673.13.

    (With `new` depreciated over 5 years, a[0] = 0.2: selling both `old` at once for
    $100k and serving from a `new` charged $60k, resold in Q3 for $14.3k, would pay:
    the amortized accounting charges only the horizon's share of a purchase.)"""
    data = data_of(
        tmp_path, catalog=catalog(0.5, old={"lifetime_years": 1}, new={"lifetime_years": 1}),
        scenario={"sites": [{"name": "hall-a", "power_mw": 1.0,
                             "existing": [{"system": "old", "units": 2}]}],
                  "finance": {"capex_accounting": "amortized", "discount_rate": 0.1},
                  "options": {"allow_retirement": True}},
        demand=[("2027Q1", "m1", 1600.0, 10.0), ("2027Q2", "m1", 1600.0, 10.0)])
    want = -2 * 25_000 / 1.1 ** 0.5
    for r in both(data):
        assert r.summary.total_cost_usd == pytest.approx(want, rel=1e-9)
        rt = r.tables.retirements
        assert rt is not None
        assert rt[["period", "units"]].values.tolist() == [["2027Q3", 2]]
        assert float(rt["resale_usd"].sum()) == pytest.approx(100_000)  # cash
        assert float(rt["resale_credited_usd"].sum()) == pytest.approx(-want)


def test_buying_to_resell_never_pays(tmp_path: Path) -> None:
    """No demand: nothing is bought, whatever the resale (0.9), and nothing retired."""
    for r in both(data_of(tmp_path, catalog=catalog(0.9), demand=[],
                          scenario={"options": {"allow_retirement": True}})):
        assert r.summary.total_cost_usd == 0.0
        assert len(r.tables.purchase_plan) == 0
        rt = r.tables.retirements
        assert rt is not None and len(rt) == 0
        assert r.summary.retired_units == 0


def test_a_unit_needed_once_is_sold_after(tmp_path: Path) -> None:
    """8000 tokens/s in Q1 only: one `new` ($300k, opex $1k a quarter), sold as soon as
    it may be, in Q2, at 0.9 x $300k ($270k; not in the period it is bought): $31k,
    never below 0."""
    for r in both(data_of(tmp_path, catalog=catalog(0.9, new={"opex_usd_per_year": 4000}),
                          scenario={"options": {"allow_retirement": True}})):
        assert r.summary.total_cost_usd == pytest.approx(31_000, rel=1e-9)
        rt = r.tables.retirements
        assert rt is not None
        assert rt[["period", "system", "units", "source"]].values.tolist() == [
            ["2027Q2", "new", 1, "bought"]]


def test_retire_after_ends_only_the_units_still_in_service(tmp_path: Path) -> None:
    """2 installed `old` (opex $4k a year: $1k a quarter) in service to Q2; 800 tokens/s
    (one `old`) in Q1 and Q2. One is sold at once (t = 0: 0.5 x $100k = -$50k), the
    other serves Q1-Q2 ($2k) and leaves at its retire_after, unsold: -$48k (as much as
    selling both and buying one to sell in Q3: +100k - 100k - 2k + 50k). The fleet of Q3
    is empty: the scheduled end takes the one unit still in service, not two (the
    fleet rows of Q3 exist: `old` may be bought then)."""
    cat = catalog(0.5, old={"opex_usd_per_year": 4_000})
    data = data_of(tmp_path, catalog=cat,
                   scenario={"sites": [{"name": "hall-a", "power_mw": 1.0, "existing": [
                       {"system": "old", "units": 2, "retire_after": "2027Q2"}]}],
                       "options": {"allow_retirement": True}},
                   demand=[(p, "m1", 800.0, 10.0) for p in ("2027Q1", "2027Q2")])
    assert ("hall-a", "old", 2) in data.fleet_index
    for r in both(data):
        assert r.summary.total_cost_usd == pytest.approx(-48_000, rel=1e-9)
        fl = r.tables.fleet
        assert fl[["period", "units"]].values.tolist() == [["2027Q1", 1], ["2027Q2", 1]]


def test_without_allow_retirement_the_model_is_v1(tmp_path: Path) -> None:
    kw = full_hall(False)
    data = data_of(tmp_path, **kw)
    assert not data.retire_index and not data.xretire_index and not data.allow_retirement
    for form in ("plain", "strong"):
        m = build_model(data, formulation=form)
        assert not hasattr(m, "retire") and not hasattr(m, "xretire")
        assert not hasattr(m, "retire_bought") and not hasattr(m, "retire_existing")
    r = solve_data(data, EXACT)
    assert r.tables.retirements is None
    summary = r.summary.to_json_dict()
    assert "retired_units" not in summary and "npv_usd" not in summary
    assert "resale" not in summary["cost_breakdown_usd"]
    assert "retirements" not in r.tables.frames()


def test_strong_bounds_on_retirements(tmp_path: Path) -> None:
    """xretire <= the entry's units; retire <= the units of g the hall holds (30 kW: 2
    `new`, 3 `old`)."""
    m = build_model(data_of(tmp_path, **full_hall(True)))
    assert {v.ub for v in m.xretire.values()} == {3}
    ubs = {k[1]: v.ub for k, v in m.retire.items()}
    assert ubs == {"new": 2, "old": 3}
    plain = build_model(data_of(tmp_path / "p", **full_hall(True)), formulation="plain")
    assert {v.ub for v in plain.retire.values()} == {None}


def test_nothing_to_retire_is_a_warning(tmp_path: Path) -> None:
    cat = catalog(0.5, old={"max_units_per_period": 0}, new={"max_units_per_period": 0})
    data = data_of(tmp_path, catalog=cat, scenario={"options": {"allow_retirement": True}})
    assert len(data.warnings) == 1 and "nothing to retire" in data.warnings[0]
    r = solve_data(data, EXACT)
    assert r.summary.retired_units == 0
    res = CliRunner().invoke(app, ["plan", str(tmp_path / "scenario.yaml"), "-o",
                                   str(tmp_path / "out"), "--no-report"])
    assert res.exit_code == 0, res.output
    assert "nothing to retire" in res.output


@pytest.mark.parametrize("value", [1.0, -0.1, 1.5])
def test_resale_fraction_outside_0_1_is_refused(tmp_path: Path, value: float) -> None:
    path = make_scenario(tmp_path, catalog=catalog(value))
    with pytest.raises(InputError) as err:
        load_inputs(path)
    text = str(err.value)
    assert "catalog.yaml" in text and "resale_fraction" in text
    res = CliRunner().invoke(app, ["plan", str(path), "-o", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "resale_fraction" in res.output


def test_retirement_files_and_report(tmp_path: Path) -> None:
    path = make_scenario(tmp_path / "sc", **full_hall(True))
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["plan", str(path), "-o", str(out)])
    assert res.exit_code == 0, res.output
    head = (out / "retirements.csv").read_text().splitlines()[0]
    assert head == ("period,site,system,units,source,resale_usd,resale_credited_usd,"
                    "power_kw,racks")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["retired_units"] == 3
    assert summary["cost_breakdown_usd"]["resale"] == pytest.approx(-150_000)
    assert check_plan(path, out) == pytest.approx(450_000)
    md = (out / "report.md").read_text()
    assert "## Refresh: units retired early" in md
    assert "| 2027Q2 | hall-a | old | 3 | existing | 30 |" in md
    assert "2 new" in md  # what was bought in its place


def test_every_v2_feature_at_once_strong_equals_plain() -> None:
    """A hand-written scenario (not from the generator) with every v2 field at once:
    building, two rent offers, prices on some rows (from 0.01 to 1e9 tokens/s), falling
    capex, retirement with resale, budgets, supply and racks caps. Both formulations give
    the same optimum. (It once did not: the strong formulation bounded retirements by the
    hall's power without the power it may build, and cut off a plan 1.1% cheaper.)"""
    path = Path(__file__).parent / "data" / "all-v2" / "scenario.yaml"
    inputs = load_inputs(path)
    costs = {f: solve_data(prepare(inputs), EXACT, formulation=f).summary.total_cost_usd
             for f in ("strong", "plain")}
    assert costs["strong"] == pytest.approx(costs["plain"], rel=1e-9)
    data = prepare(inputs)
    assert data.hall_cap("campus", "new") == 30  # 4 MW it may build / 130 kW, not 0 MW
