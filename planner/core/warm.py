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

from collections.abc import Callable, Mapping
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
    shared = sum(int((pos >= 0).sum()) for name, (_k, pos) in compiled.columns.items()
                 if name in values)
    if shared == 0:
        return None
    x = column_vector(compiled, values)
    return x if is_feasible(compiled.program, x) else None


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
    prog = compiled.program
    lo, hi = prog.col_lo.copy(), prog.col_hi.copy()
    _fix(compiled, "buy", buys, lambda _key: True, lo, hi)
    return replace(compiled, program=replace(prog, col_lo=lo, col_hi=hi))


def _fix(compiled: CompiledModel, name: str, held: HeldBuys,
         chosen: Callable[[tuple[str, ...]], bool], lo: np.ndarray, hi: np.ndarray) -> None:
    """Fix the columns of variable `name` whose key is `chosen` (keys as strings) to
    `held` (0 where it has no value), in the bound arrays `lo`, `hi`. KeyError naming the
    key when `held` holds a value (> 0) for a chosen key the model has no column for."""
    keys, pos = compiled.columns.get(name, ([], np.zeros(0, dtype=int)))
    where = {tuple(str(v) for v in k): int(p) for k, p in zip(keys, pos, strict=True)}
    for key, units in sorted(held.items()):
        if units > 0 and chosen(key) and where.get(key, -1) < 0:
            raise KeyError(key)
    for key, p in where.items():
        if p >= 0 and chosen(key):
            lo[p] = hi[p] = float(held.get(key, 0.0))


#: G. the decisions a commitment holds: purchases, builds and retirements (their keys
#: end with the period label)
FIRST_STAGE = ("buy", "build", "retire", "xretire")


@dataclass(frozen=True)
class Commitment:
    """G. the decisions of the first periods (`labels`), taken now: the values of the
    `FIRST_STAGE` columns by variable and key (keys as strings, 0 where absent)."""

    labels: frozenset[str]
    values: Mapping[str, HeldBuys]

    @classmethod
    def of(cls, values: Values, labels: frozenset[str]) -> Commitment:
        """The commitment a plan's columns `values` make in `labels` (rounded to whole
        units, zeros left out)."""
        held = {name: {tuple(str(v) for v in k): float(round(x))
                       for k, x in values.get(name, {}).items()
                       if str(k[-1]) in labels and round(x) > 0}
                for name in FIRST_STAGE}
        return cls(labels, held)

    def key(self) -> tuple[object, ...]:
        """The same decisions give the same key (what a cache of evaluations uses)."""
        return tuple(sorted((n, k, v) for n, kv in self.values.items() for k, v in kv.items()))


def held_commitment(compiled: CompiledModel, commitment: Commitment) -> CompiledModel:
    """`compiled` with every `FIRST_STAGE` column of a committed period fixed to the
    commitment (0 where it has no value); later periods, and all serving, renting and
    unmet demand, stay free: the best adaptation of one future to the commitment.

    Raises KeyError naming the decision when the commitment holds units of a column
    this model lacks."""
    prog = compiled.program
    lo, hi = prog.col_lo.copy(), prog.col_hi.copy()
    for name in FIRST_STAGE:
        _fix(compiled, name, commitment.values.get(name, {}),
             lambda key: key[-1] in commitment.labels, lo, hi)
    return replace(compiled, program=replace(prog, col_lo=lo, col_hi=hi))


def column_vector(compiled: CompiledModel, values: Values) -> np.ndarray:
    """A plan's columns by name and key (natural units) as a column vector of
    `compiled`, integers rounded; columns the plan lacks are 0 (no feasibility check:
    `carried_start` makes one)."""
    x = np.zeros(compiled.program.shape[1])
    for name, (keys, pos) in compiled.columns.items():
        old = values.get(name)
        if old is None:
            continue
        vals = np.fromiter((old.get(k, 0.0) for k in keys), dtype=float, count=len(keys))
        if name in compiled.col_scale:
            vals = vals / compiled.col_scale[name]
        keep = pos >= 0
        x[pos[keep]] = vals[keep]
    x[compiled.program.integer] = np.round(x[compiled.program.integer])
    return x
