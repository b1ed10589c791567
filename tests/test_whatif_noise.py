"""What-if tables and verdicts: spend apart from the unmet penalty, solver noise as no
difference (issue 11, defects 11 and 12).

Pure functions on synthetic plans (no solves), and `sweep` / `new-hall` end to end with
the planning step replaced by the same synthetic plans, so each test runs in well under
a second.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import planner.whatif.variants
from planner.analysis.verdicts import cost_noise_usd
from planner.cli import app
from planner.core.summary import CostBreakdown, Horizon, PlanSummary, SiteSummary
from planner.report.render import _html_table
from planner.report.whatif import _tables
from planner.whatif.jobs import Job, JobResult
from planner.whatif.saturation import new_hall_verdicts, saturation
from planner.whatif.tables import SAME, comparison_frame, new_hall_frame, sweep_frame
from planner.whatif.variants import RunSettings
from planner.whatif.words import change_headline
from planner.workflow.whatif import sweep
from tests.conftest import make_scenario

runner = CliRunner()

DEMAND = 1.0e15  # tokens over the horizon


def summary(spend: float, penalty: float = 0.0, unmet: float = 0.0, gap: float = 1e-4,
            hall: dict[str, float] | None = None) -> PlanSummary:
    """A plan summary as `planner.core.results.summarize` makes it: total = spend + penalty,
    proven to `gap` (objective - best bound = gap * total), one unit bought; `hall`: the
    peak MW the plan uses in each named hall."""
    total = spend + penalty
    served = DEMAND - unmet
    return PlanSummary(
        scenario="synthetic", status="optimal", time_limited=False, total_cost_usd=total,
        spend_usd=spend, unmet_penalty_usd=penalty,
        cost_breakdown_usd=CostBreakdown(capex=spend, energy=0.0, opex=0.0,
                                         unmet_penalty=penalty),
        tokens_served=served, unmet_tokens=unmet, demand_tokens=DEMAND,
        demand_served_share=served / DEMAND, cost_per_mtok_usd=spend / served * 1e6,
        tokens_per_s_per_mw=None, objective_usd=total, best_bound_usd=total * (1 - gap),
        mip_gap=gap, solve_seconds=0.0, solver_status="Optimal", capex_cash_usd=spend,
        units_bought=1, units_bought_by_period={"2027Q1": 1},
        sites={name: SiteSummary(power_cap_mw=mw, peak_power_mw=mw, tokens_per_s_per_mw=None,
                                 peak_racks=0.0, max_racks=None)
               for name, mw in (hall or {}).items()},
        horizon=Horizon(start="2027Q1", periods=4, granularity="quarter",
                        hours_per_period=2190.0),
        solver_settings={"mip_rel_gap": gap},
    )


def plan(name: str, s: PlanSummary | None) -> JobResult:
    if s is None:
        return JobResult(name, "infeasible", message="no plan")
    return JobResult(name, "optimal", s, [("2027Q1", "hall-a", "new", 1, s.spend_usd)],
                     peak_mw=1.0)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# --------------------------------------------------------------------------- (a) noise


def test_sweep_points_within_the_gap_are_the_same() -> None:
    """15 MW and 30 MW: the larger costs $60K more, inside both plans' proven gap
    ($100K): the table must not show it as dearer, against the base or the point before."""
    s15 = summary(1.0e9)
    s30 = summary(1.0e9 + 60e3)
    s45 = summary(1.0e9 - 500e3)  # a real saving, beyond the gap
    assert cost_noise_usd(s15) == pytest.approx(100e3)
    base = plan("base", s15)
    results = [plan("1", s15), plan("2", s30), plan("3", s45)]
    df = sweep_frame(["sites.hall-b.power_mw"], [(15,), (30,), (45,)], results, base)
    rows = df.to_dict(orient="records")
    assert rows[0]["vs_previous"] is None and rows[0]["cost_vs_previous_usd"] is None
    assert rows[1]["cost_vs_previous_usd"] == 0.0
    assert rows[1]["spend_vs_previous_usd"] == 0.0
    assert rows[1]["vs_previous"] == SAME
    assert rows[1]["cost_vs_base_usd"] == 0.0 and rows[1]["vs_base"] == SAME
    # beyond the gap: a real difference, with its sign
    assert rows[2]["cost_vs_previous_usd"] == pytest.approx(-560e3)
    assert rows[2]["vs_previous"] == "spend lower; serves the same"
    assert rows[2]["cost_vs_base_usd"] == pytest.approx(-500e3)
    # the page shows the zero differences as "same"
    page = "".join(_html_table(t) for t in _tables(df, ["sites.hall-b.power_mw"]))
    assert page.count(">same<") >= 4
    assert "$60.0K" not in page


def test_compare_variant_within_the_gap_of_the_base_is_the_same() -> None:
    base = plan("base", summary(2.0e8, gap=1e-3))  # noise $200K
    near = plan("near", summary(2.0e8 - 150e3, gap=1e-3))
    far = plan("far", summary(2.0e8 - 900e3, gap=1e-3))
    df = comparison_frame([base, near, far])
    by = {r["variant"]: r for r in df.to_dict(orient="records")}
    assert by["base"]["vs_base"] == "(base)"
    assert by["near"]["cost_vs_base_usd"] == 0.0 and by["near"]["vs_base"] == SAME
    assert by["near"]["spend_vs_base_usd"] == 0.0
    assert by["far"]["cost_vs_base_usd"] == pytest.approx(-900e3)
    assert by["near"]["cost_noise_usd"] == pytest.approx(200e3, rel=1e-3)


def test_new_hall_sizes_within_the_gap_are_the_same_and_best_is_the_smaller() -> None:
    """20 MW saves $40K more than 10 MW, within the gap: the smaller size is the answer,
    and the table says the larger is the same."""
    site = "hall-b"
    baseline = plan("baseline", summary(1.0e9))
    p10 = plan("10MW", summary(1.0e9 - 5e6, hall={site: 10.0}))
    p20 = plan("20MW", summary(1.0e9 - 5e6 - 40e3, hall={site: 9.5}))
    df = new_hall_frame(site, [(10, "2027Q3"), (20, "2027Q3")], [p10, p20], baseline)
    rows = df.to_dict(orient="records")
    assert rows[0]["vs_smaller_size"] is None
    assert rows[1]["vs_smaller_size"] == SAME
    lines = new_hall_verdicts(site, {"2027Q3": [(10.0, p10), (20.0, p20)]}, baseline,
                              price=100.0)
    assert lines[0].startswith("opening 2027Q3: at 10 MW hall-b saves $5.00M of spend")
    assert "past 10 MW more MW saves nothing beyond solver noise" in lines[0]
    assert lines[-1].startswith("best: 10 MW opening 2027Q3: saves $5.00M of spend")


def test_tolerance_is_a_floor_on_top_of_solver_noise() -> None:
    site = "hall-b"
    baseline = plan("baseline", summary(1.0e6, gap=1e-9))
    p10 = plan("10MW", summary(1.0e6 - 500.0, gap=1e-9, hall={site: 10.0}))
    p20 = plan("20MW", summary(1.0e6 - 520.0, gap=1e-9, hall={site: 10.0}))
    by_open = {"2027Q3": [(10.0, p10), (20.0, p20)]}
    # without a floor $20 is beyond the (tiny) solver noise: 20 MW is better
    assert new_hall_verdicts(site, by_open, baseline)[-1].startswith("best: 20 MW")
    # with --tolerance-usd 50 it is not
    assert new_hall_verdicts(site, by_open, baseline, floor=50.0)[-1].startswith("best: 10 MW")
    assert new_hall_frame(site, [(10, "q"), (20, "q")], [p10, p20], baseline,
                          floor=50.0).iloc[1]["vs_smaller_size"] == SAME


# --------------------------------------------------------------------------- (b) penalty


def test_new_hall_verdict_splits_spend_and_penalty() -> None:
    """The newcomer's case: the baseline leaves 372T tokens unserved, priced at $37.2B;
    the hall serves them for $120M more spend. No "$37.2B saving" anywhere."""
    site = "hall-c"
    base_s = summary(300e6, penalty=37.2e9, unmet=372e12)
    with_hall = summary(420e6, hall={site: 20.0})
    baseline = plan("baseline", base_s)
    p20 = plan("20MW@2027Q3", with_hall)
    lines = new_hall_verdicts(site, {"2027Q3": [(20.0, p20)]}, baseline, price=100.0)
    text = "\n".join(lines)
    assert ("opening 2027Q3: at 20 MW hall-c serves 372.00T more tokens (all demand) and "
            "changes spend by +$120.00M; the penalty avoided is $37.200B at $100 per Mtok "
            "(a price you set, not money)") in text
    assert lines[-1] == ("best: 20 MW opening 2027Q3: serves 372.00T more tokens (all "
                         "demand) and changes spend by +$120.00M; the penalty avoided is "
                         "$37.200B at $100 per Mtok (a price you set, not money)")
    assert not re.search(r"sav\w* (up to )?\$37", text)
    row = new_hall_frame(site, [(20, "2027Q3")], [p20], baseline).iloc[0]
    assert row["spend_saving_usd"] == pytest.approx(-120e6)
    assert row["penalty_saving_usd"] == pytest.approx(37.2e9)
    assert row["extra_tokens_served"] == pytest.approx(372e12)
    assert row["saving_usd"] == pytest.approx(37.08e9)  # the total, kept beside the split
    assert row["demand_served_share"] == 1.0


def test_change_headline_leads_with_tokens_and_spend() -> None:
    a = summary(1e6, penalty=5e6, unmet=5e10)
    assert change_headline(a, summary(1.5e6, penalty=1e6, unmet=1e10), 100.0) == (
        "serves 40.00G more tokens (99.9% of demand) and changes spend by +$500.0K; the "
        "penalty avoided is $4.00M at $100 per Mtok (a price you set, not money)")
    assert change_headline(a, summary(0.9e6, penalty=5e6, unmet=5e10)) == (
        "saves $100.0K of spend and serves the same tokens")
    assert change_headline(a, summary(1e6 + 1.0, penalty=5e6, unmet=5e10)) == (
        "serves the same tokens; spend same within solver gap")


# --------------------------------------------------------------------------- (c) saturation


def test_saturation_never_below_the_mw_larger_plans_use() -> None:
    """10, 20 and 30 MW cost the same within the gap, but the plans at 20 and 30 MW use
    11.5 MW of the hall: "past 10 MW more MW saves nothing" would contradict them."""
    site = "hall-b"
    baseline = plan("baseline", summary(1.0e9))
    pts = [(10.0, plan("10", summary(1.0e9 - 2e6, hall={site: 10.0}))),
           (20.0, plan("20", summary(1.0e9 - 2e6 - 50e3, hall={site: 11.5}))),
           (30.0, plan("30", summary(1.0e9 - 2e6 - 60e3, hall={site: 11.5})))]
    line = new_hall_verdicts(site, {"2027Q3": pts}, baseline)[0]
    assert "past 10 MW" not in line
    m = re.search(r"past ([0-9.]+) MW more MW saves nothing", line)
    assert m and float(m.group(1)) >= 11.5
    assert "the plans at larger sizes use at most 11.500 MW of it" in line
    assert "10 MW already does as well (within solver gap)" in line
    # the pure function: savings flat within noise, usage decides
    savs = [2e6, 2.05e6, 2.06e6]
    same = lambda i, j: abs(savs[i] - savs[j]) <= 100e3  # noqa: E731
    assert saturation([10, 20, 30], savs, 0.0, [10.0, 11.5, 11.5], same) == (20, False)
    assert saturation([10, 20, 30], savs, 0.0, None, same) == (10, False)


def test_saturation_at_the_largest_size_asks_for_larger_sizes() -> None:
    site = "hall-b"
    baseline = plan("baseline", summary(1.0e9))
    pts = [(10.0, plan("10", summary(1.0e9 - 2e6, hall={site: 10.0}))),
           (20.0, plan("20", summary(1.0e9 - 2e6 - 10e3, hall={site: 19.9})))]
    line = new_hall_verdicts(site, {"2027Q3": pts}, baseline)[0]
    assert "saves nothing" not in line
    assert "the plan at the largest size tried (20 MW) uses 19.900 MW of it: try larger " \
           "sizes" in line


# --------------------------------------------------------------------------- end to end


def _fake_run(by_name: dict[str, PlanSummary | None]) -> Any:
    def run(jobs: list[Job], *_: Any, **__: Any) -> list[JobResult]:
        return [plan(j.name, by_name[j.name]) for j in jobs]

    return run


def test_new_hall_command_output_splits_spend_and_respects_noise(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = make_scenario(tmp_path / "s")
    hall = "hall-b"
    monkeypatch.setattr(planner.whatif.variants, "run_jobs", _fake_run({
        "baseline": summary(300e6, penalty=37.2e9, unmet=372e12),
        "10MW@2027Q3": summary(400e6, penalty=0.2e9, unmet=2e12, hall={hall: 10.0}),
        "20MW@2027Q3": summary(420e6, hall={hall: 11.5}),
        "30MW@2027Q3": summary(420e6 + 30e3, hall={hall: 11.5}),  # within the gap
    }))
    out = tmp_path / "nh"
    res = runner.invoke(app, ["new-hall", str(base), "--sensitivity",
                              "--site", hall, "--sizes", "10:30:10",
                              "--open", "2027Q3", "--workers", "1", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "spend $300.00M, serves 62.8% of demand; 372.00T tokens unserved, penalty " \
           "$37.200B at $100 per Mtok (a price you set, not money)" in res.output
    assert "same as 20 MW" in res.output
    assert "past 20 MW more MW saves nothing beyond solver noise" in res.output
    assert "best: 20 MW opening 2027Q3: serves 372.00T more tokens (all demand) and " \
           "changes spend by +$120.00M; the penalty avoided is $37.200B" in res.output
    assert "saving $37" not in res.output
    rows = _rows((out / "new_hall.csv").read_text())
    assert [r["vs_smaller_size"] for r in rows] == ["", "spend higher; serves more", SAME]
    assert float(rows[1]["spend_saving_usd"]) == pytest.approx(-120e6)
    assert float(rows[1]["penalty_saving_usd"]) == pytest.approx(37.2e9)
    page = (out / "new_hall.html").read_text()
    assert "a price you set, not money" in page


def test_sweep_command_shows_same_within_the_gap(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    base = make_scenario(tmp_path / "s")
    monkeypatch.setattr(planner.whatif.variants, "run_jobs", _fake_run({
        "base": summary(1.0e9), "1": summary(1.0e9), "2": summary(1.0e9 + 240e3, gap=3e-4),
    }))
    out = tmp_path / "sw"
    res = runner.invoke(app, ["sweep", str(base), "--vary", "sites.hall-a.power_mw=15,30",
                              "--workers", "1", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "+$240.0K" not in res.output
    rows = _rows((out / "sweep.csv").read_text())
    assert rows[1]["vs_previous"] == SAME and float(rows[1]["cost_vs_previous_usd"]) == 0
    assert float(rows[1]["cost_vs_base_usd"]) == 0


def test_sweep_as_a_library_call_returns_its_table_and_chart_series(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`planner.workflow.whatif.sweep`, what `planner sweep` calls: a typed result whose
    table and chart lines are the ones the command prints and the page draws."""
    base = make_scenario(tmp_path / "s")
    monkeypatch.setattr(planner.whatif.variants, "run_jobs", _fake_run({
        "base": summary(1.0e9), "1": summary(0.9e9), "2": None,
    }))
    sw = sweep(base, ["sites.hall-a.power_mw=15,30"], settings=RunSettings(workers=1))
    assert sw.paths == ["sites.hall-a.power_mw"] and sw.points == [(15,), (30,)]
    assert list(sw.table["status"]) == ["optimal", "infeasible"]
    assert sw.xs() == [15, 30]
    assert sw.spend_lines() == [("spend", [0.9e9, None]), ("base spend", [1.0e9, 1.0e9])]


def test_a_hall_that_saves_only_noise_saves_nothing() -> None:
    site = "hall-b"
    baseline = plan("baseline", summary(1.0e9))
    pts = [(10.0, plan("10", summary(1.0e9 - 30e3, hall={site: 0.0}))),
           (20.0, plan("20", summary(1.0e9 - 50e3, hall={site: 0.5})))]
    lines = new_hall_verdicts(site, {"2027Q3": pts}, baseline)
    assert lines == ["opening 2027Q3: hall-b saves nothing beyond solver noise at any size "
                     "tried (the plans use at most 0.500 MW of it)",
                     "hall-b saves nothing beyond solver noise at any size and opening tried"]
