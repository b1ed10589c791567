"""An independent checker: re-read the written plan files, check feasibility, and
recompute the total cost from them with the contract's formulas. It must equal both the
summary's total and the solver's objective."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

import planner
from planner.core.problem import throughput_at
from planner.inputs.loader import builtin_catalog_path, builtin_models_dir

ROOT = Path(__file__).resolve().parent.parent
HOURS = {"quarter": 2190, "month": 730, "year": 8760}
PPY = {"quarter": 4, "month": 12, "year": 1}


def rows(path: Path) -> list[dict[str, str]]:
    with path.open() as f:
        return list(csv.DictReader(f))


def check_plan(scenario_path: Path, out: Path) -> float:
    """Feasibility checks and the recomputed total cost of a written plan."""
    sc = yaml.safe_load(scenario_path.read_text())
    base = scenario_path.parent
    cat_path = builtin_catalog_path() if sc.get("catalog", "builtin") == "builtin" \
        else base / sc["catalog"]
    systems = {s["id"]: s for s in yaml.safe_load(cat_path.read_text())["systems"]}
    mdir = builtin_models_dir() if sc.get("models", "builtin") == "builtin" \
        else base / sc["models"]
    profiles = {}
    for f in sorted(mdir.glob("*.yaml")):
        p = yaml.safe_load(f.read_text())
        profiles[p["id"]] = p
    from planner.inputs.periods import detect_granularity, format_period, parse_period

    # granularity may be omitted: it is read from the start label (README, Extensions)
    gran = sc["horizon"].get("granularity") or detect_granularity(str(sc["horizon"]["start"]))
    H, T = HOURS[gran], sc["horizon"]["periods"]
    fin = sc.get("finance") or {}  # `finance:` with no fields means the defaults
    opt = sc.get("options") or {}
    rate = fin.get("discount_rate", 0.0)
    util = opt.get("target_utilization", 1.0)
    apf = opt.get("average_power_fraction", 1.0)
    penalty = opt.get("unmet_penalty_usd_per_mtok", 100.0)
    sites = {s["name"]: s for s in sc["sites"]}
    summary = json.loads((out / "summary.json").read_text())
    labels: list[str] = []
    for r in rows(out / "service.csv"):
        if r["period"] not in labels:
            labels.append(r["period"])

    start = parse_period(str(sc["horizon"]["start"]), gran)
    tpos = {format_period(start + i, gran): i for i in range(T)}
    # first period each hall holds equipment; the systems the plan may buy and serve with
    avail = {name: max(0, parse_period(str(s["available_from"]), gran) - start)
             if s.get("available_from") is not None else 0 for name, s in sites.items()}
    allowed = set(sc["systems"]) if sc.get("systems") is not None else None
    # `systems:` restricts purchases; installed units of any system keep serving
    installed = {e["system"] for s in sites.values() for e in s.get("existing") or []
                 if int(e.get("units", 0)) > 0}
    may_serve = None if allowed is None else allowed | installed

    def disc(t: int) -> float:
        return 1 / (1 + rate) ** (t * H / 8760)

    total = 0.0
    # capex from purchases
    bought: dict[tuple[str, str, int], int] = defaultdict(int)
    spend: dict[int, float] = defaultdict(float)
    for r in rows(out / "purchase_plan.csv"):
        t, g, u = tpos[r["period"]], r["system"], int(r["units"])
        assert u > 0
        s = systems[g]
        bought[(r["site"], g, t)] += u
        # E. falling prices: the price of a unit commissioned in t
        price = s["capex_usd"] * (1 - s.get("capex_decline_per_year", 0.0)) ** (t * H / 8760)
        spend[t] += u * price
        assert float(r["capex_usd"]) == pytest.approx(u * price)
        share = 1.0
        if fin.get("capex_accounting", "amortized") == "amortized":
            share = min(1.0, (T - t) / (s.get("lifetime_years", 5) * PPY[gran]))
        total += u * price * share * disc(t)
        assert t >= s.get("lead_time_periods", 0)
        assert t >= avail[r["site"]], f"bought at {r['site']} before it is available"
        assert allowed is None or g in allowed, f"bought {g}, outside `systems:`"
        if s.get("cooling", "air") == "liquid":
            assert sites[r["site"]].get("cooling", "air") == "liquid"
    # A. building power: blocks from build_plan.csv, priced as the contract says
    built: dict[tuple[str, int], float] = defaultdict(float)  # MW energised per (site, t)
    if (out / "build_plan.csv").exists():
        for r in rows(out / "build_plan.csv"):
            t, b = tpos[r["period"]], sites[r["site"]]["build"]
            n, mw = int(r["blocks"]), float(r["mw"])
            assert n > 0 and mw == pytest.approx(n * float(b["block_mw"]))
            assert t >= avail[r["site"]] and t >= b.get("lead_time_periods", 0)
            built[(r["site"], t)] += mw
            full = mw * float(b["capex_usd_per_mw"])
            spend[t] += full
            share = 1.0
            if fin.get("capex_accounting", "amortized") == "amortized":
                share = min(1.0, (T - t) / (float(b.get("lifetime_years", 15)) * PPY[gran]))
            total += full * share * disc(t)
            # fixed opex from the period energised to the horizon's end
            total += sum(mw * float(b.get("opex_usd_per_mw_year", 0.0)) * H / 8760 * disc(u)
                         for u in range(t, T))
        for name, s in sites.items():
            mw_all = sum(v for (n2, _t), v in built.items() if n2 == name)
            assert mw_all <= float((s.get("build") or {}).get("max_mw", 0)) * (1 + 1e-9)
    # supply: units of a system bought in a period, over all halls
    per_gt: dict[tuple[str, int], int] = defaultdict(int)
    for (_, g, t), u in bought.items():
        per_gt[(g, t)] += u
    for (g, t), u in per_gt.items():
        cap_u = systems[g].get("max_units_per_period")
        assert cap_u is None or u <= cap_u, f"supply: {u} units of {g} in {t}, cap {cap_u}"
    budget = sc.get("budget", {}) or {}
    # (PyYAML reads 1.5e8 as a string, as YAML 1.1 says; the planner coerces it)
    if budget.get("capex_usd_per_period") is not None:
        cap = float(budget["capex_usd_per_period"])
        assert max(spend.values(), default=0) <= cap * (1 + 1e-9)
    if budget.get("total_capex_usd") is not None:
        assert sum(spend.values()) <= float(budget["total_capex_usd"]) * (1 + 1e-9)
    # C. refresh: units retired early earn resale_fraction x the unit price x a x d
    ret_b: dict[tuple[str, str, int], int] = defaultdict(int)
    ret_x: dict[tuple[str, str, int], int] = defaultdict(int)
    if (out / "retirements.csv").is_file():
        assert opt.get("allow_retirement", False)
        for r in rows(out / "retirements.csv"):
            t, g, u = tpos[r["period"]], r["system"], int(r["units"])
            s = systems[g]
            (ret_x if r["source"] == "existing" else ret_b)[(r["site"], g, t)] += u
            price = s["capex_usd"] * (1 - s.get("capex_decline_per_year", 0.0)) ** (
                t * H / 8760)
            share = 1.0
            if fin.get("capex_accounting", "amortized") == "amortized":
                share = min(1.0, (T - t) / (s.get("lifetime_years", 5) * PPY[gran]))
            total -= u * s.get("resale_fraction", 0.0) * price * share * disc(t)
    else:
        assert not opt.get("allow_retirement", False)
    # fleet = existing in service + cumulative purchases; power and racks within caps
    fleet: dict[tuple[str, str, int], int] = {}
    power: dict[tuple[str, int], float] = defaultdict(float)
    racks: dict[tuple[str, int], float] = defaultdict(float)
    for r in rows(out / "fleet.csv"):
        key = (r["site"], r["system"], tpos[r["period"]])
        fleet[key] = int(r["units"])
        s, site = systems[r["system"]], sites[r["site"]]
        u = int(r["units"])
        power[(r["site"], key[2])] += u * s["unit_power_kw"]
        racks[(r["site"], key[2])] += u * s.get("racks_per_unit", 0)
        assert key[2] >= avail[r["site"]], f"fleet at {r['site']} before it is available"
        total += (u * s["unit_power_kw"] / 1000 * apf * site.get("pue", 1.0) * H
                  * site.get("electricity_usd_per_mwh", 0.0) * disc(key[2]))
        total += u * s.get("opex_usd_per_year", 0.0) * H / 8760 * disc(key[2])
    for (name, t), kw in power.items():
        cap_mw = sites[name]["power_mw"] + sum(v for (n2, u), v in built.items()
                                               if n2 == name and u <= t)
        assert kw <= cap_mw * 1000 * (1 + 1e-9) + 1e-9
        if sites[name].get("max_racks") is not None:
            assert racks[(name, t)] <= sites[name]["max_racks"] + 1e-9
    for site in sc["sites"]:
        for g in {k[1] for k in fleet if k[0] == site["name"]} | {
                e["system"] for e in site.get("existing", [])}:
            for t in range(T):
                ex = 0
                for e in site.get("existing", []):
                    if e["system"] != g:
                        continue
                    ret = e.get("retire_after")
                    if ret is None or t <= parse_period(str(ret), gran) - start:
                        ex += e["units"]
                cum = sum(bought.get((site["name"], g, tt), 0) for tt in range(t + 1))
                # retired: bought units only those bought before; installed ones at most
                # as many as retired so far (an entry's scheduled end takes the rest)
                gone_b = sum(ret_b[(site["name"], g, tt)] for tt in range(t + 1))
                gone_x = sum(ret_x[(site["name"], g, tt)] for tt in range(t + 1))
                assert gone_b <= sum(bought.get((site["name"], g, tt), 0) for tt in range(t))
                here = fleet.get((site["name"], g, t), 0)
                assert ex + cum - gone_b - gone_x <= here <= ex + cum - gone_b
    # allocation: within the fleet, tokens at the SLO's throughput
    used: dict[tuple[str, str, int], float] = defaultdict(float)
    served: dict[tuple[str, str, float], float] = defaultdict(float)
    for r in rows(out / "allocation.csv"):
        t = tpos[r["period"]]
        slo = float(r["min_tokens_per_s_per_user"])
        units = float(r["units"])
        used[(r["site"], r["system"], t)] += units
        assert may_serve is None or r["system"] in may_serve, f"{r['system']} serves, " \
            "outside `systems:` and the installed base"
        tput = _tput(sc, profiles[r["model"]], r["system"], slo)
        tps = units * systems[r["system"]]["gpus_per_unit"] * tput * util
        assert float(r["tokens_per_s"]) == pytest.approx(tps, rel=1e-9)
        served[(r["period"], r["model"], slo)] += tps
    for key, u in used.items():
        assert u <= fleet.get(key, 0) + 1e-6
    total += _check_rent(sc, out, systems, profiles, tpos, H, util, disc, served)
    demand: dict[tuple[str, str, float], float] = defaultdict(float)
    price: dict[tuple[str, str, float], float] = {}  # D. prices: per class, else penalty
    for r in rows(base / sc["demand"]):
        slo = float(r.get("min_tokens_per_s_per_user") or 0)
        demand[(r["period"], r["model"], slo)] += float(r["tokens_per_s"])
        if r.get("usd_per_mtok") not in (None, "") and float(r["tokens_per_s"]) > 0:
            price[(r["period"], r["model"], slo)] = float(r["usd_per_mtok"])
    strict = opt.get("strict_demand", False)
    for key, d in demand.items():
        # allocations never exceed a class's demand (README, Outputs)
        assert served.get(key, 0.0) <= d * (1 + 1e-9) + 1e-9, \
            f"{key} served {served.get(key, 0.0)!r} > demand {d!r}"
        unmet = max(0.0, d - served.get(key, 0.0))
        if unmet <= 1e-7 * d:
            unmet = 0.0
        if strict:
            assert unmet == 0.0, f"strict_demand: {key} short {unmet!r} tokens/s"
        total += unmet * H * 3600 / 1e6 * price.get(key, penalty) * disc(tpos[key[0]])
    assert summary["total_cost_usd"] == pytest.approx(total, rel=1e-7, abs=1e-3), \
        f"summary total {summary['total_cost_usd']!r} != recomputed {total!r}"
    return total


def _tput(sc: dict, profile: dict, system: str, slo: float) -> float:
    """The curve at the SLO, read as the scenario says: `options.interpolation`, else the
    profile's `interpolation`, else linear (the rule itself: tests/test_interpolation.py)."""
    how = (sc.get("options") or {}).get("interpolation") or profile.get("interpolation",
                                                                         "linear")
    return throughput_at(profile["throughput"][system], slo, how)


