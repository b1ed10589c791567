"""Every answer means what it says: spend apart from the penalty, a shortfall explained
before any cost, analyses that fail without losing the plan (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import planner
from planner.analysis.marginal import marginal_values
from planner.cli import app
from planner.core.highs import HighsSettings
from planner.core.prepare import prepare
from planner.core.summary import PlanSummary, Shortfall
from planner.report import build, load_folder, to_html, to_markdown
from tests.conftest import GROWING, TIGHT, make_scenario

runner = CliRunner()
EXACT = HighsSettings(time_limit_s=60, mip_rel_gap=1e-9)


def _short(summary: PlanSummary) -> list[str]:
    assert summary.shortfall is not None
    return [c.why for c in summary.shortfall.largest]


def test_spend_and_penalty_add_up_to_the_total(tmp_path: Path) -> None:
    res = planner.plan(make_scenario(tmp_path, scenario=TIGHT, demand=GROWING))
    s = res.summary
    assert s.unmet_penalty_usd > 0
    assert s.spend_usd + s.unmet_penalty_usd == pytest.approx(s.total_cost_usd)
    b = s.cost_breakdown_usd
    assert s.spend_usd == pytest.approx(b.capex + b.energy + b.opex)
    assert s.demand_served_share == pytest.approx(s.tokens_served / s.demand_tokens)


def test_shortfall_power_bound(tmp_path: Path) -> None:
    """0.05 MW holds 3 'new' units (15 kW): demand beyond them is short, power binds."""
    res = planner.plan(make_scenario(tmp_path, scenario=TIGHT, demand=GROWING))
    sf = res.summary.shortfall
    assert sf is not None
    assert sf.classes_short >= 2
    assert sf.penalty_usd == pytest.approx(res.summary.unmet_penalty_usd)
    assert sf.unmet_tokens == pytest.approx(res.summary.unmet_tokens)
    assert all("power at hall-a" in w for w in _short(res.summary))
    # largest first
    un = [c.unmet_tokens_per_s for c in sf.largest]
    assert un == sorted(un, reverse=True)


def test_shortfall_penalty_cheaper_than_serving(tmp_path: Path) -> None:
    """No cap binds, but a unit costs more than the penalty on the demand it would serve."""
    res = planner.plan(make_scenario(
        tmp_path, scenario={"options": {"unmet_penalty_usd_per_mtok": 1e-6}},
        demand=[("2027Q1", "m1", 10.0, 10.0)]))
    assert res.summary.units_bought == 0
    (why,) = _short(res.summary)
    assert "costs more than the unmet penalty" in why


def test_shortfall_lead_time_and_slo(tmp_path: Path) -> None:
    cat = {"systems": [{"id": "new", "gpus_per_unit": 8, "unit_power_kw": 15.0,
                        "capex_usd": 300_000.0, "lead_time_periods": 2}]}
    prof = {"id": "m1", "throughput": {"new": [[10, 1000.0], [50, 500.0]]}}
    res = planner.plan(make_scenario(
        tmp_path, catalog=cat, profiles=[prof],
        demand=[("2027Q1", "m1", 100.0, 10.0), ("2027Q3", "m1", 100.0, 90.0)]))
    assert res.summary.shortfall is not None
    by_period = {c.period: c.why for c in res.summary.shortfall.largest}
    assert "lead time 2" in by_period["2027Q1"]
    assert "no system in the catalogue reaches 90 tokens/s per user" in by_period["2027Q3"]


def test_all_served_has_an_empty_shortfall(tmp_path: Path) -> None:
    res = planner.plan(make_scenario(tmp_path))
    sf = res.summary.shortfall
    assert sf == Shortfall(classes_short=0, unmet_tokens=0.0, unmet_share=0.0,
                           penalty_usd=0.0, largest=[])


def test_terminal_and_report_say_the_shortfall_before_any_cost(tmp_path: Path) -> None:
    sc = make_scenario(tmp_path / "sc", scenario=TIGHT, demand=GROWING)
    out = tmp_path / "o"
    res = runner.invoke(app, ["plan", str(sc), "-o", str(out), "--no-baselines"])
    assert res.exit_code == 0, res.output
    text = res.output
    assert text.index("shortfall:") < text.index("Spend over the horizon") < text.index(
        "│ capex") < text.index("objective (spend + penalty)")
    assert "power at hall-a" in text
    md = (out / "report.md").read_text()
    head = md[md.index("## Headline numbers"):]
    assert head.index("Shortfall:") < head.index("| capex |")
    assert md.index("**Spend**") < md.index("**Unmet penalty (not spend)**")


def test_marginal_value_is_split_into_spend_and_penalty(tmp_path: Path) -> None:
    data = prepare(planner.load_inputs(make_scenario(tmp_path, scenario=TIGHT,
                                                     demand=GROWING)))
    mv = marginal_values(data, EXACT)
    row = mv[(mv["kind"] == "power_mw") & (mv["period"] == "all")].iloc[0]
    # cost saved = -(more spend + penalty change); the MW lets the plan serve more
    assert row["value_usd"] == pytest.approx(
        -(row["spend_change_usd"] + row["penalty_change_usd"]), abs=0.05)
    assert row["penalty_change_usd"] < 0 < row["spend_change_usd"]
    assert row["extra_tokens_served"] > 0
    dem = mv[mv["kind"] == "demand"].iloc[0]
    assert dem["value_usd"] == pytest.approx(
        dem["spend_change_usd"] + dem["penalty_change_usd"], abs=0.05)


def test_report_survives_marginal_values_not_resolved(tmp_path: Path) -> None:
    """Defect 9: every per-period power value blank (the analysis time budget ran out)."""
    sc = make_scenario(tmp_path / "sc", scenario=TIGHT, demand=GROWING)
    out = tmp_path / "o"
    assert runner.invoke(app, ["plan", str(sc), "-o", str(out), "--no-baselines",
                               "--analysis-time", "0"]).exit_code == 0
    lines = (out / "marginal_values.csv").read_text().splitlines()
    header = lines[0].split(",")
    col = header.index("value_usd")
    assert all(r.split(",")[col] == "" for r in lines[1:])  # none re-solved
    rep = build(load_folder(out))
    assert "LP estimate only" in to_markdown(rep) and to_html(rep)


def test_failed_analysis_keeps_the_plan_and_names_itself(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    """Defect 8: re-planning into a folder holding a good plan, with the baselines
    crashing, writes the new plan and its report as one set, says which analysis
    failed, and exits 0."""
    sc = make_scenario(tmp_path / "sc", scenario=TIGHT, demand=GROWING)
    out = tmp_path / "o"
    assert runner.invoke(app, ["plan", str(sc), "-o", str(out)]).exit_code == 0
    assert (out / "baselines.csv").exists()

    import planner.analysis.baselines

    def boom(*_a: Any, **_k: Any) -> Any:
        raise OverflowError("cannot convert float infinity to integer")

    monkeypatch.setattr(planner.analysis.baselines, "baselines", boom)
    sc2 = make_scenario(tmp_path / "sc2", scenario={**TIGHT, "name": "second"},
                        demand=GROWING)
    res = runner.invoke(app, ["plan", str(sc2), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "baselines.csv was not written" in " ".join(res.output.split())
    s = json.loads((out / "summary.json").read_text())
    assert s["scenario"] == "second"
    assert any("baselines.csv" in e and "OverflowError" in e for e in s["analysis_errors"])
    for f in ("report.md", "report.html", "limits.csv", "marginal_values.csv"):
        assert (out / f).exists(), f
    assert not (out / "baselines.csv").exists()  # the old plan's would mix two plans
    md = (out / "report.md").read_text()
    assert "Capacity plan: second" in md and "Analysis failed" in md
