"""Marginal values against independent re-plans done here from scratch (planner.api.plan).

The scenarios are tiny (one or two halls, a few quarters, the two-system test catalogue)
and solved to a gap of 1e-9, so a re-solved marginal value must equal the difference of
two independent optimal plans.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import planner.core.session
from planner.analysis.marginal import MARGINAL_COLUMNS, marginal_values
from planner.api import plan
from planner.deadline import Deadline
from tests.conftest import deep_merge, make_scenario

SPEC_COLUMNS = ["kind", "site", "period", "model", "delta", "value_usd", "lp_dual_estimate",
                "method"]

# 100 kW hall, energy priced, demand growing past what the hall holds: power binds late
POWER_SC: dict[str, Any] = {"sites": [{"name": "hall-a", "power_mw": 0.1,
                                       "electricity_usd_per_mwh": 80}]}
POWER_DEMAND = [("2027Q1", "m1", 16000.0, 10.0), ("2027Q2", "m1", 40000.0, 10.0),
                ("2027Q3", "m1", 56000.0, 10.0), ("2027Q4", "m1", 64000.0, 10.0)]


def _cost(path: Path) -> float:
    return float(plan(path).summary.total_cost_usd)


def _close(a: float, b: float, base: float) -> bool:
    return math.isclose(a, b, rel_tol=0, abs_tol=1e-6 * max(1.0, abs(base)))


def _row(df: Any, **kw: str) -> Any:
    sel = df
    for k, v in kw.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, (kw, sel)
    return sel.iloc[0]


def test_power_and_demand_match_independent_replans(tmp_path: Path) -> None:
    path = make_scenario(tmp_path / "base", scenario=POWER_SC, demand=POWER_DEMAND)
    res = plan(path)
    base = float(res.summary.total_cost_usd)
    mv = marginal_values(res.data, res.settings, res.outcome.x, sites_table=res.tables.sites)
    assert list(mv.columns) == MARGINAL_COLUMNS and MARGINAL_COLUMNS[:8] == SPEC_COLUMNS

    # +1 MW in every period == the scenario planned again with power_mw + 1
    more = make_scenario(tmp_path / "power", demand=POWER_DEMAND, scenario=deep_merge(
        POWER_SC, {"sites": [{"name": "hall-a", "power_mw": 1.1,
                              "electricity_usd_per_mwh": 80}]}))
    expected = base - _cost(more)
    got = _row(mv, kind="power_mw", site="hall-a", period="all")
    assert expected > 0  # the step is worth something here, so the check has teeth
    assert _close(float(got["value_usd"]), expected, base)
    assert float(got["delta"]) == 1.0

    # +1% demand of m1 == the scenario with every m1 demand row x 1.01
    dem = make_scenario(tmp_path / "demand", scenario=POWER_SC,
                        demand=[(p, m, d * 1.01, s) for p, m, d, s in POWER_DEMAND])
    expected = _cost(dem) - base
    got = _row(mv, kind="demand", model="m1")
    assert expected > 0
    assert _close(float(got["value_usd"]), expected, base)
    extra_mtok = sum(0.01 * d * 2190 * 3600 / 1e6 for _, _, d, _ in POWER_DEMAND)
    assert math.isclose(float(got["value_per_unit_usd"]), expected / extra_mtok, rel_tol=1e-6)

    # power binds in Q3 and Q4 (100 kW full), not in Q1/Q2: per-period rows only there
    periods = set(mv[(mv["kind"] == "power_mw") & (mv["period"] != "all")]["period"])
    assert periods == {"2027Q3", "2027Q4"}
    # LP estimates: more power saves, more demand costs
    assert float(_row(mv, kind="power_mw", period="all")["lp_dual_estimate"]) > 0
    assert float(_row(mv, kind="demand", model="m1")["lp_dual_estimate"]) > 0


def test_single_period_power_value_matches_replan(tmp_path: Path) -> None:
    sc = deep_merge(POWER_SC, {"horizon": {"periods": 1}})
    dem = [("2027Q1", "m1", 64000.0, 10.0)]
    path = make_scenario(tmp_path / "base", scenario=sc, demand=dem)
    res = plan(path)
    base = float(res.summary.total_cost_usd)
    mv = marginal_values(res.data, res.settings, res.outcome.x)
    more = make_scenario(tmp_path / "more", demand=dem, scenario=deep_merge(
        sc, {"sites": [{"name": "hall-a", "power_mw": 1.1, "electricity_usd_per_mwh": 80}]}))
    expected = base - _cost(more)
    one = _row(mv, kind="power_mw", period="2027Q1")
    assert expected > 0
    assert _close(float(one["value_usd"]), expected, base)
    assert _close(float(_row(mv, kind="power_mw", period="all")["value_usd"]), expected, base)


@pytest.mark.parametrize("caps", [{"capex_usd_per_period": 1.0e6},
                                  {"total_capex_usd": 2.0e6},
                                  {"capex_usd_per_period": 1.0e6, "total_capex_usd": 2.5e6}])
def test_budget_value_matches_replan(tmp_path: Path, caps: dict[str, float]) -> None:
    sc = {"budget": caps, "sites": [{"name": "hall-a", "power_mw": 1.0}]}
    dem = [("2027Q1", "m1", 32000.0, 10.0), ("2027Q2", "m1", 48000.0, 10.0),
           ("2027Q3", "m1", 64000.0, 10.0)]
    path = make_scenario(tmp_path / "base", scenario=sc, demand=dem)
    res = plan(path)
    base = float(res.summary.total_cost_usd)
    mv = marginal_values(res.data, res.settings, res.outcome.x)
    more = make_scenario(tmp_path / "more", demand=dem,
                         scenario={"budget": {k: v * 1.1 for k, v in caps.items()},
                                   "sites": sc["sites"]})
    expected = base - _cost(more)
    assert expected > 0
    limit = "+".join(k for k in ("capex_usd_per_period", "total_capex_usd") if k in caps)
    got = _row(mv, kind="budget", limit=limit)
    assert _close(float(got["value_usd"]), expected, base)
    assert got["period"] == "all" and float(got["delta"]) == pytest.approx(0.1)


def test_one_model_one_highs_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """All re-solves share one built model and one HiGHS instance, warm-started."""
    path = make_scenario(tmp_path / "s", scenario=POWER_SC, demand=POWER_DEMAND)
    res = plan(path)
    calls = {"highs_instance": 0, "starts": 0}
    real_make, real_run = planner.core.session.highs_instance, planner.core.session.run_highs

    def counting_make(*a: Any, **k: Any) -> Any:
        calls["highs_instance"] += 1
        return real_make(*a, **k)

    def counting_run(h: Any, is_mip: bool, start: Any = None, progress: Any = None,
                     stop_at: float | None = None, program: Any = None,
                     soft: Any = None) -> Any:
        calls["starts"] += start is not None
        return real_run(h, is_mip, start, progress, stop_at=stop_at, program=program,
                        soft=soft)

    monkeypatch.setattr(planner.core.session, "highs_instance", counting_make)
    monkeypatch.setattr(planner.core.session, "run_highs", counting_run)
    mv = marginal_values(res.data, res.settings, res.outcome.x)
    assert calls["highs_instance"] == 1
    assert calls["starts"] == len(mv) + 1  # the base solve and every what-if


def test_no_budget_no_budget_rows(tmp_path: Path) -> None:
    path = make_scenario(tmp_path / "s", demand=[("2027Q1", "m1", 8000.0, 10.0)])
    res = plan(path)
    mv = marginal_values(res.data, res.settings, res.outcome.x)
    assert "budget" not in set(mv["kind"])
    # power does not bind (1 MW hall, one unit): only the whole-horizon row, worth 0 at
    # the LP, so not re-solved (a re-solve could not tell it from 0)
    pw = mv[mv["kind"] == "power_mw"]
    assert list(pw["period"]) == ["all"]
    assert abs(float(pw.iloc[0]["lp_dual_estimate"])) < 1e-6
    assert math.isnan(float(pw.iloc[0]["value_usd"]))
    assert "below the solver's noise" in str(pw.iloc[0]["method"])


def _lp_cost(path: Path) -> float:
    """The LP relaxation's optimum, built from scratch (plain formulation: no implied
    bounds on purchases), to check the units and signs of the LP-dual estimates."""
    from planner.core.build import build_model
    from planner.core.compile import compile_model
    from planner.core.highs import HighsSettings
    from planner.core.prepare import prepare
    from planner.core.session import PlanSession
    from planner.inputs.loader import load_inputs

    compiled = compile_model(build_model(prepare(load_inputs(path)), "plain"))
    out = PlanSession(compiled, HighsSettings(), lp=True).solve()
    assert out.objective is not None
    return float(out.objective)


def test_lp_dual_estimates_have_the_right_units(tmp_path: Path) -> None:
    """dual x step == the LP relaxation's own cost change for a small step (the basis
    does not change), for a power row (kW -> MW) and the demand rows (Mtok/s)."""
    sc = deep_merge(POWER_SC, {"horizon": {"periods": 1}})
    dem = [("2027Q1", "m1", 64000.0, 10.0)]
    path = make_scenario(tmp_path / "base", scenario=sc, demand=dem)
    res = plan(path)
    mv = marginal_values(res.data, res.settings, res.outcome.x)
    lp0 = _lp_cost(path)
    # +1 kW: the LP's saving x 1000 is the per-MW estimate
    kw = make_scenario(tmp_path / "kw", demand=dem, scenario=deep_merge(
        sc, {"sites": [{"name": "hall-a", "power_mw": 0.101, "electricity_usd_per_mwh": 80}]}))
    per_mw = (lp0 - _lp_cost(kw)) * 1000.0
    est = float(_row(mv, kind="power_mw", period="2027Q1")["lp_dual_estimate"])
    assert per_mw > 0
    assert math.isclose(est, per_mw, rel_tol=1e-6)
    # +1% demand
    d1 = make_scenario(tmp_path / "d1", scenario=sc, demand=[("2027Q1", "m1", 64640.0, 10.0)])
    est = float(_row(mv, kind="demand", model="m1")["lp_dual_estimate"])
    assert math.isclose(est, _lp_cost(d1) - lp0, rel_tol=1e-6)


def test_lp_dual_estimate_budget_units(tmp_path: Path) -> None:
    """Budget rows are in $M: dual x 10% of the cap == the LP's saving for a small raise,
    scaled to 10%."""
    sc = {"budget": {"total_capex_usd": 2.0e6}, "sites": [{"name": "hall-a", "power_mw": 1.0}]}
    dem = [("2027Q1", "m1", 32000.0, 10.0), ("2027Q2", "m1", 48000.0, 10.0),
           ("2027Q3", "m1", 64000.0, 10.0)]
    path = make_scenario(tmp_path / "base", scenario=sc, demand=dem)
    res = plan(path)
    mv = marginal_values(res.data, res.settings, res.outcome.x)
    small = make_scenario(tmp_path / "small", demand=dem, scenario={
        "budget": {"total_capex_usd": 2.0e6 + 1000.0}, "sites": sc["sites"]})
    scaled = (_lp_cost(path) - _lp_cost(small)) * (0.1 * 2.0e6 / 1000.0)
    est = float(_row(mv, kind="budget", limit="total_capex_usd")["lp_dual_estimate"])
    assert scaled > 0
    assert math.isclose(est, scaled, rel_tol=1e-6)


def test_time_budget_keeps_lp_estimates(tmp_path: Path) -> None:
    path = make_scenario(tmp_path / "s", scenario=POWER_SC, demand=POWER_DEMAND)
    res = plan(path)
    full = marginal_values(res.data, res.settings, res.outcome.x)
    spent = Deadline.starting_now(0.0, why="the analysis time budget (0 s) was spent")
    none = marginal_values(res.data, res.settings, res.outcome.x, budget=spent)
    assert list(none["kind"]) == list(full["kind"]) and list(none["period"]) == list(
        full["period"])
    assert none["value_usd"].isna().all()
    assert none["method"].str.startswith("not re-solved").all()
    assert none["method"].str.contains("budget|noise").all()
    assert (none["lp_dual_estimate"] == full["lp_dual_estimate"]).all()
