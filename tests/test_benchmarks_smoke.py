"""Smoke test of the benchmark generator (the benchmarks themselves are not tests)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

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


# --------------------------------------------------------------------------- families


def test_families_are_deterministic_valid_and_have_their_structure(tmp_path: Path) -> None:
    """Every family of benchmarks/families.py writes the same bytes for the same seed,
    loads and validates, and has the structure its name promises."""
    import families as fam_mod

    for fam in fam_mod.FAMILIES:
        a = fam_mod.write(fam, "small", 2, tmp_path / f"{fam}-a")
        b = fam_mod.write(fam, "small", 2, tmp_path / f"{fam}-b")
        for name in ("scenario.yaml", "catalog.yaml", "demand.csv"):
            assert (a.parent / name).read_bytes() == (b.parent / name).read_bytes(), fam
        inputs = load_inputs(a)
        data = prepare(inputs)
        sc = inputs.scenario
        halls, periods, systems, models = fam_mod.SIZES["small"]
        assert len(inputs.catalog.systems) == systems
        assert len(inputs.profiles) == models
        slos: dict[str, set[float]] = {}
        for c in data.classes:
            slos.setdefault(c.model, set()).add(c.slo)
        if fam == "floorspace":
            assert all(s.max_racks is not None for s in sc.sites)
            assert sc.budget.capex_usd_per_period and sc.budget.total_capex_usd is None
            assert all(len(set(v)) == 1 for v in slos.values())
            assert all(len(pts) == 3 for p in inputs.profiles.values()
                       for pts in p.throughput.values())
        elif fam == "budget":
            assert sc.budget.capex_usd_per_period and sc.budget.total_capex_usd
        elif fam == "slo-classes":
            assert max(len(v) for v in slos.values()) >= 4
            assert all(4 <= len(pts) <= 8 for p in inputs.profiles.values()
                       for pts in p.throughput.values())
        elif fam in ("few-big-halls", "many-small-halls"):
            n = len(sc.sites)
            assert n == (max(2, halls // 3) if fam == "few-big-halls" else 3 * halls)
            assert abs(sum(s.power_mw for s in sc.sites) - 10.0 * halls) < 0.05 * n
        elif fam in ("monthly", "yearly"):
            assert sc.horizon.granularity == {"monthly": "month", "yearly": "year"}[fam]
        elif fam == "installed-base":
            assert all(s.existing for s in sc.sites)
            assert sc.options.allow_retirement  # even seed
        else:
            raise AssertionError(f"no structure check for family {fam}")
    other = fam_mod.write("installed-base", "small", 3, tmp_path / "odd")
    assert not load_inputs(other).scenario.options.allow_retirement


def test_family_sizes_and_granularity() -> None:
    import families as fam_mod

    assert fam_mod.Dims.parse("xxl") == fam_mod.Dims(100, 60, 30, 20)
    xxl = fam_mod.generate("floorspace", "xxl", 1)["scenario"]["horizon"]
    assert xxl["granularity"] == "month" and xxl["periods"] == 60
    year = fam_mod.generate("yearly", "large", 1)["scenario"]["horizon"]
    assert year["granularity"] == "year" and year["periods"] == 12


@pytest.mark.parametrize("family,seed", [
    ("floorspace", 1), ("budget", 1), ("slo-classes", 1), ("few-big-halls", 1),
    ("many-small-halls", 1), ("monthly", 1), ("yearly", 1), ("installed-base", 1),
    ("installed-base", 2)])
def test_family_plans_to_the_same_optimum_in_both_formulations(tmp_path: Path, family: str,
                                                               seed: int) -> None:
    """A tiny scenario of each family (2 halls x 4 periods x 4 systems x 2 models; seed 2
    of installed-base allows retirement): the strong formulation with the start plan and
    the contract's plain math reach the same optimum."""
    import families as fam_mod

    from planner.api import solve_data
    from planner.core.highs import HighsSettings

    data = prepare(load_inputs(fam_mod.write(family, "2x4x4x2", seed, tmp_path / family)))
    # Some of these tiny programs take HiGHS minutes to prove 1e-6 (installed-base seed 2,
    # retirement with resale, stops near 5e-5 after 60 s in either formulation), so the
    # test asks what must hold whatever the solver's luck: each formulation's plan costs
    # no less than the other's proven bound (the two [bound, plan] intervals overlap),
    # and both are within 0.1% of optimal.
    settings = HighsSettings(time_limit_s=15, mip_rel_gap=1e-6, random_seed=0)
    strong = solve_data(data, settings)
    plain = solve_data(data, settings, formulation="plain", heuristic=False)
    for r in (strong, plain):
        assert r.outcome.status in ("optimal", "time_limit")
        assert r.outcome.objective is not None and r.outcome.best_bound is not None
        assert r.outcome.mip_gap is not None and r.outcome.mip_gap <= 1e-3
    tol = 1e-9 * abs(plain.outcome.objective)
    assert strong.outcome.objective >= plain.outcome.best_bound - tol
    assert plain.outcome.objective >= strong.outcome.best_bound - tol


def test_v2_overlay_adds_each_feature_to_every_family(tmp_path: Path) -> None:
    """benchmarks/v2overlay.py lays build, refresh, rent, prices and falling capex over a
    family's scenario: the same bytes for the same seed, valid, every feature present,
    and a feature switched off leaves the files as families.py wrote them."""
    import families as fam_mod
    from v2overlay import FEATURES, apply

    every = {f: True for f in FEATURES}
    for fam in fam_mod.FAMILIES:
        a = apply(fam_mod.write(fam, "small", 1, tmp_path / f"{fam}-a"), 1, **every)
        b = apply(fam_mod.write(fam, "small", 1, tmp_path / f"{fam}-b"), 1, **every)
        for name in ("scenario.yaml", "catalog.yaml", "demand.csv"):
            assert (a.parent / name).read_bytes() == (b.parent / name).read_bytes(), fam
        inputs = load_inputs(a)
        data = prepare(inputs)
        sc = inputs.scenario
        assert sc.options.allow_retirement, fam
        assert data.retire_index or data.xretire_index, fam
        assert len(sc.rent) == 2, fam
        assert all(s.capex_decline_per_year for s in inputs.catalog.systems), fam
        assert all(s.resale_fraction for s in inputs.catalog.systems), fam
        assert data.priced, fam
        assert "usd_per_mtok" in (a.parent / "demand.csv").read_text().splitlines()[0]
    built = apply(fam_mod.write("many-small-halls", "small", 1, tmp_path / "b"), 1,
                  build=True)
    assert any(s.build is not None for s in load_inputs(built).scenario.sites)
    plain = fam_mod.write("floorspace", "small", 1, tmp_path / "p")
    before = {n: (plain.parent / n).read_bytes() for n in ("scenario.yaml", "demand.csv")}
    apply(plain, 1)
    assert before == {n: (plain.parent / n).read_bytes() for n in before}
