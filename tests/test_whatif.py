"""What-if overlays: deep merge, sites by name, `remove:`, `--set`, paths, `plan --what-if`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from planner.api import plan
from planner.cli import app
from planner.errors import InputError
from planner.io.output import MERGED_FILE
from planner.whatif.overlays import merge_scenario, read_base
from planner.whatif.paths import get_path, parse_path, parse_set, remove_path, set_path

runner = CliRunner()

TWO_HALLS: dict[str, Any] = {
    "sites": [
        {"name": "hall-a", "power_mw": 1.0, "pue": 1.3, "electricity_usd_per_mwh": 80,
         "existing": [{"system": "old", "units": 2}, {"system": "new", "units": 1}]},
        {"name": "hall-b", "power_mw": 0.5, "pue": 1.1, "available_from": "2027Q2"},
    ],
    "options": {"target_utilization": 0.8, "unmet_penalty_usd_per_mtok": 50},
}


def _write(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _site(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in doc["sites"] if s["name"] == name)


# --------------------------------------------------------------------------- paths


def test_parse_path_tokens() -> None:
    assert parse_path("sites.hall-a.existing[0]") == [
        ("key", "sites"), ("key", "hall-a"), ("key", "existing"), ("index", 0)]
    assert parse_path('sites["hall.b"].pue') == [
        ("key", "sites"), ("name", "hall.b"), ("key", "pue")]
    assert parse_path("options.target_utilization") == [
        ("key", "options"), ("key", "target_utilization")]
    for bad in ("", "a..b", "a.", "sites[0", ".a", "a[]"):
        with pytest.raises(InputError):
            parse_path(bad)


def test_set_path_by_site_name_index_and_new_keys() -> None:
    doc: dict[str, Any] = yaml.safe_load(yaml.safe_dump(TWO_HALLS))
    set_path(doc, "sites.hall-b.power_mw", 40)
    set_path(doc, "sites.hall-a.existing[1].units", 7)
    set_path(doc, "budget.total_capex_usd", 1e9)  # missing mapping is created
    set_path(doc, 'sites["hall-a"].cooling', "liquid")
    assert _site(doc, "hall-b") == {"name": "hall-b", "power_mw": 40, "pue": 1.1,
                                    "available_from": "2027Q2"}
    assert _site(doc, "hall-a")["existing"][1] == {"system": "new", "units": 7}
    assert _site(doc, "hall-a")["cooling"] == "liquid"
    assert doc["budget"] == {"total_capex_usd": 1e9}
    # a field of an unknown site creates that site
    set_path(doc, "sites.hall-c.power_mw", 5)
    assert doc["sites"][-1] == {"name": "hall-c", "power_mw": 5}
    assert get_path(doc, "sites.hall-c.power_mw") == 5
    with pytest.raises(InputError, match="out of range"):
        set_path(doc, "sites.hall-a.existing[5].units", 1)


def test_parse_set_reads_values_as_yaml() -> None:
    assert parse_set("sites.hall-b.power_mw=40") == ("sites.hall-b.power_mw", 40)
    assert parse_set("sites.hall-b.available_from=2028Q1") == (
        "sites.hall-b.available_from", "2028Q1")
    assert parse_set("options.target_utilization=0.75")[1] == 0.75
    assert parse_set("sites.hall-a.max_racks=null")[1] is None
    assert parse_set("systems=[old, new]")[1] == ["old", "new"]
    assert parse_set("options.strict_demand=true")[1] is True
    with pytest.raises(InputError, match="PATH=VALUE"):
        parse_set("sites.hall-b.power_mw")


def test_remove_paths() -> None:
    doc: dict[str, Any] = yaml.safe_load(yaml.safe_dump(TWO_HALLS))
    remove_path(doc, "sites.hall-a.existing[0]", "w.yaml")
    assert _site(doc, "hall-a")["existing"] == [{"system": "new", "units": 1}]
    remove_path(doc, "sites.hall-b", "w.yaml")
    assert [s["name"] for s in doc["sites"]] == ["hall-a"]
    remove_path(doc, "options.target_utilization", "w.yaml")
    assert doc["options"] == {"unmet_penalty_usd_per_mtok": 50}
    with pytest.raises(InputError) as exc:
        remove_path(doc, "sites.hall-z", "w.yaml")
    assert exc.value.issues[0].file == "w.yaml"
    assert "hall-z" in exc.value.issues[0].message


# --------------------------------------------------------------------------- merge


def test_overlay_merges_maps_and_sites_by_name(scenario_factory: Any, tmp_path: Path) -> None:
    base = scenario_factory(scenario=TWO_HALLS)
    ov = _write(tmp_path / "w.yaml", {
        "options": {"target_utilization": 0.6},  # merges: penalty stays
        "sites": [
            {"name": "hall-b", "power_mw": 40},  # merges onto hall-b: pue stays
            {"name": "hall-c", "power_mw": 3, "available_from": "2027Q3"},  # appended
            {"name": "hall-a", "existing": [{"system": "new", "units": 4}]},  # list replaced
        ],
    })
    m = merge_scenario(base, [ov])
    doc = m.data
    assert doc["options"] == {"target_utilization": 0.6, "unmet_penalty_usd_per_mtok": 50}
    assert [s["name"] for s in doc["sites"]] == ["hall-a", "hall-b", "hall-c"]
    assert _site(doc, "hall-b") == {"name": "hall-b", "power_mw": 40, "pue": 1.1,
                                    "available_from": "2027Q2"}
    assert _site(doc, "hall-a")["existing"] == [{"system": "new", "units": 4}]
    assert _site(doc, "hall-a")["pue"] == 1.3
    sc = m.scenario()
    assert sc.options.target_utilization == 0.6
    assert [s.power_mw for s in sc.sites] == [1.0, 40, 3]


def test_remove_then_merge_replaces_a_site_whole(scenario_factory: Any, tmp_path: Path
                                                 ) -> None:
    base = scenario_factory(scenario=TWO_HALLS)
    ov = _write(tmp_path / "w.yaml", {"remove": ["sites.hall-b", "options"],
                                      "sites": [{"name": "hall-b", "power_mw": 2}]})
    doc = merge_scenario(base, [ov]).data
    assert _site(doc, "hall-b") == {"name": "hall-b", "power_mw": 2}  # no pue, no date
    assert "options" not in doc


def test_overlays_then_sets_apply_in_order(scenario_factory: Any, tmp_path: Path) -> None:
    base = scenario_factory(scenario=TWO_HALLS)
    a = _write(tmp_path / "a.yaml", {"sites": [{"name": "hall-b", "power_mw": 10}]})
    b = _write(tmp_path / "b.yaml", {"sites": [{"name": "hall-b", "power_mw": 20}]})
    m = merge_scenario(base, [a, b], ["sites.hall-b.power_mw=30"])
    assert _site(m.data, "hall-b")["power_mw"] == 30
    assert m.sources == (str(a), str(b), "--set sites.hall-b.power_mw=30")
    assert _site(merge_scenario(base, [a, b]).data, "hall-b")["power_mw"] == 20


def test_unknown_key_in_overlay_names_the_overlay_file(scenario_factory: Any,
                                                       tmp_path: Path) -> None:
    base = scenario_factory()
    ov = _write(tmp_path / "typo.yaml", {"sites": [{"name": "hall-a", "power_mv": 2}],
                                         "optons": {}})
    with pytest.raises(InputError) as exc:
        merge_scenario(base, [ov])
    issues = {(i.file, i.field): i.message for i in exc.value.issues}
    assert "did you mean 'power_mw'" in issues[(str(ov), "sites[0].power_mv")]
    assert "did you mean 'options'" in issues[(str(ov), "optons")]


def test_invalid_merged_value_names_the_field(scenario_factory: Any) -> None:
    base = scenario_factory()
    m = merge_scenario(base, [], ["sites.hall-a.power_mw=-3"])
    with pytest.raises(InputError) as exc:
        m.scenario()
    issue = exc.value.issues[0]
    assert issue.field == "sites[0].power_mw"
    assert "--set sites.hall-a.power_mw=-3" in issue.file
    # a new hall without its power is reported, not guessed
    with pytest.raises(InputError, match="power_mw: required"):
        merge_scenario(base, [], ["sites.hall-z.pue=1.2"]).scenario()


def test_site_without_name_in_overlay_is_refused(scenario_factory: Any, tmp_path: Path
                                                 ) -> None:
    ov = _write(tmp_path / "w.yaml", {"sites": [{"power_mw": 2}]})
    with pytest.raises(InputError, match="needs a `name`"):
        merge_scenario(scenario_factory(), [ov])


# --------------------------------------------------------------------------- files


def test_paths_resolve_against_their_own_file(scenario_factory: Any, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    base = scenario_factory(demand=[("2027Q1", "m1", 8000.0, 10.0)])
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "double.csv").write_text(
        "period,model,tokens_per_s,min_tokens_per_s_per_user\n2027Q1,m1,16000,10\n")
    ov = _write(other / "double.yaml", {"demand": "double.csv"})
    monkeypatch.chdir(tmp_path)  # neither the base's nor the overlay's folder
    merged = merge_scenario(os.path.relpath(base, tmp_path), [ov])
    assert merged.data["demand"] == str((other / "double.csv").resolve())
    assert merged.data["catalog"] == str((base.parent / "catalog.yaml").resolve())
    inputs = merged.inputs()
    assert [r.tokens_per_s for r in inputs.demand] == [16000.0]
    # --set paths resolve against the base's folder
    (base.parent / "half.csv").write_text(
        "period,model,tokens_per_s,min_tokens_per_s_per_user\n2027Q1,m1,4000,10\n")
    inputs = merge_scenario(base, [], ["demand=half.csv"]).inputs()
    assert [r.tokens_per_s for r in inputs.demand] == [4000.0]
    assert read_base(base)["models"] == str((base.parent / "models").resolve())


def test_merged_plan_equals_plan_of_the_equivalent_full_scenario(scenario_factory: Any,
                                                                 tmp_path: Path) -> None:
    demand = [("2027Q1", "m1", 8000.0, 10.0), ("2027Q2", "m1", 40000.0, 10.0)]
    small = scenario_factory(scenario={"sites": [{"name": "hall-a", "power_mw": 0.05}]},
                             demand=demand)
    big = scenario_factory(scenario={"sites": [{"name": "hall-a", "power_mw": 0.5}]},
                           demand=demand)
    ov = _write(tmp_path / "bigger.yaml", {"sites": [{"name": "hall-a", "power_mw": 0.5}]})
    merged = plan(merge_scenario(small, [ov]).inputs())
    direct = plan(big)
    base = plan(small)
    for name, df in merged.tables.frames().items():
        assert df.equals(direct.tables.frames()[name]), name
    assert merged.summary.total_cost_usd == direct.summary.total_cost_usd
    # and the overlay mattered: the small hall leaves demand unmet
    assert base.summary.unmet_tokens > 0 == merged.summary.unmet_tokens


def test_plan_what_if_writes_merged_scenario_that_replans_identically(
        scenario_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = scenario_factory(scenario=TWO_HALLS,
                            demand=[("2027Q1", "m1", 8000.0, 10.0),
                                    ("2027Q3", "m1", 30000.0, 10.0)])
    ov = _write(tmp_path / "w.yaml", {"sites": [{"name": "hall-b", "power_mw": 0.2}]})
    out = tmp_path / "out"
    res = runner.invoke(app, ["plan", str(base), "--what-if", str(ov), "--set",
                              "options.target_utilization=0.9", "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    merged_text = (out / MERGED_FILE).read_text()
    assert merged_text.startswith("# merged scenario:")
    doc = yaml.safe_load(merged_text)
    assert _site(doc, "hall-b")["power_mw"] == 0.2
    assert doc["options"]["target_utilization"] == 0.9
    summary = json.loads((out / "summary.json").read_text())
    assert summary["sites"]["hall-b"]["power_cap_mw"] == 0.2
    # re-plan the merged file from inside the output folder (paths are absolute)
    monkeypatch.chdir(out)
    res2 = runner.invoke(app, ["plan", MERGED_FILE, "-o", "again", "-q"])
    assert res2.exit_code == 0, res2.output
    for name in ("purchase_plan.csv", "fleet.csv", "allocation.csv", "service.csv",
                 "sites.csv"):
        assert (out / "again" / name).read_bytes() == (out / name).read_bytes(), name


def test_plan_with_bad_set_exits_2_naming_the_option(scenario_factory: Any,
                                                     tmp_path: Path) -> None:
    base = scenario_factory()
    res = runner.invoke(app, ["plan", str(base), "--set", "sites.hall-a.power_mw",
                              "-o", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "--set" in res.output and "PATH=VALUE" in res.output
    res = runner.invoke(app, ["plan", str(base), "--set", "sites.hall-a.existing[0].units=3",
                              "-o", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    assert not (tmp_path / "o").exists()


def test_inputs_cache_reads_shared_files_once(scenario_factory: Any) -> None:
    from planner.whatif.overlays import InputsCache

    base = scenario_factory()
    cache = InputsCache()
    a = merge_scenario(base, [], ["sites.hall-a.power_mw=2"]).inputs(cache)
    b = merge_scenario(base, [], ["sites.hall-a.power_mw=3"]).inputs(cache)
    assert a.catalog is b.catalog and a.demand is b.demand
    assert (a.scenario.sites[0].power_mw, b.scenario.sites[0].power_mw) == (2, 3)
    assert "power_mw=3" in b.scenario_file
    # a changed file is read again
    demand = base.parent / "demand.csv"
    demand.write_text("period,model,tokens_per_s,min_tokens_per_s_per_user\n"
                      "2027Q2,m1,123456,10\n")
    c = merge_scenario(base, []).inputs(cache)
    assert [r.tokens_per_s for r in c.demand] == [123456.0]
