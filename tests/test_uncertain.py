"""G. uncertain demand: one plan for several futures (docs/scenario.md, G).

Test catalogue (tests/conftest.py): `new` = 8 GPUs, 15 kW, $300k, 1000 tokens/s per GPU
at <= 10 tokens/s per user (8000 tokens/s per unit); `old` serves 800 per unit for
$100k. One 1 MW air hall, upfront capex, no energy cost.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import planner
from planner.api import plan_futures
from planner.cli import app
from planner.errors import InputError
from planner.inputs.loader import load_inputs
from tests.conftest import BASE_PROFILE, GROWING, TIGHT, make_scenario

# one quarter: 2190 h; at $10 per Mtok, 1 token/s unmet for a quarter costs
# 2190 * 3600 / 1e6 * 10 = $78.84
C = 2190 * 3600 / 1e6 * 10
NEW_ONLY = {"systems": [{"id": "new", "gpus_per_unit": 8, "unit_power_kw": 15.0,
                         "capex_usd": 300_000.0, "source": "test"}]}
NEW_PROFILE = {**BASE_PROFILE, "throughput": {"new": BASE_PROFILE["throughput"]["new"]}}


def _futures_scenario(tmp: Path, futures: dict[str, tuple[float, list]], *,
                      periods: int = 1, commit: int | None = None,
                      extra: dict | None = None, catalog: dict | None = None) -> Path:
    """A scenario whose futures each name their own demand file."""
    path = make_scenario(tmp, catalog=catalog, profiles=[NEW_PROFILE] if catalog else None,
                         demand=[("2027Q1", "m1", 1.0, 10.0)],
                         scenario={"horizon": {"periods": periods},
                                   "options": {"unmet_penalty_usd_per_mtok": 10},
                                   **(extra or {})})
    sc = yaml.safe_load(path.read_text())
    specs = []
    for name, (p, rows) in futures.items():
        (tmp / f"d_{name}.csv").write_text(
            "period,model,tokens_per_s,min_tokens_per_s_per_user\n"
            + "".join(f"{a},{b},{c!r},{d!r}\n" for a, b, c, d in rows))
        specs.append({"name": name, "probability": p, "demand": f"d_{name}.csv"})
    sc["uncertainty"] = {"scenarios": specs, **({"commit_periods": commit} if commit else {})}
    del sc["demand"]
    path.write_text(yaml.safe_dump(sc, sort_keys=False))
    return path


def test_two_futures_by_hand(tmp_path: Path) -> None:
    """One quarter, `new` only, demand 4000 (low) or 16000 tokens/s (high), p = 0.5 each;
    unmet demand $78.84 per token/s. cost(n, D) = 300,000 n + 78.84 max(0, D - 8000 n).

    This plan: n=0: 0.5*4000C + 0.5*16000C = 788,400; n=1: 300,000 + 0.5*8000C =
    615,360; n=2: 600,000; n=3: 900,000: it buys 2, expected cost 600,000.
    Knowing the future: low buys 1 (300,000 < 4000C = 315,360), high buys 2 (600,000 <
    300,000 + 8000C = 930,720): 0.5*300,000 + 0.5*600,000 = 450,000; EVPI = 150,000.
    The mean forecast is 10,000: n=1 costs 300,000 + 2000C = 457,680 < 600,000, so the
    mean-demand plan buys 1, and committed in both futures costs 615,360 in
    expectation: VSS = 615,360 - 600,000 = 15,360.
    """
    path = _futures_scenario(tmp_path, {"low": (0.5, [("2027Q1", "m1", 4000.0, 10.0)]),
                                        "high": (0.5, [("2027Q1", "m1", 16000.0, 10.0)])},
                             catalog=NEW_ONLY)
    r = plan_futures(path)
    assert r.expected_cost_usd == pytest.approx(600_000)
    assert r.wait_and_see_usd == pytest.approx(450_000)
    assert r.evpi_usd == pytest.approx(150_000)
    assert r.mean_plan_cost_usd == pytest.approx(300_000 + 4000 * C)
    assert r.vss_usd == pytest.approx(15_360, abs=1e-3)
    pp = r.plans[0].tables.purchase_plan
    assert list(pp["units"]) == [2]
    assert [c.name for c in r.candidates] == ["plan for low", "plan for high", "mean demand",
                                              "all futures"]
    assert r.candidates[0].costs == pytest.approx([300_000, 300_000 + 8000 * C])


def test_one_future_is_the_deterministic_plan(tmp_path: Path) -> None:
    """With one future (p = 1) the extensive form is the deterministic model."""
    path = make_scenario(tmp_path, scenario=TIGHT, demand=GROWING)
    det = planner.plan(path)
    r = plan_futures(path, futures="base=1", commit_periods=2)
    assert r.expected_cost_usd == pytest.approx(det.summary.total_cost_usd, rel=1e-9)
    assert r.evpi_usd == 0 and r.vss_usd == 0
    assert r.plans[0].tables.purchase_plan.equals(det.tables.purchase_plan)
    assert r.model_size.columns == det.summary.model_size.columns
    assert r.model_size.rows == det.summary.model_size.rows


def test_identical_futures_are_worth_nothing(tmp_path: Path) -> None:
    path = make_scenario(tmp_path, scenario=TIGHT, demand=GROWING)
    det = planner.plan(path)
    r = plan_futures(path, futures="a=1@0.3,b=1@0.7", commit_periods=1)
    assert r.evpi_usd == 0 and r.vss_usd == 0
    assert r.expected_cost_usd == pytest.approx(det.summary.total_cost_usd, rel=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_evpi_and_vss_never_negative(tmp_path: Path, seed: int) -> None:
    """Random small cases: EVPI, VSS >= 0, and the plan no dearer in expectation than
    any candidate commitment (each future's own plan, the mean-demand plan)."""
    rng = random.Random(seed)
    n = rng.randint(2, 3)
    futures = {}
    for i in range(n):
        rows = [(f"2027Q{q}", "m1", float(rng.randint(0, 40) * 1000), 10.0) for q in (1, 2, 3)]
        futures[f"f{i}"] = (0.0, rows)
    probs = [rng.random() + 0.1 for _ in range(n)]
    futures = {k: (p / sum(probs), rows) for (k, (_, rows)), p in
               zip(futures.items(), probs, strict=True)}
    total = sum(p for p, _ in futures.values())
    first = next(iter(futures))
    futures[first] = (futures[first][0] + 1 - total, futures[first][1])
    path = _futures_scenario(tmp_path, futures, periods=3, commit=rng.randint(1, 3),
                             extra={"sites": [{"name": "hall-a", "power_mw": 0.2}]})
    r = plan_futures(path)
    assert r.evpi_usd >= 0 and r.vss_usd is not None and r.vss_usd >= 0
    for c in r.candidates:
        e = c.expected(r.probabilities)
        assert e is None or r.expected_cost_usd <= e + 1e-6 * abs(e)
    committed = r.commitment.values["buy"]
    for plan in r.plans:  # every future holds the same first-period purchases
        got = {(x.site, x.system, x.period): float(x.units)
               for x in plan.tables.purchase_plan.itertuples()
               if x.period in r.commitment.labels}
        assert got == dict(committed)


def test_scenario_column_and_shared_rows(tmp_path: Path) -> None:
    """A demand CSV with a `scenario` column makes each name a future (equal
    probabilities); rows with it empty belong to every future."""
    text = ("period,model,tokens_per_s,min_tokens_per_s_per_user,scenario\n"
            "2027Q1,m1,4000,10,low\n2027Q1,m1,16000,10,high\n2027Q2,m1,8000,10,\n")
    path = make_scenario(tmp_path, catalog=NEW_ONLY, profiles=[NEW_PROFILE], demand=text,
                         scenario={"horizon": {"periods": 2}})
    inputs = load_inputs(path)
    assert [(f.name, f.probability, len(f.demand)) for f in inputs.futures] == \
        [("low", 0.5, 2), ("high", 0.5, 2)]
    assert inputs.commit_periods == 2


def _issues(path: Path) -> str:
    with pytest.raises(InputError) as exc:
        load_inputs(path)
    return "\n".join(str(i) for i in exc.value.issues)


def test_bad_probabilities_names_and_commit(tmp_path: Path) -> None:
    rows = [("2027Q1", "m1", 1000.0, 10.0)]
    p = _futures_scenario(tmp_path / "a", {"x": (0.5, rows), "y": (0.4, rows)})
    assert "uncertainty" in _issues(p) and "sum to 1" in _issues(p)
    p = _futures_scenario(tmp_path / "b", {"x": (1.0, rows)}, commit=3, periods=2)
    assert "commit_periods" in _issues(p)
    p = _futures_scenario(tmp_path / "c", {"x": (1.0, rows)}, commit=1)
    sc = yaml.safe_load(p.read_text())
    sc["uncertainty"]["commit_periods"] = 0
    sc["uncertainty"]["scenarios"].append(dict(sc["uncertainty"]["scenarios"][0],
                                               probability=0.0))
    p.write_text(yaml.safe_dump(sc))
    msg = _issues(p)
    assert "uncertainty.commit_periods" in msg


def test_bad_future_files(tmp_path: Path) -> None:
    rows = [("2027Q1", "m1", 1000.0, 10.0)]
    p = _futures_scenario(tmp_path / "a", {"x": (0.5, rows), "y": (0.5, rows)})
    (tmp_path / "a" / "d_y.csv").unlink()
    msg = _issues(p)
    assert "d_y.csv" in msg and "future 'y'" in msg
    p = _futures_scenario(tmp_path / "b", {"x": (0.5, rows),
                                           "y": (0.5, [("2027Q1", "m1", 1000.0, 20.0)])})
    msg = _issues(p)
    assert "d_y.csv" in msg or "d_x.csv" in msg
    assert "same models at the same SLOs" in msg


def test_cli_futures(tmp_path: Path) -> None:
    path = make_scenario(tmp_path / "s", scenario=TIGHT, demand=GROWING)
    out = tmp_path / "out"
    runner = CliRunner()
    res = runner.invoke(app, ["plan", str(path), "-o", str(out), "--futures",
                              "low=0.5@0.25,base=1@0.5,high=1.5@0.25", "--commit-periods",
                              "2"])
    assert res.exit_code == 0, res.output
    for f in ("purchase_plan.csv", "futures.csv", "regret.csv", "summary.json", "report.md",
              "report.html", "futures/high/fleet.csv"):
        assert (out / f).exists(), f
    head = (out / "purchase_plan.csv").read_text().splitlines()[0]
    assert head.endswith("committed,future")
    md = (out / "report.md").read_text()
    assert md.index("decision to take now") < md.index("Regret")
    first = {f: (out / f).read_bytes() for f in ("purchase_plan.csv", "regret.csv",
                                                "futures.csv", "report.md")}
    res = runner.invoke(app, ["plan", str(path), "-o", str(out), "--futures",
                              "low=0.5@0.25,base=1@0.5,high=1.5@0.25", "--commit-periods",
                              "2"])
    assert res.exit_code == 0
    assert first == {f: (out / f).read_bytes() for f in first}  # byte-identical re-run
    for bad in ("low=0.5@0.3,high=2@0.3", "low=x", "a=1,a=2", "a=1@0.5,b=1"):
        res = runner.invoke(app, ["plan", str(path), "-o", str(out), "--futures", bad])
        assert res.exit_code == 2, (bad, res.output)
        assert "--futures" in res.output
    res = runner.invoke(app, ["plan", str(path), "-o", str(out), "--futures", "a=1",
                              "--commit-periods", "9"])
    assert res.exit_code == 2 and "--commit-periods" in res.output


def test_duplicate_future_names(tmp_path: Path) -> None:
    rows = [("2027Q1", "m1", 1000.0, 10.0)]
    p = _futures_scenario(tmp_path, {"x": (0.5, rows), "y": (0.5, rows)})
    sc = yaml.safe_load(p.read_text())
    sc["uncertainty"]["scenarios"][1]["name"] = "x"
    p.write_text(yaml.safe_dump(sc))
    msg = _issues(p)
    assert "uncertainty" in msg and "named twice: x" in msg


def test_cli_plans_a_scenario_with_futures(tmp_path: Path) -> None:
    """`planner plan` on a scenario with `uncertainty` plans its futures (the hand case
    above: expected cost 600,000, EVPI 150,000, VSS 15,360)."""
    path = _futures_scenario(tmp_path / "s", {
        "low": (0.5, [("2027Q1", "m1", 4000.0, 10.0)]),
        "high": (0.5, [("2027Q1", "m1", 16000.0, 10.0)])}, catalog=NEW_ONLY)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["plan", str(path), "-o", str(out), "--json"])
    assert res.exit_code == 0, res.output
    s = yaml.safe_load((out / "summary.json").read_text())
    assert s["expected_cost_usd"] == pytest.approx(600_000)
    assert s["evpi_usd"] == pytest.approx(150_000)
    assert s["vss_usd"] == pytest.approx(15_360, abs=1e-3)
    assert [f["name"] for f in s["scenarios"]] == ["low", "high"]
    rows = (out / "purchase_plan.csv").read_text().splitlines()
    assert rows[1].split(",")[-2:] == ["true", "all"] or rows[1].split(",")[-2:] == \
        ["True", "all"]


