"""Units and scaling of the model's rows and columns, and the tolerances that follow.

Each row is kept near 1 next to the solver's tolerances (1e-6 to 1e-7, absolute):

- demand rows are divided by their own demand D_k (right-hand side 1), so `unmet[k]`
  counts shares of D_k and a demand of 0.01 tokens/s is held to the same relative
  tolerance as one of 1e9 (`DEMAND_ROW_RHS`);
- budget rows are divided by `budget_scale` of the prices in them: the power of ten
  nearest the geometric mean of the smallest and largest unit price, so neither end of a
  price range from cents to $1e7 falls under HiGHS's smallest matrix entry, 1e-9;
- power rows are in kW, space rows in racks, supply rows in units; the objective is in
  USD, and HiGHS gets it multiplied by the power of ten that brings the largest cost to
  at most 1e6 (`planner.core.highs.objective_scale`: a $1e12 penalty beside $100 costs
  would otherwise hide 1% of the objective in its tolerances); objective, bound and
  duals are read back in USD;
- where the column costs span more than 1e10 (a cent-priced unit beside a $1e12 penalty
  per share of demand), continuous columns above that span go to HiGHS in a smaller
  unit (`planner.core.highs.column_units`: the unmet share in millionths, say), so the
  smallest costs stay above HiGHS's tolerance instead of reading as free; plans come
  back in the program's units.

A built model records each scaled row's divisor and each scaled column's natural units
per model unit in a side table (`record_row_scale`, `record_col_scale`);
`planner.core.compile` turns it into `CompiledModel.row_scale` and `col_scale`, so
nothing outside the core sees the scaling except code that changes row bounds (the
re-solves of `planner.analysis.marginal`).

Every program carries a MIP feasibility tolerance of `SHORTFALL_TOL` (HiGHS's default
is 1e-6), so a demand row is never short by more than the share the outputs read as
the solver's tolerance; `whole_unit` rows
(`planner.core.constraints.add_whole_unit_constraints`) may make it tighter
(`whole_unit_tolerance`). Both are recorded in a second side table (`program_options`,
`tighten_feasibility`) that becomes `MatrixProgram.options`.
"""

from __future__ import annotations

import math
from typing import Any

# No Pyomo here: the side tables are attributes of any model object.

#: right-hand side of every scaled demand row (each is divided by its own demand)
DEMAND_ROW_RHS = 1.0
#: HiGHS's default MIP feasibility tolerance (on rows and on integrality)
HIGHS_FEASIBILITY_TOL = 1e-6
#: the share of a class's demand under which a shortfall is the solver's tolerance, not
#: unmet demand (service.csv, `planner.core.extract`); every program's MIP feasibility
#: tolerance is held to it on the demand rows (right-hand side 1). At HiGHS's default
#: (1e-6) a plan could leave up to 1e-6 of a class unserved without paying for it, and
#: the outputs priced that as unmet: fuzz seed 19027, 6.6e-7 of a class read as $2,730
#: of unmet penalty beside a $22.2M plan (1.2e-4 of its cost, a solver artefact).
SHORTFALL_TOL = 1e-7
#: the tightest MIP feasibility tolerance a program gets for its `whole_unit` rows
MIN_FEASIBILITY_TOL = 1e-9
#: the largest coefficient a budget row gets (`budget_scale`)
MAX_BUDGET_COEFFICIENT = 1e6
#: a class whose whole demand needs less than this share of one unit of a system gets a
#: `whole_unit` row for that system (`add_whole_unit_constraints`)
WHOLE_UNIT_SHARE = 1e-3
#: the feasibility tolerance of a program with `whole_unit` rows, as a fraction of the
#: smallest share of a unit one of them lets a class be served from
WHOLE_UNIT_TOL_FRACTION = 0.1

#: attribute of a built model holding the divisor of each scaled row,
#: {family: {index: divisor}}, and the natural units per model unit of scaled columns,
#: {"col:" + variable: {index: units}} (read by `planner.core.compile`)
SCALES_ATTR = "_planner_scales"
#: attribute of a built model holding the HiGHS options its program must carry
PROGRAM_OPTIONS_ATTR = "_planner_highs_options"
#: prefix of a column entry in the scales side table
COLUMN_PREFIX = "col:"


def budget_scale(prices: list[float]) -> float:
    """The divisor of a budget row: the power of ten nearest the geometric mean of its
    smallest and largest positive unit price (1 when it has none), so its coefficients
    straddle 1 ($1e6 for a catalogue of $300k servers and $3M racks); but never so small
    that the largest coefficient passes `MAX_BUDGET_COEFFICIENT` (a $1e-300 price beside
    $3e5 ones made coefficients of 3e152, which HiGHS refuses; a price that falls under
    HiGHS's smallest entry, 1e-9 of the row's unit, is then too small for any budget)."""
    pos = [p for p in prices if p > 0]
    if not pos:
        return 1.0
    mean = round(0.5 * (math.log10(min(pos)) + math.log10(max(pos))))
    return float(10.0 ** max(mean, math.ceil(math.log10(max(pos) / MAX_BUDGET_COEFFICIENT))))


def whole_unit_tolerance(largest_share: float) -> float:
    """The MIP feasibility tolerance of a program whose `whole_unit` rows have `largest_share`
    as their largest coefficient (a unit then serves about 1/largest_share of a class):
    `WHOLE_UNIT_TOL_FRACTION` of that, between `MIN_FEASIBILITY_TOL` and `SHORTFALL_TOL`."""
    return max(MIN_FEASIBILITY_TOL,
               min(SHORTFALL_TOL, WHOLE_UNIT_TOL_FRACTION / largest_share))


def scales(m: object) -> dict[str, dict[Any, float]]:
    """The scales side table of a built model (created empty on first use)."""
    sc: dict[str, dict[Any, float]] | None = getattr(m, SCALES_ATTR, None)
    if sc is None:
        sc = {}
        setattr(m, SCALES_ATTR, sc)
    return sc


def record_row_scale(m: object, family: str) -> dict[Any, float]:
    """The divisors of one family's rows, {index: divisor}, to fill in while building it."""
    return scales(m).setdefault(family, {})


def record_col_scale(m: object, variable: str, units: dict[Any, float]) -> None:
    """Record the natural units per model unit of each column of `variable`."""
    scales(m)[COLUMN_PREFIX + variable] = units


def program_options(m: object) -> dict[str, float]:
    """HiGHS options the compiled program must carry (`MatrixProgram.options`)."""
    opts: dict[str, float] | None = getattr(m, PROGRAM_OPTIONS_ATTR, None)
    if opts is None:
        opts = {}
        setattr(m, PROGRAM_OPTIONS_ATTR, opts)
    return opts


def tighten_feasibility(options: dict[str, float], tol: float) -> None:
    """Hold `options`' MIP feasibility tolerance to at most `tol`."""
    merge_options(options, {"mip_feasibility_tolerance": tol})


def merge_options(into: dict[str, float], other: dict[str, float]) -> None:
    """Merge a program's options into `into`: every option a program carries is a
    tolerance, so the tightest wins (the extensive form of several futures keeps the
    smallest of theirs)."""
    for key, value in other.items():
        into[key] = min(value, into.get(key, value))
