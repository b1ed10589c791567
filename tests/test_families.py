"""One binding micro case per constraint family, in both formulations, on one hall and on
two: the same hand-checked optimum from `plain` (the contract's math, no heuristic) and
`strong` (the default), the limit visibly at its cap in the plan, and a cheaper optimum
once the limit is lifted (from the data; for row families also by dropping the rows from
the plain model).

Test catalogue (tests/conftest.py): `old` = 8 GPUs, 10 kW, $100k, 800 tokens/s per unit
at an SLO of 10 tokens/s per user; `new` = 8 GPUs, 15 kW, $300k, 8000 tokens/s per unit
at 10 and 2400 at 75 (`old` cannot serve 75). Halls of 1 MW, 4 quarters from 2027Q1,
upfront capex, no energy cost, unmet demand at $100/Mtok: 1 token/s unmet for a quarter
costs Q = 2190*3600/1e6*100 = $788.4.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from planner.api import PlanResult, solve_data
from planner.core.build import build_model
from planner.core.compile import compile_model
from planner.core.highs import HighsSettings
from planner.core.prepare import prepare
from planner.core.problem import PlanData
from planner.core.session import PlanSession
from planner.inputs.loader import load_inputs
from tests.conftest import BASE_CATALOG, make_scenario

Q = 2190 * 3600 / 1e6 * 100  # $ per (token/s) unmet for one quarter
EXACT = HighsSettings(time_limit_s=30, mip_rel_gap=1e-9, random_seed=0)
NAMES = ["hall-a", "hall-b", "hall-c"]


def cat_with(**changes: dict[str, Any]) -> dict[str, Any]:
    cat = copy.deepcopy(BASE_CATALOG)
    for sysd in cat["systems"]:
        sysd.update(changes.get(sysd["id"], {}))
    return cat


def halls(n: int, **site: Any) -> list[dict[str, Any]]:
    return [{"name": NAMES[i], "power_mw": 1.0, **copy.deepcopy(site)} for i in range(n)]


def bought(r: PlanResult, system: str | None = None) -> dict[str, int]:
    """Units bought per period (over all halls), of one system or of all."""
    pp = r.tables.purchase_plan
    if system is not None:
        pp = pp[pp["system"] == system]
    return {str(k): int(v) for k, v in pp.groupby("period")["units"].sum().items()}


@dataclass
class Case:
    family: str
    halls: int
    kw: dict[str, Any]  # make_scenario arguments of the binding scenario
    cost: float  # its optimum, worked out by hand
    binds: Callable[[PlanResult], None]  # asserts the limit is at its cap in the plan
    relaxed: dict[str, Any] | None = None  # the same with the limit lifted
    relaxed_cost: float | None = None
    rows: str | None = None  # the family's rows in the plain model (None: by construction)
    drop: bool = True  # dropping those rows from the plain model lowers the optimum

    @property
    def id(self) -> str:
        return f"{self.family}-{self.halls}hall" + ("s" if self.halls > 1 else "")


def fleet_balance(n: int) -> Case:
    """Each hall has 1 existing `new` (opex $4k/year), retired after Q2; 8000n tokens/s
    in Q1 (the existing units) and Q3 (n new units, bought in Q3: earlier costs opex).
    Cost: 300k n + opex (n units x 4 quarters x $1k). Kept to the end: opex only."""
    cat = cat_with(new={"opex_usd_per_year": 4_000})
    ex = {"existing": [{"system": "new", "units": 1, "retire_after": "2027Q2"}]}
    dem = [("2027Q1", "m1", 8000.0 * n, 10.0), ("2027Q3", "m1", 8000.0 * n, 10.0)]

    def binds(r: PlanResult) -> None:
        assert bought(r) == {"2027Q3": n}
        fl = r.tables.fleet
        assert set(fl[fl["existing_units"] > 0]["period"]) == {"2027Q1", "2027Q2"}
        assert fl.groupby("period")["units"].sum().to_dict() == {p: n for p in (
            "2027Q1", "2027Q2", "2027Q3", "2027Q4")}

    return Case("fleet_balance", n, {"catalog": cat, "demand": dem,
                                     "scenario": {"sites": halls(n, **ex)}},
                300_000 * n + 4_000 * n, binds,
                {"catalog": cat, "demand": dem, "scenario": {"sites": halls(n, existing=[
                    {"system": "new", "units": 1}])}}, 4_000 * n, rows="fleet_balance")


def demand(n: int) -> Case:
    """Strict 16000 tokens/s: 2 new ($600k), served exactly; 8000 needs one ($300k)."""
    strict = {"options": {"strict_demand": True}, "sites": halls(n)}

    def binds(r: PlanResult) -> None:
        sv = r.tables.service
        assert list(sv["served_tokens_per_s"]) == [16000.0]
        assert list(sv["unmet_tokens_per_s"]) == [0.0]
        assert bought(r) == {"2027Q1": 2}

    return Case("demand", n, {"scenario": strict, "demand": [("2027Q1", "m1", 16000.0, 10.0)]},
                600_000, binds,
                {"scenario": strict, "demand": [("2027Q1", "m1", 8000.0, 10.0)]}, 300_000,
                rows="demand")


def assign(n: int) -> Case:
    """2400 tokens/s at SLO 75 (one whole `new`) and 8000 at SLO 10 (another `new`; 10 old
    cost more): a unit serves one class at a time, so 2 new ($600k), both fully used."""
    dem = [("2027Q1", "m1", 2400.0, 75.0), ("2027Q1", "m1", 8000.0, 10.0)]

    def binds(r: PlanResult) -> None:
        al = r.tables.allocation
        assert al["units"].sum() == pytest.approx(2.0)
        assert bought(r) == {"2027Q1": 2}

    return Case("assign", n, {"scenario": {"sites": halls(n)}, "demand": dem}, 600_000, binds,
                rows="assign")


def power(n: int) -> Case:
    """Halls of 15 kW hold one `new` each; 8000(n+1) tokens/s: n new, 8000 unmet.
    With 1 MW halls: n+1 new."""
    dem = [("2027Q1", "m1", 8000.0 * (n + 1), 10.0)]

    def binds(r: PlanResult) -> None:
        st = r.tables.sites
        assert list(st[st["period"] == "2027Q1"]["power_kw"]) == [15.0] * n
        assert bought(r, "new") == {"2027Q1": n}

    return Case("power", n, {"scenario": {"sites": halls(n, power_mw=0.015)}, "demand": dem},
                300_000 * n + 8000 * Q, binds,
                {"scenario": {"sites": halls(n)}, "demand": dem}, 300_000 * (n + 1),
                rows="power")


def space(n: int) -> Case:
    """Every unit takes a rack, halls hold one: n new, 8000 unmet (as for power)."""
    cat = cat_with(new={"racks_per_unit": 1.0}, old={"racks_per_unit": 1.0})
    dem = [("2027Q1", "m1", 8000.0 * (n + 1), 10.0)]

    def binds(r: PlanResult) -> None:
        st = r.tables.sites
        assert list(st[st["period"] == "2027Q1"]["racks"]) == [1.0] * n
        assert bought(r, "new") == {"2027Q1": n}

    return Case("space", n, {"catalog": cat, "demand": dem,
                             "scenario": {"sites": halls(n, max_racks=1)}},
                300_000 * n + 8000 * Q, binds,
                {"catalog": cat, "demand": dem, "scenario": {"sites": halls(n)}},
                300_000 * (n + 1), rows="space")


def supply(n: int) -> Case:
    """At most 1 `new` a quarter over all halls; 16000 tokens/s in Q1: 1 new + 10 old
    ($1.3M); uncapped, 2 new ($600k). The one-hall plain case failed before the supply
    row was written for one hall (it bought 2 new)."""
    cat = cat_with(new={"max_units_per_period": 1})
    dem = [("2027Q1", "m1", 16000.0, 10.0)]

    def binds(r: PlanResult) -> None:
        assert bought(r, "new") == {"2027Q1": 1}
        assert bought(r, "old") == {"2027Q1": 10}

    return Case("supply", n, {"catalog": cat, "demand": dem, "scenario": {"sites": halls(n)}},
                1_300_000, binds,
                {"demand": dem, "scenario": {"sites": halls(n)}}, 600_000, rows="supply")


def supply_one_buyer() -> Case:
    """Two halls, but only the liquid one can buy the (liquid) `new`: its supply cap of 1
    has one hall to cover, and must still hold (as `supply` otherwise)."""
    case = supply(2)
    sites = [{"name": "hall-a", "power_mw": 1.0},
             {"name": "hall-b", "power_mw": 1.0, "cooling": "liquid"}]
    liquid = {"cooling": "liquid"}
    case.kw["catalog"] = cat_with(new={"max_units_per_period": 1, **liquid})
    case.kw["scenario"] = {"sites": sites}
    case.relaxed = {"catalog": cat_with(new=liquid), "demand": case.kw["demand"],
                    "scenario": {"sites": sites}}
    case.family = "supply_one_buyer"
    case.rows = "supply"
    return case


def budget(n: int) -> Case:
    """$200k a quarter, 8000 tokens/s in Q4: `new` never fits a quarter; 2 old a quarter,
    8 old ($800k) serve 6400, 1600 unmet. Without the cap: 1 new ($300k)."""
    dem = [("2027Q4", "m1", 8000.0, 10.0)]

    def binds(r: PlanResult) -> None:
        per = r.tables.purchase_plan.groupby("period")["capex_usd"].sum().to_dict()
        assert per == {p: 200_000.0 for p in ("2027Q1", "2027Q2", "2027Q3", "2027Q4")}

    sc = {"sites": halls(n), "budget": {"capex_usd_per_period": 200_000}}
    return Case("budget", n, {"scenario": sc, "demand": dem}, 800_000 + 1600 * Q, binds,
                {"scenario": {"sites": halls(n)}, "demand": dem}, 300_000, rows="budget")


def budget_total(n: int) -> Case:
    """$200k over the horizon, 8000 tokens/s in Q1: 2 old, 6400 unmet; uncapped 1 new."""
    dem = [("2027Q1", "m1", 8000.0, 10.0)]

    def binds(r: PlanResult) -> None:
        assert r.tables.purchase_plan["capex_usd"].sum() == 200_000.0
        assert bought(r, "old") == {"2027Q1": 2}

    sc = {"sites": halls(n), "budget": {"total_capex_usd": 200_000}}
    return Case("budget_total", n, {"scenario": sc, "demand": dem}, 200_000 + 6400 * Q, binds,
                {"scenario": {"sites": halls(n)}, "demand": dem}, 300_000,
                rows="budget_total")


def cooling(n: int) -> Case:
    """`new` is liquid-cooled. One air hall: 10 old ($1M); liquid: 1 new. Two halls, air
    hall-a and liquid hall-b of 15 kW, 16000 tokens/s: 1 new in hall-b + 10 old ($1.3M);
    both liquid: a new in each ($600k)."""
    cat = cat_with(new={"cooling": "liquid"})
    if n == 1:
        sites = halls(1)
        liquid = halls(1, cooling="liquid")
        dem = [("2027Q1", "m1", 8000.0, 10.0)]
        cost, relaxed_cost = 1_000_000, 300_000
    else:
        sites = [{"name": "hall-a", "power_mw": 1.0},
                 {"name": "hall-b", "power_mw": 0.015, "cooling": "liquid"}]
        liquid = [dict(s, cooling="liquid") for s in sites]
        dem = [("2027Q1", "m1", 16000.0, 10.0)]
        cost, relaxed_cost = 1_300_000, 600_000

    def binds(r: PlanResult) -> None:
        pp = r.tables.purchase_plan
        assert set(pp[pp["system"] == "new"]["site"]) <= {"hall-b"}
        assert bought(r, "old") == {"2027Q1": 10}
        assert not any(s == "hall-a" and g == "new" for s, g, _t in r.data.buy_index)

    return Case("cooling", n, {"catalog": cat, "demand": dem, "scenario": {"sites": sites}},
                cost, binds, {"catalog": cat, "demand": dem, "scenario": {"sites": liquid}},
                relaxed_cost)


def availability(n: int) -> Case:
    """The hall that can hold a unit opens in 2027Q3 (with two halls, hall-a has 5 kW:
    nothing fits): 8000 tokens/s in Q2 go unmet, Q3's are served by 1 new."""
    late = {"available_from": "2027Q3"}
    sites = [dict(halls(1)[0], **late)] if n == 1 else [
        {"name": "hall-a", "power_mw": 0.005}, {"name": "hall-b", "power_mw": 1.0, **late}]
    opened = [{k: v for k, v in s.items() if k != "available_from"} for s in sites]
    dem = [("2027Q2", "m1", 8000.0, 10.0), ("2027Q3", "m1", 8000.0, 10.0)]

    def binds(r: PlanResult) -> None:
        assert bought(r) == {"2027Q3": 1}
        sv = r.tables.service.set_index("period")["unmet_tokens_per_s"]
        assert sv.to_dict() == {"2027Q2": 8000.0, "2027Q3": 0.0}

    return Case("availability", n, {"demand": dem, "scenario": {"sites": sites}},
                300_000 + 8000 * Q, binds, {"demand": dem, "scenario": {"sites": opened}},
                300_000)


