"""The decision report: what `planner plan` writes, and `planner report DIR` from a folder."""

from __future__ import annotations

import csv
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner.cli import app
from planner.report import load_folder
from planner.report.headline import cost_per_model
from planner.report.plan_sections import ranges
from tests.conftest import make_scenario

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

# a 100 kW hall, two models, a per-period budget: power binds late, demand goes unmet
SCENARIO = {"sites": [{"name": "hall-a", "power_mw": 0.1, "electricity_usd_per_mwh": 80}],
            "budget": {"capex_usd_per_period": 1.2e6}}
PROFILE_2 = {"id": "m2", "source": "test",
             "throughput": {"old": [[10, 200.0]], "new": [[10, 800.0], [40, 400.0]]}}
PROFILE_1 = {"id": "m1", "source": "test",
             "throughput": {"old": [[10, 100.0], [50, 50.0]],
                            "new": [[10, 1000.0], [50, 500.0], [100, 100.0]]}}
DEMAND = [("2027Q1", "m1", 16000.0, 10.0), ("2027Q2", "m1", 40000.0, 10.0),
          ("2027Q3", "m1", 56000.0, 10.0), ("2027Q4", "m1", 64000.0, 10.0),
          ("2027Q2", "m2", 3000.0, 30.0), ("2027Q4", "m2", 6000.0, 30.0)]


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("report")
    path = make_scenario(tmp / "sc", scenario=SCENARIO, demand=DEMAND,
                         profiles=[PROFILE_1, PROFILE_2])
    out = tmp / "plan"
    res = runner.invoke(app, ["plan", str(path), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "report.html" in res.output
    return out


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open() as f:
        return list(csv.DictReader(f))


def test_plan_writes_report_and_tables(plan_dir: Path) -> None:
    for f in ("report.md", "report.html", "limits.csv", "marginal_values.csv",
              "baselines.csv"):
        assert (plan_dir / f).is_file(), f
    mv = _csv(plan_dir / "marginal_values.csv")
    assert list(mv[0])[:8] == ["kind", "site", "period", "model", "delta", "value_usd",
                               "lp_dual_estimate", "method"]
    assert {r["kind"] for r in mv} >= {"power_mw", "budget", "demand"}
    assert {r["model"] for r in mv if r["kind"] == "demand"} == {"m1", "m2"}


def test_html_is_self_contained(plan_dir: Path) -> None:
    html = (plan_dir / "report.html").read_text()
    assert "<script" not in html.lower()
    # the only URL is the SVG namespace (a name, never fetched)
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#)""", html)
    assert "@media print" in html
    # charts: fleet mix, power per hall (1), demand per model (2), cash flow (F)
    assert html.count("<svg") == 5
    assert "Cash flow by year: paid and earned" in html
    assert "Fleet mix over time" in html and "Power used against the cap: hall-a" in html
    assert "Demand and served tokens/s: m1" in html and "Demand and served tokens/s: m2" in html


def test_report_content_comes_from_the_tables(plan_dir: Path) -> None:
    md = (plan_dir / "report.md").read_text()
    summary = json.loads((plan_dir / "summary.json").read_text())
    total = summary["total_cost_usd"]
    assert f"${total / 1e6:,.2f}M" in md
    for section in ("Headline numbers", "Purchase plan", "Which limits bind",
                    "Unmet demand", "Marginal values", "Against simpler plans"):
        assert f"## {section}" in md
    # power binds where sites.csv leaves less headroom than one unit of the largest
    # system the hall holds (new, 15 kW): the report says when
    full = [r["period"] for r in _csv(plan_dir / "sites.csv")
            if float(r["power_cap_kw"]) - float(r["power_kw"]) < 15.0]
    assert full
    line = next(ln for ln in md.splitlines() if ln.startswith("| power |"))
    assert ranges(full, [r["period"] for r in _csv(plan_dir / "sites.csv")]) in line
    # unmet demand: one line per short class, as in service.csv
    short = [r for r in _csv(plan_dir / "service.csv") if float(r["unmet_tokens_per_s"]) > 0]
    assert short
    unmet_part = md.split("## Unmet demand")[1].split("## ")[0]
    assert sum(1 for ln in unmet_part.splitlines() if ln.startswith("| 20")) == len(short)
    # the marginal table shows every row of marginal_values.csv
    n_mv = len(_csv(plan_dir / "marginal_values.csv"))
    marg_part = md.split("## Marginal values")[1].split("## ")[0]
    assert sum(1 for ln in marg_part.splitlines() if ln.startswith("| +")) == n_mv


def test_cost_per_model_adds_up(plan_dir: Path) -> None:
    pf = load_folder(plan_dir)
    per = cost_per_model(pf)
    s = pf.summary
    without_penalty = s.total_cost_usd - s.cost_breakdown_usd.unmet_penalty
    assert math.isclose(sum(v["cost_usd"] for v in per.values()), without_penalty,
                        rel_tol=1e-9)
    assert math.isclose(sum(v["tokens"] for v in per.values()), s.tokens_served,
                        rel_tol=1e-9)


def test_report_rebuilds_from_folder_alone(plan_dir: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(plan_dir, copy)
    before = {f: (copy / f).read_bytes() for f in ("report.md", "report.html")}
    for f in before:
        (copy / f).unlink()
    # a fresh interpreter that never imports Pyomo or the solver
    code = ("import sys; from planner.cli import app; "
            "sys.argv=['planner','report',sys.argv[1]]; "
            "import planner.cli.report_cmd as r\n"
            "try:\n    app()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "assert 'pyomo' not in sys.modules, 'report imported pyomo'\n")
    res = subprocess.run([sys.executable, "-c", code, str(copy)], capture_output=True,
                         text=True, cwd=ROOT, timeout=120)
    assert res.returncode == 0, res.stderr + res.stdout
    for f, data in before.items():
        assert (copy / f).read_bytes() == data, f


def test_report_without_analysis_says_so(tmp_path: Path) -> None:
    path = make_scenario(tmp_path / "s", demand=[("2027Q1", "m1", 8000.0, 10.0)])
    out = tmp_path / "out"
    res = runner.invoke(app, ["plan", str(path), "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    assert (out / "marginal_values.csv").is_file() and (out / "baselines.csv").is_file()
    # the same folder again without the analyses: no older table survives beside the plan
    res = runner.invoke(app, ["plan", str(path), "-o", str(out), "-q", "--no-marginals",
                              "--no-baselines"])
    assert res.exit_code == 0, res.output
    assert not (out / "marginal_values.csv").exists() and not (out / "baselines.csv").exists()
    md = (out / "report.md").read_text()
    assert "Not computed for this plan (marginal_values.csv is absent" in md
    assert "All demand is served in every period." in md
    res = runner.invoke(app, ["plan", str(path), "-o", str(tmp_path / "o2"), "-q",
                              "--no-report"])
    assert res.exit_code == 0
    assert not (tmp_path / "o2" / "report.html").exists()
    assert not (tmp_path / "o2" / "marginal_values.csv").exists()


def test_report_command_errors(tmp_path: Path) -> None:
    res = runner.invoke(app, ["report", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "plan folder not found" in res.output
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "summary.json").write_text("{}")
    res = runner.invoke(app, ["report", str(tmp_path / "half")])
    assert res.exit_code == 2 and "purchase_plan.csv" in res.output
    assert "Traceback" not in res.output


def test_a_new_plan_removes_every_report_file() -> None:
    """planner.io.output.REPORT_SET (what a new plan takes away) is exactly what the report
    step writes."""
    from planner.io.output import REPORT_SET
    from planner.report import ANALYSIS_FILES, REPORT_FILES

    assert sorted(REPORT_SET) == sorted([*REPORT_FILES, *ANALYSIS_FILES])
