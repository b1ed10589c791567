"""Economics v2, sections B (renting), D (token prices) and E (falling capex): one binding
micro case per addition, each with its optimum worked out by hand in the docstring and
solved in both formulations (`plain`: the contract's math, no heuristic; `strong`: the
default), plus the input checks, the plan files and the report.

Test catalogue (tests/conftest.py): `old` = 8 GPUs, 10 kW, $100k, 100 tokens/s per GPU at
an SLO of 10; `new` = 8 GPUs, 15 kW, $300k, 1000 tokens/s per GPU at 10 (8000 per unit).
One 1 MW hall, 4 quarters from 2027Q1, upfront capex, no energy cost. One token/s for a
quarter is 2190 * 3600 / 1e6 = 7.884 Mtok, so at a price (or penalty) of p $/Mtok it is
worth 7.884 p dollars.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from planner.api import PlanResult, solve_data
from planner.cli import app
from planner.core.highs import HighsSettings
from planner.core.prepare import prepare
from planner.errors import InputError
from planner.inputs.loader import load_inputs
from tests.conftest import BASE_CATALOG, make_scenario

MTOK_Q = 2190 * 3600 / 1e6  # Mtok in one token/s for one quarter (7.884)
MTOK_Y = 8760 * 3600 / 1e6  # ... for one year (31.536)
EXACT = HighsSettings(time_limit_s=30, mip_rel_gap=1e-9, random_seed=0)
PEAK = [("2027Q2", "m1", 8000.0, 10.0)]  # one new unit's worth, one quarter


def _both(tmp: Path, **kw: Any) -> tuple[PlanResult, PlanResult]:
    data = prepare(load_inputs(make_scenario(tmp, **copy.deepcopy(kw))))
    plain = solve_data(data, EXACT, formulation="plain", heuristic=False)
    strong = solve_data(data, EXACT)
    return plain, strong


def _optimum(tmp: Path, cost: float, **kw: Any) -> tuple[PlanResult, PlanResult]:
    both = _both(tmp, **kw)
    for r in both:
        assert r.outcome.status == "optimal"
        assert r.outcome.objective == pytest.approx(cost, rel=1e-9)
        assert r.summary.total_cost_usd == pytest.approx(cost, rel=1e-9)
    return both


def _rent(**offer: Any) -> dict[str, Any]:
    return {"rent": [{"system": "new", **offer}]}


# --------------------------------------------------------------------------- B. renting


def test_renting_serves_a_short_peak_cheaper_than_buying(tmp_path: Path) -> None:
    """8000 tokens/s in 2027Q2 only. Buying: one `new`, $300,000 (10 `old`: $1M). Renting
    `new` at $10/GPU-hour: 8000 / 1000 = 8 GPUs x 2190 h x $10 = $175,200: cheaper."""
    for r in _optimum(tmp_path / "rent", 175_200.0, demand=PEAK,
                      scenario=_rent(usd_per_gpu_hour=10.0)):
        rp = r.tables.rent_plan
        assert rp is not None
        assert rp[["period", "offer", "system"]].values.tolist() == [["2027Q2", 0, "new"]]
        assert rp["gpus"].tolist() == pytest.approx([8.0])
        assert rp["tokens_per_s"].tolist() == pytest.approx([8000.0])
        assert rp["usd"].tolist() == pytest.approx([175_200.0])
        assert len(r.tables.purchase_plan) == 0
        assert r.tables.service["rented_tokens_per_s"].tolist() == pytest.approx([8000.0])
        assert r.summary.cost_breakdown_usd.rent == pytest.approx(175_200.0)
        assert r.summary.rented_share == pytest.approx(1.0)
        money = r.tables.money
        assert money is not None
        assert money[money["kind"] == "rent"].values.tolist() == [
            ["2027Q2", "rent", pytest.approx(175_200.0)]]
    # dearer than buying: $20/GPU-hour is $350,400, so the plan buys
    _optimum(tmp_path / "dear", 300_000.0, demand=PEAK, scenario=_rent(usd_per_gpu_hour=20.0))


def test_rent_price_defaults_to_the_catalogue_rental(tmp_path: Path) -> None:
    """`new` carries rental_usd_per_gpu_hour 10: the offer without a price pays it
    ($175,200, as above)."""
    cat = copy.deepcopy(BASE_CATALOG)
    cat["systems"][1]["rental_usd_per_gpu_hour"] = 10.0
    _optimum(tmp_path, 175_200.0, demand=PEAK, catalog=cat, scenario=_rent())


def test_max_gpus_binds(tmp_path: Path) -> None:
    """Unmet demand at $1/Mtok ($7.884 per token/s-quarter); renting at $1/GPU-hour is
    2190 / 1000 = $2.19 per token/s-quarter; buying `new` $37.5. With max_gpus 4: rent 4
    GPUs ($8,760) for 4000 tokens/s, leave 4000 unmet ($31,536): $40,296. Without the
    cap: 8 GPUs, $17,520."""
    cheap = {"options": {"unmet_penalty_usd_per_mtok": 1.0}}
    for r in _optimum(tmp_path / "cap", 8_760.0 + 4000 * MTOK_Q, demand=PEAK,
                      scenario={**cheap, **_rent(usd_per_gpu_hour=1.0, max_gpus=4)}):
        assert r.tables.rent_plan is not None
        assert r.tables.rent_plan["gpus"].tolist() == pytest.approx([4.0])
        assert r.tables.service["unmet_tokens_per_s"].tolist() == pytest.approx([4000.0])
        assert r.summary.shortfall is not None
        why = r.summary.shortfall.largest[0].why
        assert why == "binding: rent[0].max_gpus (4 GPUs of new held)"
    _optimum(tmp_path / "free", 17_520.0, demand=PEAK,
             scenario={**cheap, **_rent(usd_per_gpu_hour=1.0)})


def test_rent_window_binds(tmp_path: Path) -> None:
    """8000 tokens/s in Q1 and Q2, unmet at $1/Mtok; the offer stands until 2027Q1: Q1
    rented ($17,520), Q2 unmet (8000 x 7.884 = $63,072): $80,592. Offered through Q2:
    $35,040. An offer from 2027Q2 rents Q2 only: the same $80,592."""
    dem = [("2027Q1", "m1", 8000.0, 10.0), ("2027Q2", "m1", 8000.0, 10.0)]
    cheap = {"options": {"unmet_penalty_usd_per_mtok": 1.0}}
    for r in _optimum(tmp_path / "until", 17_520.0 + 8000 * MTOK_Q, demand=dem,
                      scenario={**cheap, **_rent(usd_per_gpu_hour=1.0, until="2027Q1")}):
        assert r.tables.rent_plan is not None
        assert r.tables.rent_plan["period"].tolist() == ["2027Q1"]
    for r in _optimum(tmp_path / "from", 17_520.0 + 8000 * MTOK_Q, demand=dem,
                      scenario={**cheap, **_rent(usd_per_gpu_hour=1.0, **{"from": "2027Q2"})}):
        assert r.tables.rent_plan is not None
        assert r.tables.rent_plan["period"].tolist() == ["2027Q2"]
    _optimum(tmp_path / "open", 35_040.0, demand=dem,
             scenario={**cheap, **_rent(usd_per_gpu_hour=1.0, until="2027Q2")})


def test_strict_demand_served_only_by_renting(tmp_path: Path) -> None:
    """`new` has a lead time of 2 quarters and `old` cannot meet an SLO of 60 (100
    tokens/s per GPU up to 50): strict demand of 5000 tokens/s at SLO 60 in 2027Q1 is
    servable only by renting `new` (tput at 60: 500 - 400 x 10/50 = 420 tokens/s per
    GPU, so 5000 / 420 GPUs x 2190 h x $2)."""
    cat = copy.deepcopy(BASE_CATALOG)
    cat["systems"][1]["lead_time_periods"] = 2
    gpus = 5000.0 / 420.0
    for r in _optimum(tmp_path, gpus * 2190 * 2.0, catalog=cat,
                      demand=[("2027Q1", "m1", 5000.0, 60.0)],
                      scenario={"options": {"strict_demand": True},
                                **_rent(usd_per_gpu_hour=2.0)}):
        assert r.tables.rent_plan is not None
        assert r.tables.rent_plan["gpus"].tolist() == pytest.approx([gpus])


# --------------------------------------------------------------------------- D. prices


def _priced(price: float) -> str:
    return ("period,model,tokens_per_s,min_tokens_per_s_per_user,usd_per_mtok\n"
            f"2027Q1,m1,8000,10,{price!r}\n")


def test_a_price_below_the_cost_to_serve_leaves_demand_unmet(tmp_path: Path) -> None:
    """8000 tokens/s in 2027Q1 at $0.50/Mtok: serving it needs one `new` ($300,000, i.e.
    $37.5 per token/s-quarter) and earns 8000 x 7.884 x 0.5 = $31,536; the price replaces
    the $100/Mtok penalty, so the plan serves nothing: cost $31,536 (revenue lost),
    revenue 0, margin 0. At the default penalty the same demand is bought ($300,000)."""
    for r in _optimum(tmp_path / "low", 8000 * MTOK_Q * 0.5, demand=_priced(0.5)):
        assert len(r.tables.purchase_plan) == 0
        s = r.summary
        assert s.revenue_usd == 0.0 and s.margin_usd == 0.0
        assert s.margin_per_mw_usd is None  # no hall power in service
        assert r.tables.service["unmet_penalty_usd"].tolist() == pytest.approx([31_536.0])
    _optimum(tmp_path / "penalty", 300_000.0, demand=[("2027Q1", "m1", 8000.0, 10.0)])


def test_a_price_above_the_cost_shows_the_margin(tmp_path: Path) -> None:
    """At $100/Mtok the plan buys one `new` ($300,000) and earns 8000 x 7.884 x 100 =
    $6,307,200: margin $6,007,200, per MW of peak IT power (15 kW = 0.015 MW)
    $400,480,000. The money table: revenue -$6,307,200 in 2027Q1."""
    for r in _optimum(tmp_path, 300_000.0, demand=_priced(100.0)):
        s = r.summary
        assert s.revenue_usd == pytest.approx(6_307_200.0)
        assert s.revenue_cash_usd == pytest.approx(6_307_200.0)
        assert s.margin_usd == pytest.approx(6_007_200.0)
        assert s.margin_per_mw_usd == pytest.approx(6_007_200.0 / 0.015)
        money = r.tables.money
        assert money is not None
        assert money[money["kind"] == "revenue"].values.tolist() == [
            ["2027Q1", "revenue", pytest.approx(-6_307_200.0)]]


def test_revenue_is_discounted_like_the_costs(tmp_path: Path) -> None:
    """At 10%/year, 2027Q2's revenue is discounted by 1.1^-0.25, like its capex."""
    text = ("period,model,tokens_per_s,min_tokens_per_s_per_user,usd_per_mtok\n"
            "2027Q2,m1,8000,10,100\n")
    data = prepare(load_inputs(make_scenario(tmp_path, demand=text, scenario={
        "finance": {"capex_accounting": "upfront", "discount_rate": 0.1}})))
    s = solve_data(data, EXACT).summary
    d = 1.1 ** -0.25
    assert s.revenue_cash_usd == pytest.approx(6_307_200.0)
    assert s.revenue_usd == pytest.approx(6_307_200.0 * d)
    assert s.margin_usd == pytest.approx((6_307_200.0 - 300_000.0) * d)


