"""The strong formulation (pooled serving, implied bounds, integer fleet, start plan)
has the same optimum as the contract's plain math, on seeded generated scenarios."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from planner.api import solve_data
from planner.core.build import build_model
from planner.core.compile import compile_model, split_pool
from planner.core.highs import HighsSettings, MatrixProgram
from planner.core.prepare import prepare
from planner.core.problem import PlanData
from planner.core.start import start_plan
from planner.inputs.loader import load_inputs
from tests.conftest import make_scenario

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import write  # noqa: E402

EXACT = HighsSettings(time_limit_s=30, mip_rel_gap=1e-7, random_seed=0)


@pytest.mark.parametrize(("size", "seed"), [("tiny", 1), ("tiny", 2), ("tiny", 4),
                                            ("2x4x4x2", 1), ("2x4x4x2", 3), ("2x4x4x2", 4),
                                            ("3x4x4x2", 2), ("3x4x4x2", 4)])
def test_strong_equals_plain_optimum(tmp_path: Path, size: str, seed: int) -> None:
    data = prepare(load_inputs(write(size, seed, tmp_path / "sc")))
    plain = solve_data(data, EXACT, formulation="plain", heuristic=False)
    strong = solve_data(data, EXACT)  # strong formulation + start plan
    assert plain.outcome.status == strong.outcome.status == "optimal"
    a, b = plain.outcome.objective, strong.outcome.objective
    assert a is not None and b is not None
    assert abs(a - b) <= 1e-6 * abs(a)
    # the tables price the plan the solver found, in both formulations
    assert strong.summary.total_cost_usd == pytest.approx(b, rel=1e-6)
    assert plain.summary.total_cost_usd == pytest.approx(a, rel=1e-6)


def test_pooling_shrinks_the_model_and_splits_back(tmp_path: Path) -> None:
    data = prepare(load_inputs(write("3x4x4x2", 2, tmp_path / "sc")))
    plain = compile_model(build_model(data, formulation="plain"))
    strong = compile_model(build_model(data))
    assert strong.program.shape[1] < plain.program.shape[1]
    res = solve_data(data, EXACT)
    alloc = res.tables.allocation
    fleet = res.tables.fleet
    # every site's allocation fits that site's fleet
    used = alloc.groupby(["period", "site", "system"])["units"].sum()
    have = fleet.set_index(["period", "site", "system"])["units"]
    assert (used <= have.reindex(used.index).fillna(0) + 1e-6).all()
    assert len(alloc) > 0


def test_split_pool_fills_sites_in_order() -> None:
    pool = {("g", "P1", "m@10"): 5.0, ("g", "P1", "m@30"): 4.0}
    fleet = {("a", "g", "P1"): 6.0, ("b", "g", "P1"): 3.0}
    out = split_pool(pool, fleet)
    assert out == {("a", "g", "P1", "m@10"): 5.0, ("a", "g", "P1", "m@30"): 1.0,
                   ("b", "g", "P1", "m@30"): 3.0}


def test_start_plan_is_feasible_and_never_changes_the_optimum(tmp_path: Path) -> None:
    """A budget-bound case where HiGHS 1.16 misvalues the start after presolve and
    claimed it optimal: the planner must notice and still return the true optimum."""
    sc = {"budget": {"total_capex_usd": 2.2e6}, "sites": [{"name": "hall-a", "power_mw": 1.0}]}
    dem = [("2027Q1", "m1", 32000.0, 10.0), ("2027Q2", "m1", 48000.0, 10.0),
           ("2027Q3", "m1", 64000.0, 10.0)]
    data = prepare(load_inputs(make_scenario(tmp_path, scenario=sc, demand=dem)))
    compiled = compile_model(build_model(data))
    sp = start_plan(compiled)
    assert sp.x is not None and sp.objective is not None and sp.lp_bound is not None
    prog = compiled.program
    act = prog.A @ sp.x
    assert (act >= prog.row_lo - 1e-6).all() and (act <= prog.row_hi + 1e-6).all()
    assert sp.objective >= sp.lp_bound - 1e-6 * abs(sp.lp_bound)
    cold = solve_data(data, EXACT, heuristic=False)
    warm = solve_data(data, EXACT)
    assert warm.outcome.objective == pytest.approx(cold.outcome.objective, rel=1e-9)
    assert warm.outcome.best_bound <= warm.outcome.objective + 1e-6


def _feasible_and_optimum_unchanged(data: PlanData, prog: MatrixProgram, x: np.ndarray
                                    ) -> None:
    """A start plan `x` keeps every row and bound in whole units, and the plan solved from
    the start plan costs what the plan solved without one does."""
    act = prog.A @ x
    assert (act >= prog.row_lo - 1e-6).all() and (act <= prog.row_hi + 1e-6).all()
    assert (x >= prog.col_lo - 1e-9).all() and (x <= prog.col_hi + 1e-9).all()
    ints = x[prog.integer]
    assert (ints == ints.round()).all()
    near = HighsSettings(time_limit_s=60, mip_rel_gap=1e-4, random_seed=0)
    warm, cold = solve_data(data, near), solve_data(data, near, heuristic=False)
    assert warm.outcome.objective == pytest.approx(cold.outcome.objective, rel=2e-4)


def test_rins_step_decides_retirements_the_start_plan_keeps(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Step 7 of the start heuristic (`planner.core.start._rins`) with retirements allowed:
    steps 2-5 keep every installed unit and leave the plan 16% above the LP bound; holding
    every column the LP optimum has whole and solving for the fractional ones takes it
    within 3% of the bound. The plan is feasible (rows, bounds, whole units), retires
    something, and the optimum is unchanged."""
    from families import write as write_family

    import planner.core.start as start

    data = prepare(load_inputs(write_family("installed-base", "4x6x5x3", 4, tmp_path / "sc")))
    compiled = compile_model(build_model(data))
    prog = compiled.program
    retire = start._retirement_columns(compiled)
    assert len(retire)
    monkeypatch.setattr(start, "RINS_FROM_GAP", float("inf"))
    before = start_plan(compiled)
    monkeypatch.undo()
    after = start_plan(compiled)
    assert before.objective is not None and after.objective is not None
    assert after.lp_bound is not None and before.x is not None
    assert (before.x[retire] == 0).all()
    assert before.objective - after.lp_bound > 0.1 * before.objective
    assert after.objective - after.lp_bound < start.REOPT_FROM_GAP * after.objective
    assert after.objective >= after.lp_bound - 1e-6 * abs(after.lp_bound)
    x = after.x
    assert x is not None
    assert (x[retire] > 0.5).any()
    _feasible_and_optimum_unchanged(data, prog, x)


