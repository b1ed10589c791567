"""The solve session: one compiled program on one HiGHS instance.

In the spirit of Calliope's `model.build()` / `model.solve()` with
`update_variable_bounds` and `fix_variable`: `PlanSession.build` builds and compiles the
model of a prepared problem (`planner.core.build`, `planner.core.compile`) and hands it
to HiGHS in one call (`planner.core.highs.highs_instance`); the session then solves it,
changes row bounds and column bounds, fixes columns, relaxes integrality, and puts
everything back (`reset`, `restore_integrality`). Every solve of the planner goes through
one:

- the plan (`planner.core.solve.solve_data`): a session on the compiled model, solved
  once from the starting plan;
- the start heuristic (`planner.core.start`): a session on the LP relaxation
  (``lp=True``), re-solved with changed column bounds from the previous basis;
- the re-solves (`planner.analysis.marginal`, `planner.analysis.baselines`): a session
  built once, each what-if a change of bounds, a warm-started solve and a `reset`.

Rows are named as in the model (``power[site,period]`` in kW, ``budget[period]`` and
``budget_total``, ``demand[period,class-key]``); budget and demand rows are scaled
(`planner.core.scaling`): `row_scale[i]` is what row i was divided by, so a change of d
USD or tokens/s is d / row_scale[i] in its bound.

HiGHS 1.16 counts an LP's time limit over all runs of an instance and a MIP's from the
start of each run, so each solve sets it by that rule (`planner.core.highs.set_time_limit`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import highspy
import numpy as np

from planner.core.highs import (
    HighsSettings,
    MatrixProgram,
    ProgressFn,
    SolveOutcome,
    highs_instance,
    run_highs,
    set_time_limit,
)

if TYPE_CHECKING:
    from planner.core.compile import CompiledModel, Values
    from planner.core.problem import PlanData
    from planner.deadline import SoftStop


@dataclass(frozen=True)
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


def _relaxed(prog: MatrixProgram) -> MatrixProgram:
    """The LP relaxation of `prog`: no integer columns, and none of the MIP options."""
    return MatrixProgram(prog.c, prog.offset, prog.A, prog.row_lo, prog.row_hi,
                         prog.col_lo, prog.col_hi, np.zeros_like(prog.integer),
                         col_unit=prog.col_unit)


class PlanSession:
    """A compiled program on one HiGHS instance: solve, change bounds, relax, restore.

    `lp`: hand HiGHS the LP relaxation (no integrality, none of the program's MIP
    options) instead of the program itself.
    """

    def __init__(self, compiled: CompiledModel, settings: HighsSettings, *,
                 lp: bool = False) -> None:
        prog = compiled.program
        self.compiled = compiled
        self.program = prog
        self.settings = settings
        handed = _relaxed(prog) if lp else prog
        self.h: highspy.Highs = highs_instance(handed, settings)
        #: whether HiGHS holds the program's integrality now (`relax_integrality`)
        self.is_mip = bool(handed.integer.any())
        self._integer = self.is_mip
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
        self._all_cols_dirty = False
        self._rows: dict[tuple[str, tuple[str, ...]], RowRef] | None = None
        self.solves = 0

    @classmethod
    def build(cls, data: PlanData, settings: HighsSettings,
              formulation: str = "strong") -> PlanSession:
        """Build and compile the model of `data`, and open a session on it."""
        # Pyomo: imported when a session is built, so importing the analyses stays light
        from planner.core.build import build_model
        from planner.core.compile import compile_model

        return cls(compile_model(build_model(data, formulation)), settings)

    # ------------------------------------------------------------------ lookup
    @property
    def row_scale(self) -> np.ndarray:
        """Natural units (USD, tokens/s) per unit of each row (`CompiledModel.row_scale`)."""
        return self.compiled.row_scale

    def _row_refs(self) -> dict[tuple[str, tuple[str, ...]], RowRef]:
        if self._rows is None:
            rows: dict[tuple[str, tuple[str, ...]], RowRef] = {}
            for i in range(self.program.shape[0]):
                family = self.compiled.row_name(i).split("[", 1)[0]
                con = self.compiled.rows[i]
                key = _key_of(con.index()) if hasattr(con, "index") else ()
                rows[(family, key)] = RowRef(i, family, key)
            self._rows = rows
        return self._rows

    def row(self, family: str, *key: str) -> int | None:
        """The index of row ``family[key]``, None when the model has no such row."""
        ref = self._row_refs().get((family, tuple(key)))
        return None if ref is None else ref.index

    def family(self, family: str) -> list[RowRef]:
        """The rows of one constraint family."""
        return [r for (f, _), r in self._row_refs().items() if f == family]

    def columns(self, var: str) -> dict[tuple[str, ...], int]:
        """The columns of one variable, by key (as strings)."""
        keys, pos = self.compiled.columns[var]
        return {tuple(str(v) for v in k): int(p) for k, p in zip(keys, pos, strict=True)
                if p >= 0}

    def values(self, outcome: SolveOutcome) -> Values:
        """The variable values of a solve, by name and key (`CompiledModel.values`)."""
        return self.compiled.values(outcome.x)

    # ------------------------------------------------------------------ options and bounds
    def set_option(self, name: str, value: bool | float | str) -> None:
        """Set one HiGHS option for the next solves."""
        self.h.setOptionValue(name, value)

    def set_row_bounds(self, i: int, lo: float | None = None, hi: float | None = None) -> None:
        """Change the bounds of row i (None keeps a bound); `reset` puts them back."""
        if lo is not None:
            self.row_lo[i] = lo
        if hi is not None:
            self.row_hi[i] = hi
        self.h.changeRowBounds(int(i), float(self.row_lo[i]), float(self.row_hi[i]))
        self._dirty_rows.add(int(i))

    def set_col_bounds(self, j: int, lo: float | None = None, hi: float | None = None) -> None:
        """Change the bounds of column j (None keeps a bound); `reset` puts them back."""
        if lo is not None:
            self.col_lo[j] = lo
        if hi is not None:
            self.col_hi[j] = hi
        self._pass_col_bounds(int(j))
        self._dirty_cols.add(int(j))

    def _pass_col_bounds(self, j: int) -> None:
        """Hand column j's bounds to HiGHS, in its unit (`MatrixProgram.col_unit`)."""
        unit = float(self.program.units[j])
        self.h.changeColBounds(j, float(self.col_lo[j]) / unit, float(self.col_hi[j]) / unit)

    def set_all_col_bounds(self, lo: np.ndarray, hi: np.ndarray) -> None:
        """Change the bounds of every column at once; `reset` puts them back."""
        n = self.program.shape[1]
        lo64, hi64 = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
        unit = self.program.units
        self.h.changeColsBounds(n, np.arange(n, dtype=np.int32), lo64 / unit, hi64 / unit)
        self.col_lo[:], self.col_hi[:] = lo64, hi64
        self._all_cols_dirty = True

    def fix_columns(self, var: str, values: dict[tuple[str, ...], float],
                    default: float | None = 0.0) -> None:
        """Fix the columns of one variable to given values (the others to `default`; None
        leaves them free)."""
        for key, j in self.columns(var).items():
            v = values.get(key, default)
            if v is None:
                continue
            self.set_col_bounds(j, lo=float(v), hi=float(v))

    def reset(self) -> None:
        """Put every changed row and column bound back to the program's."""
        for i in sorted(self._dirty_rows):
            self.row_lo[i], self.row_hi[i] = self.base_row_lo[i], self.base_row_hi[i]
            self.h.changeRowBounds(i, float(self.row_lo[i]), float(self.row_hi[i]))
        if self._all_cols_dirty:
            self.set_all_col_bounds(self.base_col_lo, self.base_col_hi)
        else:
            for j in sorted(self._dirty_cols):
                self.col_lo[j], self.col_hi[j] = self.base_col_lo[j], self.base_col_hi[j]
                self._pass_col_bounds(j)
        self._dirty_rows.clear()
        self._dirty_cols.clear()
        self._all_cols_dirty = False

    # ------------------------------------------------------------------ integrality
    def relax_integrality(self) -> None:
        """Make every column continuous (the LP relaxation) until `restore_integrality`."""
        if not self.is_mip:
            return
        n = self.program.shape[1]
        cont = np.full(n, int(highspy.HighsVarType.kContinuous), dtype=np.uint8)
        self.h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), cont)
        self.is_mip = False

    def restore_integrality(self) -> None:
        """Give the program's integer columns their integrality back."""
        if self.is_mip or not self._integer:
            return
        n = self.program.shape[1]
        ints = np.where(self.program.integer, int(highspy.HighsVarType.kInteger),
                        int(highspy.HighsVarType.kContinuous)).astype(np.uint8)
        self.h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), ints)
        self.is_mip = True

    # ------------------------------------------------------------------ solving
    def solve(self, start: np.ndarray | None = None, progress: ProgressFn | None = None,
              time_limit_s: float | None = None, stop_at: float | None = None,
              soft: SoftStop | None = None) -> SolveOutcome:
        """Run HiGHS on the current bounds, from the plan `start` if given (handed over
        with ``setSolution``), within `time_limit_s` (default: the settings'), and
        interrupted past `stop_at` (a `time.perf_counter()` reading), or past `soft.at`
        once within `soft.gap` (`run_highs`)."""
        limit = self.settings.time_limit_s if time_limit_s is None else time_limit_s
        set_time_limit(self.h, self.is_mip, limit)
        self.solves += 1
        return run_highs(self.h, self.is_mip, start, progress, stop_at=stop_at,
                         program=self.program, soft=soft)

    def row_duals(self) -> np.ndarray | None:
        """Row duals of the last solve, in USD per row unit; None unless it ended optimal
        with valid duals.

        HiGHS's row dual is d(objective)/d(row bound): for a binding `<=` cap it is <= 0
        (more cap, less cost), for a binding `>=` demand row it is >= 0. Units are the
        row's: USD per kW (power); USD per row unit for the scaled budget and demand rows
        (divide by `row_scale` for USD per USD or per tokens/s).
        """
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        sol = self.h.getSolution()
        if not sol.dual_valid:
            return None
        return np.asarray(sol.row_dual, dtype=float) / self.program.objective_scale