def _check_rent(sc: dict, out: Path, systems: dict, profiles: dict, tpos: dict[str, int],
                H: float, util: float, disc: Any,
                served: dict[tuple[str, str, float], float]) -> float:
    """B. renting: rented GPUs inside each offer's window and cap, serving no more than
    held, at the throughput of the class's SLO; adds their tokens to `served` and returns
    their discounted cost."""
    offers = sc.get("rent") or []
    if not offers:
        assert not (out / "rent_plan.csv").exists()
        return 0.0
    T = len(tpos)
    cost = 0.0
    held: dict[tuple[int, str], float] = {}
    for r in rows(out / "rent_plan.csv"):
        o, t, gpus = offers[int(r["offer"])], tpos[r["period"]], float(r["gpus"])
        assert r["system"] == o["system"]
        lo = tpos[str(o["from"])] if o.get("from") is not None else 0
        hi = tpos[str(o["until"])] if o.get("until") is not None else T - 1
        assert lo <= t <= hi, f"offer {r['offer']} rented in {r['period']}, outside its window"
        cap = o.get("max_gpus")
        assert cap is None or gpus <= float(cap) * (1 + 1e-9) + 1e-9
        usd_h = o.get("usd_per_gpu_hour")
        usd_h = systems[o["system"]]["rental_usd_per_gpu_hour"] if usd_h is None else usd_h
        assert float(r["usd"]) == pytest.approx(gpus * float(usd_h) * H, rel=1e-9)
        cost += gpus * float(usd_h) * H * disc(t)
        held[(int(r["offer"]), r["period"])] = gpus
    use: dict[tuple[int, str], float] = defaultdict(float)
    for r in rows(out / "rent_allocation.csv"):
        slo = float(r["min_tokens_per_s_per_user"])
        gpus = float(r["gpus"])
        use[(int(r["offer"]), r["period"])] += gpus
        tput = _tput(sc, profiles[r["model"]], r["system"], slo)
        assert float(r["tokens_per_s"]) == pytest.approx(gpus * tput * util, rel=1e-9)
        served[(r["period"], r["model"], slo)] += float(r["tokens_per_s"])
    for key, g in use.items():
        # within the solver's feasibility tolerance: HiGHS keeps rent_use to about 1e-7 of
        # a scaled row, so a millionth of a GPU may serve beyond what is held (fuzz seed 104)
        assert g <= held.get(key, 0.0) * (1 + 1e-9) + 1e-6
    return cost


