"""`planner new-hall` as one optimisation: the new hall is a build decision (contract v2, A).

The base gets the hall as a site with `build:` (power_mw 0, or the hall's own power when
the base defines it): the MILP chooses how many blocks to energise and when, and "build
nothing" is one of its answers. The answer is stated plainly ("build 10 MW at hall-c from
2027Q3", or "build nothing at hall-c"), with the cost per MW at which it would change:
where nothing is built, the capex per MW below which building starts to pay; where
something is built, the capex per MW above which nothing would be. Both come from a
short bisection of re-solves on `capex_usd_per_mw` (the plan's cost is a concave,
piecewise-linear function of it, so "some MW built" holds on one interval from 0).

The enumeration of sizes x opening periods (`planner.whatif.newhall`) stays as the
sensitivity table (`--sensitivity`).
"""

from __future__ import annotations

import copy
import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from planner.errors import InputError, Issue
from planner.whatif.newhall import hall_template
from planner.whatif.overlays import MergedScenario, merge_scenario, read_base, read_overlay
from planner.whatif.runner import JobResult
from planner.whatif.variants import RunProgress, RunSettings, Variant, run_variants
from planner.whatif.words import value_text

#: re-solves that halve the interval holding the break-even cost per MW
BISECTIONS = 7
#: doublings of the cost per MW tried when looking for one at which nothing is built
MAX_DOUBLINGS = 24
#: the first cost per MW tried above a price of 0
FIRST_PRICE_USD_PER_MW = 1e5
#: the command-line option of each required `build:` field
OPTION_OF = {"block_mw": "--block-mw", "max_mw": "--max-mw", "capex_usd_per_mw": "--capex-per-mw"}



@dataclass(frozen=True)
class HallDecision:
    """The answer of `planner new-hall`: what the MILP builds at `site`, and when.

    `blocks`: (period, MW energised) in period order; `breakeven`: the interval of
    capex per MW holding the price at which the answer changes (None: no such price,
    see `breakeven_note`); `probes`: (capex per MW, MW built) of every re-solve."""

    site: str
    template: str
    build: dict[str, Any]
    result: JobResult
    blocks: list[tuple[str, float]]
    breakeven: tuple[float, float] | None
    breakeven_note: str
    probes: list[tuple[float, float | None]] = field(default_factory=list)

    @property
    def built_mw(self) -> float:
        return sum(mw for _p, mw in self.blocks)

    @property
    def answer(self) -> str:
        """"build N MW at SITE from PERIOD" or "build nothing at SITE"."""
        if not self.result.ok:
            return f"no plan ({self.result.status}): {self.result.message}".strip()
        if not self.blocks:
            return f"build nothing at {self.site}"
        text = f"build {value_text(self.built_mw)} MW at {self.site} from {self.blocks[0][0]}"
        if len(self.blocks) > 1:
            text += " (" + ", ".join(f"{value_text(mw)} MW in {p}" for p, mw in self.blocks) + ")"
        return text


def hall_build_scenario(base: Path, base_data: dict[str, Any], site: str,
                        build: Mapping[str, Any], hall: Mapping[str, Any], like: str | None,
                        overlays: Sequence[Any], sets: Sequence[Any]
                        ) -> tuple[MergedScenario, str]:
    """The base with the hall `site` as a build decision. The hall takes its fields from
    the base's site of that name if there is one (its `build:` overridden by `build`;
    its power_mw is set to 0 unless it has a `build:`, whose power_mw is what stands
    already), else pue, electricity price and cooling from `like` (default: the first
    site) and power_mw 0; `hall` (pue, electricity_usd_per_mwh, cooling, available_from)
    last."""
    merged = merge_scenario(base, overlays, sets, base_data=base_data)
    doc = copy.deepcopy(merged.data)
    sites = doc.get("sites")
    if not isinstance(sites, list) or not sites:
        raise InputError([Issue(str(base), "sites", "the base has no sites")])
    found, template, where = hall_template(sites, site, like, merged.label)
    if not found:
        template = {"name": site, "power_mw": 0, **template}
        sites.append(template)
    elif not template.get("build"):
        template["power_mw"] = 0  # the whole hall is the decision
    template.update({k: v for k, v in hall.items() if v is not None})
    spec = {**(template.get("build") or {}), **{k: v for k, v in build.items() if v is not None}}
    missing = [k for k in ("block_mw", "max_mw", "capex_usd_per_mw") if k not in spec]
    if missing:
        raise InputError([Issue("new-hall", "build", "the hall's build needs "
                                + ", ".join(OPTION_OF[k] for k in missing)
                                + f" (or sites.{site}.build in the base)")])
    template["build"] = spec
    return MergedScenario(doc, merged.base_file, merged.base_dir,
                          (*merged.sources, f"hall {site} built by the plan")), where


