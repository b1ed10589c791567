"""A time-limited plan (an incumbent, not an optimum) may count demand as unmet that its
fleet serves (the demand rows are served + unmet >= demand): the plan is priced as what
it really leaves unmet, and passes the post-solve check, instead of failing it (seen at
xxl size, where `planner plan --time-limit 300` ended in exit 1)."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest

from planner.analysis.solve import DIAGNOSIS
from planner.api import solve_data
from planner.core.build import build_model
from planner.core.checks import check_plan
from planner.core.compile import compile_model
from planner.core.extract import extract
from planner.core.highs import HighsSettings
from planner.core.prepare import prepare
from planner.core.solve import checked_plan, unmet_as_served
from planner.errors import PlanCheckError
from planner.inputs.loader import load_inputs
from tests.conftest import make_scenario

SETTINGS = HighsSettings(time_limit_s=30, mip_rel_gap=1e-6, random_seed=0)


def test_an_incumbent_with_excess_unmet_is_priced_as_what_it_leaves_unmet(
        tmp_path: Path) -> None:
    data = prepare(load_inputs(make_scenario(tmp_path)))
    best = solve_data(data, SETTINGS)
    compiled = compile_model(build_model(data))
    x = best.outcome.x
    assert x is not None and len(x) == compiled.program.shape[1]
    prog = compiled.program
    _keys, pos = compiled.columns["unmet"]
    cols = pos[pos >= 0]
    assert len(cols) and (x[cols] < 1e-9).all()  # the optimum serves every class here
    bloated = np.array(x, dtype=float)
    bloated[cols] = np.minimum(prog.col_hi[cols], 0.25)  # a quarter counted unmet
    obj = float(prog.c @ bloated + prog.offset)
    assert obj > best.outcome.objective * 1.01  # the penalty is real money here
    incumbent = replace(best.outcome, status="time_limit", x=bloated, objective=obj,
                        best_bound=best.outcome.objective, mip_gap=None)
    # as the solver reported it, the plan's tables and its objective disagree
    tables = extract(data, compiled.values(bloated), incumbent, asdict(SETTINGS))
    with pytest.raises(PlanCheckError, match="differs from the solver's objective"):
        check_plan(data, tables, incumbent)
    plan = checked_plan(data, compiled, incumbent, SETTINGS, DIAGNOSIS)
    assert plan.outcome.objective == pytest.approx(best.outcome.objective, rel=1e-9)
    assert float(plan.tables.summary.total_cost_usd) == pytest.approx(
        best.outcome.objective, rel=1e-9)
    assert plan.outcome.mip_gap == pytest.approx(0.0, abs=1e-9)
    lowered = unmet_as_served(compiled, incumbent)
    assert lowered.x is not None
    act = prog.A @ lowered.x
    assert (act >= prog.row_lo - 1e-6).all() and (act <= prog.row_hi + 1e-6).all()


def test_an_optimum_is_left_as_it_is(tmp_path: Path) -> None:
    data = prepare(load_inputs(make_scenario(tmp_path, demand=[
        ("2027Q1", "m1", 1e9, 10.0)])))  # far more than one hall serves: unmet at optimum
    best = solve_data(data, SETTINGS)
    compiled = compile_model(build_model(data))
    assert best.summary.unmet_penalty_usd > 0
    assert unmet_as_served(compiled, best.outcome) is best.outcome


def test_a_plan_short_of_its_demand_rows_is_priced_as_what_it_leaves_unmet(
        tmp_path: Path) -> None:
    """The other direction: a solver's plan may leave a demand row short by its
    feasibility tolerance (served + unmet a little under demand), so its objective charges
    less penalty than the tables, which price unmet = demand - served (fuzz seed 11168,
    the plain formulation: $44 of a $109 penalty, a PlanCheckError). The unmet columns are
    raised by what their rows lack: the same plan at the cost its tables say."""
    data = prepare(load_inputs(make_scenario(tmp_path, demand=[
        ("2027Q1", "m1", 1e9, 10.0)])))  # far more than one hall serves: unmet at optimum
    best = solve_data(data, SETTINGS)
    compiled = compile_model(build_model(data))
    prog = compiled.program
    x = best.outcome.x
    assert x is not None and best.outcome.objective is not None
    _keys, pos = compiled.columns["unmet"]
    cols = pos[pos >= 0]
    short = np.array(x, dtype=float)
    short[cols] = x[cols] * (1 - 1e-3)  # a thousandth of the unmet demand not counted
    obj = float(prog.c @ short + prog.offset)
    assert obj < best.outcome.objective * (1 - 1e-5)
    solver_said = replace(best.outcome, x=short, objective=obj, best_bound=obj, mip_gap=0.0)
    tables = extract(data, compiled.values(short), solver_said, asdict(SETTINGS))
    with pytest.raises(PlanCheckError, match="differs from the solver's objective"):
        check_plan(data, tables, solver_said)
    raised = unmet_as_served(compiled, solver_said)
    assert raised.x is not None and raised.objective is not None
    assert raised.objective == pytest.approx(best.outcome.objective, rel=1e-9)
    act = prog.A @ raised.x
    assert (act >= prog.row_lo - 1e-6).all() and (act <= prog.row_hi + 1e-6).all()
    plan = checked_plan(data, compiled, solver_said, SETTINGS, DIAGNOSIS)
    assert float(plan.tables.summary.total_cost_usd) == pytest.approx(
        best.outcome.objective, rel=1e-9)
    assert plan.outcome.mip_gap is not None and plan.outcome.mip_gap > 1e-5  # said, not hidden