def test_hall_by_hall_step_improves_a_start_far_from_the_bound(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Step 6 of the start heuristic (`planner.core.start._by_hall`) on a heavy installed
    base, where rounding leaves the start plan 4.2% above the LP bound: the re-optimised
    plan is feasible (rows, bounds, whole units), cheaper, and the optimum is unchanged."""
    from families import write as write_family

    import planner.core.start as start

    data = prepare(load_inputs(write_family("installed-base", "4x6x5x3", 9, tmp_path / "sc")))
    compiled = compile_model(build_model(data))
    prog = compiled.program
    monkeypatch.setattr(start, "REOPT_FROM_GAP", float("inf"))
    monkeypatch.setattr(start, "RINS_FROM_GAP", float("inf"))  # step 7 too
    before = start_plan(compiled)
    monkeypatch.undo()
    monkeypatch.setattr(start, "RINS_FROM_GAP", float("inf"))  # step 6 alone
    after = start_plan(compiled)
    monkeypatch.undo()
    assert before.objective is not None and after.objective is not None
    assert after.lp_bound is not None
    assert before.objective - after.lp_bound > start.REOPT_FROM_GAP * before.objective
    assert after.objective < before.objective
    assert after.objective >= after.lp_bound - 1e-6 * abs(after.lp_bound)
    x = after.x
    assert x is not None
    _feasible_and_optimum_unchanged(data, prog, x)
