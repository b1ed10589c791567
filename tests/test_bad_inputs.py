"""A corpus of bad inputs, one per way a file can be wrong.

Each case runs `planner plan` through the CLI and asserts exit code 2, the words of the
message (file, field, what is wrong) and that no traceback is printed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import BASE_CATALOG, BASE_PROFILE, make_scenario
from typer.testing import CliRunner

from planner.cli import app

runner = CliRunner()

Build = Callable[[Path], Path]


def flat(text: str) -> str:
    return " ".join(text.split())


def run_plan(path: Path, out: Path) -> Any:
    return runner.invoke(app, ["plan", str(path), "-o", str(out)])


# --------------------------------------------------------------------------- builders


def sc(**over: Any) -> Build:
    """A scenario with fields overridden (deep-merged into the default test scenario)."""
    return lambda tmp: make_scenario(tmp, scenario=over)


def site(**fields: Any) -> Build:
    base = {"name": "hall-a", "power_mw": 1.0}
    base.update(fields)
    return sc(sites=[base])


def scenario_text(text: str) -> Build:
    """Replace the scenario file with raw text (the referenced files stay valid)."""

    def build(tmp: Path) -> Path:
        p = make_scenario(tmp)
        p.write_text(text, encoding="utf-8")
        return p

    return build


def scenario_bytes(data: bytes) -> Build:
    def build(tmp: Path) -> Path:
        p = make_scenario(tmp)
        p.write_bytes(data)
        return p

    return build


def scenario_edit(fn: Callable[[str], str]) -> Build:
    """Edit the default scenario's YAML text."""

    def build(tmp: Path) -> Path:
        p = make_scenario(tmp)
        p.write_text(fn(p.read_text()))
        return p

    return build


def catalog(mutate: Callable[[dict[str, Any]], None]) -> Build:
    def build(tmp: Path) -> Path:
        cat = copy.deepcopy(BASE_CATALOG)
        mutate(cat)
        return make_scenario(tmp, catalog=cat)

    return build


def profile(mutate: Callable[[dict[str, Any]], None]) -> Build:
    def build(tmp: Path) -> Path:
        prof = copy.deepcopy(BASE_PROFILE)
        mutate(prof)
        return make_scenario(tmp, profiles=[prof])

    return build


def demand(text: str) -> Build:
    return lambda tmp: make_scenario(tmp, demand=text)


def demand_bytes(data: bytes) -> Build:
    def build(tmp: Path) -> Path:
        p = make_scenario(tmp)
        (tmp / "demand.csv").write_bytes(data)
        return p

    return build


HEAD = "period,model,tokens_per_s,min_tokens_per_s_per_user\n"

