"""`planner sensitivity`: where the purchase decision flips, and what being 20% wrong costs.

- A micro scenario whose answers are computed by hand: two systems with the same
  throughput, `a` at $100k and `b` at $130k a unit (no energy, no opex, capex upfront), so
  cost per token is proportional to capex and the plan buys `a` alone. Raising a's capex
  flips the decision where its cost per token meets b's (+30%); lowering b's where b's
  meets a's (-23.08%); a's throughput 20% low leaves the held fleet 20% short.
- examples/new-hall, the life of the system the base plan buys most of: every flip
  reported is confirmed by a direct re-plan of a catalogue with the flipped value written
  in it (decision changed), and 2 percentage points short of it (unchanged); a direction
  without a flip is confirmed at the end of the range. Nothing is hard-coded about which
  system wins or where: the expectations come from re-planning.
- The held purchases (`held_buys`): priced, or refused when they no longer fit a hall.
- The CLI: the two files, byte-identical on a rerun, and a bad --param (exit 2).
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import planner
from planner.analysis.economics import cost_table
from planner.analysis.sensitivity import decision, gpus_by_system
from planner.cli import app
from planner.errors import InfeasibleError, InputError
from planner.inputs.loader import builtin_catalog_path, load_inputs
from planner.whatif.sensitivity import run_sensitivity
from planner.whatif.variants import RunSettings
from tests.conftest import make_scenario

ROOT = Path(__file__).resolve().parent.parent
NEW_HALL = ROOT / "examples" / "new-hall" / "scenario.yaml"
HOURS_PER_QUARTER = 8760.0 / 4

MICRO_CATALOG: dict[str, Any] = {"systems": [
    {"id": "a", "gpus_per_unit": 8, "unit_power_kw": 10.0, "capex_usd": 100_000.0,
     "source": "test"},
    {"id": "b", "gpus_per_unit": 8, "unit_power_kw": 10.0, "capex_usd": 130_000.0,
     "source": "test"},
]}
MICRO_PROFILE: dict[str, Any] = {"id": "m1", "source": "test",
                                 "throughput": {"a": [[10, 1000.0]], "b": [[10, 1000.0]]}}
DEMAND_TOK_S = 400_000.0  # 50 units of either system at 8 x 1000 tokens/s


def _micro(tmp: Path) -> Path:
    return make_scenario(tmp, catalog=MICRO_CATALOG, profiles=[MICRO_PROFILE],
                         demand=[(f"2027Q{q}", "m1", DEMAND_TOK_S, 10.0) for q in (1, 2, 3, 4)])


def _rows(sens: Any) -> dict[str, dict[str, Any]]:
    return {r["parameter"]: r for r in sens.table.to_dict(orient="records")}


@pytest.fixture(scope="module")
def micro(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    path = _micro(tmp_path_factory.mktemp("micro"))
    sens = run_sensitivity(path, RunSettings(workers=1), candidates=1)
    return path, sens


def test_micro_flip_points_are_the_cost_per_token_gap(micro: tuple[Path, Any]) -> None:
    path, sens = micro
    assert sens.base_decision == frozenset({"a"})
    inputs = load_inputs(path)
    cpm = {r["system"]: r["cost_per_mtok_usd"]
           for r in cost_table(inputs.catalog, inputs.profiles["m1"], 10.0).to_dict("records")}
    ratio = cpm["b"] / cpm["a"]
    assert ratio == pytest.approx(1.3)
    rows = _rows(sens)
    # a dearer: flips where a's cost per token reaches b's
    up = (ratio - 1) * 100
    a_capex = rows["a.capex_usd"]
    assert a_capex["flip_up_last_same_pct"] <= up <= a_capex["flip_up_pct"]
    assert a_capex["flip_up_pct"] - a_capex["flip_up_last_same_pct"] <= 1.0
    assert abs(a_capex["flip_up_pct"] - up) <= 1.0
    assert a_capex["flip_up_buys"] == "b 100%"
    assert a_capex["flip_down_pct"] is None
    assert a_capex["flip_down_buys"] == "no flip within -50%"
    # b cheaper: flips where b's cost per token falls to a's
    down = (1 / ratio - 1) * 100
    b_capex = rows["b.capex_usd"]
    assert b_capex["role"] == "nearly bought"
    assert b_capex["cost_per_token_ratio"] == pytest.approx(ratio)
    assert b_capex["flip_down_pct"] <= down <= b_capex["flip_down_last_same_pct"]
    assert abs(b_capex["flip_down_pct"] - down) <= 1.0
    # b dearer: b is not in the base plan, so the base plan stays optimal (no re-solve)
    assert b_capex["flip_up_pct"] is None and "does not use it" in str(b_capex["flip_up_buys"])
    assert b_capex["total_at_plus20_usd"] == sens.base.summary.total_cost_usd
    # a's curve y% slower: a needs ceil(50 / (1 - y)) units, which cost what b's 50 do
    # (65 x $100k = 50 x $130k) from y = 1 - 50/64 = 21.875% on, and more from y = 23.08%:
    # in between the two tie, so the flip lies in [21.875%, 23.08%] (whole units)
    a_curve = rows["a.throughput.m1"]
    lo, hi = (1 - 50 / 64) * 100, -down
    assert a_curve["flip_down_pct"] <= -lo and a_curve["flip_down_last_same_pct"] >= -hi
    assert a_curve["flip_down_last_same_pct"] - a_curve["flip_down_pct"] <= 1.0


def test_micro_regret_of_a_slow_fleet_is_unserved_demand(micro: tuple[Path, Any]) -> None:
    _path, sens = micro
    r = _rows(sens)["a.throughput.m1"]
    # 20% slower: the 50 units held serve 80% of demand. Re-planned, the least capex
    # 100k x + 130k y with 6400 x + 8000 y >= 400,000 (whole units) is x = 60, y = 2:
    # $6.26M (63 units of a would cost $6.30M)
    horizon_tokens = DEMAND_TOK_S * 4 * HOURS_PER_QUARTER * 3600
    assert r["regret_unmet_tokens_at_minus20"] == pytest.approx(0.2 * horizon_tokens, rel=1e-6)
    assert r["regret_penalty_at_minus20_usd"] == pytest.approx(
        0.2 * horizon_tokens / 1e6 * 100.0, rel=1e-6)
    assert r["regret_spend_at_minus20_usd"] == pytest.approx(5_000_000.0 - 6_260_000.0,
                                                             rel=1e-9)
    assert r["spend_change_at_minus20_usd"] == pytest.approx(1_260_000.0, rel=1e-9)
    # 20% faster: the 50 units held are 8 more than the 42 a re-plan buys
    assert r["regret_spend_at_plus20_usd"] == pytest.approx(8 * 100_000.0, rel=1e-9)
    assert r["regret_unmet_tokens_at_plus20"] == 0
    assert r["regret_at_plus20"] == "spend higher; serves the same"


def test_micro_skips_what_cannot_touch_the_plan(micro: tuple[Path, Any]) -> None:
    _path, sens = micro
    rows = _rows(sens)
    assert rows["a.lifetime_years"]["status"].startswith("skipped: no effect: capex is "
                                                         "charged upfront")
    assert rows["a.opex_usd_per_year"]["status"] == ("skipped: no effect: the figure is 0, "
                                                     "and a percentage of 0 is 0")
    assert rows["a.capex_usd"]["tag"] == "untagged"  # no provenance: counted as an estimate
    searched = [r for r in sens.table.to_dict("records") if r["status"] == "searched"]
    impacts = [r["impact_usd"] for r in searched]
    assert impacts == sorted(impacts, reverse=True)


def test_micro_the_same_table_with_two_workers(micro: tuple[Path, Any]) -> None:
    """Two workers, kept across the rounds, give the serial run's table exactly."""
    path, serial = micro
    parallel = run_sensitivity(path, RunSettings(workers=2), candidates=1)
    assert parallel.rounds == serial.rounds and parallel.rounds > 1
    assert parallel.table.to_csv() == serial.table.to_csv()


