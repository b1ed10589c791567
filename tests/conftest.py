"""Shared helpers: write small scenarios (catalogue, profiles, demand) into tmp folders."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

BASE_CATALOG: dict[str, Any] = {
    "systems": [
        # cheap per unit, few tokens
        {"id": "old", "gpus_per_unit": 8, "unit_power_kw": 10.0, "capex_usd": 100_000.0,
         "source": "test"},
        # dear per unit, many tokens
        {"id": "new", "gpus_per_unit": 8, "unit_power_kw": 15.0, "capex_usd": 300_000.0,
         "source": "test"},
    ]
}

BASE_PROFILE: dict[str, Any] = {
    "id": "m1",
    "source": "test",
    "throughput": {
        "old": [[10, 100.0], [50, 50.0]],
        "new": [[10, 1000.0], [50, 500.0], [100, 100.0]],
    },
}


# Four quarters of growing demand for m1, and a small hall that power limits (1 "new" unit
# = 15 kW serves 8000 tokens/s at 100%): energy priced and unmet demand cheap enough that
# a plan trades one against the other. Shared by the what-if, parallel and sweep tests.
GROWING = [("2027Q1", "m1", 8000.0, 10.0), ("2027Q2", "m1", 30000.0, 10.0),
           ("2027Q3", "m1", 60000.0, 10.0), ("2027Q4", "m1", 90000.0, 10.0)]
TIGHT: dict[str, Any] = {
    "sites": [{"name": "hall-a", "power_mw": 0.05, "pue": 1.3,
               "electricity_usd_per_mwh": 80}],
    "options": {"unmet_penalty_usd_per_mtok": 5},
}


def make_scenario(tmp: Path, *, scenario: dict[str, Any] | None = None,
                  catalog: dict[str, Any] | None = None,
                  profiles: list[dict[str, Any]] | None = None,
                  demand: list[tuple[str, str, float, float]] | str | None = None) -> Path:
    """Write a scenario folder and return the scenario path.

    Defaults: 4 quarters from 2027Q1, one air hall of 1 MW, upfront capex, no energy cost,
    the two-system test catalogue and one model `m1`.
    """
    tmp.mkdir(parents=True, exist_ok=True)
    cat = copy.deepcopy(catalog if catalog is not None else BASE_CATALOG)
    (tmp / "catalog.yaml").write_text(yaml.safe_dump(cat))
    mdir = tmp / "models"
    mdir.mkdir(exist_ok=True)
    for p in profiles if profiles is not None else [BASE_PROFILE]:
        (mdir / f"{p['id']}.yaml").write_text(yaml.safe_dump(p))
    if demand is None:
        demand = [("2027Q1", "m1", 8000.0, 10.0)]
    if isinstance(demand, str):
        text = demand
    else:
        text = "period,model,tokens_per_s,min_tokens_per_s_per_user\n" + "".join(
            f"{p},{m},{d!r},{slo!r}\n" for p, m, d, slo in demand)
    (tmp / "demand.csv").write_text(text)
    sc: dict[str, Any] = {
        "name": "test",
        "horizon": {"start": "2027Q1", "periods": 4, "granularity": "quarter"},
        "catalog": "catalog.yaml",
        "models": "models",
        "demand": "demand.csv",
        "sites": [{"name": "hall-a", "power_mw": 1.0}],
        "finance": {"capex_accounting": "upfront"},
        "solver": {"mip_rel_gap": 1e-9, "time_limit_s": 60},
    }
    if scenario:
        sc = deep_merge(sc, scenario)
    path = tmp / "scenario.yaml"
    path.write_text(yaml.safe_dump(sc, sort_keys=False))
    return path


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


@pytest.fixture
def scenario_factory(tmp_path: Path):  # type: ignore[no-untyped-def]
    counter = {"n": 0}

    def factory(**kw: Any) -> Path:
        counter["n"] += 1
        return make_scenario(tmp_path / f"s{counter['n']}", **kw)

    return factory


def failing_replace(at: int) -> Any:
    """An `os.replace` that fails with "No space left on device" on its `at`-th call:
    patch it into planner.io.output to break an atomic write half-way."""
    import os

    real_replace = os.replace
    calls = {"n": 0}

    def flaky_replace(src: Any, dst: Any) -> None:
        calls["n"] += 1
        if calls["n"] == at:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    return flaky_replace


def many_small_halls_medium(tmp: Path) -> Path:
    """benchmarks/families.py's many-small-halls, medium, seed 1 (30 halls: HiGHS does not
    prove it within seconds), written under `tmp`; its scenario path."""
    import sys

    bench = str(Path(__file__).resolve().parent.parent / "benchmarks")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    import families  # benchmarks/families.py

    return families.write("many-small-halls", "medium", 1, tmp / "many-small-halls")