EXAMPLES = [ROOT / "examples" / "quickstart" / "scenario.yaml",
            ROOT / "examples" / "new-hall" / "scenario.yaml",
            ROOT / "examples" / "build-or-not" / "scenario.yaml",  # A. building power
            ROOT / "examples" / "refresh" / "scenario.yaml"]  # C. refresh


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_examples_recompute_and_optimal(path: Path, tmp_path: Path) -> None:
    result = planner.plan(path)
    assert result.summary.status == "optimal"
    result.write(tmp_path)
    total = check_plan(path, tmp_path)
    assert result.outcome.objective == pytest.approx(total, rel=1e-7)


MICRO = [
    {},
    {"finance": {"capex_accounting": "amortized", "discount_rate": 0.07},
     "sites": [{"name": "hall-a", "power_mw": 0.05, "pue": 1.3,
                "electricity_usd_per_mwh": 90, "max_racks": 3},
               {"name": "hall-b", "power_mw": 0.03, "cooling": "liquid",
                "available_from": "2027Q2",
                "existing": [{"system": "old", "units": 2, "retire_after": "2027Q3"}]}],
     "options": {"target_utilization": 0.8, "average_power_fraction": 0.7,
                 "unmet_penalty_usd_per_mtok": 30},
     "budget": {"capex_usd_per_period": 500_000}},
]


@pytest.mark.parametrize("over", MICRO)
def test_micro_recompute(over: dict, scenario_factory) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import BASE_CATALOG

    cat = {"systems": [dict(s, racks_per_unit=0.5, opex_usd_per_year=5_000)
                       for s in BASE_CATALOG["systems"]]}
    if over.get("sites"):
        over["sites"][1]["existing"] = []  # hall-b opens later: no existing units
    path = scenario_factory(scenario=over, catalog=cat, demand=[
        ("2027Q1", "m1", 3000.0, 10.0), ("2027Q2", "m1", 9000.0, 30.0),
        ("2027Q3", "m1", 12000.0, 10.0), ("2027Q4", "m1", 4000.0, 60.0)])
    result = planner.plan(path)
    out = path.parent / "out"
    result.write(out)
    total = check_plan(path, out)
    assert result.outcome.objective == pytest.approx(total, rel=1e-7, abs=1e-3)
