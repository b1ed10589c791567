"""A sweep's points start from the previous point's plan: used only when feasible, and
never a different optimum."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import GROWING, TIGHT
from typer.testing import CliRunner

from planner.api import plan
from planner.cli import app
from planner.core.highs import MatrixProgram
from planner.core.warm import is_feasible
from planner.whatif.jobs import Job, chains, run_chain
from planner.whatif.overlays import merge_scenario

runner = CliRunner()



def _inputs(base: Path, mw: float) -> Any:
    return merge_scenario(base, [], [f"sites.hall-a.power_mw={mw}"]).inputs()


def test_previous_plan_starts_the_next_point_only_when_feasible(scenario_factory: Any
                                                                 ) -> None:
    base = scenario_factory(scenario=TIGHT, demand=GROWING)
    cold = {mw: plan(_inputs(base, mw)) for mw in (0.05, 0.1, 0.2)}
    # more power: the smaller hall's plan still fits, so it is the starting plan
    up = plan(_inputs(base, 0.1), start_from=cold[0.05])
    assert up.timings["carried_start"] == 1.0
    assert "start_plan_s" not in up.timings  # the heuristic was not needed
    # less power: the larger hall's fleet no longer fits; the heuristic starts instead
    down = plan(_inputs(base, 0.05), start_from=cold[0.2])
    assert down.timings["carried_start"] == 0.0
    assert "start_plan_s" in down.timings
    # the optimum is the point's own either way (gap 1e-9 in these scenarios)
    assert up.outcome.objective == pytest.approx(cold[0.1].outcome.objective, rel=1e-8)
    assert down.outcome.objective == pytest.approx(cold[0.05].outcome.objective, rel=1e-8)
    assert cold[0.2].outcome.objective < cold[0.05].outcome.objective  # the points differ


def test_is_feasible_checks_bounds_rows_and_integrality() -> None:
    # x0 + 2 x1 in [2, 4], x0 integer in [0, 3], x1 in [0, 1]
    prog = MatrixProgram(c=np.zeros(2), offset=0.0, A=sp.csc_array(np.array([[1.0, 2.0]])),
                         row_lo=np.array([2.0]), row_hi=np.array([4.0]),
                         col_lo=np.zeros(2), col_hi=np.array([3.0, 1.0]),
                         integer=np.array([True, False]))
    assert is_feasible(prog, np.array([2.0, 0.5]))
    assert not is_feasible(prog, np.array([1.0, 0.0]))  # row below 2
    assert not is_feasible(prog, np.array([3.0, 1.0]))  # row above 4
    assert not is_feasible(prog, np.array([2.5, 0.0]))  # x0 not integer
    assert not is_feasible(prog, np.array([0.0, 1.5]))  # x1 above its bound
    assert not is_feasible(prog, np.array([2.0]))  # wrong length


def test_chains_follow_the_jobs_not_the_workers(scenario_factory: Any) -> None:
    base = scenario_factory(scenario=TIGHT, demand=GROWING)
    inp = _inputs(base, 0.1)
    jobs = [Job("base", inp), Job("1", inp), Job("2", inp, warm_from_previous=True),
            Job("3", inp), Job("4", inp, warm_from_previous=True)]
    assert chains(jobs) == [[0], [1, 2], [3, 4]]
    res = run_chain(jobs[1:3])
    assert [r.status for r in res] == ["optimal", "optimal"]
    assert res[0].summary and res[1].summary
    assert res[1].summary.total_cost_usd == pytest.approx(res[0].summary.total_cost_usd,
                                                             rel=1e-8)


def _sweep(base: Path, out: Path, *extra: str) -> list[dict[str, str]]:
    res = runner.invoke(app, ["sweep", str(base), "--vary",
                              "sites.hall-a.power_mw=0.05:0.3:0.05", "-o", str(out), "-q",
                              *extra])
    assert res.exit_code == 0, res.output
    return list(csv.DictReader(io.StringIO((out / "sweep.csv").read_text())))


def test_warm_sweep_is_the_same_with_any_workers_and_as_cold(scenario_factory: Any,
                                                              tmp_path: Path) -> None:
    base = scenario_factory(scenario=TIGHT, demand=GROWING)
    serial = _sweep(base, tmp_path / "a", "--chain", "3", "--workers", "1")
    parallel = _sweep(base, tmp_path / "b", "--chain", "3", "--workers", "2")
    assert (tmp_path / "a" / "sweep.csv").read_bytes() == \
        (tmp_path / "b" / "sweep.csv").read_bytes()
    cold = _sweep(base, tmp_path / "c", "--chain", "1", "--workers", "1")
    assert len(serial) == len(cold) == 6
    assert len({r["total_cost_usd"] for r in cold}) > 1
    for w, c in zip(serial, cold, strict=True):
        assert w["status"] == c["status"] == "optimal"
        assert float(w["total_cost_usd"]) == pytest.approx(float(c["total_cost_usd"]),
                                                           rel=1e-8)
    assert parallel == serial
