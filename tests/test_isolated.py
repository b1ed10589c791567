"""A large plan's final MIP in a process of its own (`planner.core.isolated`): the same plan
as a run in this process, stopped at the deadline whatever HiGHS is doing, and never a
process left behind.

The kill is tested on a market-split program (Cornuejols and Dawande's hard knapsack
rows, with slack columns so that any 0/1 vector is a plan): HiGHS finds plans at once and
cannot prove one optimal within minutes (measured: 30 s left it at a gap of 100%).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

import planner.core.isolated as isolated
from planner.api import plan
from planner.core.highs import (
    HighsSettings,
    MatrixProgram,
    SolveOutcome,
    highs_instance,
    run_highs,
)
from planner.core.warm import is_feasible
from planner.deadline import SoftStop
from planner.errors import SolverError

ROOT = Path(__file__).resolve().parent.parent


def market_split(m: int = 5, n: int = 50, seed: int = 1) -> MatrixProgram:
    """min sum(s+ + s-)  s.t.  a_i x + s+_i - s-_i = floor(sum(a_i) / 2),  x binary."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 100, size=(m, n)).astype(float)
    b = np.floor(a.sum(axis=1) / 2)
    A = sp.csc_array(np.hstack([a, np.eye(m), -np.eye(m)]))
    c = np.r_[np.zeros(n), np.ones(2 * m)]
    integer = np.r_[np.ones(n, dtype=bool), np.zeros(2 * m, dtype=bool)]
    return MatrixProgram(c, 0.0, A, b, b, np.zeros(n + 2 * m),
                         np.r_[np.ones(n), np.full(2 * m, 1e4)], integer)


class Children:
    """Every child process `run_isolated` starts, recorded (`subprocess.Popen` wrapped)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started: list[subprocess.Popen[Any]] = []
        real = subprocess.Popen

        def popen(*args: Any, **kwargs: Any) -> subprocess.Popen[Any]:
            child = real(*args, **kwargs)
            self.started.append(child)
            return child

        monkeypatch.setattr(isolated.subprocess, "Popen", popen)

    def all_ended(self) -> bool:
        return all(child.poll() is not None for child in self.started)


@pytest.mark.parametrize("example", ["quickstart", "refresh", "rent-the-peak"])
def test_a_plan_solved_in_its_own_process_is_the_plan_solved_here(
        example: str, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = ROOT / "examples" / example / "scenario.yaml"
    here = plan(scenario)
    monkeypatch.setattr(isolated, "ISOLATE_MIN_NONZEROS", 0)
    children = Children(monkeypatch)
    there = plan(scenario)
    assert len(children.started) == 1 and children.all_ended()
    assert there.summary.objective_usd == pytest.approx(here.summary.objective_usd, rel=1e-9)
    assert there.summary.status == here.summary.status
    assert there.tables.purchase_plan.equals(here.tables.purchase_plan)
    assert there.tables.fleet.equals(here.tables.fleet)


def test_the_child_is_killed_at_the_deadline_and_its_best_plan_kept(
        monkeypatch: pytest.MonkeyPatch) -> None:
    prog = market_split()
    children = Children(monkeypatch)
    settings = HighsSettings(time_limit_s=600.0, mip_rel_gap=0.0)  # HiGHS would go on
    t0 = time.perf_counter()
    out = isolated.run_isolated(prog, settings, None, None, stop_at=t0 + 3.0)
    took = time.perf_counter() - t0
    assert children.all_ended()
    assert took >= 3.0 and took < 30.0  # killed, not run to HiGHS's own 600 s
    assert out.status == "time_limit" and out.highs_status == isolated.KILLED_STATUS
    assert out.x is not None and is_feasible(prog, out.x, 1e-6)
    assert out.objective == pytest.approx(float(prog.c @ out.x + prog.offset))
    assert out.best_bound is not None and out.best_bound <= out.objective


def test_a_feasible_start_is_the_plan_when_the_child_sent_none(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    prog = market_split()
    n = int(prog.integer.sum())
    start = np.r_[np.zeros(n), prog.row_lo, np.zeros(len(prog.row_lo))]  # x = 0: s+ = b
    assert is_feasible(prog, start)
    monkeypatch.setattr(isolated.sys, "executable", _silent(tmp_path))
    children = Children(monkeypatch)
    out = isolated.run_isolated(prog, HighsSettings(time_limit_s=600.0), start, None,
                                stop_at=time.perf_counter() + 1.0)
    assert children.all_ended()
    assert out.status == "time_limit"
    assert out.x is not None and np.array_equal(out.x, start)
    assert out.objective == pytest.approx(float(prog.row_lo.sum()))


def _silent(tmp: Path) -> str:
    """An executable that stands for a child which never reads nor answers."""
    silent = tmp / "silent"
    silent.write_text("#!/bin/sh\nexec sleep 60\n")
    silent.chmod(0o755)
    return str(silent)


def test_a_child_that_never_reads_a_large_program_does_not_hold_the_deadline(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The program (here some 2 MB, far more than a pipe holds) is sent while the clock
    runs: a child stuck before reading it is killed at the deadline all the same."""
    prog = market_split(n=20_000)
    monkeypatch.setattr(isolated.sys, "executable", _silent(tmp_path))
    children = Children(monkeypatch)
    t0 = time.perf_counter()
    out = isolated.run_isolated(prog, HighsSettings(time_limit_s=600.0), None, None,
                                stop_at=t0 + 1.0)
    assert time.perf_counter() - t0 < 30.0
    assert children.all_ended()
    assert out.status == "no_solution" and out.x is None


