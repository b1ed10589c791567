"""A model too large to build is refused before it is built, with the input to blame."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from planner.api import plan
from planner.core.prepare import prepare
from planner.core.size import check_size, model_size
from planner.errors import InputError
from planner.inputs.loader import load_inputs


def test_the_count_is_the_model_built(scenario_factory: Any) -> None:
    """The estimate is the number of columns the model really has, in both formulations."""
    from planner.core.build import build_model  # the solver stack
    from planner.core.compile import compile_model

    data = prepare(load_inputs(scenario_factory()))
    for formulation in ("strong", "plain"):
        compiled = compile_model(build_model(data, formulation=formulation))
        n_columns = sum(len(keys) for keys, _ in compiled.columns.values())
        assert model_size(data, formulation).columns == n_columns, formulation


def _many_classes(tmp_path: Path, scenario_factory: Any, n: int) -> Path:
    base = scenario_factory()
    demand = base.parent / "demand.csv"
    head, first = demand.read_text().splitlines()[:2]
    period, model = first.split(",")[:2]
    rows = [f"{period},{model},1000,{1 + k * 0.001:.3f}" for k in range(n)]
    demand.write_text("\n".join([head, *rows]) + "\n")
    return base


def test_too_many_demand_classes_are_refused_naming_the_demand(tmp_path: Path,
                                                               scenario_factory: Any) -> None:
    base = _many_classes(tmp_path, scenario_factory, 300)
    with pytest.raises(InputError) as err:
        plan(base, max_columns=200)
    (issue,) = err.value.issues
    assert issue.file.endswith("demand.csv") and issue.field == "demand"
    assert "the limit of 200" in issue.message and "300 demand classes" in issue.message
    plan(base, max_columns=10_000)  # the same scenario under a higher limit plans


def test_too_many_sites_are_refused_naming_the_scenario(scenario_factory: Any) -> None:
    data = prepare(load_inputs(scenario_factory()))
    size = model_size(data)
    with pytest.raises(InputError) as err:
        check_size(data, max_columns=size.unmet_columns + size.serving_columns,
                   scenario_file="s.yaml")
    (issue,) = err.value.issues
    assert (issue.file, issue.field) == ("s.yaml", "sites")
    assert "purchase variables" in issue.message


def test_the_time_limit_counts_the_stages_before_highs(scenario_factory: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Time already spent (loading, building) is taken from HiGHS's limit: a run that
    started 100 s ago with a 101 s limit leaves HiGHS about 1 s."""
    import time

    import planner.core.solve as core_solve
    from planner.analysis.solve import solve_data
    from planner.core.solve import solver_settings

    seen: list[float] = []
    real = core_solve.PlanSession

    class Recording(real):  # type: ignore[misc, valid-type]
        def __init__(self, compiled: Any, settings: Any) -> None:
            seen.append(settings.time_limit_s)
            super().__init__(compiled, settings)

    monkeypatch.setattr(core_solve, "PlanSession", Recording)
    inputs = load_inputs(scenario_factory())
    settings = solver_settings(inputs, 101.0, None, 1, None)
    solve_data(prepare(inputs), settings, started_at=time.perf_counter() - 100.0)
    assert seen and seen[-1] <= 1.0
    seen.clear()
    solve_data(prepare(inputs), settings)  # started now: nearly all of the limit is left
    assert seen and seen[-1] > 90.0