def test_a_monthly_forecast_with_a_scenario_column_plans_as_quarterly_files(
        tmp_path: Path) -> None:
    """The futures' demand read as any demand is (units, periods): one file, per month in
    tokens/day with a `scenario` column, in a quarterly plan, plans as each future's
    quarterly tokens/s file does (the months' mean rate on each quarter)."""
    rates = {"low": [(4000.0, 5000.0, 6000.0), (7000.0, 8000.0, 9000.0)],
             "high": [(9000.0, 12000.0, 15000.0), (15000.0, 16000.0, 17000.0)]}
    files = _futures_scenario(
        tmp_path / "files", {name: (0.5, [(q, "m1", sum(r) / 3, 10.0) for q, r in
                                         zip(("2027Q1", "2027Q2"), quarters, strict=True)])
                             for name, quarters in rates.items()}, periods=2, commit=1)
    one = make_scenario(tmp_path / "one", demand=[("2027Q1", "m1", 1.0, 10.0)],
                        scenario={"horizon": {"periods": 2},
                                  "options": {"unmet_penalty_usd_per_mtok": 10},
                                  "uncertainty": {"scenarios": [
                                      {"name": "low", "probability": 0.5},
                                      {"name": "high", "probability": 0.5}],
                                      "commit_periods": 1}})
    lines = ["period,model,tokens_per_day,min_tokens_per_s_per_user,scenario"]
    for name, quarters in rates.items():
        for q, months in enumerate(quarters):
            lines += [f"2027-{3 * q + m + 1:02d},m1,{v * 86400.0!r},10,{name}"
                      for m, v in enumerate(months)]
    (one.parent / "demand.csv").write_text("\n".join(lines) + "\n")
    a, b = plan_futures(load_inputs(files)), plan_futures(load_inputs(one))
    assert a.expected_cost_usd == pytest.approx(b.expected_cost_usd, rel=1e-9)
    assert a.evpi_usd == pytest.approx(b.evpi_usd, rel=1e-9, abs=1e-6)
    for pa, pb in zip(a.plans, b.plans, strict=True):
        assert pa.tables.purchase_plan["units"].tolist() == \
            pb.tables.purchase_plan["units"].tolist()