# --------------------------------------------------------------------------- E. falling capex


def test_falling_capex_makes_the_plan_wait(tmp_path: Path) -> None:
    """Four years, 8000 tokens/s each year, unmet at $0.40/Mtok: a year unmet costs
    8000 x 31.536 x 0.4 = $100,915.20. `new` loses half its price a year (300k, 150k,
    75k, 37.5k): buying in year t costs price(t) + t x 100,915.20: 300,000; 250,915.20;
    276,830.40; 340,245.60; never 403,660.80. The plan waits a year: $250,915.20. With
    no decline it buys at once: $300,000."""
    year = {"horizon": {"start": "2027", "periods": 4, "granularity": "year"},
            "options": {"unmet_penalty_usd_per_mtok": 0.4}}
    dem = [(str(y), "m1", 8000.0, 10.0) for y in range(2027, 2031)]
    cat = copy.deepcopy(BASE_CATALOG)
    cat["systems"][1]["capex_decline_per_year"] = 0.5
    for r in _optimum(tmp_path / "falls", 150_000.0 + 8000 * MTOK_Y * 0.4, catalog=cat,
                      demand=dem, scenario=year):
        pp = r.tables.purchase_plan
        assert pp[["period", "system", "units"]].values.tolist() == [["2028", "new", 1]]
        assert pp["capex_usd"].tolist() == pytest.approx([150_000.0])
    _optimum(tmp_path / "flat", 300_000.0, demand=dem, scenario=year)


