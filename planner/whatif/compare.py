"""`planner compare`: the base and each what-if file planned side by side."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planner.errors import InputError
from planner.whatif.jobs import JobResult
from planner.whatif.overlays import merge_scenario, read_base, read_overlay
from planner.whatif.tables import comparison_frame
from planner.whatif.variants import (
    RunProgress,
    RunSettings,
    Variant,
    error_text,
    penalty_price,
    run_variants,
    unique_names,
    variant,
)
from planner.whatif.words import compare_headlines


@dataclass(frozen=True)
class Comparison:
    """The plans of a comparison: the base first, then a variant per what-if file.

    `what_ifs`: each variant's name and its what-if file; `table`: a row per plan
    (`planner.whatif.tables.comparison_frame`); `headlines`: the base's spend and service,
    then what each variant changes against it."""

    base_file: Path
    what_ifs: list[tuple[str, Path]]
    results: list[JobResult]
    table: pd.DataFrame
    headlines: list[str]


def run_compare(base: Path, what_ifs: Sequence[Path], sets: Sequence[str],
                settings: RunSettings, *, keep_plans: bool = False, timings: bool = False,
                progress: RunProgress | None = None) -> Comparison:
    """Plan the base and the base with each what-if file (and `sets` applied to every
    plan). A what-if that cannot be read or merged fails alone, in its row; a bad `sets`
    entry fails them all alike and raises InputError once. `keep_plans`: the results
    carry their plan files; `timings`: the table gets each plan's wall time."""
    files = list(what_ifs)
    base_data = read_base(base)
    names = unique_names(["base", *[f.stem for f in files]])
    sets = list(sets)
    for s in sets:  # a bad --set fails every variant alike: say so once
        merge_scenario(base, [], [s], base_data=base_data)
    variants = [variant(names[0], base, base_data, [], sets)]
    for name, f in zip(names[1:], files, strict=True):
        try:
            ov = read_overlay(f)
        except InputError as exc:
            variants.append(Variant(name, None, error_text(exc)))
            continue
        variants.append(variant(name, base, base_data, [ov], sets))
    results = run_variants(variants, settings, keep_files=keep_plans, progress=progress)
    table = comparison_frame(results, timings=timings)
    headlines = compare_headlines(results, {v.name: penalty_price(v.merged)
                                            for v in variants})
    return Comparison(Path(base), list(zip(names[1:], files, strict=True)), results, table,
                      headlines)