def _with_price(m: MergedScenario, site: str, usd_per_mw: float) -> MergedScenario:
    doc = copy.deepcopy(m.data)
    for s in doc["sites"]:
        if isinstance(s, dict) and s.get("name") == site:
            s["build"]["capex_usd_per_mw"] = usd_per_mw
    return MergedScenario(doc, m.base_file, m.base_dir,
                          (*m.sources, f"capex_usd_per_mw={usd_per_mw:g}"))


def build_blocks_of(res: JobResult, site: str) -> list[tuple[str, float]]:
    """(period, MW) energised at `site`, from the plan's build_plan.csv."""
    text = res.files.get("build_plan.csv")
    if not isinstance(text, str) or not text:
        return []
    out: dict[str, float] = {}
    for r in csv.DictReader(io.StringIO(text)):
        if r["site"] == site:
            out[r["period"]] = out.get(r["period"], 0.0) + float(r["mw"])
    return list(out.items())


def breakeven(builds_at: Callable[[float], bool | None], price: float, built: bool
              ) -> tuple[tuple[float, float] | None, str]:
    """The interval of capex per MW holding the price at which the answer changes, by
    bisection: `builds_at(p)` re-solves at price p (None: no plan). Where the plan
    builds (`built`), search above `price` for a price at which nothing is built; where
    it does not, search below it for one at which something is."""
    if built:
        lo, hi = price, max(2 * price, FIRST_PRICE_USD_PER_MW)
        for _ in range(MAX_DOUBLINGS):
            b = builds_at(hi)
            if b is None:
                return None, f"no plan at ${hi:,.0f} per MW"
            if not b:
                break
            lo, hi = hi, 2 * hi
        else:
            return None, f"building still pays at ${lo:,.0f} per MW"
    else:
        b = builds_at(0.0)
        if b is None:
            return None, "no plan at $0 per MW"
        if not b:
            return None, "building does not pay even at $0 per MW: more power buys nothing"
        lo, hi = 0.0, price
    for _ in range(BISECTIONS):
        mid = (lo + hi) / 2
        b = builds_at(mid)
        if b is None:
            return None, f"no plan at ${mid:,.0f} per MW"
        lo, hi = (mid, hi) if b else (lo, mid)
    return (lo, hi), ""


def run_hall_decision(base: Path, site: str, build: Mapping[str, Any],
                      settings: RunSettings, *, hall: Mapping[str, Any] | None = None,
                      like: str | None = None, what_ifs: Sequence[Path] = (),
                      sets: Sequence[str] = (), search: bool = True,
                      progress: RunProgress | None = None) -> HallDecision:
    """Plan the base with the hall `site` as a build decision, and (with `search`) find
    the capex per MW at which the answer changes. Raises InputError before anything is
    planned (no such `like`, a build without its size or price)."""
    base_data = read_base(base)
    overlays = [read_overlay(f) for f in what_ifs]
    merged, where = hall_build_scenario(base, base_data, site, build, hall or {}, like,
                                        overlays, list(sets))
    spec = next(s for s in merged.data["sites"] if s.get("name") == site)["build"]
    res = run_variants([Variant("decision", merged)], settings, keep_files=True,
                       progress=progress)[0]
    blocks = build_blocks_of(res, site) if res.ok else []
    probes: list[tuple[float, float | None]] = []

    def builds_at(p: float) -> bool | None:
        r = run_variants([Variant(f"capex={p:g}", _with_price(merged, site, p))], settings,
                         keep_files=False)[0]
        mw = None if r.summary is None else float(r.summary.built_mw or 0.0)
        probes.append((p, mw))
        return None if mw is None else mw > 0

    interval, note = (None, "")
    if res.ok and search:
        interval, note = breakeven(builds_at, float(spec["capex_usd_per_mw"]), bool(blocks))
    return HallDecision(site, where, dict(spec), res, blocks, interval, note, probes)


def decision_lines(d: HallDecision) -> list[str]:
    """The answer, and the price at which it would change, in words."""
    lines = [d.answer]
    if not d.result.ok:
        return lines
    price = float(d.build["capex_usd_per_mw"])
    if d.breakeven is not None:
        lo, hi = d.breakeven
        mid = (lo + hi) / 2
        if d.blocks:
            lines.append(f"at ${price:,.0f} per MW; above about ${mid:,.0f} per MW "
                         f"(between ${lo:,.0f} and ${hi:,.0f}) building would stop paying "
                         "and nothing would be built")
        else:
            lines.append(f"at ${price:,.0f} per MW; below about ${mid:,.0f} per MW "
                         f"(between ${lo:,.0f} and ${hi:,.0f}) building would start to pay")
    elif d.breakeven_note:
        lines.append(d.breakeven_note)
    return lines


def decision_frame(d: HallDecision) -> pd.DataFrame:
    """The decision and the break-even re-solves: capex_usd_per_mw, built_mw (empty: no
    plan), and which (``decision`` or ``search``)."""
    rows = [(float(d.build["capex_usd_per_mw"]),
             d.built_mw if d.result.ok else None, "decision")]
    rows += [(p, mw, "search") for p, mw in d.probes]
    return pd.DataFrame(rows, columns=["capex_usd_per_mw", "built_mw", "plan"])
