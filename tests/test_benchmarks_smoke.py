"""Smoke test of the benchmark generator (the benchmarks themselves are not tests)."""

from __future__ import annotations

import sys
from pathlib import Path

from planner.core.prepare import prepare
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


def test_generator_refresh_option(tmp_path: Path) -> None:
    """C. refresh: off by default (v1 files); on, the same scenario with retirement
    allowed and resale values, planned to optimality in both formulations alike."""
    from planner.api import solve_data
    from planner.core.highs import HighsSettings

    base = write("2x6x4x2", 3, tmp_path / "v1")
    on = write("2x6x4x2", 3, tmp_path / "c", refresh=True)
    assert (on.parent / "demand.csv").read_bytes() == (base.parent / "demand.csv").read_bytes()
    data = prepare(load_inputs(on))
    assert data.allow_retirement and data.xretire_index
    assert all(s.resale_fraction > 0 for s in data.systems.values())
    settings = HighsSettings(time_limit_s=60, mip_rel_gap=1e-6, random_seed=0)
    strong = solve_data(data, settings)
    plain = solve_data(data, settings, formulation="plain", heuristic=False)
    assert strong.outcome.objective is not None and plain.outcome.objective is not None
    assert abs(strong.outcome.objective - plain.outcome.objective) <= 2e-6 * abs(
        plain.outcome.objective)
    v1 = solve_data(prepare(load_inputs(base)), settings)
    assert strong.outcome.objective <= v1.outcome.objective * (1 + 1e-6)
