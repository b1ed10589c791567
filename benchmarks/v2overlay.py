"""Contract v2 features laid over any written scenario folder (issue 16, "v2 at scale").

`benchmarks/generate.py` draws its v2 features (`--build --refresh --rent --prices
--capex-decline`) inside its own generator; the families of `benchmarks/families.py`
have none. `apply` adds them to a scenario folder already written by either, from the
scenario's own halls, systems and demand rows, so the families' timing tables can be run
again with build, rent and retirement switched on (`benchmarks/run.py --families F --v2
build,refresh,rent,prices,capex-decline`). Every feature is off by default and drawn from
its own random stream (per scenario name, seed and feature), so switching one on leaves
the others as they were. The figures are planning estimates of the same kind as
`generate.py`'s:

- ``build`` (A): about half the halls may build power in 2-4 blocks of 25-50% of their
  power, at $8-12M per MW and $150-250k per MW-year, with a lead time of 0-4 periods;
- ``refresh`` (C): `options.allow_retirement`, and a `resale_fraction` on every system
  (0.2 for racks of more than 8 GPUs, 0.3 for servers) where it has none;
- ``rent`` (B): offers for the two dearest systems at 1.5-3x their owned cost per
  GPU-hour (capex over lifetime), capped at 256, 1,024 or 4,096 GPUs, half of them with
  a window of periods;
- ``prices`` (D): a token price of $0.05-2 per million tokens on every demand row;
- ``capex_decline`` (E): every system's price falls 5-30% a year.

    python benchmarks/v2overlay.py DIR/scenario.yaml --seed 1 --build --rent
"""

from __future__ import annotations

import argparse
import csv
import io
import random
from pathlib import Path
from typing import Any

import yaml

FEATURES = ("build", "refresh", "rent", "prices", "capex_decline")


def _rng(name: str, seed: int, feature: str) -> random.Random:
    return random.Random(f"planner-bench-overlay:{name}:{seed}:{feature}")


def _periods(demand_rows: list[dict[str, str]]) -> list[str]:
    """The period labels of the demand file, in their first order (the horizon's)."""
    return list(dict.fromkeys(r["period"] for r in demand_rows))


def build_offer(rng: random.Random, power_mw: float, periods: int) -> dict[str, Any]:
    """A. A hall's `build` entry: 2-4 blocks of 25-50% of its power, $8-12M per MW,
    $150-250k per MW-year, a lead time of 0-4 periods (`generate.py` draws its own
    through this too)."""
    block = round(float(power_mw) * rng.uniform(0.25, 0.5), 2) or 0.01
    blocks = rng.randint(2, 4)
    return {"block_mw": block, "max_mw": round(block * blocks, 2),
            "capex_usd_per_mw": round(rng.uniform(8e6, 1.2e7), -4),
            "opex_usd_per_mw_year": round(rng.uniform(1.5e5, 2.5e5), -3),
            "lead_time_periods": rng.randint(0, max(0, min(4, periods - 1)))}


def _add_build(sc: dict[str, Any], rng: random.Random, periods: int) -> None:
    for site in sc["sites"]:
        if rng.random() < 0.5:
            site["build"] = build_offer(rng, site["power_mw"], periods)


def add_refresh(sc: dict[str, Any], catalog: dict[str, Any]) -> None:
    """C. Retirement allowed, and a resale fraction on every system that has none (0.2
    for racks of more than 8 GPUs, 0.3 for servers)."""
    sc.setdefault("options", {})["allow_retirement"] = True
    for s in catalog["systems"]:
        s.setdefault("resale_fraction", 0.2 if s["gpus_per_unit"] > 8 else 0.3)


def add_rent(sc: dict[str, Any], catalog: dict[str, Any], rng: random.Random,
             labels: list[str]) -> None:
    """Rent offers (B) for the two dearest systems of `catalog` (catalogue order among
    equals), drawn from `rng`, windows among the period `labels`; `generate.py` draws its
    own through this too."""
    dearest = sorted(catalog["systems"], key=lambda s: -s["capex_usd"])[:2]
    offers = []
    for s in dearest:
        own = s["capex_usd"] / s["gpus_per_unit"] / (s.get("lifetime_years", 5) * 8760)
        o: dict[str, Any] = {"system": s["id"],
                             "usd_per_gpu_hour": round(own * rng.uniform(1.5, 3.0), 3),
                             "max_gpus": rng.choice([256, 1024, 4096])}
        if rng.random() < 0.5 and len(labels) > 1:
            a = rng.randint(0, len(labels) - 1)
            o["from"], o["until"] = labels[a], labels[rng.randint(a, len(labels) - 1)]
        offers.append(o)
    sc["rent"] = offers


def apply(scenario: Path, seed: int, **features: bool) -> Path:
    """Add the v2 `features` (names in `FEATURES`, all off by default) to the scenario
    folder of `scenario` (its scenario.yaml), in place; returns `scenario`."""
    unknown = set(features) - set(FEATURES)
    if unknown:
        raise ValueError(f"unknown v2 feature(s): {', '.join(sorted(unknown))}")
    on = {f for f in FEATURES if features.get(f)}
    if not on:
        return scenario
    folder = scenario.parent
    sc = yaml.safe_load(scenario.read_text())
    cat_path = folder / sc["catalog"]
    catalog = yaml.safe_load(cat_path.read_text())
    dem_path = folder / sc["demand"]
    with dem_path.open(newline="") as f:
        reader = csv.DictReader(f)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    labels = _periods(rows)
    name = str(sc.get("name", folder.name))
    if "build" in on:
        _add_build(sc, _rng(name, seed, "build"), len(labels))
    if "refresh" in on:
        add_refresh(sc, catalog)
    if "rent" in on:
        add_rent(sc, catalog, _rng(name, seed, "rent"), labels)
    if "capex_decline" in on:
        rng = _rng(name, seed, "capex_decline")
        for s in catalog["systems"]:
            s["capex_decline_per_year"] = round(rng.uniform(0.05, 0.3), 3)
    if "prices" in on and "usd_per_mtok" not in fields:
        rng = _rng(name, seed, "prices")
        for r in rows:
            r["usd_per_mtok"] = f"{round(rng.uniform(0.05, 2.0), 3):g}"
        fields.append("usd_per_mtok")
        out = io.StringIO()
        w = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        dem_path.write_text(out.getvalue())
    cat_path.write_text(yaml.safe_dump(catalog, sort_keys=False))
    scenario.write_text(yaml.safe_dump(sc, sort_keys=False))
    return scenario


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario", type=Path)
    ap.add_argument("--seed", type=int, default=1)
    for f in FEATURES:
        ap.add_argument(f"--{f.replace('_', '-')}", action="store_true")
    a = ap.parse_args(argv)
    print(apply(a.scenario, a.seed, **{f: getattr(a, f) for f in FEATURES}))


if __name__ == "__main__":
    main()
