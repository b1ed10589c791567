"""Smoke test of the benchmark generator (the benchmarks themselves are not tests)."""

from __future__ import annotations

import sys
from pathlib import Path

from planner.core.problem import prepare
from planner.inputs.loader import load_inputs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import SIZES, Dims, write  # noqa: E402


def test_generator_writes_valid_deterministic_scenarios(tmp_path: Path) -> None:
    a = write("small", 3, tmp_path / "a")
    b = write("small", 3, tmp_path / "b")
    for name in ("scenario.yaml", "catalog.yaml", "demand.csv"):
        assert (a.parent / name).read_bytes() == (b.parent / name).read_bytes()
    c = write("small", 4, tmp_path / "c")
    assert (c.parent / "demand.csv").read_bytes() != (a.parent / "demand.csv").read_bytes()
    data = prepare(load_inputs(a))  # loads and validates
    halls, quarters, systems, models = SIZES["small"]
    assert len(data.sites) == halls
    assert len(data.labels) == quarters
    assert len(list((a.parent / "models").glob("*.yaml"))) == models
    assert len(load_inputs(a).catalog.systems) == systems
    assert data.budget_per_period_usd and data.budget_total_usd
    assert any(s.available_from for s in load_inputs(write("medium", 1, tmp_path / "m")
                                                     ).scenario.sites)


def test_dims_parse() -> None:
    assert Dims.parse("large") == Dims(30, 40, 20, 15)
    assert Dims.parse("3x4x5x6") == Dims(3, 4, 5, 6)
