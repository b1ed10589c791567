"""Nothing lost, nothing dangerous, same bytes every time.

- a failed run (invalid input, infeasible, no solution, a write that fails half-way)
  leaves an earlier output folder byte-identical, including a user's own files in it;
- the planner never deletes or rewrites files it did not write;
- no CSV cell can start a spreadsheet formula (OWASP CSV injection);
- the same inputs give byte-identical CSVs;
- time limits and "no solution" are reported with what they mean.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from conftest import BASE_CATALOG, BASE_PROFILE, failing_replace, make_scenario
from typer.testing import CliRunner

import planner.core.solve
import planner.io.atomic
from planner.cli import app
from planner.core.highs import SolveOutcome
from planner.core.session import PlanSession
from planner.io.atomic import write_files
from planner.io.output import FORMULA_START, REPORT_SET, escape_text, frame_to_csv, unescape_text

runner = CliRunner()

PLAN_FILES = ["purchase_plan.csv", "fleet.csv", "allocation.csv", "service.csv",
              "sites.csv", "summary.json"]


def plan(path: Path, out: Path, *extra: str) -> Any:
    return runner.invoke(app, ["plan", str(path), "-o", str(out), "--no-report", *extra])


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file and folder under `folder`, with the bytes of each file."""
    snap: dict[str, bytes | None] = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        snap[rel] = None if p.is_dir() else p.read_bytes()
    return snap


@pytest.fixture
def earlier_output(tmp_path: Path) -> tuple[Path, Path, dict[str, bytes | None]]:
    """A scenario, an output folder from a good run plus a user's own files in it."""
    path = make_scenario(tmp_path / "sc")
    out = tmp_path / "out"
    res = plan(path, out)
    assert res.exit_code == 0, res.output
    (out / "notes.txt").write_text("my notes, not the planner's\n")
    (out / "mine").mkdir()
    (out / "mine" / "keep.csv").write_text("a,b\n1,2\n")
    snap = snapshot(out)
    assert set(PLAN_FILES) <= set(snap)
    return path, out, snap


def test_invalid_input_leaves_earlier_output_intact(
        earlier_output: tuple[Path, Path, dict[str, bytes | None]]) -> None:
    path, out, snap = earlier_output
    doc = yaml.safe_load(path.read_text())
    doc["sites"][0]["power_mw"] = -3
    path.write_text(yaml.safe_dump(doc))
    res = plan(path, out)
    assert res.exit_code == 2
    assert snapshot(out) == snap


def test_infeasible_run_leaves_earlier_output_intact(
        earlier_output: tuple[Path, Path, dict[str, bytes | None]]) -> None:
    path, out, snap = earlier_output
    doc = yaml.safe_load(path.read_text())
    doc["options"] = {"strict_demand": True}
    path.write_text(yaml.safe_dump(doc))
    (path.parent / "demand.csv").write_text(
        "period,model,tokens_per_s,min_tokens_per_s_per_user\n2027Q1,m1,1e9,10\n")
    res = plan(path, out)
    assert res.exit_code == 3, res.output
    assert snapshot(out) == snap


