"""Re-solve session: one built model, one HiGHS instance, many small what-ifs.

The model of a prepared problem is built and compiled once (`planner.core.model`), handed to
ONE `highspy.Highs` instance (`planner.core.highs.make_highs`), and each what-if changes only
row or column bounds on that instance: the power row of a hall in a period
(``power[site,period]``, in kW), the budget rows (``budget[period]``, ``budget_total``),
the demand rows (``demand[period,class-key]``), or the bounds of the ``buy`` columns.
Budget and demand rows are scaled (`planner.core.model`): `row_scale[i]` is what row i was
divided by, so a change of d USD or tokens/s is d / row_scale[i] in its bound. Every
re-solve is warm-started with ``setSolution`` from a plan that is feasible for it (the
base plan; for more demand, the base plan with the extra demand booked as unmet), so
HiGHS starts from a known incumbent. After a what-if the bounds are
put back with `reset`. Values are read back with `CompiledModel.values` and, when tables
are wanted, `planner.core.results.extract`.

`lp_duals` relaxes integrality on the same instance (`changeColsIntegrality`), solves
the LP relaxation, reads the row duals, and restores integrality.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import highspy
import numpy as np

from planner.core.highs import HighsSettings, SolveOutcome, make_highs, run_highs, run_interruptible
from planner.core.problem import PlanData
from planner.core.results import PlanTables, extract


@dataclass
class RowRef:
    """One named row of the compiled model."""

    index: int
    family: str  # power | budget | budget_total | demand | space | ...
    key: tuple[str, ...]


def _key_of(idx: object) -> tuple[str, ...]:
    if idx is None:
        return ()
    if isinstance(idx, tuple):
        return tuple(str(v) for v in idx)
    return (str(idx),)


class ResolveSession:
    """Build + compile one model once; re-solve it with changed bounds, warm-started."""

    def __init__(self, data: PlanData, settings: HighsSettings) -> None:
        from planner.core.model import (  # Pyomo stays in planner.core.model
            build_model,
            compile_model,
        )

        self.data = data
        self.settings = settings
        # keep the Pyomo model alive: the compiled rows name themselves through it
        self.model = build_model(data)
        self.compiled = compile_model(self.model)
        prog = self.compiled.program
        self.program = prog
        #: natural units (USD, tokens/s) per unit of each row (`CompiledModel.row_scale`)
        self.row_scale = (self.compiled.row_scale if self.compiled.row_scale is not None
                          else np.ones(prog.shape[0]))
        self.is_mip = bool(prog.integer.any())
        self.h: highspy.Highs = make_highs(prog, settings)
        self.base_row_lo = np.array(prog.row_lo, dtype=float)
        self.base_row_hi = np.array(prog.row_hi, dtype=float)
        self.base_col_lo = np.array(prog.col_lo, dtype=float)
        self.base_col_hi = np.array(prog.col_hi, dtype=float)
        self.row_lo = self.base_row_lo.copy()
        self.row_hi = self.base_row_hi.copy()
        self.col_lo = self.base_col_lo.copy()
        self.col_hi = self.base_col_hi.copy()
        self._dirty_rows: set[int] = set()
        self._dirty_cols: set[int] = set()
        self.rows: dict[tuple[str, tuple[str, ...]], RowRef] = {}
        for i in range(prog.shape[0]):
            name = self.compiled.row_name(i)
            family = name.split("[", 1)[0]
            con = self.compiled.rows[i]
            key = _key_of(con.index()) if hasattr(con, "index") else ()
            self.rows[(family, key)] = RowRef(i, family, key)
        self.solves = 0

    # ------------------------------------------------------------------ lookup
    def row(self, family: str, *key: str) -> int | None:
        ref = self.rows.get((family, tuple(key)))
        return None if ref is None else ref.index

    def family(self, family: str) -> list[RowRef]:
        return [r for (f, _), r in self.rows.items() if f == family]

    def columns(self, var: str) -> dict[tuple[str, ...], int]:
        keys, pos = self.compiled.columns[var]
        return {tuple(str(v) for v in k): int(p) for k, p in zip(keys, pos, strict=True)
                if p >= 0}

    # ------------------------------------------------------------------ bounds
    def set_row_bounds(self, i: int, lo: float | None = None, hi: float | None = None) -> None:
        if lo is not None:
            self.row_lo[i] = lo
        if hi is not None:
            self.row_hi[i] = hi
        self.h.changeRowBounds(int(i), float(self.row_lo[i]), float(self.row_hi[i]))
        self._dirty_rows.add(int(i))

    def set_col_bounds(self, j: int, lo: float | None = None, hi: float | None = None) -> None:
        if lo is not None:
            self.col_lo[j] = lo
        if hi is not None:
            self.col_hi[j] = hi
        self.h.changeColBounds(int(j), float(self.col_lo[j]), float(self.col_hi[j]))
        self._dirty_cols.add(int(j))

    def reset(self) -> None:
        """Put every changed bound back to the base model's."""
        for i in sorted(self._dirty_rows):
            self.row_lo[i], self.row_hi[i] = self.base_row_lo[i], self.base_row_hi[i]
            self.h.changeRowBounds(i, float(self.row_lo[i]), float(self.row_hi[i]))
        for j in sorted(self._dirty_cols):
            self.col_lo[j], self.col_hi[j] = self.base_col_lo[j], self.base_col_hi[j]
            self.h.changeColBounds(j, float(self.col_lo[j]), float(self.col_hi[j]))
        self._dirty_rows.clear()
        self._dirty_cols.clear()

    def add_power_kw(self, site: str, periods: Iterable[str], kw: float) -> None:
        """Raise a hall's power cap by `kw` in the given periods.

        The `buy` columns carry an upper bound implied by the hall's power
        (`planner.core.model.add_variables`); it is raised with the cap, as a model built with
        the larger cap would have it (a bound buy[t] <= cap[t]/unit_kw is valid since the
        fleet in t includes the units bought in t).
        """
        sites = self.data.site_by_name
        raised: dict[str, float] = {}
        for lab in periods:
            i = self.row("power", site, lab)
            if i is None:
                continue
            self.set_row_bounds(i, hi=self.row_hi[i] + kw)
            raised[lab] = float(self.row_hi[i])
        for (s, g, lab), j in self.columns("buy").items():
            if s != site or lab not in raised:
                continue
            sysd = self.data.systems[g]
            cap = math.floor(raised[lab] / sysd.unit_power_kw + 1e-9)
            mr = sites[s].max_racks
            if mr is not None and sysd.racks_per_unit > 0:
                cap = min(cap, math.floor(mr / sysd.racks_per_unit + 1e-9))
            if sysd.max_units_per_period is not None:
                cap = min(cap, int(sysd.max_units_per_period))
            if cap > self.col_hi[j]:
                self.set_col_bounds(j, hi=float(cap))

    # ------------------------------------------------------------------ solving
    def solve(self, start: np.ndarray | None = None,
              time_limit_s: float | None = None) -> SolveOutcome:
        """Run HiGHS on the current bounds, warm-started from `start` if given."""
        limit = self.settings.time_limit_s if time_limit_s is None else time_limit_s
        # HiGHS's time limit counts the instance's run time over all its runs
        self.h.setOptionValue("time_limit", float(self.h.getRunTime()) + float(limit))
        self.solves += 1
        return run_highs(self.h, self.is_mip, start, scale=self.program.objective_scale)

    def tables(self, outcome: SolveOutcome) -> PlanTables:
        return extract(self.data, self.compiled.values(outcome.x), outcome)

    def lp_duals(self, free_buy_bounds: bool = True) -> np.ndarray | None:
        """Row duals of the LP relaxation (same instance; integrality restored after).

        With `free_buy_bounds`, the `buy` upper bounds implied by power and floor space
        are lifted for the LP (they are redundant: buy <= fleet <= cap), so the power and
        space rows carry the dual instead of a column bound; supply caps stay.

        HiGHS's row dual is d(objective)/d(row bound): for a binding `<=` cap it is <= 0
        (more cap, less cost), for a binding `>=` demand row it is >= 0. Units are the
        row's: USD per kW (power); USD per row unit for the scaled budget and demand rows
        (divide by `row_scale` for USD per USD or per tokens/s).
        """
        n = self.program.shape[1]
        if free_buy_bounds:
            for (_s, g, _lab), j in self.columns("buy").items():
                cap = self.data.systems[g].max_units_per_period
                self.h.changeColBounds(j, float(self.col_lo[j]),
                                       float(cap) if cap is not None else highspy.kHighsInf)
        if self.is_mip:
            idx = np.arange(n, dtype=np.int32)
            cont = np.full(n, int(highspy.HighsVarType.kContinuous), dtype=np.uint8)
            self.h.changeColsIntegrality(n, idx, cont)
        try:
            self.h.setOptionValue("time_limit", float(self.h.getRunTime())
                                  + float(self.settings.time_limit_s))
            run_interruptible(self.h)
            ok = self.h.getModelStatus() == highspy.HighsModelStatus.kOptimal
            sol = self.h.getSolution()
            duals = (np.asarray(sol.row_dual, dtype=float) / self.program.objective_scale
                     if ok and sol.dual_valid else None)
        finally:
            if self.is_mip:
                ints = np.where(self.program.integer, int(highspy.HighsVarType.kInteger),
                                int(highspy.HighsVarType.kContinuous)).astype(np.uint8)
                self.h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), ints)
            if free_buy_bounds:
                for j in self.columns("buy").values():
                    self.h.changeColBounds(j, float(self.col_lo[j]), float(self.col_hi[j]))
        return duals

    def fix_columns(self, var: str, values: dict[tuple[str, ...], float],
                    default: float | None = 0.0) -> None:
        """Fix the columns of one variable to given values (others to `default`)."""
        for key, j in self.columns(var).items():
            v = values.get(key, default)
            if v is None:
                continue
            self.set_col_bounds(j, lo=float(v), hi=float(v))
