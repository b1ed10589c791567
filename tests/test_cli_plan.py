"""`planner plan` as a user runs it: files, exit codes, messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import planner.core.solve
import planner.core.start
from planner.cli import app
from planner.core.highs import SolveOutcome
from planner.core.session import PlanSession

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart" / "scenario.yaml"
runner = CliRunner()

CONTRACT_HEADERS = {
    "purchase_plan.csv": ["period", "site", "system", "units", "capex_usd"],
    "fleet.csv": ["period", "site", "system", "units", "power_kw"],
    "allocation.csv": ["period", "site", "system", "model", "units", "tokens_per_s"],
}


def test_plan_writes_contract_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = runner.invoke(app, ["plan", str(QUICKSTART), "-o", str(out)])
    assert res.exit_code == 0, res.output
    for name, cols in CONTRACT_HEADERS.items():
        header = (out / name).read_text().splitlines()[0].split(",")
        assert header[: len(cols)] == cols
    summary = json.loads((out / "summary.json").read_text())
    for key in ("status", "total_cost_usd", "cost_breakdown_usd", "tokens_served",
                "unmet_tokens", "cost_per_mtok_usd", "best_bound_usd", "mip_gap",
                "solve_seconds"):
        assert key in summary
    assert set(summary["cost_breakdown_usd"]) == {"capex", "energy", "opex", "unmet_penalty"}
    assert summary["status"] == "optimal"
    # the readable summary
    assert "cost per million tokens" in res.output
    assert "Purchases by period" in res.output
    assert "tokens/s per MW" in res.output


def test_plan_json_prints_summary(tmp_path: Path) -> None:
    res = runner.invoke(app, ["plan", str(QUICKSTART), "-o", str(tmp_path), "--json"])
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert data == json.loads((tmp_path / "summary.json").read_text())


def test_invalid_input_exit_2_names_file_and_field(scenario_factory, tmp_path: Path) -> None:
    path = scenario_factory(scenario={"sites": [{"name": "hall-a", "power_mw": -3}]})
    out = tmp_path / "out"
    res = runner.invoke(app, ["plan", str(path), "-o", str(out)])
    assert res.exit_code == 2
    assert "scenario.yaml" in res.output and "sites[0].power_mw" in res.output
    assert "Traceback" not in res.output
    assert not out.exists()


def test_infeasible_exit_3_explains(scenario_factory, tmp_path: Path) -> None:
    path = scenario_factory(scenario={"sites": [{"name": "hall-a", "power_mw": 0.012}],
                                      "options": {"strict_demand": True}})
    res = runner.invoke(app, ["plan", str(path), "-o", str(tmp_path / "o")])
    assert res.exit_code == 3
    assert "infeasible" in res.output and "m1" in res.output and "2027Q1" in res.output


def test_solver_options_override_scenario(scenario_factory, tmp_path: Path) -> None:
    path = scenario_factory()
    res = runner.invoke(app, ["plan", str(path), "-o", str(tmp_path), "--json",
                              "--time-limit", "7", "--gap", "0.02", "--threads", "1"])
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)["solver_settings"]
    assert s == {"time_limit_s": 7.0, "mip_rel_gap": 0.02, "threads": 1, "random_seed": 0}


def test_stopped_early_plan_is_written_and_flagged(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    """Stop HiGHS at its first incumbent (deterministic stand-in for the time limit):
    the plan is still written, flagged, with its gap and best bound; exit 0."""
    class FirstSolution(PlanSession):
        def __init__(self, *a: Any, **k: Any) -> None:
            super().__init__(*a, **k)
            self.set_option("mip_max_improving_sols", 1)
            self.set_option("presolve", "off")

    monkeypatch.setattr(planner.core.solve, "PlanSession", FirstSolution)
    # the start plan as rounded (8% above the LP bound here), so HiGHS has a plan to
    # improve on: steps 6 and 7 of the start heuristic take it within 0.2%, which HiGHS
    # proves
    monkeypatch.setattr(planner.core.start, "REOPT_FROM_GAP", float("inf"))
    monkeypatch.setattr(planner.core.start, "RINS_FROM_GAP", float("inf"))
    nh = ROOT / "examples" / "new-hall" / "scenario.yaml"
    res = runner.invoke(app, ["plan", str(nh), "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["status"] == "time_limit" and s["time_limited"] is True
    assert s["mip_gap"] > 0 and s["best_bound_usd"] <= s["total_cost_usd"]
    assert "not proven optimal" in res.output
    assert (tmp_path / "purchase_plan.csv").exists()


def _solver_returns(monkeypatch: pytest.MonkeyPatch, status: str, *, gap: float | None = None,
                    bound: float | None = None, drop_x: bool = False) -> None:
    """Make the plan's HiGHS run end as `status` (the start plan and re-solves untouched):
    a deterministic stand-in for a time limit that is hit."""
    class Ends(PlanSession):
        def solve(self, *a: Any, **k: Any) -> SolveOutcome:
            out = super().solve(*a, **k)
            out.status = status
            if drop_x:
                out.x = out.objective = out.best_bound = out.mip_gap = None
            else:
                out.mip_gap, out.best_bound = gap, bound
            return out

    monkeypatch.setattr(planner.core.solve, "PlanSession", Ends)


def test_no_plan_in_time_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _solver_returns(monkeypatch, "no_solution", drop_x=True)
    res = runner.invoke(app, ["plan", str(QUICKSTART), "-o", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert "no feasible plan within the time limit" in res.output
    assert "try:" in res.output
    assert not (tmp_path / "o").exists()


def test_weak_time_limit_plan_draws_no_verdict(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan stopped by the clock with a 100% gap and a negative bound is not explained
    as an optimum: no "cheapest" verdict, no analyses resting on it."""
    _solver_returns(monkeypatch, "time_limit", gap=1.000039, bound=-5.1272e8)
    # and the start heuristic's LP bound (which would close the gap: `with_bound`) is
    # not there either, as when the clock stops the heuristic before its first LP
    monkeypatch.setattr(planner.core.solve, "with_bound", lambda out, bound: out)
    out = tmp_path / "o"
    res = runner.invoke(app, ["plan", str(QUICKSTART), "-o", str(out)])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "far from a proven answer" in text and "--time-limit" in text
    assert "cheapest" not in text and "least-cost plan" not in text
    s = json.loads((out / "summary.json").read_text())
    assert set(s["analyses_skipped"]) == {"marginal_values", "baselines"}
    assert not (out / "baselines.csv").exists()
    report = (out / "report.md").read_text()
    assert "Not an answer yet" in report


