"""`planner doctor`: healthy install -> exit 0; a broken piece -> exit 1, named."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

import planner.core.solve
import planner.workflow.doctor as doctor
from planner.cli import app
from planner.core.highs import SolveOutcome
from planner.core.session import PlanSession

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


def test_doctor_healthy() -> None:
    res = runner.invoke(app, ["doctor"])
    out = flat(res.output)
    assert res.exit_code == 0, res.output
    for name in ("python", "pyomo", "highspy", "pandas", "pydantic", "HiGHS (library)"):
        assert name in out
    assert "optimal, 1 x big for 250,000 USD as expected" in out
    assert "the install works" in out


def test_versions_are_real() -> None:
    import platform

    import pandas
    import pydantic

    v = doctor.versions()
    assert v["python"] == platform.python_version()
    assert v["pandas"] == pandas.__version__
    assert v["pydantic"] == pydantic.VERSION
    assert v["highspy"] and v["pyomo"]


def test_doctor_detects_a_solver_that_returns_a_wrong_plan(
        monkeypatch: pytest.MonkeyPatch) -> None:
    class Relaxed(PlanSession):
        def solve(self, *a: Any, **k: Any) -> SolveOutcome:
            self.relax_integrality()  # a solver that ignores integrality: 5/6 of a unit
            return super().solve(*a, **k)

    monkeypatch.setattr(planner.core.solve, "PlanSession", Relaxed)
    res = runner.invoke(app, ["doctor"])
    out = flat(res.output)
    assert res.exit_code == 1, res.output
    assert "FAIL" in out and "wrong answer" in out
    assert "the install is broken" in out


def test_doctor_detects_a_solver_that_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(PlanSession):
        def solve(self, *a: Any, **k: Any) -> SolveOutcome:
            raise OSError("libhighs.so: cannot open shared object file")

    monkeypatch.setattr(planner.core.solve, "PlanSession", Broken)
    res = runner.invoke(app, ["doctor"])
    assert res.exit_code == 1
    assert "libhighs.so" in flat(res.output)
    assert "Traceback" not in res.output


def test_doctor_detects_a_missing_package(monkeypatch: pytest.MonkeyPatch) -> None:
    real = doctor._version
    monkeypatch.setattr(doctor, "_version", lambda d: None if d == "pyomo" else real(d))
    res = runner.invoke(app, ["doctor"])
    out = flat(res.output)
    assert res.exit_code == 1
    assert "missing: pyomo" in out and "not installed" in out