def lead_time(n: int) -> Case:
    """`new` takes 2 quarters to arrive: 8000n tokens/s in Q1 need 10n old."""
    cat = cat_with(new={"lead_time_periods": 2})
    dem = [("2027Q1", "m1", 8000.0 * n, 10.0)]

    def binds(r: PlanResult) -> None:
        assert bought(r) == {"2027Q1": 10 * n} and bought(r, "new") == {}
        assert min(t for _s, g, t in r.data.buy_index if g == "new") == 2

    return Case("lead_time", n, {"catalog": cat, "demand": dem, "scenario": {"sites": halls(n)}},
                1_000_000 * n, binds,
                {"demand": dem, "scenario": {"sites": halls(n)}}, 300_000 * n)


def whole_unit(n: int) -> Case:
    """Strict 0.01 tokens/s: a tiny share (1.25e-5) of one `old`, but a whole unit must be
    bought ($100k): the `whole_unit` rows keep the solver's tolerance from serving it from
    an empty fleet. (Not dropped: whether a tolerance is exploited is the solver's call.)"""
    strict = {"options": {"strict_demand": True}, "sites": halls(n)}

    def binds(r: PlanResult) -> None:
        assert bought(r, "old") == {"2027Q1": 1}
        assert r.tables.allocation["units"].sum() == pytest.approx(0.01 / 800)
        assert list(r.tables.service["served_tokens_per_s"]) == [0.01]

    return Case("whole_unit", n, {"scenario": strict, "demand": [("2027Q1", "m1", 0.01, 10.0)]},
                100_000, binds, rows="whole_unit", drop=False)