def test_a_child_that_dies_without_an_answer_is_a_solver_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(isolated.sys, "executable", "/bin/true")  # exits at once, says nothing
    with pytest.raises(SolverError, match="ended without an answer"):
        isolated.run_isolated(market_split(), HighsSettings(time_limit_s=600.0), None, None,
                              stop_at=time.perf_counter() + 60.0)


def test_ctrl_c_in_the_parent_kills_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    children = Children(monkeypatch)

    def interrupted(report: dict[str, float]) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        isolated.run_isolated(market_split(), HighsSettings(time_limit_s=600.0), None,
                              interrupted, stop_at=time.perf_counter() + 60.0)
    assert len(children.started) == 1 and children.all_ended()


@pytest.mark.parametrize("where", ["here", "own process"])
def test_a_soft_stop_ends_a_run_only_once_its_gap_is_small_enough(
        where: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Market split: HiGHS's plans stay at a gap of 100% (bound 0), so a soft stop that
    accepts 100% ends the run soon after its time, one that asks for 50% lets it run to its
    own limit (4 s)."""
    prog = market_split()
    settings = HighsSettings(time_limit_s=4.0, mip_rel_gap=0.0)

    def run(gap: float) -> tuple[float, SolveOutcome]:
        t0 = time.perf_counter()
        soft = SoftStop(t0 + 1.0, gap)
        if where == "here":
            out = run_highs(highs_instance(prog, settings), True, program=prog, soft=soft,
                            stop_at=t0 + 60.0)
        else:
            out = isolated.run_isolated(prog, settings, None, None, t0 + 60.0, soft)
        return time.perf_counter() - t0, out

    took, out = run(gap=1.0)
    assert out.status == "time_limit" and out.x is not None
    assert 1.0 <= took < 3.5
    took, out = run(gap=0.5)
    assert out.status == "time_limit" and out.x is not None
    assert took >= 3.5


def test_futures_solved_in_their_own_processes_reach_the_hand_checked_optimum(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """tests/test_uncertain.py's two futures by hand (expected cost $600,000, buy 2), every
    solve in a process of its own: the extensive form too (`solve_program`)."""
    from planner.api import plan_futures
    from tests.test_uncertain import NEW_ONLY, _futures_scenario

    path = _futures_scenario(tmp_path, {"low": (0.5, [("2027Q1", "m1", 4000.0, 10.0)]),
                                        "high": (0.5, [("2027Q1", "m1", 16000.0, 10.0)])},
                             catalog=NEW_ONLY)
    monkeypatch.setattr(isolated, "ISOLATE_MIN_NONZEROS", 0)
    children = Children(monkeypatch)
    r = plan_futures(path)
    assert len(children.started) >= 1 and children.all_ended()
    assert r.expected_cost_usd == pytest.approx(600_000)
    assert list(r.plans[0].tables.purchase_plan["units"]) == [2]
