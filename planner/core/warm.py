"""Start a solve from a neighbouring scenario's plan (a sweep's previous point).

A sweep's points differ in one or two numbers, so the plan of one point is often
feasible for the next: the same purchases still fit a larger hall, a dearer electricity
price changes no constraint. `carried_start` maps a previous plan's columns onto a new
compiled model by variable name and key (`CompiledModel.columns`; columns the previous
plan did not have start at zero) and returns it only when it satisfies every bound, row
and integrality of the new model, so HiGHS gets a feasible incumbent at once and the
start heuristic (an LP relaxation and its roundings) is skipped. When the carried plan
is not feasible, the caller computes a start as usual. Either way the optimum HiGHS
proves is the new scenario's own: a start only changes where the search begins.

No Pyomo here: the compiled model is read through its arrays.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from planner.core.highs import MatrixProgram

if TYPE_CHECKING:
    from planner.core.compile import CompiledModel

Values = Mapping[str, Mapping[tuple[object, ...], float]]

#: absolute slack on bounds, and relative slack on rows (rows are in kW, racks, units,
#: and shares of a demand or of a typical price: `planner.core.scaling`)
TOL = 1e-6


def carried_start(compiled: CompiledModel, values: Values) -> np.ndarray | None:
    """The previous plan `values` as a column vector of `compiled`, or None when it is
    not feasible there (or has nothing in common with it)."""
    prog = compiled.program
    x = np.zeros(prog.shape[1])
    shared = 0
    col_scale = compiled.col_scale
    for name, (keys, pos) in compiled.columns.items():
        old = values.get(name)
        if old is None:
            continue
        vals = np.fromiter((old.get(k, 0.0) for k in keys), dtype=float, count=len(keys))
        if name in col_scale:  # values are in natural units (`CompiledModel.values`)
            vals = vals / col_scale[name]
        keep = pos >= 0
        x[pos[keep]] = vals[keep]
        shared += int(keep.sum())
    if shared == 0:
        return None
    x[prog.integer] = np.round(x[prog.integer])
    return x if is_feasible(prog, x) else None


def is_feasible(prog: MatrixProgram, x: np.ndarray, tol: float = TOL) -> bool:
    """Every column bound, integrality and row of `prog` holds at `x` (within `tol`)."""
    if len(x) != prog.shape[1] or not np.all(np.isfinite(x)):
        return False
    if np.any(x < prog.col_lo - tol) or np.any(x > prog.col_hi + tol):
        return False
    xi = x[prog.integer]
    if np.any(np.abs(xi - np.round(xi)) > tol):
        return False
    act = prog.A @ x
    slack = tol * np.maximum(1.0, np.abs(act))
    return not (np.any(act < prog.row_lo - slack) or np.any(act > prog.row_hi + slack))