# six futures of one quarter, `new` only; the plan made knowing D buys the n minimising
# cost(n, D) = 300,000 n + C max(0, D - 8000 n): 0, 1, ..., 5 units (each distinct)
SIX = {f"f{i}": (p, d) for i, (p, d) in enumerate(zip(
    (0.05, 0.1, 0.15, 0.2, 0.25, 0.25), (2000.0, 6000.0, 14000.0, 22000.0, 30000.0, 38000.0),
    strict=True))}


def _cost(n: int, d: float) -> float:
    return 300_000 * n + C * max(0.0, d - 8000 * n)


def _own_units(d: float) -> int:
    return min(range(10), key=lambda n: _cost(n, d))


def _six_futures(tmp: Path) -> Path:
    return _futures_scenario(tmp, {k: (p, [("2027Q1", "m1", d, 10.0)])
                                   for k, (p, d) in SIX.items()}, catalog=NEW_ONLY)


def _row_costs(r: planner.api.FuturesResult) -> dict[str, list[float | None]]:
    return {c.name: c.costs for c in r.candidates}


def test_six_futures_evaluate_every_own_plan(tmp_path: Path) -> None:
    """With more than five futures every future's own plan is still a regret row, its
    cost in each future as the one-period model gives it by hand."""
    assert sorted(_own_units(d) for _, d in SIX.values()) == list(range(6))
    r = plan_futures(_six_futures(tmp_path))
    rows = _row_costs(r)
    assert list(rows) == [*(f"plan for {k}" for k in SIX), "mean demand", "all futures"]
    for k, (_, d) in SIX.items():
        n = _own_units(d)
        assert rows[f"plan for {k}"] == pytest.approx([_cost(n, e) for _, e in SIX.values()])
    assert r.regret_left_out == []
    assert not any("leaves out" in note for note in r.notes)