def test_solver_without_solution_leaves_output_intact_and_says_what_to_try(
        earlier_output: tuple[Path, Path, dict[str, bytes | None]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    path, out, snap = earlier_output

    class NoSolution(PlanSession):
        def solve(self, *a: Any, **k: Any) -> SolveOutcome:
            return SolveOutcome("no_solution", None, None, 1.0e6, None,
                                self.settings.time_limit_s, "Time limit reached")

    monkeypatch.setattr(planner.core.solve, "PlanSession", NoSolution)
    res = plan(path, out, "--time-limit", "0.5")
    text = " ".join(res.output.split())
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert "no feasible plan within the time limit of 0.5 s" in text
    assert "does not prove there is none" in text
    assert "try:" in text and "time_limit_s" in text
    assert snapshot(out) == snap


def test_failure_while_writing_restores_the_old_files(
        earlier_output: tuple[Path, Path, dict[str, bytes | None]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that fails after some files were replaced puts the old ones back."""
    path, out, snap = earlier_output
    (path.parent / "demand.csv").write_text(
        "period,model,tokens_per_s,min_tokens_per_s_per_user\n2027Q2,m1,20000,10\n")
    # the 6th move fails: a few files already moved in
    monkeypatch.setattr(planner.io.atomic.os, "replace", failing_replace(6))
    res = plan(path, out)
    text = " ".join(res.output.split())
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert "cannot write the plan" in text and "No space left on device" in text
    assert "left as it was" in text
    assert snapshot(out) == snap
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out.tmp")]


def test_output_path_that_is_a_file_is_refused_before_solving(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class MustNotSolve(PlanSession):
        def solve(self, *a: Any, **k: Any) -> SolveOutcome:
            raise AssertionError("solved although the output path is unusable")

    monkeypatch.setattr(planner.core.solve, "PlanSession", MustNotSolve)
    path = make_scenario(tmp_path / "sc")
    target = tmp_path / "plan.txt"
    target.write_text("important\n")
    res = plan(path, target)
    assert res.exit_code == 2, res.output
    assert "exists and is not a folder" in " ".join(res.output.split())
    assert target.read_text() == "important\n"


def test_a_folder_named_like_a_plan_file_is_not_touched(tmp_path: Path) -> None:
    path = make_scenario(tmp_path / "sc")
    out = tmp_path / "out"
    (out / "fleet.csv").mkdir(parents=True)
    (out / "fleet.csv" / "x").write_text("x")
    res = plan(path, out)
    assert res.exit_code == 2, res.output
    assert (out / "fleet.csv" / "x").read_text() == "x"
    assert sorted(p.name for p in out.iterdir()) == ["fleet.csv"]


def test_rerun_replaces_only_the_planners_files(
        earlier_output: tuple[Path, Path, dict[str, bytes | None]]) -> None:
    path, out, snap = earlier_output
    (path.parent / "demand.csv").write_text(
        "period,model,tokens_per_s,min_tokens_per_s_per_user\n2027Q3,m1,30000,10\n")
    res = plan(path, out)
    assert res.exit_code == 0, res.output
    now = snapshot(out)
    assert set(now) == set(snap)
    assert now["notes.txt"] == snap["notes.txt"]
    assert now["mine/keep.csv"] == snap["mine/keep.csv"]
    assert now["purchase_plan.csv"] != snap["purchase_plan.csv"]
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out.tmp")]


def test_new_folder_appears_complete(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "new"
    written = write_files(out, {"a.csv": "x\n", "b.json": "{}\n"})
    assert sorted(p.name for p in written) == ["a.csv", "b.json"]
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "b.json"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["new"]


def test_a_new_plan_removes_the_older_report_in_the_same_set(
        earlier_output: tuple[Path, Path, dict[str, bytes | None]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A report beside a plan is that plan's: a new plan takes an older report away
    (atomically, with the plan files), and a failed write puts it back."""
    path, out, _ = earlier_output
    for name in REPORT_SET:
        (out / name).write_text(f"older {name}\n")
    snap = snapshot(out)
    (path.parent / "demand.csv").write_text(
        "period,model,tokens_per_s,min_tokens_per_s_per_user\n2027Q3,m1,30000,10\n")
    with monkeypatch.context() as m:  # fails with the older report aside, the plan half in
        m.setattr(planner.io.atomic.os, "replace", failing_replace(len(REPORT_SET) + 2))
        res = plan(path, out)
    assert res.exit_code == 1, res.output
    assert snapshot(out) == snap  # the older report is back, with its plan
    res = plan(path, out)  # --no-report
    assert res.exit_code == 0, res.output
    now = snapshot(out)
    assert not [n for n in REPORT_SET if n in now]
    assert now["notes.txt"] == snap["notes.txt"]
    assert now["purchase_plan.csv"] != snap["purchase_plan.csv"]


def test_write_files_refuses_names_outside_the_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_files(tmp_path / "o", {"../escape.csv": "x"})
    assert not (tmp_path / "escape.csv").exists()


# --------------------------------------------------------------------------- CSV injection

EVIL_SITE = "=cmd|' /C calc'!A0"


def all_cells(folder: Path) -> list[tuple[str, str]]:
    cells = []
    for f in sorted(folder.glob("*.csv")):
        for row in csv.reader(io.StringIO(f.read_text(encoding="utf-8"))):
            cells += [(f.name, c) for c in row]
    return cells


def test_formula_names_are_escaped_end_to_end(tmp_path: Path) -> None:
    cat = {"systems": [{**BASE_CATALOG["systems"][0], "id": "+old"},
                       {**BASE_CATALOG["systems"][1], "id": "@new"}]}
    prof = {**BASE_PROFILE, "id": "-m1",
            "throughput": {"+old": BASE_PROFILE["throughput"]["old"],
                           "@new": BASE_PROFILE["throughput"]["new"]}}
    path = make_scenario(tmp_path / "sc", catalog=cat, profiles=[prof],
                         scenario={"sites": [{"name": EVIL_SITE, "power_mw": 1.0,
                                              "existing": [{"system": "+old", "units": 1}]}]},
                         demand=[("2027Q1", "-m1", 8000.0, 10.0)])
    out = tmp_path / "out"
    res = plan(path, out)
    assert res.exit_code == 0, res.output
    cells = all_cells(out)
    assert cells
    for fname, cell in cells:
        if cell[:1] in ("-", "+"):
            float(cell)  # a signed number is a number, never text
            continue
        assert not cell.startswith(FORMULA_START), (fname, cell)
    texts = {c for _, c in cells}
    assert "'" + EVIL_SITE in texts
    assert {"'+old", "'@new", "'-m1"} <= texts
    assert EVIL_SITE not in texts
    # `planner report` reads the folder back and shows the names as the user wrote them
    from planner.report import load_folder

    pf = load_folder(out)
    assert set(pf.sites["site"]) == {EVIL_SITE}
    assert set(pf.fleet["system"]) <= {"+old", "@new"}
    assert runner.invoke(app, ["report", str(out)]).exit_code == 0
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "'+old" not in md and "+old" in md


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx", " =x",
                                  "=cmd|' /C calc'!A0"])
def test_escape_text_quotes_formula_starts(text: str) -> None:
    assert escape_text(text).startswith("'")


@pytest.mark.parametrize("text", ["hall-a", "gb300-nvl72", "2027Q1", "a=b", "x@y", ""])
def test_escape_text_leaves_plain_names(text: str) -> None:
    assert escape_text(text) == text


@pytest.mark.parametrize("text", ["=1+1", "-x", "'=x", "'", "hall-a", "'quoted'", " @a"])
def test_unescape_text_inverts_escape_text(text: str) -> None:
    assert unescape_text(escape_text(text)) == text


def test_cost_csv_is_spreadsheet_safe(tmp_path: Path) -> None:
    cat = {"systems": [{**BASE_CATALOG["systems"][1], "id": "=HYPERLINK(1)"}]}
    (tmp_path / "cat.yaml").write_text(yaml.safe_dump(cat))
    (tmp_path / "models").mkdir()
    prof = {**BASE_PROFILE, "throughput": {"=HYPERLINK(1)": [[10, 1000.0]]}}
    (tmp_path / "models" / "m1.yaml").write_text(yaml.safe_dump(prof))
    res = runner.invoke(app, ["cost", "--catalog", str(tmp_path / "cat.yaml"), "--models",
                              str(tmp_path / "models"), "--model", "m1", "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert "'=HYPERLINK(1)" in res.output
    for row in csv.reader(io.StringIO(res.output)):
        for cell in row:
            assert not cell.startswith(("=", "@", "\t", "\r")), cell


def test_numbers_stay_numbers() -> None:
    import pandas as pd

    df = pd.DataFrame({"name": ["-x", "ok"], "v": [-1.5, np.float64(2.0)], "n": [3, -4]})
    assert frame_to_csv(df) == "name,v,n\n'-x,-1.5,3\nok,2,-4\n"


# --------------------------------------------------------------------------- reproducible


def test_same_inputs_give_byte_identical_csvs(tmp_path: Path) -> None:
    path = make_scenario(tmp_path / "sc", scenario={
        "sites": [{"name": "a", "power_mw": 0.5}, {"name": "b", "power_mw": 0.5,
                                                    "cooling": "liquid"}]},
        demand=[("2027Q1", "m1", 30000.0, 10.0), ("2027Q2", "m1", 45000.0, 30.0),
                ("2027Q4", "m1", 20000.0, 0.0)])
    outs = [tmp_path / "o1", tmp_path / "o2"]
    for o in outs:
        res = plan(path, o)
        assert res.exit_code == 0, res.output
    csvs = sorted(p.name for p in outs[0].glob("*.csv"))
    # the five plan tables, cashflow.csv (contract v2, F) and thin_curves.csv (2027Q4
    # asks 0 tokens/s per user, below every curve's lowest point)
    assert csvs == ["allocation.csv", "cashflow.csv", "fleet.csv", "purchase_plan.csv",
                    "service.csv", "sites.csv", "thin_curves.csv"]
    csvs.append("plan.xlsx")  # and the workbook of them
    for name in csvs:
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    res = plan(path, outs[0])  # and once more into the same folder
    assert res.exit_code == 0
    for name in csvs:
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


# --------------------------------------------------------------------------- time limit


def test_time_limit_is_reported_with_gap_and_bound(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    class TimeLimited(PlanSession):
        def solve(self, *a: Any, **k: Any) -> SolveOutcome:
            o = super().solve(*a, **k)
            bound = (o.objective or 0.0) * 0.9
            return SolveOutcome("time_limit", o.x, o.objective, bound, 0.1, o.seconds,
                                "Time limit reached", o.nodes)

    monkeypatch.setattr(planner.core.solve, "PlanSession", TimeLimited)
    # the bound is this test's: without the start heuristic's LP bound (`with_bound`
    # would report it, as it is better than this made-up one)
    monkeypatch.setattr(planner.core.solve, "with_bound", lambda out, bound: out)
    path = make_scenario(tmp_path / "sc")
    res = plan(path, tmp_path / "out")
    text = " ".join(res.output.split())
    assert res.exit_code == 0, res.output
    assert "status time_limit" in text
    assert "gap 10.0000%" in text and "best bound $270,000" in text
    assert "not proven optimal" in text
    summary = (tmp_path / "out" / "summary.json").read_text()
    assert '"time_limited": true' in summary and '"mip_gap": 0.1' in summary


# --------------------------------------------------------------------------- infeasible


def infeasible(tmp_path: Path, **kw: Any) -> str:
    path = make_scenario(tmp_path / "sc", **kw)
    res = plan(path, tmp_path / "out")
    assert res.exit_code == 3, res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "out").exists()
    return " ".join(res.output.split())


STRICT = {"options": {"strict_demand": True}}


def test_strict_demand_short_of_power_says_how_much_and_why(tmp_path: Path) -> None:
    # 1 MW: 66 `new` units (15 kW, 8 GPUs x 1000 tokens/s) and one `old` (10 kW,
    # 8 x 100) fill it: 66 * 8000 + 800 = 528,800 tokens/s at most.
    out = infeasible(tmp_path, scenario=STRICT,
                     demand=[("2027Q2", "m1", 1e6, 10.0), ("2027Q3", "m1", 1e5, 10.0)])
    assert "strict_demand cannot be met" in out
    assert ("m1 in 2027Q2 at 10 tokens/s per user: demand 1e+06 tokens/s, the caps allow "
            "at most 5.288e+05 (short 4.712e+05 tokens/s, 47.1%)") in out
    assert "binding: power at hall-a (1 of 1 MW used)" in out
    assert "2027Q3" not in out  # that period is met
    assert "strict_demand: false" in out


def test_strict_demand_short_of_budget(tmp_path: Path) -> None:
    # 1e6 USD per period buys 3 `new` (3 x 8000) + 1 `old` (800) = 24,800 tokens/s
    out = infeasible(tmp_path, scenario={**STRICT, "budget": {"capex_usd_per_period": 1e6}},
                     demand=[("2027Q1", "m1", 1e5, 10.0)])
    assert "at most 2.48e+04" in out
    assert "binding: budget.capex_usd_per_period 1e+06 (spent in 2027Q1)" in out


def test_strict_demand_short_of_racks(tmp_path: Path) -> None:
    cat = {"systems": [{**s, "racks_per_unit": 0.5} for s in BASE_CATALOG["systems"]]}
    out = infeasible(tmp_path, catalog=cat,
                     scenario={**STRICT, "sites": [{"name": "a", "power_mw": 10,
                                                    "max_racks": 5}]},
                     demand=[("2027Q1", "m1", 1e5, 10.0)])
    assert "at most 8e+04" in out  # 10 units of `new`
    assert "binding: max_racks at a (5 of 5 racks used)" in out


def test_strict_demand_short_of_supply_and_lead_time(tmp_path: Path) -> None:
    cat = {"systems": [{**BASE_CATALOG["systems"][1], "lead_time_periods": 2,
                        "max_units_per_period": 3}]}
    prof = {**BASE_PROFILE, "throughput": {"new": [[10, 1000.0]]}}
    out = infeasible(tmp_path, catalog=cat, profiles=[prof], scenario=STRICT,
                     demand=[("2027Q1", "m1", 1e3, 10.0), ("2027Q3", "m1", 1e5, 10.0)])
    assert ("m1 in 2027Q1 at 10 tokens/s per user: demand 1000 tokens/s, the caps allow "
            "at most 0") in out
    assert "new: lead time 2 periods, first in service 2027Q3" in out
    assert "at most 2.4e+04" in out
    assert "binding: max_units_per_period of new (3 units bought in 2027Q3)" in out


def test_strict_demand_before_the_hall_opens_is_infeasible(tmp_path: Path) -> None:
    """Demand no unit can serve in its period is a shortfall, never a silent plan."""
    out = infeasible(tmp_path, scenario={**STRICT, "sites": [
        {"name": "a", "power_mw": 10, "available_from": "2027Q3"}]},
        demand=[("2027Q1", "m1", 1e4, 10.0), ("2027Q3", "m1", 5e4, 10.0)])
    assert "m1 in 2027Q1" in out and "at most 0" in out
    assert "no hall is available yet (a from 2027Q3)" in out


def test_strict_demand_above_every_curve(tmp_path: Path) -> None:
    out = infeasible(tmp_path, scenario=STRICT, demand=[("2027Q1", "m1", 1e3, 200.0)])
    assert "no system in the catalogue reaches 200 tokens/s per user for m1" in out


def test_existing_units_above_the_power_cap(tmp_path: Path) -> None:
    out = infeasible(tmp_path, scenario={"sites": [
        {"name": "a", "power_mw": 0.01, "existing": [{"system": "new", "units": 3}]}]})
    assert "site 'a' in 2027Q1: existing units draw 0.045 MW, above power_mw 0.01" in out


def test_solver_failure_says_what_to_try(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    class Failed(PlanSession):
        def solve(self, *a: Any, **k: Any) -> SolveOutcome:
            return SolveOutcome("error", None, None, None, None, 0.1, "Solve error")

    monkeypatch.setattr(planner.core.solve, "PlanSession", Failed)
    res = plan(make_scenario(tmp_path / "sc"), tmp_path / "out")
    text = " ".join(res.output.split())
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert "HiGHS stopped with status 'Solve error'" in text
    assert "try: run `planner doctor`" in text
    assert not (tmp_path / "out").exists()


def test_a_real_tiny_time_limit_is_explained(tmp_path: Path) -> None:
    """The shipped quickstart with 1 ms for HiGHS: either no plan (exit 1, what it means
    and what to try) or a time-limited plan (exit 0, said so); never a crash."""
    quickstart = Path(__file__).resolve().parent.parent / "examples" / "quickstart"
    res = plan(quickstart / "scenario.yaml", tmp_path / "out", "--time-limit", "0.001")
    text = " ".join(res.output.split())
    assert "Traceback" not in res.output
    if res.exit_code == 1:
        assert "no feasible plan within the time limit of 0.001 s" in text
        assert "does not prove there is none" in text and "try:" in text
        assert not (tmp_path / "out").exists()
    else:
        assert res.exit_code == 0, res.output
        assert "status time_limit" in text and "not proven optimal" in text