def test_time_limit_near_bound_is_flagged_but_analysed(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _solver_returns(monkeypatch, "time_limit", gap=0.004, bound=1.0)
    out = tmp_path / "o"
    res = runner.invoke(app, ["plan", str(QUICKSTART), "-o", str(out), "--no-marginals"])
    assert res.exit_code == 0, res.output
    assert "not proven optimal" in res.output
    assert "far from a proven answer" not in res.output
    assert (out / "baselines.csv").exists()


def test_python_dash_m_and_version() -> None:
    res = subprocess.run([sys.executable, "-m", "planner", "--version"], capture_output=True,
                         text=True, cwd=ROOT, timeout=120)
    assert res.returncode == 0 and res.stdout.startswith("planner ")
    res = subprocess.run([sys.executable, "-m", "planner", "plan", "--help"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert res.returncode == 0 and "--time-limit" in res.stdout


def test_same_input_same_csv_bytes(tmp_path: Path) -> None:
    """Byte-identical tables, the analyses' too: with a budget they never reach (the
    default budget is a share of the plan's time, so on a slow machine a run may re-solve
    fewer marginal steps than another, and says so)."""
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert runner.invoke(app, ["plan", str(QUICKSTART), "-o", str(out), "-q",
                                   "--analysis-time", "600"]).exit_code == 0
    for f in sorted(a.glob("*.csv")):
        assert f.read_bytes() == (b / f.name).read_bytes(), f.name