def test_falling_capex_counts_in_the_budget(tmp_path: Path) -> None:
    """A budget of $200,000 a period: `new` at $300,000 fits only once its price has
    fallen to $150,000 (2028); the same $250,915.20 as above."""
    year = {"horizon": {"start": "2027", "periods": 4, "granularity": "year"},
            "options": {"unmet_penalty_usd_per_mtok": 0.4},
            "budget": {"capex_usd_per_period": 200_000}}
    dem = [(str(y), "m1", 8000.0, 10.0) for y in range(2027, 2031)]
    cat = copy.deepcopy(BASE_CATALOG)
    cat["systems"][1]["capex_decline_per_year"] = 0.5
    _optimum(tmp_path, 150_000.0 + 8000 * MTOK_Y * 0.4, catalog=cat, demand=dem,
             scenario=year)


# --------------------------------------------------------------------------- inputs


@pytest.mark.parametrize(("over", "catalog", "words"), [
    ({"rent": [{"system": "nwe", "usd_per_gpu_hour": 1}]}, None,
     ["rent[0].system", "unknown system 'nwe'", "did you mean 'new'?"]),
    ({"rent": [{"system": "new"}]}, None,
     ["rent[0].usd_per_gpu_hour", "is required", "rental_usd_per_gpu_hour"]),
    ({"rent": [{"system": "new", "usd_per_gpu_hour": -1}]}, None,
     ["rent[0].usd_per_gpu_hour: must be >= 0, got -1"]),
    ({"rent": [{"system": "new", "usd_per_gpu_hour": 1, "until": "2029Q1"}]}, None,
     ["rent[0].until", "after the horizon"]),
    ({"rent": [{"system": "new", "usd_per_gpu_hour": 1, "from": "2026Q4"}]}, None,
     ["rent[0].from", "before the horizon"]),
    ({"rent": [{"system": "new", "usd_per_gpu_hour": 1, "from": "2027Q3",
                "until": "2027Q2"}]}, None,
     ["rent[0].until", "2027Q2 is before from 2027Q3"]),
    ({"rent": [{"system": "new", "usd_per_gpu_hour": 1, "max_gpus": -2}]}, None,
     ["rent[0].max_gpus: must be >= 0, got -2"]),
    ({}, {"new": {"capex_decline_per_year": 1.0}}, ["systems[1].capex_decline_per_year"]),
    ({}, {"new": {"capex_decline_per_year": -0.1}},
     ["systems[1].capex_decline_per_year: must be >= 0"]),
], ids=["unknown-system", "no-price", "negative-price", "until-after", "from-before",
        "from-after-until", "negative-cap", "decline-1", "decline-negative"])
