"""Property-based fuzzing of the input files.

Valid small scenarios are mutated (scenario YAML values and keys, catalogue fields,
profile points, demand CSV cells, raw bytes). Whatever the mutation, `planner plan` must
end in one of two clean ways: a validation error (exit 2, "invalid input", a message
naming one of the files, no traceback) or a plan (exit 0, or 3 for a proven infeasible
scenario). Anything else (a traceback, exit 1, an internal error) fails.
"""

from __future__ import annotations

import copy
import math
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import BASE_CATALOG, BASE_PROFILE, make_scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from planner.cli import app

runner = CliRunner()

# PLANNER_FUZZ_EXAMPLES=500 runs a deeper search (the default keeps the suite fast), and
# PLANNER_FUZZ_RANDOM=1 draws new examples on every run; by default the draws are the same
# on every run, so a suite that passed once passes again (a random draw once found a
# defect in CI's place: a $1e-300 price, now a regression test below)
FUZZ = settings(max_examples=int(os.environ.get("PLANNER_FUZZ_EXAMPLES", "40")),
                derandomize=os.environ.get("PLANNER_FUZZ_RANDOM", "") != "1",
                deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

FILES = ("scenario.yaml", "catalog.yaml", "demand.csv", "m1.yaml", "models")

BASE_SCENARIO: dict[str, Any] = {
    "sites": [{"name": "hall-a", "power_mw": 1.0, "pue": 1.2,
               "electricity_usd_per_mwh": 50, "max_racks": 100,
               "existing": [{"system": "old", "units": 2, "retire_after": "2027Q3"}]}],
    "budget": {"capex_usd_per_period": 5e6},
    "options": {"target_utilization": 0.8, "strict_demand": False},
    "solver": {"time_limit_s": 20, "mip_rel_gap": 1e-6},
}
BASE_DEMAND = [("2027Q1", "m1", 8000.0, 10.0), ("2027Q2", "m1", 12000.0, 30.0),
               ("2027Q4", "m1", 4000.0, 0.0)]

# Values a spreadsheet or a hurried edit might put anywhere.
nasty_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(["", " ", "abc", "2027Q9", "2027-13", "nan", "inf", "-1", "1e999",
                     "=cmd|' /C calc'!A0", "hall-a", "old", "new", "m1", "liquid",
                     "quarter", "2027Q1", "2027", "\t", "0x10", "1,5"]),
    st.integers(min_value=-10**20, max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 0.5, 1e-300, 1e300, 2**63, 0.999999]),
    st.text(max_size=12),
)
nasty_values = st.one_of(
    nasty_scalars,
    st.lists(nasty_scalars, max_size=3),
    st.dictionaries(st.text(max_size=6), nasty_scalars, max_size=2),
)


def paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value (leaf or not) in nested dicts and lists."""
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += paths(v, (*prefix, i))
    return out


def mutate(doc: Any, data: st.DataObject) -> Any:
    """Replace, delete, rename or add one value somewhere in a document."""
    doc = copy.deepcopy(doc)
    all_paths = paths(doc)
    path = data.draw(st.sampled_from(all_paths))
    parent: Any = doc
    for k in path[:-1]:
        parent = parent[k]
    key = path[-1]
    action = data.draw(st.sampled_from(["replace", "replace", "delete", "rename", "add"]))
    if action == "replace":
        parent[key] = data.draw(nasty_values)
    elif action == "delete":
        del parent[key]
    elif action == "rename" and isinstance(parent, dict):
        parent[str(key)[:-1] + data.draw(st.sampled_from(["", "s", "_x", "S"]))] = \
            parent.pop(key)
    elif isinstance(parent, dict):
        parent[data.draw(st.sampled_from(["extra", "units", "name", "id", "1"]))] = \
            data.draw(nasty_values)
    else:
        parent.append(data.draw(nasty_values))
    return doc


def check_clean(res: Any) -> None:
    out = " ".join(res.output.split())
    assert "Traceback" not in res.output, res.output
    assert isinstance(res.exception, SystemExit | None), repr(res.exception)
    if res.exit_code == 2:
        assert "invalid input" in out, res.output
        assert any(f in out for f in FILES), res.output
    else:
        assert res.exit_code in (0, 3), res.output


def plan(path: Path, out: Path) -> Any:
    return runner.invoke(app, ["plan", str(path), "-o", str(out), "--json"])


def _dump(doc: Any) -> str:
    try:
        return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    except yaml.YAMLError:
        return "not: [yaml"


@FUZZ
@given(data=st.data())
def test_mutated_scenario(tmp_path_factory: Any, data: st.DataObject) -> None:
    tmp = tmp_path_factory.mktemp("fz")
    path = make_scenario(tmp, scenario=BASE_SCENARIO, demand=BASE_DEMAND)
    doc = yaml.safe_load(path.read_text())
    for _ in range(data.draw(st.integers(1, 2))):
        doc = mutate(doc, data)
    path.write_text(_dump(doc))
    check_clean(plan(path, tmp / "out"))


@FUZZ
@given(data=st.data())
def test_mutated_catalog_and_profile(tmp_path_factory: Any, data: st.DataObject) -> None:
    tmp = tmp_path_factory.mktemp("fz")
    which = data.draw(st.sampled_from(["catalog", "profile"]))
    cat = copy.deepcopy(BASE_CATALOG)
    prof = copy.deepcopy(BASE_PROFILE)
    if which == "catalog":
        cat = mutate(cat, data)
    else:
        prof = mutate(prof, data)
    path = make_scenario(tmp, scenario=BASE_SCENARIO, demand=BASE_DEMAND)
    (tmp / "catalog.yaml").write_text(_dump(cat))
    (tmp / "models" / "m1.yaml").write_text(_dump(prof))
    check_clean(plan(path, tmp / "out"))


# A demand cell: numbers of every kind, and the text a spreadsheet might hold.
cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**6, 10**20).map(str),
    st.sampled_from(["", " ", "m1", "m2", "2027Q1", "2027Q4", "2028Q1", "2027-01", "2027",
                     "1e6", "-0", "1_000", "NaN", "Infinity", "=SUM(A1)", "\"", "a,b", "10 "]),
    st.text(max_size=8),
)


@FUZZ
@given(data=st.data())
def test_mutated_demand_csv(tmp_path_factory: Any, data: st.DataObject) -> None:
    tmp = tmp_path_factory.mktemp("fz")
    path = make_scenario(tmp, scenario=BASE_SCENARIO, demand=BASE_DEMAND)
    lines = [line.split(",") for line in (tmp / "demand.csv").read_text().splitlines()]
    for _ in range(data.draw(st.integers(1, 3))):
        action = data.draw(st.sampled_from(["cell", "cell", "row", "drop", "header"]))
        if action == "cell":
            r = data.draw(st.integers(1, len(lines) - 1))
            c = data.draw(st.integers(0, len(lines[r]) - 1))
            lines[r][c] = data.draw(cells)
        elif action == "row":
            lines.append([data.draw(cells) for _ in range(data.draw(st.integers(1, 5)))])
        elif action == "drop" and len(lines) > 1:
            lines.pop(data.draw(st.integers(0, len(lines) - 1)))
        else:
            lines[0][data.draw(st.integers(0, len(lines[0]) - 1))] = data.draw(cells)
    (tmp / "demand.csv").write_text("\n".join(",".join(r) for r in lines) + "\n")
    check_clean(plan(path, tmp / "out"))


@FUZZ
@given(data=st.data())
def test_mutated_raw_bytes(tmp_path_factory: Any, data: st.DataObject) -> None:
    """Bytes flipped, cut or inserted anywhere in one of the files."""
    tmp = tmp_path_factory.mktemp("fz")
    path = make_scenario(tmp, scenario=BASE_SCENARIO, demand=BASE_DEMAND)
    target = data.draw(st.sampled_from([path, tmp / "catalog.yaml", tmp / "demand.csv",
                                        tmp / "models" / "m1.yaml"]))
    raw = bytearray(target.read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(raw)))
        action = data.draw(st.sampled_from(["insert", "flip", "cut"]))
        if action == "insert":
            raw[i:i] = data.draw(st.binary(min_size=1, max_size=4))
        elif action == "flip" and i < len(raw):
            raw[i] = data.draw(st.integers(0, 255))
        else:
            del raw[i:i + data.draw(st.integers(1, 40))]
    target.write_bytes(bytes(raw))
    check_clean(plan(path, tmp / "out"))


def test_fuzz_base_scenario_plans(tmp_path: Path) -> None:
    """The unmutated base is a valid plan, so the fuzz explores around a real plan."""
    path = make_scenario(tmp_path, scenario=BASE_SCENARIO, demand=BASE_DEMAND)
    res = plan(path, tmp_path / "out")
    assert res.exit_code == 0, res.output
    assert not math.isnan(float(res.output.split('"total_cost_usd":')[1].split(",")[0]))


@pytest.mark.parametrize("capex_usd", [1e-300, 1e-12])
def test_a_vanishing_price_beside_real_ones_plans(tmp_path: Path, capex_usd: float) -> None:
    """A random draw found it: one system at $1e-300 beside $3e5 ones (with a budget)
    made budget-row coefficients of 3e152, which HiGHS refused (exit 1, "a planner bug");
    the row's scale now keeps its largest coefficient at most 1e6."""
    cat = copy.deepcopy(BASE_CATALOG)
    cat["systems"][0]["capex_usd"] = capex_usd
    path = make_scenario(tmp_path, scenario=BASE_SCENARIO, demand=BASE_DEMAND)
    (tmp_path / "catalog.yaml").write_text(_dump(cat))
    res = plan(path, tmp_path / "out")
    assert res.exit_code in (0, 3), res.output
    assert "Traceback" not in res.output
