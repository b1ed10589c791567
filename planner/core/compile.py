"""Compile stage: a built Pyomo model -> standard-form arrays for HiGHS, and back.

`compile_model` runs Pyomo's `LinearStandardFormCompiler` and keeps where each variable's
column is and what each scaled row was divided by (`planner.core.scaling`), so the
solver's values can be read back by name and in natural units (`CompiledModel.values`),
with the pooled serving of the strong formulation split back over the sites
(`split_pool`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from planner.core.highs import MatrixProgram
from planner.core.scaling import COLUMN_PREFIX, PROGRAM_OPTIONS_ATTR, SCALES_ATTR
from planner.gcpause import paused_gc

if TYPE_CHECKING:
    import pyomo.environ as pyo
    from pyomo.core.base.constraint import ConstraintData
    from pyomo.core.base.var import VarData

#: the model's variables, in the order their columns are listed
VARIABLES = ("buy", "fleet", "serve", "pool", "unmet", "rent", "rserve", "build", "retire",
             "xretire")
#: a site's fleet below this many units takes no share of a pool (`split_pool`)
EMPTY_FLEET_UNITS = 1e-9
#: units of a pool, or of a site's room, below this are rounding noise (`split_pool`)
POOL_NOISE_UNITS = 1e-12

#: {variable: (keys, column of each key, -1 where the compiler dropped it)}
Columns = dict[str, tuple[list[tuple[object, ...]], np.ndarray]]
#: {variable: {key: value}}
Values = dict[str, dict[tuple[object, ...], float]]


@dataclass
class CompiledModel:
    """The standard-form arrays of a built model, and where each variable's column is.

    `rows[i]`: the Pyomo row of program row i (named through `model`, kept alive here).
    `row_scale[i]`: what row i was divided by (its natural units per model unit: tokens/s
    for a demand row, USD for a budget row, 1 for rows kept in their natural units), so a
    change of d natural units in a row's bound is d / row_scale[i] in the program.
    `col_scale[name]`: natural units per model unit of a scaled variable, aligned with
    `columns[name]` (`unmet`: tokens/s per share of the class's demand).
    """

    program: MatrixProgram
    columns: Columns
    rows: list[ConstraintData]
    row_scale: np.ndarray
    col_scale: dict[str, np.ndarray]
    model: pyo.ConcreteModel

    def row_name(self, i: int) -> str:
        return str(self.rows[i].name)

    def values(self, x: np.ndarray | None) -> Values:
        """Variable values by name and key, in natural units (`unmet` in tokens/s); a
        pooled model also gets `serve` per site."""
        out: Values = {}
        for name, (keys, pos) in self.columns.items():
            if x is None:
                out[name] = {}
                continue
            vals = np.where(pos >= 0, x[np.maximum(pos, 0)] if len(x) else 0.0, 0.0)
            if name in self.col_scale:
                vals = vals * self.col_scale[name]
            out[name] = dict(zip(keys, vals.tolist(), strict=True))
        if "pool" in out and "serve" not in out:
            out["serve"] = split_pool(out["pool"], out.get("fleet", {}))
        return out


def split_pool(pool: dict[tuple[object, ...], float], fleet: dict[tuple[object, ...], float]
               ) -> dict[tuple[object, ...], float]:
    """Units serving each class per site, from the pooled allocation.

    For each system and period, classes (in key order) take units from the sites' fleets
    in site order; what rounding leaves over goes to the site with the largest fleet.
    Deterministic, and the split serves exactly what the pool serves.
    """
    room: dict[tuple[object, object], list[list[Any]]] = defaultdict(list)
    for (s, g, lab), v in fleet.items():
        if v > EMPTY_FLEET_UNITS:
            room[(g, lab)].append([s, float(v)])
    out: dict[tuple[object, ...], float] = {}
    for (g, lab, key), v in pool.items():
        left = float(v)
        if left <= POOL_NOISE_UNITS:
            continue
        sites = room.get((g, lab), [])
        for entry in sites:
            have = float(entry[1])
            if have <= POOL_NOISE_UNITS:
                continue
            take = min(left, have)
            out[(entry[0], g, lab, key)] = out.get((entry[0], g, lab, key), 0.0) + take
            entry[1] = have - take
            left -= take
            if left <= POOL_NOISE_UNITS:
                break
        if left > POOL_NOISE_UNITS and sites:
            s_big = max(sites, key=lambda e: fleet.get((e[0], g, lab), 0.0))[0]
            out[(s_big, g, lab, key)] = out.get((s_big, g, lab, key), 0.0) + left
    return out


def compile_model(m: pyo.ConcreteModel) -> CompiledModel:
    """Standard-form arrays through Pyomo's compiler, ready for HiGHS (cyclic collector
    paused, as in `planner.core.build.build_model`)."""
    with paused_gc():
        return _compile(m)


def _compile(m: pyo.ConcreteModel) -> CompiledModel:
    info = LinearStandardFormCompiler().write(m, mixed_form=True)
    cols = info.columns
    n = len(cols)
    col_lo = np.empty(n)
    col_hi = np.empty(n)
    integer = np.zeros(n, dtype=bool)
    for j, v in enumerate(cols):
        lb, ub = v.bounds
        col_lo[j] = -np.inf if lb is None else lb
        col_hi[j] = np.inf if ub is None else ub
        integer[j] = v.is_integer()
    rhs = np.asarray(info.rhs, dtype=float)
    sense = np.array([r[1] for r in info.rows], dtype=int)
    row_lo = np.where(sense <= 0, rhs, -np.inf)
    row_hi = np.where(sense >= 0, rhs, np.inf)
    c = info.c.toarray()[0] if info.c.shape[0] else np.zeros(n)
    offset = float(info.c_offset[0]) if len(info.c_offset) else 0.0
    scales: dict[str, dict[Any, float]] = getattr(m, SCALES_ATTR, None) or {}
    columns, col_scale = _columns(m, cols, scales)
    prog = MatrixProgram(c=np.asarray(c, dtype=float), offset=offset, A=info.A,
                         row_lo=row_lo, row_hi=row_hi, col_lo=col_lo, col_hi=col_hi,
                         integer=integer,
                         options=dict(getattr(m, PROGRAM_OPTIONS_ATTR, None) or {}))
    rows = [r[0] for r in info.rows]
    return CompiledModel(prog, columns, rows, _row_scale(m, rows, scales), col_scale, m)


def _columns(m: pyo.ConcreteModel, cols: list[VarData], scales: dict[str, dict[Any, float]]
             ) -> tuple[Columns, dict[str, np.ndarray]]:
    """Where each variable's columns are, and the natural units of scaled columns."""
    pos_of = {id(v): j for j, v in enumerate(cols)}
    columns: Columns = {}
    col_scale: dict[str, np.ndarray] = {}
    for name in VARIABLES:
        comp = getattr(m, name, None)
        if comp is None:
            continue
        raw = list(comp.keys())
        keys = [k if isinstance(k, tuple) else (k,) for k in raw]
        pos = np.array([pos_of.get(id(v), -1) for v in comp.values()], dtype=np.int64)
        columns[comp.local_name] = (keys, pos)
        cs = scales.get(COLUMN_PREFIX + name)
        if cs is not None:
            col_scale[name] = np.array([cs.get(k, 1.0) for k in raw], dtype=float)
    return columns, col_scale


def _row_scale(m: pyo.ConcreteModel, rows: list[ConstraintData],
               scales: dict[str, dict[Any, float]]) -> np.ndarray:
    """What each program row was divided by (1 for rows in natural units)."""
    scale_of: dict[int, float] = {}
    for fam, by_index in scales.items():
        con = None if fam.startswith(COLUMN_PREFIX) else getattr(m, fam, None)
        if con is not None:
            for idx, f in by_index.items():
                scale_of[id(con[idx])] = f
    return np.fromiter((scale_of.get(id(r), 1.0) for r in rows), dtype=float,
                       count=len(rows))