def test_bad_v2_input_is_refused(tmp_path: Path, over: dict[str, Any],
                                 catalog: dict[str, dict[str, Any]] | None,
                                 words: list[str]) -> None:
    cat = copy.deepcopy(BASE_CATALOG)
    for sysd in cat["systems"]:
        sysd.update((catalog or {}).get(sysd["id"], {}))
    path = make_scenario(tmp_path, scenario=over, catalog=cat, demand=PEAK)
    res = CliRunner().invoke(app, ["plan", str(path), "-o", str(tmp_path / "out")])
    out = " ".join(res.output.split())
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    for w in words:
        assert w in out, f"{w!r} not in {out}"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("cell", "words"), [
    ("-1", "must be >= 0, got -1"), ("nan", "must be a finite number"),
    ("cheap", "must be a number"), ("2e6", "must be <= 1e+06 (a plausibility limit)")])
def test_bad_price_cell_is_refused(tmp_path: Path, cell: str, words: str) -> None:
    text = ("period,model,tokens_per_s,min_tokens_per_s_per_user,usd_per_mtok\n"
            f"2027Q1,m1,8000,10,{cell}\n")
    with pytest.raises(InputError) as exc:
        load_inputs(make_scenario(tmp_path, demand=text))
    msg = str(exc.value)
    assert "line 2: usd_per_mtok" in msg and words in msg, msg


