"""The solve session: one compiled program on one HiGHS instance, whose bounds and
integrality change and are put back.

Test catalogue (tests/conftest.py): `new` = 15 kW, $300k, 8000 tokens/s per unit at the
SLO of 10 tokens/s per user; `old` = 10 kW, $100k, 800 tokens/s. One 1 MW hall in
2027Q1, 4000 tokens/s of demand, unmet demand at Q = $788.4 per token/s for a quarter.
The optimum buys one `new` ($300k); the LP relaxation half of one ($150k).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.core.highs import HighsSettings
from planner.core.prepare import prepare
from planner.core.problem import PlanData
from planner.core.session import PlanSession
from planner.inputs.loader import load_inputs
from tests.conftest import make_scenario, many_small_halls_medium

Q = 2190 * 3600 / 1e6 * 100  # $ per (token/s) unmet for one quarter
EXACT = HighsSettings(time_limit_s=30, mip_rel_gap=1e-9, random_seed=0)
DEMAND = 4000.0


@pytest.fixture
def data(tmp_path: Path) -> PlanData:
    return prepare(load_inputs(make_scenario(tmp_path, demand=[("2027Q1", "m1", DEMAND,
                                                                10.0)])))


def _cost(session: PlanSession) -> float:
    out = session.solve()
    assert out.status == "optimal" and out.objective is not None
    return out.objective


def test_rows_and_columns_by_name(data: PlanData) -> None:
    s = PlanSession.build(data, EXACT)
    i = s.row("power", "hall-a", "2027Q1")
    assert i is not None and s.row_hi[i] == pytest.approx(1000.0)
    assert s.row("power", "hall-z", "2027Q1") is None
    assert {r.key for r in s.family("power")} == {("hall-a", lab) for lab in data.labels}
    assert ("hall-a", "new", "2027Q1") in s.columns("buy")
    # the demand row is scaled by its demand: the session reports what it was divided by
    d = s.row("demand", "2027Q1", "m1@10")
    assert d is not None and s.row_scale[d] == pytest.approx(DEMAND)


def test_row_bounds_change_and_reset_on_one_instance(data: PlanData) -> None:
    s = PlanSession.build(data, EXACT)
    h = s.h
    assert _cost(s) == pytest.approx(300_000.0, rel=1e-9)
    i = s.row("power", "hall-a", "2027Q1")
    assert i is not None
    s.set_row_bounds(i, hi=10.0)  # room for one `old` unit only: 800 tokens/s served
    assert _cost(s) == pytest.approx(100_000.0 + (DEMAND - 800.0) * Q, rel=1e-9)
    s.reset()
    assert s.row_hi[i] == pytest.approx(1000.0)
    assert _cost(s) == pytest.approx(300_000.0, rel=1e-9)
    assert s.h is h and s.solves == 3


def test_fixed_columns_and_reset(data: PlanData) -> None:
    s = PlanSession.build(data, EXACT)
    s.fix_columns("buy", {}, default=0.0)  # nothing bought: all demand unmet
    assert _cost(s) == pytest.approx(DEMAND * Q, rel=1e-9)
    s.reset()
    s.fix_columns("buy", {("hall-a", "old", "2027Q1"): 5.0}, default=0.0)
    assert _cost(s) == pytest.approx(500_000.0, rel=1e-9)
    s.reset()
    assert _cost(s) == pytest.approx(300_000.0, rel=1e-9)


def test_relaxed_integrality_is_restored(data: PlanData) -> None:
    s = PlanSession.build(data, EXACT)
    assert s.is_mip
    s.relax_integrality()
    assert not s.is_mip
    assert _cost(s) == pytest.approx(150_000.0, rel=1e-9)
    duals = s.row_duals()
    assert duals is not None and len(duals) == s.program.shape[0]
    s.restore_integrality()
    assert s.is_mip
    assert _cost(s) == pytest.approx(300_000.0, rel=1e-9)


def test_lp_session_and_all_column_bounds(data: PlanData) -> None:
    mip = PlanSession.build(data, EXACT)
    lp = PlanSession(mip.compiled, EXACT, lp=True)
    assert not lp.is_mip
    assert _cost(lp) == pytest.approx(150_000.0, rel=1e-9)
    lo, hi = lp.col_lo.copy(), lp.col_hi.copy()
    j = lp.columns("buy")[("hall-a", "new", "2027Q1")]
    hi[j] = 0.0  # no `new` in 2027Q1: the demand is served by `old` at $125 per token/s
    lp.set_all_col_bounds(lo, hi)
    assert _cost(lp) == pytest.approx(DEMAND / 800.0 * 100_000.0, rel=1e-9)
    lp.reset()
    assert _cost(lp) == pytest.approx(150_000.0, rel=1e-9)


def test_each_mip_re_solve_gets_its_own_time_limit(tmp_path: Path) -> None:
    """HiGHS 1.16 counts a MIP's `time_limit` from the start of each run, an LP's over all
    runs of the instance (`planner.core.highs.set_time_limit`). A session re-solving a MIP
    it cannot prove (30 small halls, benchmarks/families.py) six times at 0.3 s each
    takes about 1.8 s; with the LP's rule (run time so far + 0.3 s) each re-solve took
    the time of all before it as well, 0.3 * (2**6 - 1) = 18.9 s in all. The bound below
    is far from both."""
    import time

    from planner.core.build import build_model
    from planner.core.compile import compile_model
    from planner.core.highs import set_time_limit

    path = many_small_halls_medium(tmp_path)
    compiled = compile_model(build_model(prepare(load_inputs(path))))
    session = PlanSession(compiled, HighsSettings(time_limit_s=0.3, mip_rel_gap=1e-9))
    assert session.is_mip
    t0 = time.perf_counter()
    for _ in range(6):
        out = session.solve(time_limit_s=0.3)
        assert out.status in ("time_limit", "no_solution")
    assert time.perf_counter() - t0 < 10.0
    set_time_limit(session.h, True, 2.0)
    assert session.h.getOptionValue("time_limit")[1] == 2.0
    ran = float(session.h.getRunTime())
    assert ran > 1.0
    set_time_limit(session.h, False, 2.0)  # an LP: on top of the run time so far
    assert session.h.getOptionValue("time_limit")[1] == pytest.approx(ran + 2.0)
