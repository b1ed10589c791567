"""Seeded synthetic planning scenarios in the contract's formats, at named sizes.

    python benchmarks/generate.py --size medium --seed 3 -o /tmp/bench/medium-3

writes ``scenario.yaml``, ``catalog.yaml``, ``models/<id>.yaml`` and ``demand.csv``.
Sizes are halls x quarters x systems x models. The structure is meant to look like a
real fleet plan, so that the solver faces what it would face in production:

- systems in generations: 8-GPU air-cooled servers (a few kW, a quarter rack) and
  liquid-cooled 72-GPU racks (120-140 kW, lumpy against a hall's power), newer ones
  faster per GPU and per kW, dearer per unit, with lead times and supply caps;
- served models with throughput-vs-interactivity curves per system (newer systems
  reach higher interactivity; not every system serves every model), demand rows at
  one or two SLOs per model, growing quarter on quarter, some models launching late;
- halls of different power, PUE, electricity price and cooling, some with a floor-space
  cap, some available only later, the first ones holding an installed base that
  retires mid-horizon;
- demand sized so that by the end of the horizon the halls' power binds, and capex
  budgets (per period and in total) that bind too.

Contract v2 features are off by default (the files are then v1's, byte for byte):
``--refresh`` (C) allows retirement (`options.allow_retirement`) and gives every system
a `resale_fraction` (0.3; 0.2 for racks), so the installed base and the plan's own units
may be sold to make room.

Everything comes from one `random.Random(seed)`: same size and seed, same files.

Contract v2 features, off by default (each from a random stream of its own, so the v1
files of a size and seed stay the same):

- ``--build`` (A, building power): about half the halls may build power in blocks of a
  quarter to a half of their power, up to one or two times it, at $8M-$12M per MW (a
  lead time of up to 4 quarters), and demand grows into it.
- ``--rent`` adds rent offers (B) for the two fastest systems at 1.5-3x their owned cost
  per GPU-hour, capped and some with a window; ``--prices`` gives each demand row a token
  price (D, $0.05-$2 per million); ``--capex-decline`` lets the systems' prices fall
  5-30% a year (E).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

from v2overlay import add_refresh, add_rent, build_offer  # noqa: E402 - one rule each

from planner.core.problem import throughput_at  # noqa: E402 - the contract's rule, one place

SIZES: dict[str, tuple[int, int, int, int]] = {
    # halls, quarters, systems, models
    "tiny": (2, 3, 3, 2),
    "small": (2, 4, 6, 3),
    "medium": (10, 12, 12, 8),
    "large": (30, 40, 20, 15),
    "xl": (60, 40, 30, 20),
}

START_YEAR = 2027


@dataclass(frozen=True)
class Dims:
    halls: int
    quarters: int
    systems: int
    models: int

    @classmethod
    def parse(cls, size: str) -> Dims:
        if size in SIZES:
            return cls(*SIZES[size])
        parts = size.lower().split("x")
        if len(parts) != 4 or not all(p.isdigit() and int(p) > 0 for p in parts):
            raise ValueError(f"size {size!r}: use one of {', '.join(SIZES)} or HxQxSxM")
        return cls(*(int(p) for p in parts))


def quarter_label(t: int) -> str:
    return f"{START_YEAR + t // 4}Q{t % 4 + 1}"


def _systems(rng: random.Random, n: int, quarters: int) -> list[dict[str, Any]]:
    """n systems over a few generations, half 8-GPU air servers, half liquid racks."""
    out: list[dict[str, Any]] = []
    for i in range(n):
        gen = i * 4 // max(n, 1)  # 0..3, older first
        rack = i % 2 == 1 and gen >= 1 or (n >= 4 and i == n - 1)
        perf = (1.0 + 0.9 * gen) * rng.uniform(0.85, 1.15)  # tokens per GPU, relative
        if rack:
            gpus = 72
            kw = rng.uniform(118.0, 142.0) * (1.0 + 0.08 * (gen - 1))
            capex_per_gpu = rng.uniform(34_000, 46_000) * (1.0 + 0.25 * (gen - 1))
            sysd = {"cooling": "liquid", "racks_per_unit": 1.0}
        else:
            gpus = 8
            kw = rng.uniform(6.0, 11.0) * (1.0 + 0.15 * gen)
            capex_per_gpu = rng.uniform(14_000, 22_000) * (1.0 + 0.45 * gen)
            sysd = {"cooling": "air" if gen < 3 else rng.choice(["air", "liquid"]),
                    "racks_per_unit": 0.25}
        lead = 0 if gen == 0 else min(quarters - 1, rng.randint(gen - 1, gen + 1))
        entry: dict[str, Any] = {
            "id": f"sys{i:02d}-{'rack' if rack else 'hgx'}-g{gen}",
            "name": f"synthetic generation-{gen} {'72-GPU rack' if rack else '8-GPU server'}",
            "vendor": "synthetic",
            "gpus_per_unit": gpus,
            "unit_power_kw": round(kw, 2),
            "capex_usd": float(round(capex_per_gpu * gpus, -2)),
            "opex_usd_per_year": float(round(capex_per_gpu * gpus * rng.uniform(0.06, 0.1), -2)),
            "lifetime_years": rng.choice([4.0, 5.0, 6.0]),
            "lead_time_periods": lead,
            "source": "estimate (synthetic benchmark)",
            **sysd,
        }
        if rack or gen >= 2:
            entry["max_units_per_period"] = rng.randint(15, 60) if rack else rng.randint(200, 900)
        entry["_perf"] = perf
        entry["_maxint"] = 60.0 + 70.0 * gen + rng.uniform(-10, 10)
        out.append(entry)
    return out


def _profiles(rng: random.Random, systems: list[dict[str, Any]], n: int
              ) -> list[dict[str, Any]]:
    out = []
    for j in range(n):
        heavy = rng.uniform(0.15, 1.0)  # small models are fast per GPU
        base = 1500.0 / heavy ** 0.5
        curves: dict[str, list[list[float]]] = {}
        for sysd in systems:
            if rng.random() < 0.2 and len(curves) >= 2:
                continue  # this system has no published number for this model
            top = sysd["_maxint"] * rng.uniform(0.8, 1.2) / heavy ** 0.3
            xs = [10.0, 0.35 * top, 0.7 * top, top]
            xs = sorted({round(max(5.0, x), 1) for x in xs})
            rack_boost = 1.3 if sysd["gpus_per_unit"] == 72 else 1.0
            peak = base * sysd["_perf"] * rack_boost * rng.uniform(0.9, 1.1)
            pts = [[x, round(peak * math.exp(-1.6 * (x - xs[0]) / (xs[-1] - xs[0] + 1e-9)), 1)]
                   for x in xs]
            curves[sysd["id"]] = pts
        out.append({"id": f"m{j:02d}", "precision": rng.choice(["fp8", "fp4"]),
                    "source": "estimate (synthetic benchmark)", "throughput": curves})
    return out


def _sites(rng: random.Random, n: int, quarters: int, systems: list[dict[str, Any]],
           mw_range: tuple[float, float]) -> list[dict[str, Any]]:
    old_air = [s for s in systems if s["cooling"] == "air" and s["id"].endswith("g0")]
    out = []
    for i in range(n):
        liquid = rng.random() < 0.55
        site: dict[str, Any] = {
            "name": f"hall-{i:02d}",
            "power_mw": round(rng.uniform(*mw_range), 2),
            "pue": round(rng.uniform(1.08, 1.45), 2),
            "electricity_usd_per_mwh": round(rng.uniform(35.0, 130.0), 1),
            "cooling": "liquid" if liquid else "air",
        }
        if rng.random() < 0.4:
            # floor space that binds before power for air-cooled servers
            site["max_racks"] = float(round(site["power_mw"] * 1000 / rng.uniform(25, 45)))
        late = i >= max(1, n // 3) and rng.random() < 0.45
        if late and quarters > 2:
            site["available_from"] = quarter_label(rng.randint(1, max(1, quarters * 2 // 3)))
        elif i < max(1, n // 3) and old_air:
            sysd = rng.choice(old_air)
            units = int(site["power_mw"] * 1000 * rng.uniform(0.15, 0.45) / sysd["unit_power_kw"])
            if "max_racks" in site:
                units = min(units, int(site["max_racks"] / sysd["racks_per_unit"] * 0.5))
            ex: dict[str, Any] = {"system": sysd["id"], "units": units}
            if rng.random() < 0.6 and quarters > 2:
                ex["retire_after"] = quarter_label(rng.randint(0, quarters - 2))
            site["existing"] = [ex]
        out.append(site)
    return out


def _add_build(d: Dims, seed: int, sites: list[dict[str, Any]]) -> float:
    """A. Building power on about half the halls (module docstring); returns the most kW
    the halls may add."""
    rng = random.Random(f"planner-bench-build:{d.halls}x{d.quarters}x{d.systems}x{d.models}:"
                        f"{seed}")
    added_kw = 0.0
    for site in sites:
        if rng.random() >= 0.5:
            continue
        site["build"] = build_offer(rng, site["power_mw"], d.quarters)
        b = site["build"]
        added_kw += b["block_mw"] * round(b["max_mw"] / b["block_mw"]) * 1000
    return added_kw


def generate(size: str, seed: int, build: bool = False, *, refresh: bool = False
             ) -> dict[str, Any]:
    """The files of one scenario as Python objects (see `write`); `build`: halls may
    build power (contract v2, A); `refresh`: retirement with resale (C)."""
    d = Dims.parse(size)
    rng = random.Random(f"planner-bench:{d.halls}x{d.quarters}x{d.systems}x{d.models}:{seed}")
    systems = _systems(rng, d.systems, d.quarters)
    profiles = _profiles(rng, systems, d.models)
    # small halls at small sizes, so that lumpy racks matter
    mw_range = (0.6, 3.0) if d.halls <= 3 else (1.5, 12.0) if d.halls <= 12 else (2.0, 30.0)
    sites = _sites(rng, d.halls, d.quarters, systems, mw_range)
    util = 0.7
    # demand classes: per model one or two SLOs, growth per quarter, some launch late
    rows: list[tuple[int, str, float, float]] = []  # t, model, weight, slo
    sysmap = {s["id"]: s for s in systems}
    for prof in profiles:
        curves = prof["throughput"]
        tops = sorted(max(x for x, _ in pts) for pts in curves.values())
        slos = [round(rng.uniform(8.0, 0.5 * tops[0]), 0)]
        if rng.random() < 0.5 and len(tops) > 1:
            slos.append(round(rng.uniform(tops[len(tops) // 2] * 0.6, tops[-1] * 0.85), 0))
        launch = 0 if rng.random() < 0.7 else rng.randint(1, max(1, d.quarters // 2))
        # demand grows 1.5x to 5x from launch to the end of the horizon
        growth = rng.uniform(1.5, 5.0) ** (1.0 / max(1, d.quarters - 1 - launch)) - 1.0
        weight = rng.uniform(0.3, 1.0)
        for j, slo in enumerate(slos):
            share = 1.0 if j == 0 else rng.uniform(0.15, 0.5)
            # a class starts once some system that meets its SLO can be in service
            ready = min((sysmap[sid]["lead_time_periods"] for sid, pts in curves.items()
                         if max(x for x, _ in pts) >= slo), default=d.quarters)
            for t in range(max(launch, ready), d.quarters):
                w = weight * share * (1.0 + growth) ** (t - launch) * rng.uniform(0.95, 1.05)
                rows.append((t, prof["id"], w, slo))
    # scale: at the last quarter, serving everything with the best tokens/kW system
    # would need `load` times the power of all halls
    by_id = {p["id"]: p for p in profiles}

    def best_tok_per_kw(model: str, slo: float) -> float:
        best = 0.0
        for sid, pts in by_id[model]["throughput"].items():
            s = sysmap[sid]
            v = throughput_at(pts, slo) * s["gpus_per_unit"] * util / s["unit_power_kw"]
            best = max(best, v)
        return best

    last = d.quarters - 1
    kw_needed = sum(w / best_tok_per_kw(m, slo) for t, m, w, slo in rows
                    if t == last and best_tok_per_kw(m, slo) > 0)
    total_kw = sum(s["power_mw"] * 1000 for s in sites)
    load = rng.uniform(0.7, 0.95)
    if build:  # A: demand grows into the power the halls may build
        total_kw += 0.6 * _add_build(d, seed, sites)
    scale = load * total_kw / max(kw_needed, 1e-9)
    demand = [(quarter_label(t), m, round(w * scale, 0), slo) for t, m, w, slo in rows]
    demand.sort(key=lambda r: (r[0], r[1], r[3]))
    # budgets that bind: capex of the kW each quarter adds, at a mid-range price per kW
    per_kw = sorted(s["capex_usd"] / s["unit_power_kw"] for s in systems)
    mid_per_kw = per_kw[len(per_kw) // 2]
    existing_kw = sum(ex["units"] * sysmap[ex["system"]]["unit_power_kw"]
                      for site in sites for ex in site.get("existing", []))
    kw_t = [0.0] * d.quarters
    for t, m, w, slo in rows:
        b = best_tok_per_kw(m, slo)
        if b > 0:
            kw_t[t] += w * scale / b
    adds = [max(0.0, kw_t[0] - existing_kw)] + [
        max(0.0, kw_t[t] - kw_t[t - 1]) for t in range(1, d.quarters)]
    total_capex = round(rng.uniform(1.0, 1.2) * sum(adds) * mid_per_kw, -5)
    # binds on the ramp, yet lets the first quarter catch up with its demand
    ramp = max(adds[1:], default=adds[0])
    per_period = round(max(rng.uniform(0.8, 1.0) * ramp, 1.05 * adds[0]) * mid_per_kw, -5)
    catalog = {"name": f"synthetic {size} seed {seed}",
               "systems": [{k: v for k, v in s.items() if not k.startswith("_")}
                           for s in systems]}
    scenario = {
        "name": f"bench-{size}-{seed}",
        "description": "synthetic benchmark scenario (benchmarks/generate.py)",
        "horizon": {"start": quarter_label(0), "periods": d.quarters,
                    "granularity": "quarter"},
        "catalog": "catalog.yaml",
        "models": "models",
        "demand": "demand.csv",
        "sites": sites,
        "budget": {"capex_usd_per_period": per_period, "total_capex_usd": total_capex},
        "finance": {"capex_accounting": "amortized", "discount_rate": 0.08},
        "options": {"target_utilization": util, "average_power_fraction": 0.8,
                    "unmet_penalty_usd_per_mtok": 100.0},
        "solver": {"time_limit_s": 300, "mip_rel_gap": 0.001, "random_seed": 0},
    }
    if refresh:  # C. refresh: no random draw, so the rest of the scenario is unchanged
        add_refresh(scenario, catalog)
    return {"scenario": scenario, "catalog": catalog, "profiles": profiles, "demand": demand}


def add_v2(files: dict[str, Any], size: str, seed: int, *, rent: bool = False,
           prices: bool = False, capex_decline: bool = False) -> dict[str, Any]:
    """Contract v2 features on a generated scenario, in place (from their own random
    stream): rent offers (B), prices per demand row (D, returned in `files["prices"]`),
    falling capex (E)."""
    rng = random.Random(f"planner-bench-v2:{size}:{seed}")
    systems = files["catalog"]["systems"]
    if rent:
        quarters = files["scenario"]["horizon"]["periods"]
        add_rent(files["scenario"], files["catalog"], rng,
                 [quarter_label(t) for t in range(quarters)])
    if prices:
        files["prices"] = [round(rng.uniform(0.05, 2.0), 3) for _ in files["demand"]]
    if capex_decline:
        for s in systems:
            s["capex_decline_per_year"] = round(rng.uniform(0.05, 0.3), 3)
    return files


def write(size: str, seed: int, out: str | Path, build: bool = False, *,
          refresh: bool = False, **v2: bool) -> Path:
    """Write one scenario folder; returns the scenario.yaml path. `build`: halls may build
    power (A); `refresh`: retirement with resale (C); `v2`: `rent`, `prices`,
    `capex_decline` (`add_v2`); all off by default."""
    files = generate(size, seed, build, refresh=refresh)
    if any(v2.values()):
        add_v2(files, size, seed, **v2)
    out = Path(out)
    (out / "models").mkdir(parents=True, exist_ok=True)
    for old in (out / "models").glob("*.yaml"):
        old.unlink()
    (out / "catalog.yaml").write_text(yaml.safe_dump(files["catalog"], sort_keys=False))
    for prof in files["profiles"]:
        (out / "models" / f"{prof['id']}.yaml").write_text(
            yaml.safe_dump(prof, sort_keys=False))
    if "prices" in files:  # D. prices
        lines = ["period,model,tokens_per_s,min_tokens_per_s_per_user,usd_per_mtok"]
        lines += [f"{p},{m},{v:.0f},{slo:g},{price:g}"
                  for (p, m, v, slo), price in zip(files["demand"], files["prices"],
                                                   strict=True)]
    else:
        lines = ["period,model,tokens_per_s,min_tokens_per_s_per_user"]
        lines += [f"{p},{m},{v:.0f},{slo:g}" for p, m, v, slo in files["demand"]]
    (out / "demand.csv").write_text("\n".join(lines) + "\n")
    path = out / "scenario.yaml"
    path.write_text(yaml.safe_dump(files["scenario"], sort_keys=False))
    return path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="small",
                    help=f"one of {', '.join(SIZES)} or HALLSxQUARTERSxSYSTEMSxMODELS")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--out", required=True, help="folder to write")
    ap.add_argument("--refresh", action="store_true",
                    help="contract v2 C: allow retirement, with resale values")
    ap.add_argument("--build", action="store_true",
                    help="v2, A: halls may build power in blocks (off by default)")
    ap.add_argument("--rent", action="store_true", help="add rent offers (contract v2, B)")
    ap.add_argument("--prices", action="store_true",
                    help="give demand rows token prices (contract v2, D)")
    ap.add_argument("--capex-decline", action="store_true",
                    help="let system prices fall year on year (contract v2, E)")
    a = ap.parse_args(argv)
    print(write(a.size, a.seed, a.out, build=a.build, refresh=a.refresh, rent=a.rent,
                prices=a.prices, capex_decline=a.capex_decline))


if __name__ == "__main__":
    main()