BOMB = ('a: &a ["x","x","x","x","x","x","x","x","x","x"]\n'
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n")


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        cur: Any = d
        for k in path[:-1]:
            cur = cur[k]
        cur[path[-1]] = value

    return mutate


def _del(path: list[Any]) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        cur: Any = d
        for k in path[:-1]:
            cur = cur[k]
        del cur[path[-1]]

    return mutate


def _two_profiles(tmp: Path, second: dict[str, Any]) -> Path:
    path = make_scenario(tmp)
    (tmp / "models" / "copy-of-m1.yaml").write_text(yaml.safe_dump(second))
    return path


# (id, builder, words the message must contain, file the message must name)
CASES: list[tuple[str, Build, list[str], str]] = [
    # ---- scenario: values
    ("negative-power", site(power_mw=-3), ["sites[0].power_mw: must be > 0, got -3"],
     "scenario.yaml"),
    ("zero-power", site(power_mw=0), ["sites[0].power_mw", "must be > 0, got 0"],
     "scenario.yaml"),
    ("pue-under-1", site(pue=0.9), ["sites[0].pue", "must be >= 1", "0.9"], "scenario.yaml"),
    ("nan-power", site(power_mw=float("nan")), ["sites[0].power_mw", "finite number", "nan"],
     "scenario.yaml"),
    ("infinite-electricity", site(electricity_usd_per_mwh=float("inf")),
     ["sites[0].electricity_usd_per_mwh", "finite number"], "scenario.yaml"),
    ("negative-price", site(electricity_usd_per_mwh=-5),
     ["electricity_usd_per_mwh", ">= 0", "-5"], "scenario.yaml"),
    ("huge-number", site(power_mw=1e300), ["sites[0].power_mw", "too large"],
     "scenario.yaml"),
    ("boolean-as-number", site(power_mw=True), ["sites[0].power_mw", "must be a number",
                                                "true"], "scenario.yaml"),
    ("text-as-number", site(power_mw="20MW"), ["sites[0].power_mw", "must be a number",
                                               "20MW"], "scenario.yaml"),
    ("negative-existing-units", site(existing=[{"system": "old", "units": -4}]),
     ["sites[0].existing[0].units", ">= 0", "-4"], "scenario.yaml"),
    ("fractional-units", site(existing=[{"system": "old", "units": 2.5}]),
     ["sites[0].existing[0].units", "whole number", "2.5"], "scenario.yaml"),
    ("bad-cooling", site(cooling="water"), ["sites[0].cooling", "'air' or 'liquid'", "water"],
     "scenario.yaml"),
    ("bad-boolean", sc(options={"strict_demand": "maybe"}),
     ["options.strict_demand", "true or false", "maybe"], "scenario.yaml"),
    ("utilization-over-1", sc(options={"target_utilization": 1.5}),
     ["options.target_utilization", "<= 1", "1.5"], "scenario.yaml"),
    ("negative-budget", sc(budget={"total_capex_usd": -1e6}),
     ["budget.total_capex_usd", ">= 0"], "scenario.yaml"),
    ("negative-discount", sc(finance={"discount_rate": -0.1}),
     ["finance.discount_rate", ">= 0"], "scenario.yaml"),
    ("zero-periods", sc(horizon={"periods": 0}), ["horizon.periods", ">= 1"], "scenario.yaml"),
    ("control-char-name", site(name="hall\na"),
     ["sites[0].name", "control or invisible characters"], "scenario.yaml"),
    ("invisible-char-name", site(name="hall\u202ea"),
     ["sites[0].name", "control or invisible characters", "\\u202e"], "scenario.yaml"),
    ("key-wrong-case", site(Power_MW=3), ["sites[0].Power_MW", "did you mean 'power_mw'"],
     "scenario.yaml"),
    ("blank-name", site(name="  "), ["sites[0].name", "empty or blank"], "scenario.yaml"),
    # ---- scenario: keys and shapes
    ("unknown-key-typo", site(coolng="liquid"),
     ["sites[0].coolng", "unknown key", "did you mean 'cooling'"], "scenario.yaml"),
    ("unknown-top-key", sc(optoins={"strict_demand": True}),
     ["optoins", "unknown key", "did you mean 'options'"], "scenario.yaml"),
    ("unknown-solver-key", sc(solver={"time_limit": 10}),
     ["solver.time_limit", "did you mean 'time_limit_s'"], "scenario.yaml"),
    ("missing-required", scenario_edit(lambda t: t.replace("demand: demand.csv\n", "")),
     ["demand", "required field is missing"], "scenario.yaml"),
    ("list-for-mapping", sc(horizon=["2027Q1", 4]), ["horizon", "must be a mapping", "list"],
     "scenario.yaml"),
    ("mapping-for-list", sc(sites={"name": "hall-a", "power_mw": 1}),
     ["sites", "must be a list", "mapping"], "scenario.yaml"),
    ("scalar-for-site", sc(sites=["hall-a"]), ["sites[0]", "must be a mapping"],
     "scenario.yaml"),
    ("number-for-name", site(name=42), ["sites[0].name", "must be text", "quotes"],
     "scenario.yaml"),
    ("empty-sites", sc(sites=[]), ["sites", "must not be empty"], "scenario.yaml"),
    ("number-as-key", scenario_edit(lambda t: t + "1: x\n"), ["key 1 is not text"],
     "scenario.yaml"),
    # ---- scenario: periods
    ("bad-start", sc(horizon={"start": "2027Q5"}), ["horizon.start", "not a period"],
     "scenario.yaml"),
    ("date-start", scenario_edit(lambda t: t.replace("start: 2027Q1", "start: 2027-01-01")),
     ["horizon.start", "is a date"], "scenario.yaml"),
    ("granularity-mismatch", sc(horizon={"start": "2027-01"}),
     ["horizon.granularity", "'quarter' does not match start '2027-01'", "month"],
     "scenario.yaml"),
    ("unknown-granularity", sc(horizon={"granularity": "week"}),
     ["horizon.granularity", "'quarter', 'month' or 'year'", "week"], "scenario.yaml"),
    ("available-after-horizon", site(available_from="2031Q1"),
     ["sites[0].available_from", "2031Q1 is after the horizon (2027Q1..2027Q4)"],
     "scenario.yaml"),
    ("unparsable-retire", site(existing=[{"system": "old", "units": 1,
                                          "retire_after": "soon"}]),
     ["sites[0].existing[0].retire_after", "'soon' is not a period (use a quarter 2027Q1"],
     "scenario.yaml"),
    # ---- scenario: references and uniqueness
    ("duplicate-site", sc(sites=[{"name": "a", "power_mw": 1}, {"name": "a", "power_mw": 2}]),
     ["sites[1].name", "duplicate site name 'a'"], "scenario.yaml"),
    ("unknown-existing-system", site(existing=[{"system": "olde", "units": 1}]),
     ["sites[0].existing[0].system", "unknown system 'olde'", "did you mean 'old'"],
     "scenario.yaml"),
    ("unknown-restricted-system", sc(systems=["nwe"]),
     ["systems[0]", "unknown system 'nwe'", "did you mean 'new'"], "scenario.yaml"),
    ("liquid-system-air-site",
     lambda tmp: make_scenario(tmp, catalog={"systems": [
         {**BASE_CATALOG["systems"][0], "cooling": "liquid"}, BASE_CATALOG["systems"][1]]},
         scenario={"sites": [{"name": "a", "power_mw": 1,
                              "existing": [{"system": "old", "units": 1}]}]}),
     ["sites[0].existing[0].system", "liquid-cooled", "air-cooled"], "scenario.yaml"),
    ("demand-file-missing", sc(demand="nope.csv"), ["nope.csv", "file not found"], "nope.csv"),
    ("catalog-file-missing", sc(catalog="nope.yaml"), ["nope.yaml", "file not found"],
     "nope.yaml"),
    ("models-folder-missing", sc(models="nomodels"), ["nomodels", "models folder not found"],
     "nomodels"),
    # ---- scenario: YAML itself
    ("yaml-syntax", scenario_text("name: x\nhorizon: {start: 2027Q1\n"),
     ["invalid YAML", "line"], "scenario.yaml"),
    ("duplicate-yaml-key", scenario_edit(lambda t: t + "name: again\n"),
     ["name (line", "duplicate key"], "scenario.yaml"),
    ("python-tag", scenario_text("!!python/object/apply:os.system ['echo owned']\n"),
     ["YAML tag !!python/object/apply:os.system is not allowed"], "scenario.yaml"),
    ("custom-tag", scenario_edit(lambda t: t.replace("name: test", "name: !secret x")),
     ["YAML tag !secret is not allowed"], "scenario.yaml"),
    ("alias-bomb", scenario_text(BOMB), ["alias bomb"], "scenario.yaml"),
    ("recursive-alias", scenario_text("a: &a [*a]\n"), ["recursive alias"], "scenario.yaml"),
    ("empty-file", scenario_text(""), ["expected a mapping of fields", "empty"],
     "scenario.yaml"),
    ("top-level-list", scenario_text("- a\n- b\n"), ["expected a mapping of fields", "list"],
     "scenario.yaml"),
    ("binary-file", scenario_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
     ["not a text file", "PNG image"], "scenario.yaml"),
    ("latin-1-file", scenario_bytes("name: caf\xe9\n".encode("latin-1")),
     ["not a UTF-8 text file"], "scenario.yaml"),
    ("too-large-file", scenario_bytes(b"# " + b"x" * (4 * 1024 * 1024 + 10) + b"\n"),
     ["too large"], "scenario.yaml"),
    ("device-as-demand", sc(demand="/dev/zero"), ["/dev/zero", "not a regular file"],
     "/dev/zero"),
    ("blank-demand-path", sc(demand=" "), ["demand", "must name a file"], "scenario.yaml"),
    ("folder-as-scenario", lambda tmp: make_scenario(tmp).parent / "models",
     ["is a folder"], "models"),
    # ---- catalogue
    ("duplicate-system-id", catalog(lambda c: c["systems"].append(copy.deepcopy(
        c["systems"][0]))), ["duplicate system id", "systems[2].id 'old' repeats systems[0]"],
     "catalog.yaml"),
    ("zero-gpus", catalog(_set(["systems", 1, "gpus_per_unit"], 0)),
     ["systems[1].gpus_per_unit", ">= 1, got 0"], "catalog.yaml"),
    ("non-numeric-power", catalog(_set(["systems", 0, "unit_power_kw"], "ten")),
     ["systems[0].unit_power_kw", "must be a number", "ten"], "catalog.yaml"),
    ("negative-capex", catalog(_set(["systems", 0, "capex_usd"], -100)),
     ["systems[0].capex_usd", ">= 0", "-100"], "catalog.yaml"),
    ("catalog-typo", catalog(_set(["systems", 0, "capex"], 5)),
     ["systems[0].capex", "did you mean 'capex_usd'"], "catalog.yaml"),
    ("catalog-missing-field", catalog(_del(["systems", 0, "gpus_per_unit"])),
     ["systems[0].gpus_per_unit", "required field is missing"], "catalog.yaml"),
    ("empty-catalog", catalog(_set(["systems"], [])), ["systems", "must not be empty"],
     "catalog.yaml"),
    ("implausible-gpus", catalog(_set(["systems", 0, "gpus_per_unit"], 10**12)),
     ["systems[0].gpus_per_unit", "plausibility limit", "1e+12"], "catalog.yaml"),
    ("catalog-not-a-list", catalog(_set(["systems"], {"id": "old"})),
     ["systems", "must be a list, got a mapping"], "catalog.yaml"),
    # ---- model profiles
    ("non-numeric-curve", profile(_set(["throughput", "new", 0, 1], "fast")),
     ["throughput.new[0][1]", "must be a number", "fast"], "m1.yaml"),
    ("negative-curve", profile(_set(["throughput", "new", 1, 1], -500)),
     ["throughput.new[1][1]", ">= 0", "-500"], "m1.yaml"),
    ("three-number-point", profile(_set(["throughput", "new", 0], [10, 1000, 5])),
     ["throughput.new[0]", "a point must be two numbers (tokens/s per user, "
                            "tokens/s per GPU), got 3"],
     "m1.yaml"),
    ("empty-curve", profile(_set(["throughput", "new"], [])),
     ["throughput.new", "must not be empty"], "m1.yaml"),
    ("repeated-interactivity", profile(_set(["throughput", "new"], [[10, 5], [10, 6]])),
     ["throughput", "repeats an interactivity value"], "m1.yaml"),
    ("curve-unknown-system", profile(_set(["throughput", "ghost"], [[10, 5.0]])),
     ["throughput.ghost", "unknown system 'ghost'"], "m1.yaml"),
    ("bad-token-basis", profile(_set(["token_basis"], "input")),
     ["token_basis", "'total' or 'output'", "input"], "m1.yaml"),
    ("duplicate-model-id", lambda tmp: _two_profiles(tmp, {**BASE_PROFILE, "id": "m1"}),
     ["duplicate model id 'm1'"], ".yaml"),
    # ---- demand CSV
    ("negative-demand", demand(HEAD + "2027Q1,m1,-3,10\n"),
     ["line 2: tokens_per_s", "must be >= 0, got -3"], "demand.csv"),
    ("implausible-demand", demand(HEAD + "2027Q1,m1,1e15,10\n"),
     ["line 2: tokens_per_s", "plausibility limit"], "demand.csv"),
    ("nan-demand", demand(HEAD + "2027Q1,m1,nan,10\n"),
     ["line 2: tokens_per_s", "finite number"], "demand.csv"),
    ("infinite-slo", demand(HEAD + "2027Q1,m1,5,inf\n"),
     ["line 2: min_tokens_per_s_per_user", "finite number"], "demand.csv"),
    ("thousands-separator", demand(HEAD + '2027Q1,m1,"2,000,000",10\n'),
     ["line 2: tokens_per_s", "without thousands separators"], "demand.csv"),
    ("header-column-without-name", demand("period,,model,tokens_per_s\n2027Q1,x,m1,5\n"),
     ["line 1", "column 2 of the header has no name"], "demand.csv"),
    ("text-demand", demand(HEAD + "2027Q1,m1,2e6/s,10\n"),
     ["line 2: tokens_per_s", "must be a number", "2e6/s"], "demand.csv"),
    ("empty-demand-cell", demand(HEAD + "2027Q1,m1,,10\n"),
     ["line 2: tokens_per_s", "is empty"], "demand.csv"),
    ("period-after-horizon", demand(HEAD + "2027Q1,m1,5,10\n2029Q1,m1,5,10\n"),
     ["line 3: period", "2029Q1 is after the horizon"], "demand.csv"),
    ("period-before-horizon", demand(HEAD + "2026Q4,m1,5,10\n"),
     ["line 2: period", "2026Q4 is before the horizon"], "demand.csv"),
    ("period-mixed-granularity", demand(HEAD + "2027Q1,m1,5,10\n2027-03,m1,5,10\n"),
     ["line 3: period", "2027-03 is a month, but the file's periods are quarters (line 2)"],
     "demand.csv"),
    ("period-not-a-label", demand(HEAD + "2027-3,m1,5,10\n"),
     ["line 2: period", "'2027-3' is not a quarter period"], "demand.csv"),
    ("unknown-model", demand(HEAD + "2027Q1,m2,5,10\n"),
     ["line 2: model", "unknown model 'm2'", "did you mean 'm1'"], "demand.csv"),
    ("unknown-column", demand("period,model,tokens_per_s,min_tokens_per_user\n"
                              "2027Q1,m1,5,10\n"),
     ["column 'min_tokens_per_user'", "unknown column",
      "did you mean 'min_tokens_per_s_per_user'"], "demand.csv"),
    ("missing-column", demand("period,model\n2027Q1,m1\n"),
     ["column 'tokens_per_s'", "required column is missing"], "demand.csv"),
    ("ragged-row", demand(HEAD + "2027Q1,m1\n"), ["line 2", "has 2 cells, the header has 4"],
     "demand.csv"),
    ("no-header", demand("2027Q1,m1,5,10\n"), ["line 1", "must be the header"],
     "demand.csv"),
    ("semicolons", demand("period;model;tokens_per_s\n2027Q1;m1;5\n"),
     ["must be the header", "use commas"], "demand.csv"),
    ("empty-demand", demand(""), ["empty demand file"], "demand.csv"),
    # fuzzing: a demand so small its scaled row held coefficients of inf (HiGHS refused
    # the model, and the plan ended in an internal error)
    ("subnormal-demand", demand(HEAD + "2027Q1,m1,2.2250738585072014e-308,10\n"),
     ["line 2", "at least 1e-06 tokens/s", "write 0"], "demand.csv"),
    ("utf16-demand", demand_bytes((HEAD + "2027Q1,m1,5,10\n").encode("utf-16")),
     ["UTF-16", "save it as UTF-8"], "demand.csv"),
    ("excel-demand", demand_bytes(b"PK\x03\x04\x14\x00\x06\x00"),
     ["not a text file", "Excel workbook", "CSV UTF-8"], "demand.csv"),
    ("binary-demand", demand_bytes(b"period\x00\x01\x02"), ["not a text file"],
     "demand.csv"),
    ("mixed-token-basis", lambda tmp: make_scenario(
        tmp, profiles=[copy.deepcopy(BASE_PROFILE),
                       {**copy.deepcopy(BASE_PROFILE), "id": "m2", "token_basis": "output"}],
        demand=HEAD + "2027Q1,m1,5,10\n2027Q1,m2,5,10\n"),
     ["mixes token bases"], "demand.csv"),
]


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(("build", "words", "file"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input_is_refused_cleanly(tmp_path: Path, build: Build, words: list[str],
                                      file: str) -> None:
    path = build(tmp_path / "case")
    res = run_plan(path, tmp_path / "out")
    out = flat(res.output)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert isinstance(res.exception, SystemExit), repr(res.exception)
    assert "invalid input" in out
    for w in words:
        assert flat(w) in out, f"{w!r} not in:\n{res.output}"
    assert file in out
    assert not (tmp_path / "out").exists(), "no plan files for invalid input"


def test_every_problem_of_every_file_at_once(tmp_path: Path) -> None:
    """A scenario with field errors still has its catalogue, profiles and demand checked."""
    cat = copy.deepcopy(BASE_CATALOG)
    cat["systems"][0]["unit_power_kw"] = -1
    prof = copy.deepcopy(BASE_PROFILE)
    prof["throughput"]["new"][0][1] = "x"
    path = make_scenario(tmp_path, scenario={"sites": [{"name": "a", "power_mw": -3,
                                                        "pue": 0.5}]},
                         catalog=cat, profiles=[prof],
                         demand=HEAD + "2027Q1,m1,-1,10\n2031Q1,m1,5,10\n")
    res = run_plan(path, tmp_path / "out")
    out = flat(res.output)
    assert res.exit_code == 2
    for w in ["scenario.yaml: sites[0].power_mw: must be > 0, got -3",
              "scenario.yaml: sites[0].pue: must be >= 1, got 0.5",
              "catalog.yaml: systems[0].unit_power_kw: must be > 0, got -1",
              "m1.yaml: throughput.new[0][1]: must be a number",
              "demand.csv: line 2: tokens_per_s: must be >= 0, got -1",
              "demand.csv: line 3: period: 2031Q1 is after the horizon"]:
        assert w in out, f"{w!r} not in:\n{res.output}"
    assert "(6 problems)" in out


def test_scenario_yaml_errors_plus_demand_references(tmp_path: Path) -> None:
    """Duplicate keys do not stop the cross-file checks of a scenario that otherwise
    parses."""
    path = make_scenario(tmp_path, demand=HEAD + "2027Q1,m9,5,10\n")
    path.write_text(path.read_text() + "name: again\n")
    res = run_plan(path, tmp_path / "out")
    out = flat(res.output)
    assert res.exit_code == 2
    assert "duplicate key" in out and "unknown model 'm9'" in out


def test_debug_shows_a_traceback(tmp_path: Path) -> None:
    path = make_scenario(tmp_path, scenario={"sites": [{"name": "a", "power_mw": -3}]})
    res = runner.invoke(app, ["plan", str(path), "-o", str(tmp_path / "o"), "--debug"])
    assert res.exit_code == 2
    assert "Traceback" in res.output


def test_line_numbers_count_blank_and_multiline_rows(tmp_path: Path) -> None:
    text = HEAD + "\n2027Q1,m1,5,10\n\n2027Q1,\"m\n1\",5,10\n2027Q1,m1,-1,10\n"
    path = make_scenario(tmp_path, demand=text)
    res = run_plan(path, tmp_path / "out")
    out = flat(res.output)
    assert res.exit_code == 2
    assert "line 7: tokens_per_s: must be >= 0" in out, res.output
    assert "line 5: model" in out and "control character" in out, res.output


def test_spreadsheet_quirks_are_accepted(tmp_path: Path) -> None:
    """A "sep=," line, trailing empty columns, a BOM and CRLF line ends are fine."""
    text = ("\ufeffsep=,\r\n" + HEAD.replace("\n", ",,\r\n") + "2027Q1,m1,8000,10,,\r\n"
            "2027Q2,m1,4000,,,\r\n")
    path = make_scenario(tmp_path, demand=text)
    res = run_plan(path, tmp_path / "out")
    assert res.exit_code == 0, res.output
    assert "2027Q2,m1,0,4000" in (tmp_path / "out" / "service.csv").read_text()


def test_empty_sections_mean_defaults(tmp_path: Path) -> None:
    """`options:` with every line commented out is the defaults, not an error."""
    path = make_scenario(tmp_path)
    path.write_text(path.read_text() + "options:\n  # strict_demand: true\nbudget:\n")
    res = run_plan(path, tmp_path / "out")
    assert res.exit_code == 0, res.output


def test_empty_required_value_is_refused(tmp_path: Path) -> None:
    path = make_scenario(tmp_path, scenario={"sites": [{"name": "a", "power_mw": None}]})
    res = run_plan(path, tmp_path / "out")
    assert res.exit_code == 2
    assert "sites[0].power_mw: must be a number, got nothing (empty)" in flat(res.output)


def test_free_text_may_be_a_number(tmp_path: Path) -> None:
    path = make_scenario(tmp_path, scenario={"name": 2027, "description": 3.5})
    res = run_plan(path, tmp_path / "out")
    assert res.exit_code == 0, res.output


def test_yaml_written_by_safe_dump_of_valid_data_still_plans(tmp_path: Path) -> None:
    """The refusals above are not over-eager: the default scenario plans."""
    path = make_scenario(tmp_path)
    assert yaml.safe_load(path.read_text())["sites"][0]["name"] == "hall-a"
    res = run_plan(path, tmp_path / "out")
    assert res.exit_code == 0, res.output