def _solve_six(path: Path, **kw: object) -> planner.api.FuturesResult:
    from planner.analysis.solve import DIAGNOSIS
    from planner.core.futures import solve_futures
    from planner.core.solve import solver_settings

    inputs = load_inputs(path)
    return solve_futures(inputs, solver_settings(inputs), diagnosis=DIAGNOSIS, **kw)


def _check_cut(r: planner.api.FuturesResult, kept: list[str], why: str) -> None:
    from planner.workflow.plan import futures_files

    left = [k for k in SIX if k not in kept]
    rows = _row_costs(r)
    assert list(rows) == [*(f"plan for {k}" for k in kept), "mean demand", "all futures"]
    for k in kept:  # each row kept is whole: its cost in every future
        n = _own_units(SIX[k][1])
        assert rows[f"plan for {k}"] == pytest.approx([_cost(n, e) for _, e in SIX.values()])
    assert r.regret_left_out == left
    files = futures_files(r)
    summary = yaml.safe_load(files["summary.json"])
    assert summary["regret_rows_left_out"] == [f"plan for {k}" for k in left]
    note = next(n for n in summary["notes"] if "leaves out" in n)
    assert ", ".join(left) in note and why in note
    assert why in str(files["report.md"]) and ", ".join(left) in str(files["report.md"])
    regret = str(files["regret.csv"]).splitlines()
    assert [ln.split(",")[0] for ln in regret[1:]] == list(rows)