def test_held_purchases_are_priced_or_refused(tmp_path: Path) -> None:
    path = _micro(tmp_path)
    inputs = load_inputs(path)
    held = {("hall-a", "a", "2027Q1"): 50.0}
    res = planner.plan(inputs, held_buys=held, threads=1)
    assert res.summary.units_bought == 50
    assert res.summary.cost_breakdown_usd.capex == pytest.approx(5_000_000.0)
    more = {("hall-a", "a", "2027Q1"): 150.0}  # 1.5 MW of units in a 1 MW hall
    with pytest.raises(InfeasibleError, match="draw 1.5 MW at hall-a in 2027Q1"):
        planner.plan(inputs, held_buys=more, threads=1)
    with pytest.raises(InfeasibleError, match="not for sale"):
        planner.plan(inputs, held_buys={("hall-a", "nope", "2027Q1"): 1.0}, threads=1)


def test_unknown_parameter_is_refused_before_any_solve(tmp_path: Path) -> None:
    path = _micro(tmp_path)
    with pytest.raises(InputError, match="no system 'zz'"):
        run_sensitivity(path, RunSettings(workers=1), params=["zz.capex_usd"])
    with pytest.raises(InputError, match="unknown field 'capex'"):
        run_sensitivity(path, RunSettings(workers=1), params=["a.capex"])


# --------------------------------------------------------------------------- new-hall


def _decision_of(result: Any) -> frozenset[str]:
    inputs = load_inputs(NEW_HALL)
    units = {s.id: s.gpus_per_unit for s in inputs.catalog.systems}
    pp = result.tables.purchase_plan
    rows = [(r.period, r.site, r.system, int(r.units), 0.0) for r in pp.itertuples()]
    return decision(gpus_by_system(rows, units))


