"""Rows scaled from the data, and the check after every solve (issue 11, defect 13).

Demand rows of 0.01 tokens/s next to rows of 1e9, prices from a cent to $1e7: each plan
is served in full (strict demand), costs what the solver's objective says, and is the
same optimum in both formulations. With rows in fixed units (millions of tokens/s), the
small demands fell under HiGHS's feasibility tolerance and went unserved in plans
reported optimal.

Catalogue: `chip` = 1 GPU, 0.01 kW, $0.01, 0.5 tokens/s for m1 (SLO 1); `rack` = 72
GPUs, 120 kW, $1e7, 72,000 tokens/s for m2. Upfront capex, no energy cost.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from planner.api import PlanResult, solve_data
from planner.core.checks import check_plan, plan_problems
from planner.core.highs import HighsSettings
from planner.core.prepare import prepare
from planner.core.problem import PlanData
from planner.errors import PlanCheckError, SolverError
from planner.inputs.loader import load_inputs
from tests.conftest import make_scenario

EXACT = HighsSettings(time_limit_s=30, mip_rel_gap=1e-9, random_seed=0)
CAT = {"systems": [
    {"id": "chip", "gpus_per_unit": 1, "unit_power_kw": 0.01, "capex_usd": 0.01,
     "source": "test"},
    {"id": "rack", "gpus_per_unit": 72, "unit_power_kw": 120.0, "capex_usd": 1.0e7,
     "source": "test"}]}
PROFILES = [{"id": "m1", "source": "test", "throughput": {"chip": [[1, 0.5]]}},
            {"id": "m2", "source": "test", "throughput": {"rack": [[1, 1000.0]]}}]

# 0.01 to 1.25 tokens/s. m1: 2 chips in Q1 (1 token/s), a third in Q4 (1.25); m2: the
# smallest share of a rack (1.4e-7 of one) still needs a whole rack, bought in Q3.
TINY = [("2027Q1", "m1", 1.0, 1.0), ("2027Q2", "m1", 0.1, 1.0), ("2027Q3", "m1", 0.5, 1.0),
        ("2027Q4", "m1", 1.25, 1.0), ("2027Q3", "m2", 0.01, 1.0), ("2027Q4", "m2", 0.02, 1.0)]
TINY_COST = 3 * 0.01 + 1.0e7
# 1e9 tokens/s of m2: ceil(1e9 / 72000) = 13889 racks (1.67 GW); and 0.01 tokens/s of
# m1 in the same rows' company: 1 chip. A per-period budget with both prices in its row.
HUGE = [("2027Q1", "m2", 1.0e9, 1.0), ("2027Q1", "m1", 0.01, 1.0)]
HUGE_COST = 13889 * 1.0e7 + 0.01

SCENARIOS = {
    "tiny": (TINY, {"sites": [{"name": "hall-a", "power_mw": 1.0}]}, TINY_COST,
             {"2027Q1": {"chip": 2}, "2027Q3": {"rack": 1}, "2027Q4": {"chip": 1}}),
    "huge": (HUGE, {"sites": [{"name": "hall-a", "power_mw": 1700.0},
                              {"name": "hall-b", "power_mw": 1.0}],
                    "budget": {"capex_usd_per_period": 2.0e11}}, HUGE_COST,
             {"2027Q1": {"chip": 1, "rack": 13889}}),
}


def _data(tmp: Path, name: str, strict: bool = True, **over: Any) -> PlanData:
    dem, sc, _cost, _buys = SCENARIOS[name]
    sc = {**sc, "options": {"strict_demand": strict}, **over}
    return prepare(load_inputs(make_scenario(tmp, catalog=CAT, profiles=PROFILES, demand=dem,
                                             scenario=sc)))


def _buys(r: PlanResult) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for row in r.tables.purchase_plan.itertuples():
        d = out.setdefault(str(row.period), {})
        d[str(row.system)] = d.get(str(row.system), 0) + int(row.units)
    return out


@pytest.mark.parametrize("formulation", ["plain", "strong"])
@pytest.mark.parametrize("name", ["tiny", "huge"])
def test_extreme_demands_and_prices_are_served_in_full(tmp_path: Path, name: str,
                                                       formulation: str) -> None:
    data = _data(tmp_path, name)
    r = solve_data(data, EXACT, formulation=formulation, heuristic=formulation == "strong")
    _dem, _sc, cost, buys = SCENARIOS[name]
    assert r.outcome.status == "optimal"
    sv = r.tables.service
    assert (sv["served_tokens_per_s"] == sv["demand_tokens_per_s"]).all()
    assert r.summary.unmet_tokens == 0.0
    assert _buys(r) == buys
    assert r.outcome.objective == pytest.approx(cost, rel=1e-12)
    assert r.summary.total_cost_usd == pytest.approx(r.outcome.objective, rel=1e-12)
    assert plan_problems(data, r.tables, r.outcome) == []


def test_unmet_is_reported_in_tokens_per_s(tmp_path: Path) -> None:
    """Not strict, unmet at $1/Mtok: the tiny m2 demand is left unmet rather than
    buying a rack; `values["unmet"]` (shares inside the model) reads in tokens/s."""
    data = _data(tmp_path, "tiny", strict=False,
                 options={"strict_demand": False, "unmet_penalty_usd_per_mtok": 1.0})
    r = solve_data(data, EXACT)
    assert r.values is not None
    sv = r.tables.service
    got = {(c.period, c.key): r.values["unmet"][(c.period, c.key)] for c in data.classes}
    for c in data.classes:
        row = sv[(sv["period"] == c.period) & (sv["model"] == c.model)].iloc[0]
        assert got[(c.period, c.key)] == pytest.approx(float(row["unmet_tokens_per_s"]),
                                                       abs=1e-12)
    assert sum(got.values()) == pytest.approx(0.03)  # m2's 0.01 + 0.02 tokens/s
    assert r.summary.total_cost_usd == pytest.approx(r.outcome.objective, rel=1e-9)


def test_check_plan_rejects_a_plan_that_disagrees(tmp_path: Path) -> None:
    data = _data(tmp_path, "tiny")
    r = solve_data(data, EXACT)
    check_plan(data, r.tables, r.outcome)  # the real plan passes
    # an objective that is not the plan's cost
    wrong = dataclasses.replace(r.outcome, objective=0.0)
    with pytest.raises(PlanCheckError) as err:
        check_plan(data, r.tables, wrong)
    assert isinstance(err.value, SolverError)  # exit code 1, like any solver failure
    assert "differs from the solver's objective" in str(err.value)
    assert "report" in err.value.hint
    # a strict class short, a cap exceeded
    tables = dataclasses.replace(r.tables, service=r.tables.service.copy(),
                                 sites=r.tables.sites.copy())
    tables.service.loc[0, "served_tokens_per_s"] *= 1 - 1e-5
    tables.sites.loc[0, "power_kw"] = 1000.5
    problems = plan_problems(data, tables, r.outcome)
    assert any("not served in full" in p for p in problems)
    assert any("power of hall-a" in p for p in problems)
    # within the tolerances: nothing to say
    tables.service.loc[0, "served_tokens_per_s"] = r.tables.service.loc[
        0, "served_tokens_per_s"] * (1 - 1e-7)
    tables.sites.loc[0, "power_kw"] = 1000.0
    near = dataclasses.replace(r.outcome, objective=float(r.outcome.objective or 0) * (1 + 1e-7))
    assert plan_problems(data, tables, near) == []


@pytest.mark.parametrize("formulation", ["plain", "strong"])
def test_demand_rows_are_held_to_the_shortfall_the_outputs_forgive(tmp_path: Path,
                                                                   formulation: str) -> None:
    """service.csv reads a class short by at most SHORTFALL_TOL of its demand as served;
    every program holds its (scaled, right-hand side 1) demand rows to that tolerance,
    not HiGHS's default 1e-6, so a shortfall the solver never paid for is never priced as
    unmet (fuzz seed 19027). A program with `whole_unit` rows keeps its tighter one, and
    so does the extensive form of several futures (the tightest of theirs)."""
    from planner.core.build import build_model
    from planner.core.compile import compile_model
    from planner.core.scaling import HIGHS_FEASIBILITY_TOL, SHORTFALL_TOL, merge_options

    key = "mip_feasibility_tolerance"
    assert SHORTFALL_TOL < HIGHS_FEASIBILITY_TOL
    data = prepare(load_inputs(make_scenario(tmp_path / "plain")))
    prog = compile_model(build_model(data, formulation=formulation)).program
    assert prog.options[key] == SHORTFALL_TOL
    tiny = prepare(load_inputs(make_scenario(tmp_path / "tiny",
                                             demand=[("2027Q1", "m1", 1e-4, 10.0)])))
    prog = compile_model(build_model(tiny, formulation=formulation)).program
    assert prog.options[key] < SHORTFALL_TOL  # whole_unit rows: tighter still
    merged = {key: SHORTFALL_TOL}
    merge_options(merged, prog.options)
    merge_options(merged, {key: HIGHS_FEASIBILITY_TOL})
    assert merged[key] == prog.options[key]


def test_budget_row_keeps_both_ends_of_the_price_range(tmp_path: Path) -> None:
    """A budget row with a $0.01 and a $1e7 system: scaled by the power of ten nearest
    the geometric mean of the two prices ($100), no coefficient falls under HiGHS's
    smallest matrix entry (1e-9; scaled by the largest price, $0.01 would be 1e-9)."""
    from planner.core.build import build_model
    from planner.core.compile import compile_model

    data = _data(tmp_path, "huge")
    compiled = compile_model(build_model(data, formulation="plain"))
    rows = [i for i in range(len(compiled.rows)) if compiled.row_name(i).startswith("budget")]
    assert rows
    A = compiled.program.A.tocsr()
    for i in rows:
        vals = abs(A[[i], :].data)
        assert vals.min() > 1e-6 and vals.max() < 1e6
        assert compiled.row_scale is not None
        assert compiled.row_scale[i] == 100.0


@pytest.mark.parametrize("formulation", ["plain", "strong"])
def test_cent_units_beside_a_trillion_dollar_penalty_are_not_free(tmp_path: Path,
                                                                 formulation: str) -> None:
    """A 1 W, $0.01 unit serving 100 tokens/s beside an unmet penalty of $8e11 per share
    of a 1e9 tokens/s demand (a cost span of 8e13): ceil(1e9 / 100) = 1e7 units ($1e5)
    serve it all. With the costs only scaled to HiGHS's range, a unit's cost fell under
    HiGHS's tolerance and every fleet size looked free: the plan bought the whole
    600 MW hall (fuzz seed 15209). The unmet column goes to HiGHS in millionths of a
    share (`planner.core.highs.column_units`) and the units are priced again."""
    from planner.core.build import build_model
    from planner.core.compile import compile_model
    from planner.core.highs import MAX_COST_SPAN

    cat = {"systems": [{"id": "chip", "gpus_per_unit": 1, "unit_power_kw": 0.001,
                        "capex_usd": 0.01, "source": "test"}]}
    prof = [{"id": "m1", "source": "test", "throughput": {"chip": [[1, 100.0]]}}]
    sc = {"sites": [{"name": "hall-a", "power_mw": 600.0}],
          "horizon": {"start": "2027Q1", "periods": 1, "granularity": "quarter"},
          "options": {"strict_demand": False, "unmet_penalty_usd_per_mtok": 100.0}}
    data = prepare(load_inputs(make_scenario(tmp_path, catalog=cat, profiles=prof,
                                             demand=[("2027Q1", "m1", 1.0e9, 1.0)],
                                             scenario=sc)))
    prog = compile_model(build_model(data, formulation=formulation)).program
    size = abs(prog.c * prog.units)
    assert size.max() / size[size > 0].min() <= MAX_COST_SPAN  # handed within the span
    assert (prog.units < 1).any()
    r = solve_data(data, EXACT, formulation=formulation, heuristic=formulation == "strong")
    assert r.outcome.status == "optimal"
    assert _buys(r) == {"2027Q1": {"chip": 10_000_000}}
    assert r.summary.unmet_tokens == 0.0
    assert r.outcome.objective == pytest.approx(1.0e5, rel=1e-9)
    assert plan_problems(data, r.tables, r.outcome) == []
