"""Property tests (hypothesis): more budget or more power never raises the optimal cost;
more demand never lowers it. Each example is a small random two-hall scenario solved to
optimality (mip_rel_gap 1e-9)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import planner
from tests.conftest import make_scenario

CATALOG = {
    "systems": [
        {"id": "old", "gpus_per_unit": 8, "unit_power_kw": 10.0, "capex_usd": 100_000.0,
         "opex_usd_per_year": 8_000, "racks_per_unit": 0.25, "source": "test"},
        {"id": "new", "gpus_per_unit": 8, "unit_power_kw": 15.0, "capex_usd": 300_000.0,
         "opex_usd_per_year": 20_000, "racks_per_unit": 0.5, "lead_time_periods": 1,
         "source": "test"},
        {"id": "rack", "gpus_per_unit": 72, "unit_power_kw": 130.0, "capex_usd": 3_000_000.0,
         "cooling": "liquid", "racks_per_unit": 1, "max_units_per_period": 2,
         "source": "test"},
    ]
}
PROFILES = [
    {"id": "m1", "throughput": {"old": [[10, 100.0], [50, 50.0]],
                                "new": [[10, 1000.0], [50, 500.0], [100, 100.0]],
                                "rack": [[20, 2000.0], [80, 900.0]]}},
    {"id": "m2", "throughput": {"old": [[5, 300.0], [30, 80.0]],
                                "rack": [[10, 4000.0], [60, 1500.0]]}},
]

scenarios = st.fixed_dictionaries({
    "demand": st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["m1", "m2"]),
                                 st.floats(1_000, 400_000), st.sampled_from([0, 10, 40, 70])),
                       min_size=1, max_size=5),
    "power_a": st.floats(0.02, 0.4),
    "power_b": st.floats(0.02, 0.6),
    "budget": st.one_of(st.none(), st.floats(2e5, 8e6)),
    "total_budget": st.one_of(st.none(), st.floats(5e5, 2e7)),
    "accounting": st.sampled_from(["amortized", "upfront"]),
    "rate": st.sampled_from([0.0, 0.08]),
    "penalty": st.sampled_from([5.0, 100.0]),
})

LABELS = ["2027Q1", "2027Q2", "2027Q3", "2027Q4"]


def cost(tmp: Path, p: dict[str, Any]) -> float:
    over: dict[str, Any] = {
        "sites": [
            {"name": "hall-a", "power_mw": p["power_a"], "pue": 1.3,
             "electricity_usd_per_mwh": 80, "max_racks": 40,
             "existing": [{"system": "old", "units": 1, "retire_after": "2027Q2"}]},
            {"name": "hall-b", "power_mw": p["power_b"], "cooling": "liquid",
             "available_from": "2027Q2", "electricity_usd_per_mwh": 60},
        ],
        "finance": {"capex_accounting": p["accounting"], "discount_rate": p["rate"]},
        "options": {"unmet_penalty_usd_per_mtok": p["penalty"], "target_utilization": 0.8},
        "budget": {k: v for k, v in (("capex_usd_per_period", p["budget"]),
                                     ("total_capex_usd", p["total_budget"]))
                   if v is not None},
    }
    demand = [(LABELS[t], m, d, slo) for t, m, d, slo in p["demand"]]
    path = make_scenario(tmp, scenario=over, catalog=copy.deepcopy(CATALOG),
                         profiles=copy.deepcopy(PROFILES), demand=demand)
    result = planner.plan(path)
    assert result.summary.status == "optimal"
    return float(result.summary.total_cost_usd)


def close_or_below(a: float, b: float) -> bool:
    """a <= b up to solver tolerance."""
    return a <= b + 1e-6 * max(1.0, abs(b))


SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@SETTINGS
@given(p=scenarios, extra=st.floats(1.1, 3.0))
def test_more_budget_never_costs_more(tmp_path: Path, p: dict[str, Any], extra: float) -> None:
    base = cost(tmp_path / "a", p)
    more = dict(p)
    more["budget"] = None if p["budget"] is None else p["budget"] * extra
    more["total_budget"] = None if p["total_budget"] is None else p["total_budget"] * extra
    assert close_or_below(cost(tmp_path / "b", more), base)


@SETTINGS
@given(p=scenarios, extra=st.floats(0.01, 0.5))
def test_more_power_never_costs_more(tmp_path: Path, p: dict[str, Any], extra: float) -> None:
    base = cost(tmp_path / "a", p)
    more = dict(p, power_a=p["power_a"] + extra, power_b=p["power_b"] + extra)
    assert close_or_below(cost(tmp_path / "b", more), base)


@SETTINGS
@given(p=scenarios, factor=st.floats(1.05, 2.0))
def test_more_demand_never_costs_less(tmp_path: Path, p: dict[str, Any], factor: float) -> None:
    base = cost(tmp_path / "a", p)
    more = dict(p, demand=[(t, m, d * factor, slo) for t, m, d, slo in p["demand"]])
    assert close_or_below(base, cost(tmp_path / "b", more))
