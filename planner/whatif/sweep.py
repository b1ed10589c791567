"""`planner sweep`: the base planned at every point of a grid of varied values.

A sweep varies one or more scenario paths (``--vary PATH=START:STOP:STEP`` or
``PATH=v1,v2``); the grid is every combination, the last path varying fastest. Its
chart series put the first path on the x axis, a line per combination of the others.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd

from planner.errors import InputError, Issue
from planner.whatif.jobs import JobResult
from planner.whatif.overlays import merge_scenario, read_base, read_overlay
from planner.whatif.paths import parse_path, parse_value
from planner.whatif.tables import Series, sweep_frame
from planner.whatif.variants import RunProgress, RunSettings, penalty_price, run_variants, variant
from planner.whatif.words import value_text

#: the most values one --vary (or --sizes, --open) gives, and the most points of a grid
MAX_POINTS = 10_000


def parse_values(spec: str, where: str) -> list[Any]:
    """``START:STOP:STEP`` (inclusive; step defaults to 1) or ``v1,v2,v3`` (YAML values)."""
    source = "--vary"
    text = spec.strip()
    if not text:
        raise InputError([Issue(source, where, "no values")])
    parts = text.split(":")
    if len(parts) in (2, 3) and "," not in text:
        try:
            start, stop = Decimal(parts[0].strip()), Decimal(parts[1].strip())
            step = Decimal(parts[2].strip()) if len(parts) == 3 else Decimal(1)
        except InvalidOperation:
            raise InputError([Issue(source, where, f"{spec!r}: a range is START:STOP:STEP "
                                    "with numbers")]) from None
        if step <= 0:
            raise InputError([Issue(source, where, f"{spec!r}: STEP must be > 0")])
        if stop < start:
            raise InputError([Issue(source, where, f"{spec!r}: STOP is below START")])
        count = int((stop - start) / step) + 1
        if count > MAX_POINTS:
            raise InputError([Issue(source, where, f"{spec!r} makes {count} values "
                                    f"(limit {MAX_POINTS})")])
        integral = all(re.fullmatch(r"\s*[+-]?\d+\s*", p) for p in parts)
        vals: list[Any] = []
        for i in range(count):
            v = start + step * i
            vals.append(int(v) if integral else float(v))
        return vals
    return [parse_value(p, source, where) for p in text.split(",")]


def parse_vary(text: str) -> tuple[str, list[Any]]:
    """``PATH=START:STOP:STEP`` or ``PATH=v1,v2,...`` -> (path, values)."""
    if "=" not in text:
        raise InputError([Issue("--vary", text, "expected PATH=START:STOP:STEP or "
                                "PATH=v1,v2,...")])
    path, _, spec = text.partition("=")
    path = path.strip()
    parse_path(path, "--vary")
    return path, parse_values(spec, path)


@dataclass(frozen=True)
class Sweep:
    """The plans of a sweep: the base, and one per point of the grid.

    `axes`: each varied path and its values; `points`: the grid, a value per path;
    `results`: a result per point; `table`: a row per point
    (`planner.whatif.tables.sweep_frame`); `penalty_usd_per_mtok`: the base's
    unmet-demand price (None if the base is invalid)."""

    base_file: Path
    axes: list[tuple[str, list[Any]]]
    points: list[tuple[Any, ...]]
    base: JobResult
    results: list[JobResult]
    table: pd.DataFrame
    penalty_usd_per_mtok: float | None

    @property
    def paths(self) -> list[str]:
        return [p for p, _ in self.axes]

    @property
    def all_results(self) -> list[JobResult]:
        """The base's result, then the points'."""
        return [self.base, *self.results]

    def xs(self) -> list[Any]:
        """The chart's x values: the first path's values, in the grid's order."""
        xs: list[Any] = []
        for pt in self.points:
            if pt[0] not in xs:
                xs.append(pt[0])
        return xs

    def lines(self, field: str, name: str) -> Series:
        """A summary field against the first path: a line per combination of the other
        paths' values, named ``<name>, <path>=<value>, ...``."""
        xs = self.xs()
        groups: dict[tuple[Any, ...], dict[Any, JobResult]] = {}
        for pt, res in zip(self.points, self.results, strict=True):
            groups.setdefault(tuple(pt[1:]), {})[pt[0]] = res
        out = []
        for key, by_x in groups.items():
            ys: list[float | None] = []
            for x in xs:
                r = by_x.get(x)
                ys.append(None if r is None or r.summary is None else getattr(r.summary, field))
            out.append((f"{name}, {self._label(key)}" if key else name, ys))
        return out

    def _label(self, key: tuple[Any, ...]) -> str:
        return ", ".join(f"{p.split('.')[-1]}={value_text(v)}"
                         for p, v in zip(self.paths[1:], key, strict=True))

    def spend_lines(self) -> Series:
        """Spend per point, then spend + penalty when any point has a penalty, then the
        base's spend as a flat line."""
        spend = self.lines("spend_usd", "spend")
        if any(r.summary is not None and r.summary.unmet_penalty_usd for r in self.results):
            spend += self.lines("total_cost_usd", "spend + penalty")
        if self.base.summary is not None:
            spend.append(("base spend", [self.base.summary.spend_usd] * len(self.xs())))
        return spend


def run_sweep(base: Path, axes: Sequence[tuple[str, list[Any]]], what_ifs: Sequence[Path],
              sets: Sequence[str], settings: RunSettings, *, chain: int = 4,
              keep_plans: bool = False, timings: bool = False,
              progress: RunProgress | None = None) -> Sweep:
    """Plan the base (with `what_ifs` and `sets`) and every point of the grid of `axes`
    (`parse_vary`), each point starting from the one before it in chains of `chain`
    points. A point that fails does so alone, in its row; an invalid base, what-if or
    grid raises InputError before anything is planned."""
    base_data = read_base(base)
    if len({p for p, _ in axes}) != len(axes):
        raise InputError([Issue("--vary", "", "a path is varied twice")])
    overlays = [read_overlay(f) for f in what_ifs]
    sets = list(sets)
    merge_scenario(base, overlays, sets, base_data=base_data)
    paths = [p for p, _ in axes]
    points = list(itertools.product(*[vals for _, vals in axes]))
    if len(points) > MAX_POINTS:
        raise InputError([Issue("--vary", "", f"the grid has {len(points)} points "
                                f"(limit {MAX_POINTS})")])
    width = len(str(len(points)))
    variants = [variant("base", base, base_data, overlays, sets)]
    for i, pt in enumerate(points, start=1):
        variants.append(variant(f"{i:0{width}d}", base, base_data, overlays,
                                sets + list(zip(paths, pt, strict=True))))
    results = run_variants(variants, settings, keep_files=keep_plans, chain=chain,
                           progress=progress)
    base_res, point_res = results[0], results[1:]
    table = sweep_frame(paths, points, point_res, base_res, timings=timings)
    return Sweep(Path(base), [(p, list(v)) for p, v in axes], points, base_res, point_res,
                 table, penalty_price(variants[0].merged))
