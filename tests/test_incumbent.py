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
from planner.core.solve import checked_plan, without_excess_unmet
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
    lowered = without_excess_unmet(compiled, incumbent)
    assert lowered.x is not None
    act = prog.A @ lowered.x
    assert (act >= prog.row_lo - 1e-6).all() and (act <= prog.row_hi + 1e-6).all()


def test_an_optimum_is_left_as_it_is(tmp_path: Path) -> None:
    data = prepare(load_inputs(make_scenario(tmp_path, demand=[
        ("2027Q1", "m1", 1e9, 10.0)])))  # far more than one hall serves: unmet at optimum
    best = solve_data(data, SETTINGS)
    compiled = compile_model(build_model(data))
    assert best.summary.unmet_penalty_usd > 0
    assert without_excess_unmet(compiled, best.outcome) is best.outcome