def test_an_empty_price_cell_means_no_price(tmp_path: Path) -> None:
    text = ("period,model,tokens_per_s,min_tokens_per_s_per_user,usd_per_mtok\n"
            "2027Q1,m1,8000,10,\n")
    data = prepare(load_inputs(make_scenario(tmp_path, demand=text)))
    assert not data.priced


# --------------------------------------------------------------------------- files


def test_plan_files_carry_v2_only_when_used(tmp_path: Path) -> None:
    """Without rent or prices: no rent files, no v2 keys or columns (v1 unchanged); with
    them: rent_plan.csv, rent_allocation.csv, service.csv's rented column, the summary's
    keys, and the report's sections. A later plan without rent removes the rent files."""
    runner = CliRunner()
    plain = make_scenario(tmp_path / "v1", demand=PEAK)
    out = tmp_path / "out"
    assert runner.invoke(app, ["plan", str(plain), "-o", str(out)]).exit_code == 0
    assert not (out / "rent_plan.csv").exists()
    s = json.loads((out / "summary.json").read_text())
    assert "rent" not in s["cost_breakdown_usd"]
    assert not {"rented_tokens", "revenue_usd", "margin_usd"} & set(s)
    assert "rented" not in (out / "service.csv").read_text()

    text = ("period,model,tokens_per_s,min_tokens_per_s_per_user,usd_per_mtok\n"
            "2027Q2,m1,8000,10,100\n")
    v2 = make_scenario(tmp_path / "v2", demand=text, scenario=_rent(usd_per_gpu_hour=10.0))
    res = runner.invoke(app, ["plan", str(v2), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "rented GPUs serve" in res.output and "margin" in res.output
    assert (out / "rent_plan.csv").read_text().splitlines()[0] == \
        "period,offer,system,gpus,tokens_per_s,usd,charged_usd"
    assert (out / "rent_allocation.csv").is_file()
    assert "rented_tokens_per_s" in (out / "service.csv").read_text().splitlines()[0]
    s = json.loads((out / "summary.json").read_text())
    assert s["cost_breakdown_usd"]["rent"] == pytest.approx(175_200.0)
    assert s["revenue_usd"] == pytest.approx(6_307_200.0)
    assert s["margin_usd"] == pytest.approx(6_307_200.0 - 175_200.0)
    assert s["margin_per_mw_usd"] is None  # all rented: no hall power in service
    report = (out / "report.md").read_text()
    assert "Owned and rented capacity" in report and "Revenue and margin" in report
    mv = (out / "marginal_values.csv").read_text().splitlines()[0]
    assert mv.endswith(",margin_change_usd")

    assert runner.invoke(app, ["plan", str(plain), "-o", str(out)]).exit_code == 0
    assert not (out / "rent_plan.csv").exists() and not (out / "rent_allocation.csv").exists()


@pytest.mark.parametrize("name", ["rent-the-peak", "margin"])
def test_examples_plan_and_recompute(name: str, tmp_path: Path) -> None:
    from tests.test_invariants import check_plan

    path = Path(__file__).resolve().parents[1] / "examples" / name / "scenario.yaml"
    import planner

    result = planner.plan(path)
    assert result.summary.status == "optimal"
    result.write(tmp_path)
    assert check_plan(path, tmp_path) == pytest.approx(result.outcome.objective, rel=1e-7)
    if name == "rent-the-peak":
        assert result.summary.rented_tokens and result.summary.units_bought > 0
    else:
        assert result.summary.margin_usd is not None and result.summary.margin_usd > 0
        assert result.summary.unmet_tokens > 0
