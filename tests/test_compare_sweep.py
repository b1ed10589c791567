"""`planner compare`, `planner sweep`, `planner new-hall`: tables, folders, failures."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import GROWING, TIGHT, failing_replace
from typer.testing import CliRunner

from planner.cli import app
from planner.errors import InputError
from planner.whatif.saturation import saturation
from planner.whatif.sweep import parse_values

runner = CliRunner()



def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def _write(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _svgs_parse(page: str) -> int:
    svgs = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    for s in svgs:
        ET.fromstring(s)  # well-formed inline SVG
    return len(svgs)


# --------------------------------------------------------------------------- compare


def test_compare_writes_table_folders_and_page(scenario_factory: Any, tmp_path: Path) -> None:
    base = scenario_factory(scenario=TIGHT, demand=GROWING)
    bigger = _write(tmp_path / "bigger.yaml", {"sites": [{"name": "hall-a", "power_mw": 0.2}]})
    hall_b = _write(tmp_path / "hall-b.yaml", {"sites": [
        {"name": "hall-b", "power_mw": 0.1, "available_from": "2027Q3"}]})
    typo = _write(tmp_path / "typo.yaml", {"sites": [{"name": "hall-a", "power_mv": 2}]})
    strict = _write(tmp_path / "strict.yaml", {"options": {"strict_demand": True}})
    out = tmp_path / "cmp"
    res = runner.invoke(app, ["compare", str(base), "--what-if", str(bigger), "--what-if",
                              str(hall_b), "--what-if", str(typo), "--what-if", str(strict),
                              "-o", str(out), "--workers", "1"])
    assert res.exit_code == 0, res.output
    text = (out / "comparison.csv").read_text()
    header = text.splitlines()[0].split(",")
    assert header[:8] == ["variant", "status", "total_cost_usd", "spend_usd",
                          "unmet_penalty_usd", "unmet_tokens", "demand_served_share",
                          "cost_per_mtok_usd"]
    for col in ("capex_usd", "energy_usd", "opex_usd", "unmet_penalty_usd", "spend_vs_base_usd",
                "penalty_vs_base_usd", "tokens_served_vs_base", "vs_base",
                "tokens_per_s_per_mw", "capex_cash_usd", "peak_mw", "unmet_tokens",
                "buys_vs_base"):
        assert col in header
    rows = _rows(out / "comparison.csv")
    assert [r["variant"] for r in rows] == ["base", "bigger", "hall-b", "typo", "strict"]
    st = {r["variant"]: r["status"] for r in rows}
    assert st["base"] == st["bigger"] == st["hall-b"] == "optimal"
    assert st["typo"].startswith("invalid: ") and "power_mv" in st["typo"]
    assert st["strict"] == "infeasible"
    assert rows[3]["total_cost_usd"] == "" and rows[4]["total_cost_usd"] == ""
    # each planned variant's folder holds its plan; the table's figures are the plan's
    for r in rows[:3]:
        summary = json.loads((out / r["variant"] / "summary.json").read_text())
        assert float(r["total_cost_usd"]) == summary["total_cost_usd"]
        assert (out / r["variant"] / "purchase_plan.csv").exists()
        assert (out / r["variant"] / "scenario.merged.yaml").exists()
    assert "power_mv" in (out / "typo" / "error.txt").read_text()
    assert not (out / "strict" / "summary.json").exists()
    # more power cannot cost more; the power-bound base leaves demand unmet
    by = {r["variant"]: r for r in rows}
    assert float(by["bigger"]["total_cost_usd"]) < float(by["base"]["total_cost_usd"])
    assert float(by["base"]["unmet_tokens"]) > float(by["bigger"]["unmet_tokens"])
    assert float(by["bigger"]["cost_vs_base_usd"]) == pytest.approx(
        float(by["bigger"]["total_cost_usd"]) - float(by["base"]["total_cost_usd"]))
    assert by["base"]["buys_vs_base"] == "(base)"
    assert "hall-b" in by["hall-b"]["buys_vs_base"]
    # HTML page: self-contained, with charts
    page = (out / "comparison.html").read_text()
    assert _svgs_parse(page) >= 1
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "<script" not in page
    assert "2 of 5 plans failed" in res.output


def test_compare_base_folder_matches_plain_plan(scenario_factory: Any, tmp_path: Path
                                                ) -> None:
    base = scenario_factory(scenario=TIGHT, demand=GROWING)
    res = runner.invoke(app, ["compare", str(base), "-o", str(tmp_path / "c"), "-q"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["plan", str(base), "-o", str(tmp_path / "p"), "-q",
                              "--threads", "1"])
    assert res.exit_code == 0, res.output
    for name in ("purchase_plan.csv", "fleet.csv", "allocation.csv", "service.csv"):
        assert (tmp_path / "c" / "base" / name).read_bytes() == \
            (tmp_path / "p" / name).read_bytes()


def test_compare_is_deterministic_and_duplicate_names_differ(scenario_factory: Any,
                                                             tmp_path: Path) -> None:
    base = scenario_factory(scenario=TIGHT, demand=GROWING)
    (tmp_path / "x").mkdir()
    a = _write(tmp_path / "base.yaml", {"sites": [{"name": "hall-a", "power_mw": 0.1}]})
    b = _write(tmp_path / "x" / "base.yaml", {"sites": [{"name": "hall-a", "power_mw": 0.2}]})
    outs = []
    for k in range(2):
        out = tmp_path / f"c{k}"
        res = runner.invoke(app, ["compare", str(base), "--what-if", str(a), "--what-if",
                                  str(b), "-o", str(out), "-q", "--workers", "1"])
        assert res.exit_code == 0, res.output
        outs.append(out)
    assert [r["variant"] for r in _rows(outs[0] / "comparison.csv")] == [
        "base", "base-2", "base-3"]
    assert (outs[0] / "comparison.csv").read_bytes() == (outs[1] / "comparison.csv").read_bytes()
    assert (outs[0] / "comparison.html").read_bytes() == \
        (outs[1] / "comparison.html").read_bytes()


def test_compare_every_plan_failing_exits_with_the_failure(scenario_factory: Any,
                                                          tmp_path: Path) -> None:
    base = scenario_factory(scenario={"options": {"strict_demand": True},
                                      "sites": [{"name": "hall-a", "power_mw": 0.001}]})
    res = runner.invoke(app, ["compare", str(base), "-q"])
    assert res.exit_code == 3
    res = runner.invoke(app, ["compare", str(tmp_path / "missing.yaml")])
    assert res.exit_code == 2
    assert "file not found" in res.output


def test_compare_json_rows(scenario_factory: Any, tmp_path: Path) -> None:
    base = scenario_factory(scenario=TIGHT, demand=GROWING)
    res = runner.invoke(app, ["compare", str(base), "--set", "sites.hall-a.power_mw=0.1",
                              "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert rows[0]["variant"] == "base" and rows[0]["status"] == "optimal"


# --------------------------------------------------------------------------- sweep


def test_parse_values_ranges_and_lists() -> None:
    assert parse_values("10:40:10", "p") == [10, 20, 30, 40]
    assert parse_values("0.1:0.3:0.1", "p") == [0.1, 0.2, 0.3]  # exact, stop included
    assert parse_values("1:3", "p") == [1, 2, 3]
    assert parse_values("2027Q3,2028Q1", "p") == ["2027Q3", "2028Q1"]
    assert parse_values("5,7.5", "p") == [5, 7.5]
    for bad in ("10:0:5", "1:5:0", "a:b:c", ""):
        with pytest.raises(InputError):
            parse_values(bad, "p")


def test_sweep_power_gives_cost_against_mw(scenario_factory: Any, tmp_path: Path) -> None:
    base = scenario_factory(scenario=TIGHT, demand=GROWING)
    out = tmp_path / "sw"
    res = runner.invoke(app, ["sweep", str(base), "--vary",
                              "sites.hall-a.power_mw=0.05:0.2:0.05", "-o", str(out),
                              "--workers", "1", "--plans"])
    assert res.exit_code == 0, res.output
    header = (out / "sweep.csv").read_text().splitlines()[0].split(",")
    assert header[:4] == ["sites.hall-a.power_mw", "status", "total_cost_usd", "spend_usd"]
    assert "cost_vs_previous_usd" in header and "vs_previous" in header
    rows = _rows(out / "sweep.csv")
    assert [float(r["sites.hall-a.power_mw"]) for r in rows] == [0.05, 0.1, 0.15, 0.2]
    costs = [float(r["total_cost_usd"]) for r in rows]
    assert all(r["status"] == "optimal" for r in rows)
    # more MW never costs more, and here it saves
    assert all(b <= a + 1e-6 for a, b in zip(costs, costs[1:], strict=False))
    assert costs[-1] < costs[0]
    # the point at the base's own power equals the base
    assert float(rows[0]["cost_vs_base_usd"]) == pytest.approx(0.0, abs=1e-6)
    page = (out / "sweep.html").read_text()
    assert _svgs_parse(page) == 2
    assert "MW (sites.hall-a.power_mw)" in page
    # --plans: a folder per point, holding that point's merged scenario
    merged = yaml.safe_load((out / "points" / "3" / "scenario.merged.yaml").read_text())
    assert merged["sites"][0]["power_mw"] == 0.15


def test_sweep_grid_and_failed_points(scenario_factory: Any, tmp_path: Path) -> None:
    base = scenario_factory(scenario=TIGHT, demand=GROWING)
    out = tmp_path / "grid"
    res = runner.invoke(app, ["sweep", str(base),
                              "--vary", "sites.hall-a.power_mw=0.05,-1",
                              "--vary", "options.target_utilization=0.5,1.0",
                              "-o", str(out), "--workers", "1", "-q"])
    assert res.exit_code == 0, res.output
    rows = _rows(out / "sweep.csv")
    assert [(r["sites.hall-a.power_mw"], r["options.target_utilization"]) for r in rows] == [
        ("0.05", "0.5"), ("0.05", "1"), ("-1", "0.5"), ("-1", "1")]
    assert [r["status"] for r in rows[:2]] == ["optimal", "optimal"]
    assert all(r["status"].startswith("invalid: ") and "power_mw" in r["status"]
               for r in rows[2:])
    # a lower utilisation needs more units: costs at least as much
    assert float(rows[0]["total_cost_usd"]) >= float(rows[1]["total_cost_usd"])


def test_sweep_refuses_bad_vary(scenario_factory: Any) -> None:
    base = scenario_factory()
    res = runner.invoke(app, ["sweep", str(base), "--vary", "sites.hall-a.power_mw"])
    assert res.exit_code == 2
    assert "--vary" in res.output


# --------------------------------------------------------------------------- new hall


def test_saturation() -> None:
    assert saturation([10, 20, 30, 40], [5.0, 9.0, 9.5, 9.5], 0.0) == (30, False)
    assert saturation([10, 20, 30, 40], [5.0, 9.0, 9.5, 9.5], 1.0) == (20, False)
    assert saturation([10, 20, 30], [1.0, 2.0, 3.0], 0.0) == (30, True)
    assert saturation([10, 20], [None, None], 0.0) == (None, False)


def test_new_hall_answers_size_and_opening(scenario_factory: Any, tmp_path: Path) -> None:
    base = scenario_factory(scenario=TIGHT, demand=GROWING)
    out = tmp_path / "nh"
    res = runner.invoke(app, ["new-hall", str(base), "--sensitivity",
                              "--site", "hall-b",
                              "--sizes", "0.05:0.2:0.05", "--open", "2027Q2,2027Q4",
                              "-o", str(out), "--workers", "1"])
    assert res.exit_code == 0, res.output
    rows = _rows(out / "new_hall.csv")
    assert len(rows) == 8
    assert rows[0].keys() >= {"size_mw", "open", "status", "total_cost_usd", "saving_usd",
                              "hall_peak_mw"}
    sav = {(float(r["size_mw"]), r["open"]): float(r["saving_usd"]) for r in rows}
    # a hall never costs money (the plan may leave it empty); bigger is never worse
    assert all(v >= -1e-6 for v in sav.values())
    for op in ("2027Q2", "2027Q4"):
        seq = [sav[(s, op)] for s in (0.05, 0.1, 0.15, 0.2)]
        assert all(b >= a - 1e-6 for a, b in zip(seq, seq[1:], strict=False))
    # opening earlier saves at least as much at the same size
    assert all(sav[(s, "2027Q2")] >= sav[(s, "2027Q4")] - 1e-6 for s in (0.05, 0.1))
    assert sav[(0.2, "2027Q2")] > 0
    assert "best:" in res.output
    assert re.search(r"past [0-9.]+ MW more MW saves nothing|try larger sizes", res.output)
    assert _svgs_parse((out / "new_hall.html").read_text()) == 3


def test_new_hall_rejects_a_hall_with_installed_base(scenario_factory: Any) -> None:
    base = scenario_factory(scenario={"sites": [
        {"name": "hall-a", "power_mw": 1.0},
        {"name": "hall-b", "power_mw": 1.0, "existing": [{"system": "old", "units": 1}]}]})
    res = runner.invoke(app, ["new-hall", str(base), "--sensitivity",
                              "--site", "hall-b", "--sizes", "1,2",
                              "--open", "2027Q2"])
    assert res.exit_code == 2
    assert "installed base" in res.output


def test_output_path_that_is_a_file_is_refused_before_planning(scenario_factory: Any,
                                                               tmp_path: Path) -> None:
    base = scenario_factory()
    blocker = tmp_path / "taken"
    blocker.write_text("mine")
    for cmd in (["compare", str(base)],
                ["sweep", str(base), "--vary", "sites.hall-a.power_mw=1,2"]):
        res = runner.invoke(app, [*cmd, "-o", str(blocker)])
        assert res.exit_code == 2, res.output
        assert "not a folder" in res.output
        assert blocker.read_text() == "mine"


def test_sweep_over_periods_and_new_hall_like(scenario_factory: Any, tmp_path: Path) -> None:
    base = scenario_factory(scenario={**TIGHT, "sites": [
        *TIGHT["sites"], {"name": "hall-b", "power_mw": 0.1, "available_from": "2027Q2"}]},
        demand=GROWING)
    out = tmp_path / "periods"
    res = runner.invoke(app, ["sweep", str(base), "--vary",
                              "sites.hall-b.available_from=2027Q2,2027Q3,2027Q4",
                              "-o", str(out), "--workers", "1", "-q"])
    assert res.exit_code == 0, res.output
    rows = _rows(out / "sweep.csv")
    assert [r["sites.hall-b.available_from"] for r in rows] == ["2027Q2", "2027Q3", "2027Q4"]
    costs = [float(r["total_cost_usd"]) for r in rows]
    assert costs[0] <= costs[1] + 1e-6 <= costs[2] + 2e-6  # a later hall never helps more
    assert ">2027Q3<" in (out / "sweep.html").read_text()  # categorical axis labels
    # a hall not in the base takes pue, price and cooling from --like
    res = runner.invoke(app, ["new-hall", str(base), "--sensitivity",
                              "--site", "hall-c", "--like", "hall-a",
                              "--sizes", "0.1", "--open", "2027Q2", "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "takes the pue, electricity price and cooling of hall-a" in res.output
    res = runner.invoke(app, ["new-hall", str(base), "--sensitivity",
                              "--site", "hall-c", "--like", "nope",
                              "--sizes", "0.1", "--open", "2027Q2"])
    assert res.exit_code == 2 and "no site 'nope'" in res.output


def test_compare_output_is_one_set_a_failed_write_changes_nothing(
        scenario_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison table and every variant's folder are written as one set: a write
    that fails half-way leaves the earlier comparison exactly as it was; a plan that
    now fails leaves its error.txt and none of its older plan files."""
    import planner.io.atomic

    base = scenario_factory(scenario=TIGHT, demand=GROWING)
    bigger = _write(tmp_path / "bigger.yaml", {"sites": [{"name": "hall-a", "power_mw": 0.2}]})
    out = tmp_path / "cmp"
    args = ["compare", str(base), "--what-if", str(bigger), "-o", str(out), "--workers", "1"]
    assert runner.invoke(app, args).exit_code == 0
    before = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert "bigger/fleet.csv" in before and "comparison.csv" in before
    # demand changes (every plan changes) and the what-if now fails: strict demand in a
    # hall too small for it
    demand = base.parent / "demand.csv"
    demand.write_text(demand.read_text().replace("90000", "70000"))
    _write(bigger, {"sites": [{"name": "hall-a", "power_mw": 0.01}],
                    "options": {"strict_demand": True}})
    with monkeypatch.context() as m:  # fails with the base's new plan and more moved in
        m.setattr(planner.io.atomic.os, "replace", failing_replace(24))
        res = runner.invoke(app, args)
    assert res.exit_code == 1 and "No space left on device" in res.output
    after = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert runner.invoke(app, args).exit_code == 0
    now = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert "bigger/error.txt" in now and "bigger/fleet.csv" not in now
    assert "infeasible" in (out / "bigger" / "error.txt").read_text()
    assert (out / "base" / "service.csv").read_bytes() != before["base/service.csv"]