def _replan(tmp: Path, system: str, field: str, pct: float) -> frozenset[str]:
    """Plan examples/new-hall with a catalogue in which `field` of `system` is changed by
    `pct` percent, written in the YAML (no sensitivity code involved)."""
    cat = yaml.safe_load(builtin_catalog_path().read_text(encoding="utf-8"))
    for s in cat["systems"]:
        if s["id"] == system:
            s[field] = s.get(field, 5.0 if field == "lifetime_years" else 0.0) * (1 + pct / 100)
    folder = tmp / f"{field}{pct:+g}"
    folder.mkdir()
    (folder / "catalog.yaml").write_text(yaml.safe_dump(cat), encoding="utf-8")
    sc = yaml.safe_load(NEW_HALL.read_text(encoding="utf-8"))
    sc = copy.deepcopy(sc)
    sc["catalog"] = str(folder / "catalog.yaml")
    sc["demand"] = str(NEW_HALL.parent / sc["demand"])
    (folder / "scenario.yaml").write_text(yaml.safe_dump(sc), encoding="utf-8")
    return _decision_of(planner.plan(folder / "scenario.yaml", threads=1))


def test_new_hall_flips_are_confirmed_by_direct_replans(tmp_path: Path) -> None:
    base = planner.plan(NEW_HALL, threads=1)
    inputs = load_inputs(NEW_HALL)
    units = {s.id: s.gpus_per_unit for s in inputs.catalog.systems}
    pp = base.tables.purchase_plan
    gpus = gpus_by_system([(r.period, r.site, r.system, int(r.units), 0.0)
                           for r in pp.itertuples()], units)
    main = max(sorted(gpus), key=lambda g: gpus[g])  # the system the plan buys most of
    fields = ["lifetime_years"]  # one figure keeps the test short; the CLI takes any
    sens = run_sensitivity(NEW_HALL, RunSettings(workers=2), range_pct=60,
                           params=[f"{main}.{f}" for f in fields])
    assert sens.base_decision == _decision_of(base)
    rows = _rows(sens)
    for f in fields:
        r = rows[f"{main}.{f}"]
        assert r["status"] == "searched"
        for key, sign in (("down", -1), ("up", 1)):
            flip = r[f"flip_{key}_pct"]
            if flip is None:
                assert r[f"flip_{key}_buys"].startswith("no flip within")
                assert _replan(tmp_path, main, f, sign * 60.0) == sens.base_decision
                continue
            assert _replan(tmp_path, main, f, flip) != sens.base_decision
            short = flip - sign * 2.0
            if sign * short > 0:
                assert _replan(tmp_path, main, f, short) == sens.base_decision
    # the re-solves never exceed what a full bisection would take
    assert sens.milp_solves <= 1 + len(fields) * (2 * (2 + 2 + math.ceil(math.log2(60))) + 2)


# --------------------------------------------------------------------------- CLI


def test_cli_writes_both_files_the_same_bytes_twice(tmp_path: Path) -> None:
    path = _micro(tmp_path / "s")
    runner = CliRunner()
    out1, out2 = tmp_path / "o1", tmp_path / "o2"
    for out in (out1, out2):
        res = runner.invoke(app, ["sensitivity", str(path), "-o", str(out), "--workers", "1",
                                  "--param", "a.capex_usd", "--range", "40"])
        assert res.exit_code == 0, res.output
    for name in ("sensitivity.csv", "sensitivity.html"):
        assert (out1 / name).read_bytes() == (out2 / name).read_bytes()
    csv = (out1 / "sensitivity.csv").read_text(encoding="utf-8")
    assert csv.splitlines()[0].startswith("parameter,system,model,field,tag,role,")
    assert "a.capex_usd" in csv
    page = (out1 / "sensitivity.html").read_text(encoding="utf-8")
    assert "<svg" in page and "flips up at" in page
    assert "a.capex_usd" in res.output and "flip" in res.output


def test_cli_bad_param_exits_2_naming_it(tmp_path: Path) -> None:
    path = _micro(tmp_path / "s")
    out = tmp_path / "o"
    res = CliRunner().invoke(app, ["sensitivity", str(path), "-o", str(out),
                                   "--param", "a.wattage"])
    assert res.exit_code == 2
    assert "--param" in res.output and "unknown field 'wattage'" in res.output
    assert not out.exists()
    res = CliRunner().invoke(app, ["sensitivity", str(path), "--range", "0"])
    assert res.exit_code == 2 and "--range" in res.output


def test_cli_base_without_a_plan_writes_nothing(tmp_path: Path) -> None:
    path = make_scenario(tmp_path / "s", catalog=MICRO_CATALOG, profiles=[MICRO_PROFILE],
                         demand=[("2027Q1", "m1", DEMAND_TOK_S, 10.0)],
                         scenario={"options": {"strict_demand": True},
                                   "sites": [{"name": "hall-a", "power_mw": 0.05}]})
    out = tmp_path / "o"
    res = CliRunner().invoke(app, ["sensitivity", str(path), "-o", str(out), "--workers", "1"])
    assert res.exit_code == 3, res.output
    assert "no plan (infeasible)" in res.output
    assert not out.exists()
    res = CliRunner().invoke(app, ["sensitivity", str(path), "--tags", "estimate,guess"])
    assert res.exit_code == 2 and "--tags" in res.output
