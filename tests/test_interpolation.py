"""Reading a curve between two points (`interpolation: linear | log`) and the caveat on
thin curves (one point, or an SLO below the lowest point): the rule, the plans it changes,
the files, the report and the CLI."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import planner
from planner.analysis.economics import cost_table
from planner.cli import app
from planner.cli.models_cmd import check_profiles
from planner.core.problem import ThinCurve, interpolation_of, thin_curve, throughput_at
from planner.inputs.datasets import Catalog, ModelProfile
from planner.inputs.schemas import Options
from tests.conftest import make_scenario

runner = CliRunner()

# the builtin DeepSeek-R1 FP8 1k/1k curve of the HGX B200, its first two points (issue 15)
B200_FP8 = [[42, 4791.6], [71, 1020.2]]


# --------------------------------------------------------------------------- the rule


def test_b200_fp8_at_56_linear_and_log_by_hand() -> None:
    # linear: 4791.6 + (1020.2 - 4791.6) * 14/29 = 4791.6 - 1820.76 = 2970.92
    assert throughput_at(B200_FP8, 56) == pytest.approx(2970.924, abs=1e-3)
    assert throughput_at(B200_FP8, 56, "linear") == pytest.approx(2970.924, abs=1e-3)
    # log: 4791.6 * (1020.2 / 4791.6) ** (14/29) = 4791.6 * exp(-1.54689 * 0.482759)
    #    = 4791.6 * 0.473895 = 2270.73
    assert throughput_at(B200_FP8, 56, "log") == pytest.approx(2270.73, abs=0.01)
    ratio = throughput_at(B200_FP8, 56) / throughput_at(B200_FP8, 56, "log")
    assert round(ratio - 1, 2) == 0.31  # linear is 31% higher


def test_log_is_the_geometric_mean_half_way() -> None:
    pts = [[0, 1000.0], [10, 10.0]]
    assert throughput_at(pts, 5, "log") == pytest.approx(100.0)  # sqrt(1000 * 10)
    assert throughput_at(pts, 5, "linear") == pytest.approx(505.0)
    assert throughput_at(pts, 2.5, "log") == pytest.approx(1000 * 0.01 ** 0.25)


@pytest.mark.parametrize("how", ["linear", "log"])
def test_outside_the_curve_and_at_its_points_both_agree(how: str) -> None:
    pts = [[71, 1020.2], [42, 4791.6], [100, 497.5]]  # any order
    assert throughput_at(pts, 0, how) == 4791.6  # below the lowest: that point's
    assert throughput_at(pts, 41.9, how) == 4791.6
    assert throughput_at(pts, 42, how) == 4791.6
    assert throughput_at(pts, 71, how) == 1020.2
    assert throughput_at(pts, 100, how) == 497.5
    assert throughput_at(pts, 100.001, how) == 0.0  # above the highest: cannot serve
    one = [[125, 941.0]]  # one point: its throughput at and below it, none above
    assert throughput_at(one, 0, how) == 941.0
    assert throughput_at(one, 125, how) == 941.0
    assert throughput_at(one, 126, how) == 0.0


def test_log_never_above_linear_and_a_zero_end_reads_linearly() -> None:
    pts = [[10, 5000.0], [20, 3000.0], [40, 200.0], [80, 0.0]]
    for u in [10 + i * 0.7 for i in range(100)]:
        assert throughput_at(pts, u, "log") <= throughput_at(pts, u, "linear") + 1e-9
    # the last segment ends at 0 (no logarithm): linear, 200 -> 0 over 40..80
    assert throughput_at(pts, 60, "log") == pytest.approx(100.0)
    assert throughput_at(pts, 60, "linear") == pytest.approx(100.0)


def test_the_choice_defaults_to_linear_and_the_scenario_overrides_the_profile() -> None:
    prof = ModelProfile.model_validate({"id": "m", "throughput": {"a": B200_FP8}})
    assert prof.interpolation == "linear"
    assert Options().interpolation is None
    assert interpolation_of("linear", None) == "linear"
    assert interpolation_of("log", None) == "log"
    assert interpolation_of("log", "linear") == "linear"
    assert interpolation_of("linear", "log") == "log"


def test_thin_curve_marks_one_point_and_below_the_lowest() -> None:
    assert thin_curve([[125, 941.0]], 125) == ThinCurve(1, 125.0, 941.0)
    assert thin_curve([[125, 941.0]], 40) == ThinCurve(1, 125.0, 941.0)
    assert thin_curve([[125, 941.0]], 40).reason == "single_point"  # type: ignore[union-attr]
    assert thin_curve([[125, 941.0]], 126) is None  # cannot serve: nothing is read
    below = thin_curve(B200_FP8, 30)
    assert below == ThinCurve(2, 42.0, 4791.6) and below.reason == "below_lowest_point"
    assert thin_curve(B200_FP8, 42) is None  # at a measured point of a real curve
    assert thin_curve(B200_FP8, 56) is None  # between two points
    assert thin_curve(B200_FP8, 80) is None


def test_cost_table_reads_with_the_profile_choice_or_the_override() -> None:
    cat = Catalog.model_validate({"systems": [
        {"id": "hgx-b200", "gpus_per_unit": 8, "unit_power_kw": 14.3, "capex_usd": 1.0}]})
    lin = ModelProfile.model_validate({"id": "m", "throughput": {"hgx-b200": B200_FP8}})
    log = ModelProfile.model_validate({"id": "m", "throughput": {"hgx-b200": B200_FP8},
                                       "interpolation": "log"})

    def tps(df: pd.DataFrame) -> float:
        return float(df["tokens_per_s_per_gpu"].iloc[0])

    assert tps(cost_table(cat, lin, 56)) == pytest.approx(2970.924, abs=1e-3)
    assert tps(cost_table(cat, log, 56)) == pytest.approx(2270.73, abs=0.01)
    assert tps(cost_table(cat, lin, 56, interpolation="log")) == pytest.approx(2270.73, abs=0.01)
    assert tps(cost_table(cat, log, 56, interpolation="linear")) == pytest.approx(2970.924,
                                                                                   abs=1e-3)


# --------------------------------------------------------------------------- plans

# Two systems at the same price and power: `steep` falls a hundredfold between its two
# points, `flat` by a quarter. At 30 tokens/s per user (half way) linear reads steep 505
# and flat 350 tokens/s per GPU (steep is cheaper per token); log reads steep 100 and
# flat 346.41 (flat is).
TWO = {"systems": [
    {"id": "steep", "gpus_per_unit": 8, "unit_power_kw": 10.0, "capex_usd": 100_000.0},
    {"id": "flat", "gpus_per_unit": 8, "unit_power_kw": 10.0, "capex_usd": 100_000.0}]}


def _profile(**extra: Any) -> dict[str, Any]:
    return {"id": "m1", "throughput": {"steep": [[10, 1000.0], [50, 10.0]],
                                       "flat": [[10, 400.0], [50, 300.0]]}, **extra}


def _plan(tmp: Path, profile: dict[str, Any], options: dict[str, Any] | None = None
          ) -> planner.api.PlanResult:
    path = make_scenario(tmp, catalog=TWO, profiles=[profile],
                         demand=[("2027Q1", "m1", 20000.0, 30.0)],
                         scenario={"options": {"strict_demand": True, **(options or {})}})
    return planner.plan(path)


def _bought(res: planner.api.PlanResult) -> dict[str, int]:
    pp = res.tables.purchase_plan
    return {str(g): int(u) for g, u in pp.groupby("system")["units"].sum().items()}


def _tput_used(res: planner.api.PlanResult, system: str) -> float:
    al = res.tables.allocation
    rows = al[al["system"] == system]
    return float(rows["tokens_per_s"].sum() / (rows["units"].sum() * 8))


def test_a_plan_between_distant_points_changes_with_the_reading(tmp_path: Path) -> None:
    lin = _plan(tmp_path / "lin", _profile())
    log = _plan(tmp_path / "log", _profile(interpolation="log"))
    # linear: steep serves 8 x 505 per unit: ceil(20000 / 4040) = 5 units
    assert _bought(lin) == {"steep": 5}
    assert _tput_used(lin, "steep") == pytest.approx(505.0)
    # log: steep would need ceil(20000 / 800) = 25, flat ceil(20000 / 2771.3) = 8
    assert _bought(log) == {"flat": 8}
    assert _tput_used(log, "flat") == pytest.approx(400 * math.sqrt(0.75))
    assert log.summary.total_cost_usd > lin.summary.total_cost_usd


def test_the_scenario_option_overrides_every_profile(tmp_path: Path) -> None:
    by_option = _plan(tmp_path / "a", _profile(), {"interpolation": "log"})
    assert _bought(by_option) == {"flat": 8}
    back = _plan(tmp_path / "b", _profile(interpolation="log"), {"interpolation": "linear"})
    assert _bought(back) == {"steep": 5}


# --------------------------------------------------------------------------- thin curves

ONE_POINT = {"systems": [
    {"id": "one", "gpus_per_unit": 8, "unit_power_kw": 10.0, "capex_usd": 100_000.0},
    {"id": "full", "gpus_per_unit": 8, "unit_power_kw": 10.0, "capex_usd": 400_000.0}]}
ONE_PROFILE = {"id": "m1", "throughput": {"one": [[40, 1000.0]],
                                          "full": [[10, 2000.0], [50, 500.0]]}}


def _thin_scenario(tmp: Path, slo: float, **scenario: Any) -> Path:
    return make_scenario(tmp, catalog=ONE_POINT, profiles=[ONE_PROFILE],
                         demand=[("2027Q1", "m1", 16000.0, slo), ("2027Q2", "m1", 16000.0, slo)],
                         scenario={"options": {"strict_demand": True}, **scenario})


def test_a_plan_served_from_a_one_point_curve_is_flagged(tmp_path: Path) -> None:
    path = _thin_scenario(tmp_path / "s", 20.0)
    out = tmp_path / "out"
    res = runner.invoke(app, ["plan", str(path), "-o", str(out), "--no-marginals",
                              "--no-baselines"])
    assert res.exit_code == 0, res.output
    tc = pd.read_csv(out / "thin_curves.csv")
    assert tc.to_dict("records") == [
        {"period": p, "model": "m1", "min_tokens_per_s_per_user": 20.0, "system": "one",
         "capacity": "owned", "tokens_per_s": 16000.0, "reason": "single_point",
         "curve_points": 1, "point_tokens_per_s_per_user": 40.0,
         "point_tokens_per_s_per_gpu": 1000.0} for p in ("2027Q1", "2027Q2")]
    assert "thin data:" in res.output
    assert "m1 at 20 tokens/s per user on one (owned): the curve has one point" in res.output
    md = (out / "report.md").read_text()
    assert "**Throughput from thin curves.**" in md
    assert ("| m1 | 20 | one | owned | 2027Q1–2027Q2 | 16k | the curve has one point "
            "(1k tokens/s per GPU at 40 tokens/s per user) |") in md
    assert "Throughput from thin curves" in (out / "report.html").read_text()
    # the report rebuilt from the folder alone says the same, byte for byte
    before = (out / "report.md").read_bytes()
    assert runner.invoke(app, ["report", str(out)]).exit_code == 0
    assert (out / "report.md").read_bytes() == before


def test_below_the_lowest_point_of_a_full_curve_is_flagged(tmp_path: Path) -> None:
    # `one` cannot serve 45; `full` serves it between its points (not thin), and 5 is
    # below its lowest point (thin); a plan at 5 may use `one` (one point) too
    res = planner.plan(_thin_scenario(tmp_path / "a", 45.0))
    assert res.tables.thin_curves is None
    res = planner.plan(_thin_scenario(tmp_path / "b", 5.0, systems=["full"]))
    tc = res.tables.thin_curves
    assert tc is not None
    assert set(tc["reason"]) == {"below_lowest_point"}
    assert set(tc["point_tokens_per_s_per_user"]) == {10.0}
    assert set(tc["curve_points"]) == {2}


def test_a_plan_not_served_from_a_thin_curve_has_no_flag(tmp_path: Path) -> None:
    path = _thin_scenario(tmp_path / "s", 45.0)  # `one` cannot meet 45: only `full` serves
    out = tmp_path / "out"
    res = runner.invoke(app, ["plan", str(path), "-o", str(out), "--no-marginals",
                              "--no-baselines"])
    assert res.exit_code == 0, res.output
    assert not (out / "thin_curves.csv").exists()
    assert "thin data" not in res.output
    assert "thin curves" not in (out / "report.md").read_text()


def test_rented_gpus_on_a_one_point_curve_are_flagged(tmp_path: Path) -> None:
    path = _thin_scenario(tmp_path / "s", 20.0, systems=["full"],
                          rent=[{"system": "one", "usd_per_gpu_hour": 0.01}])
    res = planner.plan(path)
    tc = res.tables.thin_curves
    assert tc is not None
    assert set(tc["capacity"]) == {"rented"} and set(tc["system"]) == {"one"}
    assert tc["tokens_per_s"].sum() == pytest.approx(32000.0)


# --------------------------------------------------------------------------- the CLI


def _write_profile(folder: Path, profile: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{profile['id']}.yaml"
    path.write_text(yaml.safe_dump(profile))
    return path


def test_bad_interpolation_in_a_profile_exit_2_names_file_and_field(tmp_path: Path) -> None:
    path = _write_profile(tmp_path / "models", {"id": "m1", "interpolation": "cubic",
                                                "throughput": {"hgx-b200": B200_FP8}})
    res = runner.invoke(app, ["models", "validate", str(path)])
    assert res.exit_code == 2
    assert "m1.yaml" in res.output and "interpolation" in res.output
    assert "'linear' or 'log'" in res.output and "cubic" in res.output
    assert "Traceback" not in res.output


def test_bad_interpolation_in_a_scenario_exit_2_names_file_and_field(tmp_path: Path) -> None:
    path = make_scenario(tmp_path / "s", scenario={"options": {"interpolation": "spline"}})
    out = tmp_path / "out"
    res = runner.invoke(app, ["plan", str(path), "-o", str(out)])
    assert res.exit_code == 2
    assert "scenario.yaml" in res.output and "options.interpolation" in res.output
    assert "spline" in res.output and "Traceback" not in res.output
    assert not out.exists()


def test_cost_interpolation_option(tmp_path: Path) -> None:
    _write_profile(tmp_path / "models", {"id": "m1", "throughput": {"hgx-b200": B200_FP8}})
    args = ["cost", "--model", "m1", "--slo", "56", "--models", str(tmp_path / "models"),
            "--system", "hgx-b200", "--format", "csv"]

    def tps(extra: list[str]) -> float:
        res = runner.invoke(app, args + extra)
        assert res.exit_code == 0, res.output
        return float(next(line for line in res.stdout.splitlines()
                          if line.startswith("hgx-b200")).split(",")[1])

    assert tps([]) == pytest.approx(2970.924, abs=1e-3)
    assert tps(["--interpolation", "log"]) == pytest.approx(2270.73, abs=0.01)
    bad = runner.invoke(app, args + ["--interpolation", "cubic"])
    assert bad.exit_code == 2 and "--interpolation" in bad.output


def test_models_validate_warns_about_one_point_curves(tmp_path: Path) -> None:
    _write_profile(tmp_path / "models", {"id": "m1", "provenance": {},
                                         "throughput": {"hgx-b200": [[125, 941.0]],
                                                        "hgx-h100": B200_FP8}})
    res = runner.invoke(app, ["models", "validate", str(tmp_path / "models")])
    assert res.exit_code == 0, res.output
    flat = " ".join(res.output.split())
    assert ("throughput.hgx-b200: a single point (941 tokens/s per GPU at 125 tokens/s per "
            "user)") in flat
    assert "throughput.hgx-h100: a single point" not in flat
    prof = ModelProfile.model_validate({"id": "m", "throughput": {"a": [[1, 2.0]],
                                                                 "b": B200_FP8}})
    _, warns = check_profiles({"m": prof}, {"m": "m.yaml"}, {"a", "b"})
    assert [w for w in warns if "single point" in w] == [
        "m.yaml: throughput.a: a single point (2 tokens/s per GPU at 1 tokens/s per user): "
        "the planner assumes this throughput at every lower interactivity and none above it"]
