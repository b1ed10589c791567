"""Scenario families for benchmarks, written from the scenario contract (docs/scenario.md),
not from `benchmarks/generate.py`: each family stresses a structure the generator does
not (or only mildly) have, so that a speed-up measured on one generator can be checked
on scenarios it never produced.

    python benchmarks/families.py --family floorspace --size medium --seed 1 -o /tmp/fs-m-1
    python benchmarks/families.py --list
    python benchmarks/families.py --check --sizes small,medium --seeds 1-3

writes ``scenario.yaml``, ``catalog.yaml``, ``models/<id>.yaml`` and ``demand.csv``.

Sizes are halls x periods x systems x models: ``small`` 3x6x6x3, ``medium`` 10x12x12x8,
``large`` 30x40x20x15, ``xxl`` 100x60x30x20 (60 *months*: at ``xxl`` every family plans
months, except ``yearly``), ``tiny`` 2x3x3x2 and ``xl`` 60x40x30x20 (as
`benchmarks/generate.py` names them), or any ``HxPxSxM``. Families (`FAMILIES`):

- ``floorspace``: every hall has a ``max_racks`` floor-space cap with fewer rack
  positions than its densest systems would fill (35-55 kW of power per position in air
  halls, 150-220 kW in liquid halls), so floor space binds before power; one per-period
  capex budget (no total); every curve has three points; one SLO per model.
- ``budget``: per-period and total capex budgets at 45-75% and 55-80% of the capex the
  demand's growth would need, upfront accounting, halls with room to spare: money, not
  power, decides; the unmet price is $2-20 per million tokens, so leaving demand unserved
  is a real choice against buying.
- ``slo-classes``: 4-6 SLO classes per model (interactivity tiers), curves of 4-8 points.
- ``few-big-halls``: max(2, H // 3) halls sharing the estate's power (H x 10 MW).
- ``many-small-halls``: min(3 H, 150) halls sharing the same power: lumpy 72-GPU racks
  against 2-5 MW halls.
- ``monthly``: month periods (supply caps and lead times in months).
- ``yearly``: year periods, at most 12 of them.
- ``installed-base``: every hall starts 50-85% full of older systems (1-3 entries each),
  most with ``retire_after`` dates; even seeds set ``options.allow_retirement`` and give
  every system a ``resale_fraction``.

The catalogue is synthetic but published-looking: each system is one of the fourteen
systems of ``catalogs/default.yaml`` (GPUs per unit, cooling and, jittered by up to
+-8% / +-15%, its unit power and price; its opex share, lifetime, floor space and lead
time), renamed ``syn-<id>-<variant>``; above fourteen systems, variants of them. Every
system's ``source`` says so and is tagged estimate. Throughput curves are synthetic too:
a relative per-GPU speed and a highest interactivity per system class (`SPEED`, planning
estimates, not measurements), a per-model peak of 3,000-25,000 tokens/s per GPU on the
fastest systems (the range of the builtin InferenceX profiles in ``models/``), falling
with interactivity. Demand grows 2-6x over the horizon from a random launch period; in
the last period it needs 0.85-1.15 times the kW the halls can fill (their power, or less
where floor space fills first) at the tokens per kW of an upper-quartile system for each
class (``floorspace`` 0.7-1.0 times, ``budget`` 0.5-0.7 times), so power, floor space or
money binds by the end.

Everything comes from one `random.Random` seeded with the family, size and seed: the same
arguments give byte-identical files.
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

from planner.core.problem import throughput_at  # noqa: E402 - the contract's rule, one place

CATALOG = ROOT / "catalogs" / "default.yaml"

SIZES: dict[str, tuple[int, int, int, int]] = {
    # halls, periods, systems, models (tiny and xl: the dimensions of generate.py's)
    "tiny": (2, 3, 3, 2),
    "small": (3, 6, 6, 3),
    "medium": (10, 12, 12, 8),
    "large": (30, 40, 20, 15),
    "xl": (60, 40, 30, 20),
    "xxl": (100, 60, 30, 20),
}

FAMILIES = ("floorspace", "budget", "slo-classes", "few-big-halls", "many-small-halls",
            "monthly", "yearly", "installed-base")

#: per catalogue system: relative tokens/s per GPU (hgx-b200 = 1) and the highest
#: interactivity (tokens/s per user) its curves reach. Planning estimates for synthetic
#: benchmarks, ordered as the builtin InferenceX profiles order these systems; not data.
SPEED: dict[str, tuple[float, float]] = {
    "hgx-a100": (0.12, 60.0), "hgx-h100": (0.25, 100.0), "hgx-h200": (0.33, 110.0),
    "hgx-b200": (1.0, 160.0), "hgx-b300": (1.25, 210.0), "gb200-nvl72": (1.5, 170.0),
    "gb300-nvl72": (1.9, 200.0), "mi300x": (0.22, 50.0), "mi325x": (0.28, 60.0),
    "mi355x": (0.85, 170.0), "gaudi3": (0.2, 60.0), "l40s-server": (0.06, 40.0),
    "l4-server": (0.02, 25.0), "h100-pcie-server": (0.15, 70.0),
}
#: the older systems an installed base is made of
OLD = ("hgx-a100", "hgx-h100", "hgx-h200", "mi300x", "gaudi3", "l40s-server",
       "h100-pcie-server")

START = 2027
HOURS = {"quarter": 2190.0, "month": 730.0, "year": 8760.0}
PER_YEAR = {"quarter": 4, "month": 12, "year": 1}


@dataclass(frozen=True)
class Dims:
    halls: int
    periods: int
    systems: int
    models: int

    @classmethod
    def parse(cls, size: str) -> Dims:
        if size in SIZES:
            return cls(*SIZES[size])
        parts = size.lower().split("x")
        if len(parts) != 4 or not all(p.isdigit() and int(p) > 0 for p in parts):
            raise ValueError(f"size {size!r}: use one of {', '.join(SIZES)} or HxPxSxM")
        return cls(*(int(p) for p in parts))


def label(granularity: str, t: int) -> str:
    """The contract's label of period t from January 2027."""
    if granularity == "quarter":
        return f"{START + t // 4}Q{t % 4 + 1}"
    if granularity == "month":
        return f"{START + t // 12}-{t % 12 + 1:02d}"
    return str(START + t)


