"""`planner report` on a plan folder edited by hand: a clear message naming the file and
field (exit 2), never an internal error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from planner.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def plan_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import make_scenario

    tmp = tmp_path_factory.mktemp("plan")
    scenario = make_scenario(tmp / "s")
    out = tmp / "plan"
    res = runner.invoke(app, ["plan", str(scenario), "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    return out


def _edit_csv(path: Path, line: int, column: str, value: str) -> None:
    rows = path.read_text().splitlines()
    head = rows[0].split(",")
    cells = rows[line - 1].split(",")
    cells[head.index(column)] = value
    rows[line - 1] = ",".join(cells)
    path.write_text("\n".join(rows) + "\n")


def _rename_column(path: Path, column: str) -> None:
    rows = path.read_text().splitlines()
    rows[0] = ",".join(c if c != column else column + "_renamed" for c in rows[0].split(","))
    path.write_text("\n".join(rows) + "\n")


def _summary(path: Path, key: str, value: Any) -> None:
    d = json.loads(path.read_text())
    d[key] = value
    path.write_text(json.dumps(d))


CASES = [
    ("fleet.csv", lambda p: _edit_csv(p, 2, "units", "lots"), "line 2: units",
     "must be a number, got 'lots'"),
    ("sites.csv", lambda p: _edit_csv(p, 2, "power_kw", "12kW"), "line 2: power_kw",
     "must be a number"),
    ("summary.json", lambda p: _summary(p, "total_cost_usd", "a lot"), "total_cost_usd",
     "must be a number, got 'a lot'"),
    ("summary.json", lambda p: _summary(p, "status", 7), "status", "must be text"),
    ("summary.json", lambda p: p.write_text("{not json"), "", "cannot read"),
    ("limits.csv", lambda p: _rename_column(p, "binding"), "binding", "column missing"),
    ("limits.csv", lambda p: _edit_csv(p, 2, "binding", "maybe"), "line 2: binding",
     "must be true or false"),
    ("baselines.csv", lambda p: _rename_column(p, "status"), "status", "column missing"),
    ("service.csv", lambda p: _rename_column(p, "served_tokens_per_s"),
     "served_tokens_per_s", "column missing"),
]


@pytest.mark.parametrize(("name", "edit", "field", "message"), CASES)
def test_an_edited_folder_is_refused_naming_file_and_field(
        plan_folder: Path, tmp_path: Path, name: str, edit: Any, field: str,
        message: str) -> None:
    folder = tmp_path / "edited"
    shutil.copytree(plan_folder, folder)
    edit(folder / name)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    res = runner.invoke(app, ["report", str(folder)])
    assert res.exit_code == 2, res.output
    assert "internal error" not in res.output
    assert f"{folder / name}: {field}" in res.output if field else str(folder / name) in \
        res.output
    assert message in res.output
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # nothing written


def test_the_untouched_folder_reports(plan_folder: Path, tmp_path: Path) -> None:
    folder = tmp_path / "same"
    shutil.copytree(plan_folder, folder)
    before = (folder / "report.md").read_bytes()
    res = runner.invoke(app, ["report", str(folder)])
    assert res.exit_code == 0, res.output
    assert (folder / "report.md").read_bytes() == before  # the same report, byte for byte


def test_reports_are_byte_identical_across_reruns(tmp_path: Path) -> None:
    """The same inputs planned twice give the same report bytes (timings live only in
    summary.json, as docs/reliability.md says)."""
    from conftest import make_scenario

    scenario = make_scenario(tmp_path / "s")
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        res = runner.invoke(app, ["plan", str(scenario), "-o", str(out), "-q"])
        assert res.exit_code == 0, res.output
    for name in ("report.md", "report.html", "limits.csv", "marginal_values.csv",
                 "baselines.csv"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    assert "solved in" not in (outs[0] / "report.md").read_text()


def test_dotted_what_if_names_stay_inside_their_own_folders(tmp_path: Path) -> None:
    """What-if files named `..yaml` and `...yaml` (stems `.` and `..`) become variants
    with folders of their own inside the output folder, never the folder or its parent."""
    import yaml
    from conftest import make_scenario

    scenario = make_scenario(tmp_path / "s")
    whatifs = []
    for name in ("..yaml", "...yaml", ".hidden.yaml"):
        f = tmp_path / "w" / name
        f.parent.mkdir(exist_ok=True)
        f.write_text(yaml.safe_dump({"sites": [{"name": "hall-a", "power_mw": 0.2}]}))
        whatifs += ["--what-if", str(f)]
    out = tmp_path / "cmp"
    res = runner.invoke(app, ["compare", str(scenario), *whatifs, "-o", str(out), "-q",
                              "-j", "1"])
    assert res.exit_code == 0, res.output
    assert "internal error" not in res.output
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert folders == ["base", "hidden", "variant", "variant-2"]
    assert not (out / "summary.json").exists()  # no plan written into the top
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp", "s", "w"]
    for d in folders:
        assert (out / d / "summary.json").is_file()
