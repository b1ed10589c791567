"""Forecasts as they come: each demand unit and layout, and a forecast in another
granularity, plans the same demand written two ways to the same plan; bad forecasts are
refused with the file and the field (exit 2)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import BASE_PROFILE, make_scenario
from typer.testing import CliRunner

import planner
from planner.cli import app

runner = CliRunner()

#: m1 as measured with 1000 input and 1000 output tokens per request (2000 total)
PROFILE = {**copy.deepcopy(BASE_PROFILE), "workload": {"input_tokens": 1000,
                                                       "output_tokens": 1000}}
M2 = {**copy.deepcopy(BASE_PROFILE), "id": "m2"}
#: tokens/s per (quarter, model, SLO): the reference, written in the long v1 form
RATES = {("2027Q1", "m1", 10.0): 8000.0, ("2027Q2", "m1", 10.0): 30000.0,
         ("2027Q3", "m1", 10.0): 60000.0, ("2027Q4", "m1", 10.0): 90000.0,
         ("2027Q2", "m2", 50.0): 4000.0, ("2027Q4", "m2", 50.0): 6000.0}
TIGHT = {"sites": [{"name": "hall-a", "power_mw": 0.5, "electricity_usd_per_mwh": 80}],
         "options": {"unmet_penalty_usd_per_mtok": 5}}


def long_csv(rate: str, scale: float) -> str:
    """RATES in the long layout with `rate` as the column, each value x `scale`."""
    return f"period,model,{rate},min_tokens_per_s_per_user\n" + "".join(
        f"{p},{m},{v * scale!r},{slo!r}\n" for (p, m, slo), v in RATES.items())


def wide_csv(scale: float) -> str:
    cols = sorted({(m, slo) for _p, m, slo in RATES})
    periods = sorted({p for p, _m, _s in RATES})
    head = "period," + ",".join(f"{m}@{slo:g}" for m, slo in cols) + "\n"
    return head + "".join(
        p + "," + ",".join(repr(RATES[(p, m, s)] * scale) if (p, m, s) in RATES else ""
                           for m, s in cols) + "\n" for p in periods)


def solve(tmp: Path, demand: str, **scenario: Any) -> Any:
    path = make_scenario(tmp, scenario={**TIGHT, **scenario}, profiles=[PROFILE, M2],
                         demand=demand)
    return planner.plan(path)


def same_plan(a: Any, b: Any) -> None:
    """Same purchases, fleet and service, and the same cost (the demand is the same)."""
    for name in ("purchase_plan", "fleet", "service"):
        pd.testing.assert_frame_equal(getattr(a.tables, name), getattr(b.tables, name),
                                      check_exact=False, rtol=1e-12)
    assert len(a.tables.purchase_plan) > 0  # the comparison has something to compare
    assert a.summary.total_cost_usd == pytest.approx(b.summary.total_cost_usd, rel=1e-12)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return solve(tmp_path_factory.mktemp("ref"), long_csv("tokens_per_s", 1.0))


@pytest.mark.parametrize(("rate", "scale"), [
    ("tokens_per_day", 86_400.0),
    ("tokens_per_month", 730.0 * 3600.0),  # the planner's month: 730 hours
    ("requests_per_s", 1 / 2000.0),  # 2000 tokens per request, from the profile
])
def test_each_unit_plans_like_tokens_per_s(tmp_path: Path, reference: Any, rate: str,
                                           scale: float) -> None:
    if rate == "requests_per_s":  # m2's profile has no workload: give its request size
        text = long_csv(rate, scale).replace("min_tokens_per_s_per_user\n",
                                             "min_tokens_per_s_per_user,tokens_per_request\n")
        text = "\n".join(line + ("" if i == 0 else ",2000") for i, line
                         in enumerate(text.strip().split("\n"))) + "\n"
    else:
        text = long_csv(rate, scale)
    r = solve(tmp_path, text)
    same_plan(r, reference)
    assert r.summary.demand_input["unit"] == rate
    assert r.summary.demand_input["aggregation"] == "none"


def test_requests_take_the_profile_workload(tmp_path: Path) -> None:
    """requests/s x (input + output tokens of the profile's workload), stated."""
    text = "period,model,requests_per_s\n2027Q2,m1,15\n"
    r = solve(tmp_path, text)
    assert float(r.tables.service["demand_tokens_per_s"].iloc[0]) == 30000.0
    tpr = r.summary.demand_input["tokens_per_request"]["m1"]
    assert tpr == {"tokens": 2000.0, "from": "profile workload, total tokens"}


def test_requests_with_the_scenario_request_size(tmp_path: Path, reference: Any) -> None:
    r = solve(tmp_path, long_csv("requests_per_s", 1 / 500.0),
              demand_format={"tokens_per_request": 500})
    same_plan(r, reference)
    assert r.summary.demand_input["tokens_per_request"]["m2"]["from"] == "scenario"


def test_requests_of_an_output_profile_count_output_tokens(tmp_path: Path) -> None:
    out = {**PROFILE, "token_basis": "output"}
    path = make_scenario(tmp_path, scenario=TIGHT, profiles=[out],
                         demand="period,model,requests_per_s\n2027Q2,m1,15\n")
    r = planner.plan(path)
    assert float(r.tables.service["demand_tokens_per_s"].iloc[0]) == 15 * 1000.0


@pytest.mark.parametrize(("unit", "scale"), [(None, 1.0), ("tokens_per_day", 86_400.0)])
def test_wide_layout_plans_like_the_long_one(tmp_path: Path, reference: Any,
                                             unit: str | None, scale: float) -> None:
    fmt = {"demand_format": {"unit": unit}} if unit else {}
    r = solve(tmp_path, wide_csv(scale), **fmt)
    same_plan(r, reference)
    assert r.summary.demand_input["layout"] == "wide"


def monthly(rates: dict[tuple[str, str, float], float], spread: list[float]) -> str:
    """Each quarter's rate as three months whose mean is the quarter's rate."""
    lines = ["period,model,tokens_per_s,min_tokens_per_s_per_user"]
    for (p, m, slo), v in rates.items():
        year, q = int(p[:4]), int(p[-1])
        for i, f in enumerate(spread):
            lines.append(f"{year}-{3 * (q - 1) + i + 1:02d},{m},{v * f!r},{slo!r}")
    return "\n".join(lines) + "\n"


def test_monthly_forecast_on_a_quarterly_plan_is_the_mean_rate(tmp_path: Path,
                                                               reference: Any) -> None:
    r = solve(tmp_path, monthly(RATES, [0.5, 1.0, 1.5]))  # mean 1.0 of each quarter
    same_plan(r, reference)
    d = r.summary.demand_input
    assert (d["file_granularity"], d["plan_granularity"], d["aggregation"]) == (
        "month", "quarter", "mean_rate")
    assert "partial_periods" not in d
    summary = json.loads(json.dumps(r.summary.to_json_dict()))
    assert summary["demand_input"]["statement"].startswith("long layout")


def test_a_quarter_partly_covered_is_stated(tmp_path: Path) -> None:
    text = ("period,model,tokens_per_s,min_tokens_per_s_per_user\n"
            "2027-04,m1,30000,10\n2027-05,m1,30000,10\n")
    r = solve(tmp_path, text)
    assert float(r.tables.service["demand_tokens_per_s"].iloc[0]) == 20000.0
    assert r.summary.demand_input["partial_periods"] == ["2027Q2"]


def test_quarterly_forecast_on_a_monthly_plan_keeps_its_rate(tmp_path: Path) -> None:
    quarterly = solve(tmp_path / "q", long_csv("tokens_per_s", 1.0),
                      horizon={"start": "2027-01", "periods": 12, "granularity": "month"})
    months = solve(tmp_path / "m", monthly(RATES, [1.0, 1.0, 1.0]),
                   horizon={"start": "2027-01", "periods": 12, "granularity": "month"})
    same_plan(quarterly, months)
    assert quarterly.summary.demand_input["aggregation"] == "same_rate"
    assert months.summary.demand_input is None  # the plan's own periods: v1, nothing to say


def test_a_v1_file_states_nothing(reference: Any) -> None:
    assert reference.summary.demand_input is None
    assert "demand_input" not in reference.summary.to_json_dict()


# --------------------------------------------------------------------------- bad inputs


def run(tmp: Path, demand: str, profiles: list[dict[str, Any]] | None = None,
        **scenario: Any) -> Any:
    path = make_scenario(tmp, scenario=scenario, profiles=profiles or [PROFILE, M2],
                         demand=demand)
    return runner.invoke(app, ["plan", str(path), "-o", str(tmp / "out")])


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(("demand", "scenario", "words"), [
    # the hint that once turned requests into tokens: never suggested again
    ("period,model,tokens_per_hour\n2027Q1,m1,5\n", {},
     ["demand.csv", "column 'tokens_per_hour'", "unknown column; the demand rate is one of "
      "tokens_per_s, requests_per_s, tokens_per_day, tokens_per_month"]),
    ("period,model,requests_per_sec\n2027Q1,m1,5\n", {},
     ["column 'requests_per_sec'", "did you mean 'requests_per_s'?"]),
    ("period,model,requests_per_s\n2027Q1,m2,5\n", {},
     ["line 2: requests_per_s", "needs tokens per request: the profile of 'm2' gives no "
      "workload"]),
    ("period,model,tokens_per_s,tokens_per_day\n2027Q1,m1,5,5\n", {},
     ["column 'tokens_per_day'", "a second rate column beside 'tokens_per_s'"]),
    ("period,model,requests_per_s,tokens_per_request\n2027Q1,m1,1e9,1e6\n", {},
     ["line 2: requests_per_s", "is 1e+15 tokens/s, above the limit of 1e+12"]),
    ("period,model,tokens_per_s\n2027Q1,m1,5\n2027-05,m1,5\n", {},
     ["line 3: period", "2027-05 is a month, but the file's periods are quarters"]),
    ("period,model,tokens_per_s\n2026-12,m1,5\n", {},
     ["line 2: period", "2026-12 is outside the horizon (2027Q1..2027Q4)"]),
    ("period,m1,tokens_per_s\n2027Q1,5,5\n", {},
     ["column 'model'", "required column is missing"]),
    ("period,m1,usd_per_mtok\n2027Q1,5,5\n", {},
     ["column 'usd_per_mtok'", "is a column of the long layout"]),
    ("period,m1@fast\n2027Q1,5\n", {}, ["column 'm1@fast'", "must be a number, got 'fast'"]),
    ("period,model,tokens_per_s\n2027Q1,m1,5\n", {"demand_format": {"unit": "tokens_per_day"}},
     ["column 'tokens_per_s'", "demand_format.unit is 'tokens_per_day' but the file gives "
      "'tokens_per_s'"]),
    ("period,m1\n2027Q1,5\n", {"demand_format": {"unit": "tokens_per_hour"}},
     ["demand_format.unit"]),
])
def test_bad_forecasts_exit_2_with_file_and_field(tmp_path: Path, demand: str,
                                                  scenario: dict[str, Any],
                                                  words: list[str]) -> None:
    res = run(tmp_path, demand, **scenario)
    out = flat(res.output)
    assert res.exit_code == 2, out
    assert "Traceback" not in out
    for w in words:
        assert w in out, out
    assert "did you mean 'tokens_per_s'" not in out