BUILDERS = [fleet_balance, demand, assign, power, space, supply, budget, budget_total,
            cooling, availability, lead_time, whole_unit]
CASES = [b(n) for b in BUILDERS for n in (1, 2)] + [supply_one_buyer()]


def _data(tmp: Path, kw: dict[str, Any]) -> PlanData:
    return prepare(load_inputs(make_scenario(tmp, **copy.deepcopy(kw))))


def _both(data: PlanData) -> tuple[PlanResult, PlanResult]:
    plain = solve_data(data, EXACT, formulation="plain", heuristic=False)
    strong = solve_data(data, EXACT)
    return plain, strong


def _objective_without(data: PlanData, family: str) -> float:
    """The plain model's optimum with one constraint family's rows dropped."""
    m = build_model(data, formulation="plain")
    getattr(m, family).deactivate()
    out = PlanSession(compile_model(m), EXACT).solve()
    assert out.status == "optimal" and out.objective is not None
    return out.objective


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_family_binds_with_the_same_optimum(case: Case, tmp_path: Path) -> None:
    data = _data(tmp_path / "binding", case.kw)
    assert len(data.sites) == case.halls
    plain, strong = _both(data)
    for r in (plain, strong):
        assert r.outcome.status == "optimal"
        assert r.outcome.objective == pytest.approx(case.cost, rel=1e-9)
        assert r.summary.total_cost_usd == pytest.approx(case.cost, rel=1e-9)
        case.binds(r)
    if case.rows is not None:
        # the plain model writes the family's rows whenever the limit exists
        m = build_model(data, formulation="plain")
        assert len(getattr(m, case.rows)) > 0
        if case.drop:
            assert _objective_without(data, case.rows) < case.cost * (1 - 1e-6)
    if case.relaxed is not None:
        assert case.relaxed_cost is not None and case.relaxed_cost < case.cost
        lifted = _both(_data(tmp_path / "relaxed", case.relaxed))
        for r in lifted:
            assert r.outcome.objective == pytest.approx(case.relaxed_cost, rel=1e-9)