def _anchors() -> list[dict[str, Any]]:
    """The systems of the default catalogue (the magnitudes every synthetic system keeps)."""
    cat = yaml.safe_load(CATALOG.read_text())
    return [s for s in cat["systems"] if s["id"] in SPEED]


# --------------------------------------------------------------------------- the parts


class _Family:
    """One family's draws, in a fixed order from one random stream."""

    def __init__(self, family: str, size: str, seed: int) -> None:
        if family not in FAMILIES:
            raise ValueError(f"family {family!r}: use one of {', '.join(FAMILIES)}")
        self.family, self.size, self.seed = family, size, seed
        d = Dims.parse(size)
        self.rng = random.Random(f"planner-families:{family}:{d.halls}x{d.periods}x"
                                 f"{d.systems}x{d.models}:{seed}")
        self.gran = {"monthly": "month", "yearly": "year"}.get(
            family, "month" if size == "xxl" else "quarter")
        self.T = min(d.periods, 12) if self.gran == "year" else d.periods
        self.n_systems, self.n_models = d.systems, d.models
        self.total_mw = d.halls * 10.0
        if family == "few-big-halls":
            self.n_halls = max(2, d.halls // 3)
        elif family == "many-small-halls":
            self.n_halls = min(3 * d.halls, 150)
        else:
            self.n_halls = d.halls
        self.retire = family == "installed-base" and seed % 2 == 0
        self.util = round(self.rng.uniform(0.6, 0.8), 2)

    # --- catalogue
    def systems(self) -> list[dict[str, Any]]:
        rng, anchors = self.rng, _anchors()
        n = self.n_systems
        picks: list[dict[str, Any]] = []
        if n <= len(anchors):
            order = anchors[:]
            rng.shuffle(order)
            racks = [a for a in order if a["gpus_per_unit"] > 8]
            air = [a for a in order if a["gpus_per_unit"] == 8]
            # at least one 72-GPU rack and one air server, the rest in shuffled order
            picks = [racks[0], air[0]] + [a for a in order if a is not racks[0]
                                          and a is not air[0]][:max(0, n - 2)]
            picks = picks[:n]
        else:
            picks = anchors + [rng.choice(anchors) for _ in range(n - len(anchors))]
        used: dict[str, int] = {}
        out = []
        per_period = {"quarter": 1.0, "month": 1 / 3, "year": 4.0}[self.gran]
        for a in picks:
            k = used.get(a["id"], 0)
            used[a["id"]] = k + 1
            variant = "abcdefghij"[k]
            jit_kw, jit_usd = rng.uniform(0.92, 1.08), rng.uniform(0.85, 1.15)
            capex = float(round(a["capex_usd"] * jit_usd, -3))
            opex_share = a.get("opex_usd_per_year", 0.0) / a["capex_usd"]
            lead_m = float(a.get("lead_time_months", 3 * a.get("lead_time_periods", 0)))
            lead = math.ceil(lead_m / {"quarter": 3, "month": 1, "year": 12}[self.gran])
            s: dict[str, Any] = {
                "id": f"syn-{a['id']}-{variant}",
                "name": f"{a['name']} (synthetic variant {variant})",
                "vendor": "synthetic",
                "gpus_per_unit": int(a["gpus_per_unit"]),
                "unit_power_kw": round(a["unit_power_kw"] * jit_kw, 2),
                "capex_usd": capex,
                "opex_usd_per_year": float(round(capex * opex_share, -2)),
                "lifetime_years": float(a.get("lifetime_years", 4)),
                "lead_time_periods": min(lead, max(0, self.T - 2)),
                "cooling": a.get("cooling", "air"),
                "racks_per_unit": float(a.get("racks_per_unit", 0.25)),
                "source": f"estimate: synthetic benchmark system, catalogs/default.yaml "
                          f"{a['id']} with unit power x{jit_kw:.3f} and price x{jit_usd:.3f}",
            }
            if a["id"] not in OLD and rng.random() < 0.6:  # newer systems ship in allocations
                cap = rng.randint(15, 60) if s["gpus_per_unit"] > 8 else rng.randint(300, 1500)
                cap = cap * self.total_mw / 100.0 * per_period
                s["max_units_per_period"] = max(2, int(round(cap)))
            if self.retire:
                s["resale_fraction"] = round(rng.uniform(0.1, 0.35), 2)
            s["_anchor"] = a["id"]
            speed, top = SPEED[a["id"]]
            s["_speed"] = speed * rng.uniform(0.9, 1.1)
            s["_top"] = top * rng.uniform(0.9, 1.1)
            out.append(s)
        return out

    # --- served models
    def profiles(self, systems: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rng = self.rng
        out = []
        for j in range(self.n_models):
            peak = math.exp(rng.uniform(math.log(3000.0), math.log(25000.0)))
            heavy = rng.uniform(0.7, 1.3)  # a bigger model reaches lower interactivity
            curves: dict[str, list[list[float]]] = {}
            order = systems[:]
            rng.shuffle(order)
            for s in order:
                if len(curves) >= 2 and rng.random() < 0.25:
                    continue  # no published number for this system
                npts = 3 if self.family == "floorspace" else (
                    rng.randint(4, 8) if self.family == "slo-classes" else rng.randint(2, 4))
                top = s["_top"] / heavy
                lo = max(5.0, top * rng.uniform(0.15, 0.35))
                xs = sorted({round(lo + (top - lo) * i / (npts - 1), 1) for i in range(npts)})
                y0 = peak * s["_speed"] / 1.9 * rng.uniform(0.9, 1.1)  # gb300-class = peak
                decay = rng.uniform(1.2, 2.6)
                curves[s["id"]] = [[x, round(y0 * math.exp(-decay * (x - xs[0]) /
                                                           max(xs[-1] - xs[0], 1.0)), 1)]
                                   for x in xs]
            out.append({"id": f"model-{j:02d}", "name": f"synthetic served model {j}",
                        "precision": rng.choice(["fp8", "fp4"]),
                        "source": "estimate: synthetic benchmark profile (benchmarks/"
                                  "families.py), magnitudes of the builtin InferenceX profiles",
                        "throughput": {sid: curves[sid] for sid in sorted(curves)}})
        return out

    # --- halls
    def halls(self, systems: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rng, n = self.rng, self.n_halls
        weights = [rng.uniform(0.6, 1.4) if self.family in ("few-big-halls",
                                                            "many-small-halls")
                   else math.exp(rng.uniform(math.log(0.3), math.log(3.0))) for _ in range(n)]
        total = sum(weights)
        old = [s for s in systems if s["_anchor"] in OLD]
        heavy_base = self.family == "installed-base"
        out = []
        for i in range(n):
            mw = round(self.total_mw * weights[i] / total, 2)
            liquid = rng.random() < (0.6 if self.family == "floorspace" else 0.5)
            h: dict[str, Any] = {
                "name": f"dc{i:03d}",
                "power_mw": max(mw, 0.5),
                "pue": round(rng.uniform(1.1, 1.5), 2),
                "electricity_usd_per_mwh": round(rng.uniform(40.0, 140.0), 1),
                "cooling": "liquid" if liquid else "air",
            }
            if self.family == "floorspace" or rng.random() < 0.2:
                # kW of hall power per rack position: floorspace halls have fewer positions
                # than their densest systems would fill (air servers draw 20-30 kW a
                # rack, 72-GPU racks 120-140 kW)
                if self.family == "floorspace":
                    kw_per_rack = rng.uniform(150.0, 220.0) if liquid else rng.uniform(35.0, 55.0)
                else:
                    kw_per_rack = rng.uniform(30.0, 60.0)
                h["max_racks"] = float(max(4, round(h["power_mw"] * 1000.0 / kw_per_rack)))
            if heavy_base or (i % 3 == 0 and old):
                fill = rng.uniform(0.5, 0.85) if heavy_base else rng.uniform(0.1, 0.35)
                entries = self._existing(h, old or systems, fill)
                if entries:
                    h["existing"] = entries
            elif self.T > 3 and rng.random() < 0.3:
                h["available_from"] = label(self.gran, rng.randint(1, self.T // 2))
            out.append(h)
        return out

    def _existing(self, hall: dict[str, Any], old: list[dict[str, Any]],
                  fill: float) -> list[dict[str, Any]]:
        rng = self.rng
        fits = [s for s in old if s["cooling"] == "air" or hall["cooling"] == "liquid"]
        if not fits:
            return []
        k = min(len(fits), rng.randint(1, 3))
        chosen = rng.sample(fits, k)
        kw_left = hall["power_mw"] * 1000.0 * fill
        racks_left = hall["max_racks"] * 0.9 if "max_racks" in hall else math.inf
        entries = []
        for idx, s in enumerate(chosen):
            share = kw_left / (k - idx) * rng.uniform(0.7, 1.0)
            units = int(share / s["unit_power_kw"])
            if s["racks_per_unit"] > 0 and racks_left < math.inf:
                units = min(units, int(racks_left / s["racks_per_unit"]))
            if units <= 0:
                continue
            kw_left -= units * s["unit_power_kw"]
            racks_left -= units * s["racks_per_unit"]
            e: dict[str, Any] = {"system": s["id"], "units": units}
            if self.T > 2 and rng.random() < 0.7:
                e["retire_after"] = label(self.gran, rng.randint(0, self.T - 2))
            entries.append(e)
        return entries

    # --- demand
    def demand(self, systems: list[dict[str, Any]], profiles: list[dict[str, Any]],
               halls: list[dict[str, Any]]) -> tuple[list[tuple[str, str, float, float]],
                                                     list[float]]:
        """Demand rows (period, model, tokens/s, SLO), and the kW of capacity each period
        needs at an upper-quartile system's tokens per kW (for the budgets). Demand is
        sized so that the last period needs `load` times the kW the halls can fill
        (`room_kw`)."""
        rng, T = self.rng, self.T
        sysmap = {s["id"]: s for s in systems}
        n_slo = {"floorspace": (1, 1), "slo-classes": (4, 6)}.get(self.family, (1, 2))
        raw: list[tuple[int, str, float, float]] = []
        for prof in profiles:
            curves = prof["throughput"]
            tops = sorted(max(x for x, _ in pts) for pts in curves.values())
            k = rng.randint(*n_slo)
            # the first class is one most systems meet, the others up to 90% of the
            # second-fastest curve's reach (so two systems at least can serve each class)
            # and at most 150 tokens/s per user
            first = float(round(rng.uniform(5.0, max(6.0, 0.6 * tops[len(tops) // 2]))))
            hi = max(6.0, min(0.9 * tops[-2 if len(tops) > 1 else -1], 150.0))
            slos = sorted({first} | {float(round(rng.uniform(5.0, hi))) for _ in range(k - 1)})
            shares = [rng.uniform(0.2, 1.0) for _ in slos]
            launch = 0 if rng.random() < 0.75 else rng.randint(1, max(1, T // 2))
            growth = rng.uniform(2.0, 6.0) ** (1.0 / max(1, T - 1 - launch))
            weight = rng.uniform(0.2, 1.0)
            for slo, share in zip(slos, shares, strict=True):
                ready = min((sysmap[sid]["lead_time_periods"] for sid, pts in curves.items()
                             if max(x for x, _ in pts) >= slo), default=T)
                for t in range(max(launch, ready), T):
                    w = weight * share * growth ** (t - launch) * rng.uniform(0.95, 1.05)
                    raw.append((t, prof["id"], w, slo))
        by_id = {p["id"]: p for p in profiles}

        def good_tok_per_kw(model: str, slo: float) -> float:
            """Tokens/s per kW of the upper-quartile system that serves the class (the best
            one is often out of reach: supply caps, lead time, cooling)."""
            vals = sorted(throughput_at(pts, slo) * sysmap[sid]["gpus_per_unit"] * self.util
                          / sysmap[sid]["unit_power_kw"]
                          for sid, pts in by_id[model]["throughput"].items()
                          if throughput_at(pts, slo) > 0)
            return vals[len(vals) * 3 // 4] if vals else 0.0

        need = [0.0] * T  # kW the demand needs at that system's tokens per kW
        for t, m, w, slo in raw:
            v = good_tok_per_kw(m, slo)
            if v > 0:
                need[t] += w / v
        room = sum(self.room_kw(h, systems) for h in halls)
        load = {"budget": rng.uniform(0.5, 0.7), "floorspace": rng.uniform(0.7, 1.0)
                }.get(self.family, rng.uniform(0.85, 1.15))
        scale = load * room / max(need[-1], 1e-9)
        rows = [(label(self.gran, t), m, float(round(w * scale, 0)), slo)
                for t, m, w, slo in raw if round(w * scale, 0) > 0]
        rows.sort(key=lambda r: (r[0], r[1], r[3]))
        return rows, [x * scale for x in need]

    @staticmethod
    def room_kw(hall: dict[str, Any], systems: list[dict[str, Any]]) -> float:
        """The kW a hall can fill: its power, or less when its floor space fills first
        with the densest system it can hold (kW per rack)."""
        kw = hall["power_mw"] * 1000.0
        if "max_racks" not in hall:
            return kw
        dense = max((s["unit_power_kw"] / s["racks_per_unit"] for s in systems
                     if s["racks_per_unit"] > 0
                     and (s["cooling"] == "air" or hall["cooling"] == "liquid")), default=kw)
        return min(kw, hall["max_racks"] * dense)

    def budget(self, systems: list[dict[str, Any]], need_kw: list[float],
               halls: list[dict[str, Any]]) -> dict[str, float]:
        rng = self.rng
        sysmap = {s["id"]: s for s in systems}
        per_kw = sorted(s["capex_usd"] / s["unit_power_kw"] for s in systems)
        mid = per_kw[len(per_kw) // 2]
        have = sum(e["units"] * sysmap[e["system"]]["unit_power_kw"]
                   for h in halls for e in h.get("existing", []))
        adds = [max(0.0, need_kw[0] - have)] + [max(0.0, need_kw[t] - need_kw[t - 1])
                                                 for t in range(1, len(need_kw))]
        peak, total = max(adds) * mid, sum(adds) * mid
        if self.family == "budget":
            return {"capex_usd_per_period": round(rng.uniform(0.45, 0.75) * peak, -5),
                    "total_capex_usd": round(rng.uniform(0.55, 0.8) * total, -5)}
        if self.family == "floorspace":
            return {"capex_usd_per_period": round(rng.uniform(0.9, 1.3) * peak, -5)}
        out = {"capex_usd_per_period": round(rng.uniform(1.0, 1.5) * peak, -5)}
        if rng.random() < 0.5:
            out["total_capex_usd"] = round(rng.uniform(1.1, 1.4) * total, -5)
        return out


def generate(family: str, size: str, seed: int) -> dict[str, Any]:
    """The files of one scenario as Python objects (`write` writes them)."""
    f = _Family(family, size, seed)
    systems = f.systems()
    profiles = f.profiles(systems)
    halls = f.halls(systems)
    demand, need_kw = f.demand(systems, profiles, halls)
    budget = f.budget(systems, need_kw, halls)
    options: dict[str, Any] = {
        "target_utilization": f.util,
        "average_power_fraction": round(f.rng.uniform(0.7, 0.85), 2),
        "unmet_penalty_usd_per_mtok": round(f.rng.uniform(2.0, 20.0), 1)
        if family == "budget" else 100.0}
    if f.retire:
        options["allow_retirement"] = True
    scenario = {
        "name": f"{family}-{size}-{seed}",
        "description": f"benchmark family {family} (benchmarks/families.py), size {size}, "
                       f"seed {seed}",
        "horizon": {"start": label(f.gran, 0), "periods": f.T, "granularity": f.gran},
        "catalog": "catalog.yaml",
        "models": "models",
        "demand": "demand.csv",
        "sites": halls,
        "budget": budget,
        "finance": {"capex_accounting": "upfront" if family == "budget" else "amortized",
                    "discount_rate": round(f.rng.uniform(0.0, 0.1), 3)},
        "options": options,
        "solver": {"time_limit_s": 300, "mip_rel_gap": 0.001, "random_seed": 0},
    }
    catalog = {"name": f"synthetic catalogue ({family} {size} seed {seed})",
               "source": "estimate: synthetic systems scaled from catalogs/default.yaml",
               "systems": [{k: v for k, v in s.items() if not k.startswith("_")}
                           for s in systems]}
    return {"scenario": scenario, "catalog": catalog, "profiles": profiles, "demand": demand}


def write(family: str, size: str, seed: int, out: str | Path) -> Path:
    """Write one scenario folder; returns the scenario.yaml path."""
    files = generate(family, size, seed)
    out = Path(out)
    (out / "models").mkdir(parents=True, exist_ok=True)
    for old in (out / "models").glob("*.yaml"):
        old.unlink()
    (out / "catalog.yaml").write_text(yaml.safe_dump(files["catalog"], sort_keys=False))
    for prof in files["profiles"]:
        (out / "models" / f"{prof['id']}.yaml").write_text(
            yaml.safe_dump(prof, sort_keys=False))
    lines = ["period,model,tokens_per_s,min_tokens_per_s_per_user"]
    lines += [f"{p},{m},{v:.0f},{slo:g}" for p, m, v, slo in files["demand"]]
    (out / "demand.csv").write_text("\n".join(lines) + "\n")
    path = out / "scenario.yaml"
    path.write_text(yaml.safe_dump(files["scenario"], sort_keys=False))
    return path


def parse_seeds(text: str) -> list[int]:
    """'1-5' or '1,3,7' (or both: '1-3,9')."""
    seeds: list[int] = []
    for part in text.split(","):
        if "-" in part:
            lo, hi = part.split("-")
            seeds += list(range(int(lo), int(hi) + 1))
        elif part:
            seeds.append(int(part))
    return seeds


def check(families: list[str], sizes: list[str], seeds: list[int], out: Path) -> int:
    """Write, load, validate and size every (family, size, seed); print one line each.
    Returns the number that failed."""
    from planner.core.prepare import prepare
    from planner.core.size import check_size, model_size
    from planner.errors import PlannerError
    from planner.inputs.loader import load_inputs

    bad = 0
    for fam in families:
        for size in sizes:
            for seed in seeds:
                path = write(fam, size, seed, out / f"{fam}-{size}-{seed}")
                try:
                    data = prepare(load_inputs(path))
                    check_size(data)
                    ms = model_size(data)
                    print(f"ok   {fam:17s} {size:7s} seed {seed}: {len(data.sites)} halls, "
                          f"{data.T} periods, {len(data.systems)} systems, "
                          f"{len(data.classes)} demand classes, {ms.columns} columns")
                except PlannerError as exc:
                    bad += 1
                    print(f"FAIL {fam:17s} {size:7s} seed {seed}: {exc}")
    return bad


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--family", default="floorspace", help=f"one of {', '.join(FAMILIES)}")
    ap.add_argument("--size", default="small",
                    help=f"one of {', '.join(SIZES)} or HALLSxPERIODSxSYSTEMSxMODELS")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--out", help="folder to write (with --check: where to write)")
    ap.add_argument("--list", action="store_true", help="list the families and sizes")
    ap.add_argument("--check", action="store_true",
                    help="write and validate every family at --sizes and --seeds")
    ap.add_argument("--families", default=",".join(FAMILIES), help="with --check")
    ap.add_argument("--sizes", default="small,medium", help="with --check")
    ap.add_argument("--seeds", default="1-3", help="with --check")
    a = ap.parse_args(argv)
    if a.list:
        for fam in FAMILIES:
            print(fam)
        print("sizes: " + ", ".join(f"{k} {'x'.join(map(str, v))}" for k, v in SIZES.items()))
        return
    if a.check:
        import tempfile

        out = Path(a.out) if a.out else Path(tempfile.mkdtemp(prefix="families-"))
        bad = check([f for f in a.families.split(",") if f], a.sizes.split(","),
                    parse_seeds(a.seeds), out)
        sys.exit(1 if bad else 0)
    if not a.out:
        ap.error("-o/--out is required")
    print(write(a.family, a.size, a.seed, a.out))


if __name__ == "__main__":
    main()
