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

`held_purchases` carries a plan's purchases the other way: as fixed bounds, so a solve
prices what those purchases cost in a neighbouring scenario (their operation optimised).

No Pyomo here: the compiled model is read through its arrays.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

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


class WarmSource(Protocol):
    """What a solve may start from: a plan's columns by variable name and key
    (`planner.core.solve.PlanResult` is one; `CarriedPlan` carries them alone)."""

    @property
    def values(self) -> Values | None: ...


@dataclass(frozen=True)
class CarriedPlan:
    """A plan's columns by variable name and key, without the rest of its result: what a
    worker process is handed to start many neighbouring scenarios from one plan
    (`planner.whatif.sensitivity`)."""

    values: Values | None


#: a plan's purchases: units of system g bought at hall s in period label p, by (s, g, p)
HeldBuys = Mapping[tuple[str, ...], float]


def held_purchases(compiled: CompiledModel, buys: HeldBuys) -> CompiledModel:
    """`compiled` with every purchase column fixed: to `buys` where it names the column's
    (site, system, period), to 0 elsewhere. The fleet, serving, unmet demand, renting,
    building and retiring stay free, so a solve finds the best operation of those
    purchases (`planner.whatif.sensitivity`: what a plan decided on one figure costs when
    the figure turns out otherwise).

    Raises KeyError naming the purchase when `buys` holds units (> 0) of a (site, system,
    period) the model cannot buy (no such column).
    """
    keys, pos = compiled.columns.get("buy", ([], np.zeros(0, dtype=int)))
    prog = compiled.program
    lo, hi = prog.col_lo.copy(), prog.col_hi.copy()
    where = {tuple(str(v) for v in k): int(p) for k, p in zip(keys, pos, strict=True)}
    for key, units in sorted(buys.items()):
        if units > 0 and where.get(key, -1) < 0:
            raise KeyError(key)
    for key, p in where.items():
        if p < 0:
            continue
        v = float(buys.get(key, 0.0))
        lo[p] = hi[p] = v
    return replace(compiled, program=replace(prog, col_lo=lo, col_hi=hi))
