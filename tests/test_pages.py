"""The what-if pages' parts without a browser: axis labels that follow the tick step,
lines drawn over each other named, no scientific notation, human headers, and the log
lines a run writes when stderr is no terminal (a CI log)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner.cli import app
from planner.fmt import axis_labels, sig_plain
from planner.report.svg import _nice_ticks, coinciding, line_chart
from planner.whatif.tables import COMPARE_COLUMNS, column_title
from tests.conftest import GROWING, TIGHT, make_scenario


def _ticks(svg: str) -> list[str]:
    return re.findall(r'class="ax" text-anchor="end">([^<]*)<', svg)


def test_axis_labels_follow_the_tick_step() -> None:
    """The issue's sweep: cost per Mtok from $0.1083 to $0.1092 read `$0.109` four times;
    the labels' decimals now come from the step, so every tick reads differently."""
    ticks = _nice_ticks(0.1083, 0.1092)
    labels = axis_labels(ticks, "usd")
    assert len(set(labels)) == len(labels) == len(ticks)
    assert labels[:2] == ["$0.1082", "$0.1084"]
    assert axis_labels([0.0, 2.5e8, 5e8], "usd") == ["$0", "$250M", "$500M"]
    assert axis_labels([-5e3, 0.0, 5e3], "usd") == ["-$5K", "$0", "$5K"]
    assert axis_labels([0.0, 0.25, 0.5], "share") == ["0%", "25%", "50%"]
    assert axis_labels([1.0e6, 1.5e6, 2.0e6]) == ["1.0M", "1.5M", "2.0M"]


def test_a_narrow_sweep_chart_has_distinct_ticks() -> None:
    svg = line_chart([10, 20, 30], [("cost per Mtok", [0.1092, 0.1087, 0.1083])], "t",
                     "MW", "USD per Mtok", "usd")
    labels = _ticks(svg)
    assert len(labels) >= 3 and len(set(labels)) == len(labels)
    assert all(re.fullmatch(r"\$0\.10\d\d", x) for x in labels), labels


def test_lines_drawn_over_each_other_are_named_and_styled_apart() -> None:
    spend = [1.0e8, 1.2e8, 1.3e8]
    series = [("spend", spend), ("spend + penalty", list(spend)), ("other", [2e8, 2e8, 1e8])]
    assert coinciding(series, 1.0) == [("spend + penalty", "spend")]
    svg = line_chart([1, 2, 3], series, "t", "x", "USD", "usd")
    assert "spend + penalty and spend coincide" in svg
    # each line its own dash pattern: solid, then dashed, then dotted
    dashes = re.findall(r'<polyline fill="none" stroke="[^"]+" stroke-width="2"'
                        r'(?: stroke-dasharray="([^"]+)")?', svg)
    assert dashes == ["", "7 4", "2 3"]
    assert "coincide" not in line_chart([1, 2, 3], series[::2], "t", "x", "USD", "usd")


def test_numbers_never_in_scientific_notation() -> None:
    assert sig_plain(3_672_000.0) == "3,672,000"
    assert sig_plain(1.2345e-5) == "0.00001234"
    assert "e" not in "".join(axis_labels([0.0, 2e-6, 4e-6]))


def test_every_column_has_a_title_in_words() -> None:
    for col in COMPARE_COLUMNS:
        assert "_" not in column_title(col), col
    assert column_title("sites.hall-b.power_mw") == "hall-b power MW"


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_scenario(tmp_path_factory.mktemp("sc"), scenario=TIGHT, demand=GROWING)


def test_a_log_gets_a_line_per_stage_and_per_plan(scenario: Path, tmp_path: Path) -> None:
    """stderr is no terminal under CliRunner: the run writes plain log lines."""
    res = CliRunner().invoke(app, ["sweep", str(scenario), "--vary",
                                   "sites.hall-a.power_mw=0.03,0.05", "-o",
                                   str(tmp_path / "sw"), "-j", "1"])
    assert res.exit_code == 0, res.output
    log = [ln for ln in res.stderr.splitlines() if ln.startswith("planner sweep: ")]
    assert log[0] == "planner sweep: planning 3 plans"
    assert [ln.split("] ")[1].split(":")[0] for ln in log[1:4]] == ["base", "1", "2"]
    assert log[-1].startswith("planner sweep: done (") and str(tmp_path / "sw") in log[-1]


def test_a_plan_log_says_which_analysis_its_budget_cut_short(scenario: Path,
                                                            tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["plan", str(scenario), "-o", str(tmp_path / "p"),
                                   "--analysis-time", "0"])
    assert res.exit_code == 0, res.output
    log = [ln for ln in res.stderr.splitlines() if ln.startswith("planner plan: ")]
    stages = [ln.split(": ")[1].split(" (")[0] for ln in log]
    assert stages[:3] == ["load", "build", "solve"] and "write" in stages
    assert any("cut short by its time budget (0 s, --analysis-time)" in ln for ln in log), log
    assert log[-1].startswith("planner plan: done (")
