"""How large a planning model will be, known before anything is built.

The planner refuses a scenario whose model would be too large to build in memory or to
solve in any reasonable time, before building it (docs/reliability.md, "Too large"). The
count is exact, from the index sets `planner.core.prepare.prepare` computed, and cheap:

    purchase columns  = 2 x |deliverable (site, system, period)|      buy and fleet
    serving columns   = |(system, class) with throughput at the SLO|  strong: pooled over sites
                      = |(site, system, class) deliverable|           plain: per site
    unmet columns     = |classes|                                     one per demand class

where a demand class is one (period, model, SLO) row of the demand. The rows are about as
many as the columns, and memory grows with both: measured, about 3 KB per column while
Pyomo builds and compiles (`benchmarks/generate.py --size xl`: 119,480 columns, 456 MB
peak; `large`: 44,669 columns, 240 MB).
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.core.problem import PlanData
from planner.errors import InputError, Issue

#: the default largest model, in columns: about 3 GB while building (about 3 KB each),
#: 8x the largest benchmark size (`xl`, 119,480 columns)
MAX_COLUMNS = 1_000_000


@dataclass(frozen=True)
class ModelSize:
    """Columns of the planning model by kind, and the counts behind them."""

    purchase_columns: int
    serving_columns: int
    unmet_columns: int
    sites: int
    systems: int
    periods: int
    classes: int

    @property
    def columns(self) -> int:
        return self.purchase_columns + self.serving_columns + self.unmet_columns


def model_size(data: PlanData, formulation: str = "strong") -> ModelSize:
    """The number of columns `build_model(data, formulation)` would create."""
    serving = len(data.tput) if formulation == "strong" else len(data.serve_index)
    return ModelSize(purchase_columns=len(data.buy_index) + len(data.fleet_index)
                     + len(data.retire_index) + len(data.xretire_index),  # C. refresh
                     serving_columns=serving, unmet_columns=len(data.classes),
                     sites=len(data.sites), systems=len(data.systems), periods=data.T,
                     classes=len(data.classes))


def check_size(data: PlanData, *, max_columns: int = MAX_COLUMNS, formulation: str = "strong",
               scenario_file: str = "scenario.yaml", demand_file: str = "demand.csv") -> None:
    """Raise InputError (exit 2) when the model would have more than `max_columns`
    columns, naming the input that makes it large and by how much."""
    size = model_size(data, formulation)
    if size.columns <= max_columns:
        return
    times = size.columns / max_columns
    head = (f"the planning model would have {size.columns:,} variables, {times:.1f}x the "
            f"limit of {max_columns:,} (--max-columns; about 3 KB of memory each while it "
            "is built): ")
    if size.serving_columns + size.unmet_columns >= size.purchase_columns:
        where, field = demand_file, "demand"
        why = (f"{size.classes:,} demand classes (distinct period, model and "
               f"min_tokens_per_s_per_user rows) give {size.serving_columns:,} serving "
               f"variables (about {size.serving_columns / max(1, size.classes):.1f} systems "
               "can serve each); fewer SLO "
               "values (round min_tokens_per_s_per_user to a few tiers) or coarser periods "
               "make it smaller")
    else:
        where, field = scenario_file, "sites"
        why = (f"{size.sites:,} sites x {size.systems} systems x {size.periods} periods give "
               f"{size.purchase_columns:,} purchase variables; fewer sites (group halls "
               "with the same limits), systems or periods make it smaller")
    raise InputError([Issue(where, field, head + why)])
