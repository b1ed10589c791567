"""`planner new-hall`: how large should a new hall be, and when should it open?

The baseline is the base without the hall; a plan per (size, opening period) adds it.
The table (`planner.whatif.tables.new_hall_frame`) says what the hall changes against
the baseline; the verdicts (`planner.whatif.saturation`) say, per opening, the smallest
size that does as well as any and the size past which more MW saves nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from planner.errors import InputError, Issue
from planner.whatif.jobs import JobResult
from planner.whatif.overlays import MergedScenario, merge_scenario, read_base, read_overlay
from planner.whatif.saturation import new_hall_verdicts
from planner.whatif.tables import Series, new_hall_frame
from planner.whatif.variants import RunProgress, RunSettings, Variant, penalty_price, run_variants
from planner.whatif.words import value_text

#: the fields a new hall takes from the site `--like` names, when the base has no such hall
NEW_HALL_KEYS = ("pue", "electricity_usd_per_mwh", "cooling")


def new_hall_variants(base: Path, base_data: dict[str, Any], site: str, sizes: Sequence[Any],
                      opens: Sequence[Any], like: str | None, overlays: Sequence[Any],
                      sets: Sequence[Any]) -> tuple[MergedScenario, list[MergedScenario], str]:
    """The baseline (no new hall) and a scenario per (size, opening period).

    The new hall takes its other fields from the site of that name in the (merged) base,
    if there is one (which the baseline then drops), else pue, electricity price and
    cooling from the site `like` (default: the base's first site).
    """
    merged = merge_scenario(base, overlays, sets, base_data=base_data)
    doc = merged.data
    sites = doc.get("sites")
    if not isinstance(sites, list) or not sites:
        raise InputError([Issue(str(base), "sites", "the base has no sites")])
    found, template, where = hall_template(sites, site, like, merged.label)
    if found:
        template = copy.deepcopy(template)
    base_doc = copy.deepcopy(doc)
    base_doc["sites"] = [s for s in sites if not (isinstance(s, dict) and s.get("name") == site)]
    if not base_doc["sites"]:
        raise InputError([Issue(str(base), "sites", f"{site!r} is the only site; the baseline "
                                "without it would have no site")])
    baseline = MergedScenario(base_doc, merged.base_file, merged.base_dir,
                              (*merged.sources, f"without site {site}"))
    points = []
    for size in sizes:
        for op in opens:
            d = copy.deepcopy(base_doc)
            hall = copy.deepcopy(template)
            hall["power_mw"] = size
            hall["available_from"] = op
            d["sites"].append(hall)
            points.append(MergedScenario(d, merged.base_file, merged.base_dir, (
                *merged.sources, f"new hall {site}: power_mw={value_text(size)}, "
                f"available_from={value_text(op)}")))
    return baseline, points, where


@dataclass(frozen=True)
class NewHall:
    """The plans of a new-hall question: the baseline without the hall, then one per
    (size, opening), sizes outer, openings inner.

    `template`: where the hall's other fields come from, in words; `table`: a row per
    (size, opening); `verdicts`: per opening and overall, in words; `tolerance_usd`:
    savings closer than this count as equal, on top of solver noise;
    `penalty_usd_per_mtok`: the baseline's unmet-demand price."""

    base_file: Path
    site: str
    sizes: list[Any]
    opens: list[Any]
    template: str
    baseline: JobResult
    results: list[JobResult]
    table: pd.DataFrame
    verdicts: list[str]
    tolerance_usd: float
    penalty_usd_per_mtok: float | None

    @property
    def grid(self) -> list[tuple[Any, Any]]:
        """(size, opening) of each result."""
        return [(s, o) for s in self.sizes for o in self.opens]

    @property
    def all_results(self) -> list[JobResult]:
        """The baseline's result, then the grid's."""
        return [self.baseline, *self.results]

    def lines(self, column: str) -> Series:
        """A table column against size: a line per opening, named ``opens <period>``."""
        rows = self.table.to_dict(orient="records")
        return [(f"opens {value_text(o)}", [rows[i * len(self.opens) + j][column]
                                           for i in range(len(self.sizes))])
                for j, o in enumerate(self.opens)]


def run_new_hall(base: Path, site: str, sizes: Sequence[Any], opens: Sequence[Any],
                 settings: RunSettings, *, like: str | None = None,
                 what_ifs: Sequence[Path] = (), sets: Sequence[str] = (),
                 tolerance_usd: float | None = None, chain: int = 4,
                 progress: RunProgress | None = None, keep_plans: bool = False) -> NewHall:
    """Plan the baseline and the hall `site` at every size (MW) and opening period, in
    the grid's order, each plan starting from the one before it in chains of `chain`
    (`keep_plans`: the results carry their plan files). Raises
    InputError (a size not above 0, no such site, a hall with an installed base) before
    anything is planned."""
    base_data = read_base(base)
    for v in sizes:
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v <= 0:
            raise InputError([Issue("--sizes", "", f"{v!r} is not a size in MW (> 0)")])
    overlays = [read_overlay(f) for f in what_ifs]
    baseline, points, where = new_hall_variants(base, base_data, site, sizes, opens, like,
                                                overlays, list(sets))
    grid = [(s, o) for s in sizes for o in opens]
    variants = [Variant("baseline", baseline)] + [
        Variant(f"{value_text(s)}MW@{value_text(o)}", m)
        for (s, o), m in zip(grid, points, strict=True)]
    results = run_variants(variants, settings, keep_files=keep_plans, chain=chain,
                           progress=progress)
    base_res, pres = results[0], results[1:]
    floor = float(tolerance_usd or 0.0)
    price = penalty_price(baseline)
    table = new_hall_frame(site, grid, pres, base_res, floor)
    by_open: dict[Any, list[tuple[float, JobResult]]] = {o: [] for o in opens}
    for (s, o), res in zip(grid, pres, strict=True):
        by_open[o].append((float(s), res))
    verdicts = new_hall_verdicts(site, by_open, base_res, floor, price)
    return NewHall(Path(base), site, list(sizes), list(opens), where, base_res, pres, table,
                   verdicts, floor, price)


def hall_template(sites: list[Any], site: str, like: str | None, label: str
                  ) -> tuple[bool, dict[str, Any], str]:
    """The new hall's fields: (whether the base has a site of that name, its fields, where
    they come from). The base's site of that name if there is one (refused if it has an
    installed base), else `name` and the pue, electricity price and cooling of the site
    `like` (default: the base's first site)."""
    names = [s.get("name") for s in sites if isinstance(s, dict)]
    if site in names:
        template = sites[names.index(site)]
        if template.get("existing"):
            raise InputError([Issue(label, f"sites.{site}.existing",
                                    "a new hall has no installed base; name a hall that is "
                                    "not built yet")])
        return True, template, f"fields of sites.{site} in the base"
    src_name = like or names[0]
    if src_name not in names:
        raise InputError([Issue("--like", "", f"no site {src_name!r} in the base (have: "
                                f"{', '.join(map(str, names))})")])
    src = sites[names.index(src_name)]
    return (False, {"name": site, **{k: src[k] for k in NEW_HALL_KEYS if k in src}},
            f"pue, electricity price and cooling of {src_name}")