def test_a_budget_of_re_plans_cuts_the_least_likely_rows(tmp_path: Path) -> None:
    """Rows are evaluated likeliest first: with 10 re-plans, the rows of f4 and f5 (p 0.25
    each, 5 re-plans each) are done; f3's needs none (its plan's 3 units are the
    mean-demand plan's, 24,200 tokens/s, already evaluated everywhere); f0..f2 are left
    out whole, and the notes say so."""
    mean = sum(p * d for p, d in SIX.values())
    assert _own_units(mean) == _own_units(SIX["f3"][1]) == 3
    r = _solve_six(_six_futures(tmp_path), max_regret_solves=10)
    _check_cut(r, ["f3", "f4", "f5"], "budget of 10 re-plans")
    # the figures do not depend on the regret rows
    full = plan_futures(tmp_path / "scenario.yaml")
    assert r.expected_cost_usd == pytest.approx(full.expected_cost_usd)
    assert r.evpi_usd == pytest.approx(full.evpi_usd)
    assert r.vss_usd == pytest.approx(full.vss_usd, abs=1e-6)


def test_the_time_limit_cuts_rows_and_says_so(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """No share of the time limit left for the candidates (deterministic: the share is 0,
    so the budget is over before it starts): the figures' solves still run, every row
    that needs a re-plan is left out, the one the mean-demand plan's evaluation covers
    (f3) is kept."""
    import planner.core.futures as fut

    monkeypatch.setattr(fut, "CANDIDATE_SHARE", 0.0)
    r = _solve_six(_six_futures(tmp_path))
    _check_cut(r, ["f3"], "share of the time limit")


def test_futures_scaling_a_row_over_the_limit_is_refused(tmp_path: Path) -> None:
    """Fuzz seeds 8376 and 8466: `--futures` scaling a row of the forecast over the
    demand's plausibility limit (1e12 tokens/s) was an internal error (exit 1, a
    pydantic ValidationError); it is invalid input naming --futures, the future and the
    line."""
    path = make_scenario(tmp_path / "s", demand=[("2027Q1", "m1", 1000.0, 10.0),
                                                 ("2027Q2", "m1", 6e11, 10.0)],
                         scenario={"horizon": {"periods": 2}})
    res = CliRunner().invoke(app, ["plan", str(path), "-o", str(tmp_path / "out"),
                                   "--futures", "low=0.5,high=2"])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and "internal error" not in res.output
    assert "--futures" in res.output and "high" in res.output and "line 3" in res.output
    assert not (tmp_path / "out").exists()


def test_expected_cost_evpi_and_vss_from_separate_plans(tmp_path: Path) -> None:
    """An independent check of the figures: two quarters, the first committed; low (p
    0.3) asks 0 then 4000 tokens/s, high (p 0.7) 12000 then 12000. Each figure from
    `planner.plan` of one forecast at a time, none from the futures code:

    - the plan made knowing a future: `planner.plan` of its demand;
    - a commitment of n units in 2027Q1 adapted to a future: `planner.plan` of its
      demand with the n units installed (no purchase arrives in 2027Q1: lead time 1),
      plus their price;
    - this plan's expected cost: the least over n of the commitment's expected cost;
      the mean-demand plan's: its 2027Q1 purchase, committed, adapted to each future.
    """
    futures = {"low": (0.3, [("2027Q1", "m1", 0.0, 10.0), ("2027Q2", "m1", 4000.0, 10.0)]),
               "high": (0.7, [("2027Q1", "m1", 12000.0, 10.0),
                              ("2027Q2", "m1", 12000.0, 10.0)])}
    scenario = {"horizon": {"periods": 2}, "options": {"unmet_penalty_usd_per_mtok": 10}}
    later = {"systems": [{**NEW_ONLY["systems"][0], "lead_time_periods": 1}]}

    def plan_of(tag: str, rows: list, held: int | None = None) -> planner.api.PlanResult:
        extra = {} if not held else {"sites": [{"name": "hall-a", "power_mw": 1.0,
                                                "existing": [{"system": "new",
                                                              "units": held}]}]}
        path = make_scenario(tmp_path / tag, scenario={**scenario, **extra},
                             catalog=NEW_ONLY if held is None else later,
                             profiles=[NEW_PROFILE], demand=rows)
        return planner.plan(path)

    def adapted(n: int, name: str) -> float:
        plan = plan_of(f"{name}-{n}", futures[name][1], held=n)
        assert plan.tables.purchase_plan["period"].isin(["2027Q2"]).all()
        return float(plan.summary.total_cost_usd) + 300_000 * n

    probs = {name: p for name, (p, _) in futures.items()}

    def expected(n: int) -> float:
        return sum(p * adapted(n, name) for name, p in probs.items())

    ws = sum(p * float(plan_of(f"ws-{name}", futures[name][1]).summary.total_cost_usd)
             for name, p in probs.items())
    by_commitment = {n: expected(n) for n in range(5)}
    best = min(by_commitment, key=lambda n: by_commitment[n])
    mean_rows = [(q, "m1", sum(probs[w] * dict((r[0], r[2]) for r in futures[w][1])[q]
                               for w in futures), 10.0) for q in ("2027Q1", "2027Q2")]
    mean_buys = plan_of("mean", mean_rows).tables.purchase_plan
    mean_n = int(mean_buys.loc[mean_buys["period"] == "2027Q1", "units"].sum())
    assert mean_n != best  # planning for the mean commits differently: VSS > 0

    path = _futures_scenario(tmp_path / "futures", {k: v for k, v in futures.items()},
                             periods=2, commit=1, catalog=NEW_ONLY)
    r = plan_futures(path)
    assert r.expected_cost_usd == pytest.approx(by_commitment[best], rel=1e-9)
    assert r.wait_and_see_usd == pytest.approx(ws, rel=1e-9)
    assert r.evpi_usd == pytest.approx(by_commitment[best] - ws, rel=1e-6)
    assert r.mean_plan_cost_usd == pytest.approx(by_commitment[mean_n], rel=1e-9)
    assert r.vss_usd == pytest.approx(by_commitment[mean_n] - by_commitment[best], rel=1e-6)
    assert best == 2 and mean_n == 1 and r.evpi_usd > 0 and r.vss_usd > 0
    assert dict(r.commitment.values["buy"]) == {("hall-a", "new", "2027Q1"): float(best)}
