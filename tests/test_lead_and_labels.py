"""Lead times in months (rounded up to whole plan periods), the scenario's override in
periods, purchase_plan.csv's gpus and order_by_period, and period labels of another
granularity (available_from, retire_after, rent from/until)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import BASE_CATALOG, make_scenario
from typer.testing import CliRunner

import planner
from planner.cli import app

runner = CliRunner()

#: demand only "new" serves (SLO 100 tokens/s per user), from the first period on
FAST = [("2027Q1", "m1", 20000.0, 100.0), ("2027Q2", "m1", 20000.0, 100.0),
        ("2027Q3", "m1", 20000.0, 100.0), ("2027Q4", "m1", 20000.0, 100.0)]
MONTHLY = {"horizon": {"start": "2027-01", "periods": 12, "granularity": "month"}}


def catalog(**new: Any) -> dict[str, Any]:
    cat = copy.deepcopy(BASE_CATALOG)
    cat["systems"][1].update(new)
    return cat


def monthly_demand(rate: float = 20000.0) -> str:
    return "period,model,tokens_per_s,min_tokens_per_s_per_user\n" + "".join(
        f"2027-{m:02d},m1,{rate!r},100.0\n" for m in range(1, 13))


def solve(tmp: Path, *, cat: dict[str, Any], demand: Any = None, **scenario: Any) -> Any:
    return planner.plan(make_scenario(tmp, catalog=cat, demand=demand or FAST,
                                      scenario=scenario))


def first_buy(result: Any, system: str = "new") -> str:
    pp = result.tables.purchase_plan
    return str(pp.loc[pp["system"] == system, "period"].iloc[0])


def test_months_and_periods_agree_in_a_quarterly_plan(tmp_path: Path) -> None:
    months = solve(tmp_path / "m", cat=catalog(lead_time_months=6))
    periods = solve(tmp_path / "p", cat=catalog(lead_time_periods=2))
    pd.testing.assert_frame_equal(months.tables.purchase_plan, periods.tables.purchase_plan)
    assert first_buy(months) == "2027Q3"
    assert months.summary.lead_times["new"] == {"periods": 2, "basis": "months",
                                                "months": 6.0}
    assert periods.summary.lead_times["new"] == {"periods": 2, "basis": "periods"}


@pytest.mark.parametrize(("months", "first"), [(3, "2027Q2"), (4, "2027Q3"), (0.5, "2027Q2")])
def test_months_round_up_to_whole_quarters(tmp_path: Path, months: float, first: str) -> None:
    assert first_buy(solve(tmp_path, cat=catalog(lead_time_months=months))) == first


def test_a_lead_time_in_months_keeps_its_meaning_in_a_monthly_plan(tmp_path: Path) -> None:
    """3 months is 1 quarter and 3 months: the first unit serves from April either way
    (a lead time of 1 period would have meant February in the monthly plan)."""
    r = solve(tmp_path, cat=catalog(lead_time_months=3), demand=monthly_demand(), **MONTHLY)
    assert first_buy(r) == "2027-04"
    pp = r.tables.purchase_plan
    assert pp.iloc[0]["order_by_period"] == "2027-01"
    assert r.summary.lead_times["new"]["periods"] == 3


def test_the_scenario_overrides_a_lead_time_in_its_periods(tmp_path: Path) -> None:
    r = solve(tmp_path, cat=catalog(lead_time_months=6), lead_time_periods={"new": 1})
    assert first_buy(r) == "2027Q2"
    assert r.summary.lead_times["new"] == {"periods": 1, "basis": "scenario"}


def test_order_by_and_gpus(tmp_path: Path) -> None:
    r = solve(tmp_path, cat=catalog(lead_time_months=6, gpus_per_unit=72))
    pp = r.tables.purchase_plan
    assert len(pp)
    labels = ["2027Q1", "2027Q2", "2027Q3", "2027Q4"]
    for row in pp.itertuples():
        assert row.gpus == row.units * (72 if row.system == "new" else 8)
        lead = 2 if row.system == "new" else 0
        assert row.order_by_period == labels[labels.index(row.period) - lead]
    r.write(tmp_path / "out")
    head = (tmp_path / "out" / "purchase_plan.csv").read_text().splitlines()[0]
    assert head == ("period,site,system,units,capex_usd,capex_charged_usd,gpus,"
                    "order_by_period")  # the contract's columns first, in its order
    assert runner.invoke(app, ["report", str(tmp_path / "out")]).exit_code == 0
    report = (tmp_path / "out" / "report.md").read_text()
    assert "| in service | order by | hall | system | units | GPUs |" in report
    assert "new 6 months = 2 quarters" in report


# --------------------------------------------------------------------------- labels


def test_a_quarter_label_in_a_monthly_plan(tmp_path: Path) -> None:
    """available_from 2027Q3 is July; retire_after 2027Q1 keeps units to March."""
    sites = [{"name": "hall-a", "power_mw": 0.05},  # too small: hall-b serves when it can
             {"name": "hall-b", "power_mw": 1.0, "available_from": "2027Q3"}]
    sites[0]["existing"] = [{"system": "old", "units": 2, "retire_after": "2027Q1"}]
    r = solve(tmp_path, cat=catalog(), demand=monthly_demand(), sites=sites, **MONTHLY)
    fl = r.tables.fleet
    old = fl[(fl["system"] == "old") & (fl["existing_units"] > 0)]
    assert sorted(old["period"]) == ["2027-01", "2027-02", "2027-03"]
    assert min(fl.loc[fl["site"] == "hall-b", "period"]) == "2027-07"


def test_same_plan_with_quarter_or_month_labels(tmp_path: Path) -> None:
    def sites(avail: str, retire: str) -> list[dict[str, Any]]:
        return [{"name": "hall-a", "power_mw": 0.05, "available_from": avail,
                 "existing": []},
                {"name": "hall-b", "power_mw": 1.0,
                 "existing": [{"system": "old", "units": 3, "retire_after": retire}]}]
    a = solve(tmp_path / "q", cat=catalog(), demand=monthly_demand(), **MONTHLY,
              sites=sites("2027Q2", "2027Q3"))
    b = solve(tmp_path / "m", cat=catalog(), demand=monthly_demand(), **MONTHLY,
              sites=sites("2027-04", "2027-09"))
    for name in ("purchase_plan", "fleet"):
        pd.testing.assert_frame_equal(getattr(a.tables, name), getattr(b.tables, name))


def test_a_month_label_in_a_quarterly_plan_rounds_inwards(tmp_path: Path) -> None:
    sites = [{"name": "hall-a", "power_mw": 1.0, "available_from": "2027-08"}]
    r = solve(tmp_path, cat=catalog(), sites=sites)
    assert min(r.tables.purchase_plan["period"]) == "2027Q4"


@pytest.mark.parametrize(("sites", "words"), [
    ([{"name": "hall-a", "power_mw": 1.0, "available_from": "2027-11"}],
     ["sites[0].available_from", "2027-11 (read as 2028Q1 in this plan) is after the "
      "horizon (2027Q1..2027Q4)"]),
    ([{"name": "hall-a", "power_mw": 1.0,
       "existing": [{"system": "old", "units": 1, "retire_after": "2027-02"}]}],
     ["sites[0].existing[0].retire_after", "2027-02 (read as 2026Q4 in this plan) is before "
      "the horizon"]),
])
def test_labels_outside_the_horizon_once_read(tmp_path: Path, sites: Any,
                                              words: list[str]) -> None:
    path = make_scenario(tmp_path, catalog=catalog(), demand=FAST, scenario={"sites": sites})
    res = runner.invoke(app, ["plan", str(path), "-o", str(tmp_path / "out")])
    out = " ".join(res.output.split())
    assert res.exit_code == 2 and "Traceback" not in out
    for w in words:
        assert w in out, out


@pytest.mark.parametrize(("cat", "scenario", "words"), [
    (catalog(lead_time_months=3, lead_time_periods=1), {},
     ["catalog.yaml", "gives both lead_time_months and lead_time_periods"]),
    (catalog(lead_time_months=-1), {}, ["lead_time_months", "must be >= 0"]),
    (catalog(), {"lead_time_periods": {"newer": 1}},
     ["lead_time_periods.newer", "unknown system 'newer'"]),
    (catalog(lead_time_weeks=3), {}, ["unknown key 'lead_time_weeks'"]),
])
def test_bad_lead_times_exit_2(tmp_path: Path, cat: dict[str, Any],
                               scenario: dict[str, Any], words: list[str]) -> None:
    path = make_scenario(tmp_path, catalog=cat, demand=FAST, scenario=scenario)
    res = runner.invoke(app, ["plan", str(path), "-o", str(tmp_path / "out")])
    out = " ".join(res.output.split())
    assert res.exit_code == 2 and "Traceback" not in out, out
    for w in words:
        assert w in out, out
    assert "did you mean 'lead_time_periods'" not in out
