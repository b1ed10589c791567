"""Solve stage: hand a compiled mixed-integer program to HiGHS through highspy.

This module knows arrays, not Pyomo: `planner.core.compile` turns the Pyomo model into
standard-form arrays (`MatrixProgram`), `highs_instance` hands them to HiGHS in one
`passModel` call instead of a constraint-by-constraint copy, and `run_highs` runs an
instance and reads its outcome. `planner.core.session.PlanSession` is how the planner
uses them.
"""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import highspy
import numpy as np
import scipy.sparse as sp
from highspy.highs import HighsCallbackEvent

from planner.deadline import SoftStop
from planner.errors import SolverError

INF = highspy.kHighsInf


@dataclass
class MatrixProgram:
    """min c.x + offset  s.t.  row_lo <= A x <= row_hi,  col_lo <= x <= col_hi."""

    c: np.ndarray
    offset: float
    A: sp.csc_array
    row_lo: np.ndarray
    row_hi: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    integer: np.ndarray  # bool per column
    #: HiGHS options this program needs whatever the settings (`planner.core.constraints`
    #: sets a tighter MIP feasibility tolerance for programs with `whole_unit` rows)
    options: dict[str, float] = field(default_factory=dict)
    #: HiGHS's unit of each column, in the program's units (`column_units`; computed
    #: when not given): HiGHS holds x / col_unit
    col_unit: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.col_unit is None:
            self.col_unit = column_units(self.c, self.A, self.integer)

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.A.shape[0]), int(self.A.shape[1]))

    @property
    def units(self) -> np.ndarray:
        """`col_unit`, always set after construction."""
        assert self.col_unit is not None
        return self.col_unit

    @property
    def objective_scale(self) -> float:
        """What HiGHS's costs are multiplied by (`OBJECTIVE_TARGET`), after the columns
        are in HiGHS's units (`column_units`); values read back (objective, bound,
        duals) are divided by it."""
        return objective_scale(self.c * self.units)


#: costs handed to HiGHS are scaled by a power of ten so that the largest is at most this:
#: an unmet penalty of $1e12 per share of a large demand beside a fleet cost of $100
#: left HiGHS's tolerances (1e-7 on scaled costs) blind to 1% of the objective (fuzz seeds
#: 56 and 771: each formulation "proved" a different plan optimal; scaled, both agree)
OBJECTIVE_TARGET = 1e6


#: the widest span of positive column costs HiGHS is handed where continuous columns can
#: narrow it: HiGHS's costs are scaled so that the largest is at most `OBJECTIVE_TARGET`,
#: and a cost below its tolerance (1e-7) reads as free. Fuzz seed 15209 (a 1 W, $0.29
#: unit beside an unmet penalty of $1e12 per share of demand, a span of 2e14) bought the
#: whole 610 MW hall, every unit "free", at 50 times the cost of the plan it needed.
MAX_COST_SPAN = 1e10
#: costs below this (USD per unit of a column) are no cost to tell plans apart by:
#: `column_units` measures the span from the smallest cost at least this
MIN_COST_USD = 1e-6
#: `column_units` rescales a column no further than keeps its smallest matrix entry at
#: least this (HiGHS drops entries below 1e-9)
MIN_SCALED_ENTRY = 1e-7


def column_units(c: np.ndarray, A: sp.sparray, integer: np.ndarray) -> np.ndarray:
    """HiGHS's unit of each column, in the program's units (1 but where stated).

    A continuous column whose cost is more than `MAX_COST_SPAN` times the smallest
    cost (of at least `MIN_COST_USD`) is handed to HiGHS in a unit a power of ten
    smaller (a share of demand in millionths, say), which brings its cost back within
    that span: HiGHS holds
    ``x_j / unit_j``, its cost ``c_j * unit_j`` and its matrix column ``A_j * unit_j``.
    The unit never takes the column's smallest matrix entry below `MIN_SCALED_ENTRY`.
    Integer columns keep their unit (a whole unit must stay whole). In every scenario of
    ordinary magnitudes the span is 1e6-1e8 (the benchmark families at medium) and every
    unit is 1."""
    units = np.ones(len(c), dtype=np.float64)
    size = np.abs(np.asarray(c, dtype=np.float64))
    positive = size[size >= MIN_COST_USD]
    if not len(positive):
        return units
    cap = float(positive.min()) * MAX_COST_SPAN
    over = np.flatnonzero((size > cap) & ~np.asarray(integer, dtype=bool))
    if not len(over):
        return units
    cols = sp.csc_array(A)
    for j in over:
        entries = np.abs(cols.data[cols.indptr[j]:cols.indptr[j + 1]])
        entries = entries[entries > 0]
        want = -math.ceil(math.log10(size[j] / cap))
        floor = (math.ceil(math.log10(MIN_SCALED_ENTRY / float(entries.min())))
                 if len(entries) else want)
        units[j] = 10.0 ** min(0, max(want, floor))
    return units


def objective_scale(c: np.ndarray) -> float:
    big = float(np.abs(c).max()) if len(c) else 0.0
    if not math.isfinite(big) or big <= OBJECTIVE_TARGET:
        return 1.0
    return float(10.0 ** -math.ceil(math.log10(big / OBJECTIVE_TARGET)))


@dataclass
class SolveOutcome:
    status: str  # optimal | time_limit | infeasible | unbounded | no_solution | error
    x: np.ndarray | None
    objective: float | None
    best_bound: float | None
    mip_gap: float | None
    seconds: float
    highs_status: str
    nodes: int = 0

    @property
    def has_solution(self) -> bool:
        return self.x is not None


@dataclass(frozen=True)
class HighsSettings:
    time_limit_s: float = 300.0
    mip_rel_gap: float = 0.001
    threads: int = 0
    random_seed: int = 0


ProgressFn = Callable[[dict[str, float]], None]


def _to_highs_lp(prog: MatrixProgram) -> highspy.HighsLp:
    A = prog.A.tocsc()
    A.sort_indices()
    lp = highspy.HighsLp()
    nrow, ncol = A.shape
    lp.num_col_ = int(ncol)
    lp.num_row_ = int(nrow)
    unit = prog.units
    if (unit != 1.0).any():
        A = sp.csc_array(A @ sp.diags_array(unit))
        A.sort_indices()
    scale = prog.objective_scale
    lp.col_cost_ = np.asarray(prog.c, dtype=np.float64) * unit * scale
    lp.offset_ = float(prog.offset) * scale
    lp.col_lower_ = np.asarray(prog.col_lo, dtype=np.float64) / unit
    lp.col_upper_ = np.asarray(prog.col_hi, dtype=np.float64) / unit
    lp.row_lower_ = np.asarray(prog.row_lo, dtype=np.float64)
    lp.row_upper_ = np.asarray(prog.row_hi, dtype=np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.asarray(A.indptr, dtype=np.int32)
    lp.a_matrix_.index_ = np.asarray(A.indices, dtype=np.int32)
    lp.a_matrix_.value_ = np.asarray(A.data, dtype=np.float64)
    if prog.integer.any():
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
            for flag in prog.integer
        ]
    return lp


_BANNER_SHOWN = False
_SCHEDULER_THREADS: int | None = None


def new_highs() -> highspy.Highs:
    """A silent HiGHS instance (the library prints a banner on the first one, at C level)."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    return h


def highs_instance(prog: MatrixProgram, settings: HighsSettings) -> highspy.Highs:
    """A silent HiGHS instance holding `prog`, with `settings` and the options the program
    carries (`MatrixProgram.options`), set in that order before `passModel`."""
    h = new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(settings.time_limit_s))
    h.setOptionValue("mip_rel_gap", float(settings.mip_rel_gap))
    h.setOptionValue("random_seed", int(settings.random_seed))
    if settings.threads > 0:
        global _SCHEDULER_THREADS
        if settings.threads != _SCHEDULER_THREADS:
            # HiGHS keeps one process-wide thread pool; a new size needs a fresh pool
            highspy.Highs.resetGlobalScheduler(True)
        _SCHEDULER_THREADS = settings.threads
        h.setOptionValue("threads", int(settings.threads))
    for key, value in prog.options.items():
        h.setOptionValue(key, value)
    if h.passModel(_to_highs_lp(prog)) == highspy.HighsStatus.kError:
        # never solve an empty instance in its place (HiGHS keeps none of a model it
        # refuses, and an empty model solves "optimal")
        raise SolverError("HiGHS refused the model (a coefficient or bound out of its "
                          "range); this is a planner bug: please report it with the "
                          "scenario")
    return h


def _finite(v: float) -> float | None:
    return None if v is None or not math.isfinite(v) or abs(v) >= INF else float(v)


def set_time_limit(h: highspy.Highs, is_mip: bool, seconds: float) -> None:
    """Give `h`'s next run `seconds`. HiGHS 1.16 counts `time_limit` two ways: a MIP's from
    the start of each run, an LP's over the instance's run time so far (all its runs,
    `getRunTime`). Measured on one session re-solved three times, 2 s asked each time as
    run time so far + 2 s (how every run was limited before): the MIP took 2.26, 4.51 and
    8.83 s, the LP 0.05 s each; asked as 2 s flat, the MIP took 2.2-2.6 s and the LP stopped
    at once. A session's later MIP runs (step 6's hall MIPs, the analyses' re-solves, the
    cold retry below) so ran on until `stop_at` interrupted them, and where HiGHS reaches
    no interrupt callback (a large model's MIP root) past it: `planner plan --time-limit
    120` took 198 s on installed-base large seed 2."""
    h.setOptionValue("time_limit", float(seconds) if is_mip
                     else float(h.getRunTime()) + float(seconds))


def run_interruptible(h: highspy.Highs, stop_at: float | None = None,
                      soft: SoftStop | None = None) -> None:
    """`h.run()`, stopped cleanly by Ctrl-C and by the clock.

    Ctrl-C: HiGHS ends its search at once (through its interrupt callbacks) and
    KeyboardInterrupt is raised here, after the run, instead of inside a HiGHS callback
    (where it used to make the run look like a solver failure). Only the main thread
    receives signals; elsewhere, and where Ctrl-C is ignored (worker processes), Ctrl-C is
    not handled here.

    `stop_at` (a `time.perf_counter()` reading): HiGHS is interrupted at its first
    interrupt point past it, as if its time limit had been reached (model status
    kInterrupt; a plan found so far is kept). HiGHS's own `time_limit` normally stops it
    first; this bounds the stretches of its search that do not check that limit
    (`planner.deadline`). `soft` (in HiGHS's scaled costs): a MIP is also interrupted at
    its first interrupt point past `soft.at` with a gap at most `soft.gap`. Without any,
    this is `h.run()`."""
    catch_ctrl_c = (threading.current_thread() is threading.main_thread()
                    and signal.getsignal(signal.SIGINT) not in (signal.SIG_IGN, None))
    if not catch_ctrl_c and stop_at is None and soft is None:
        h.run()
        return
    asked: list[int] = []

    def on_interrupt_point(e: HighsCallbackEvent) -> None:
        if asked or (stop_at is not None and time.perf_counter() >= stop_at):
            e.interrupt()

    def on_mip_interrupt_point(e: HighsCallbackEvent) -> None:
        on_interrupt_point(e)
        if soft is not None:
            d = e.data_out
            if abs(d.mip_primal_bound) < INF and soft.due(d.mip_primal_bound, d.mip_dual_bound):
                e.interrupt()

    def on_ctrl_c(signum: int, frame: object) -> None:
        asked.append(signum)

    points = ((h.cbSimplexInterrupt, on_interrupt_point), (h.cbIpmInterrupt, on_interrupt_point),
              (h.cbMipInterrupt, on_mip_interrupt_point))
    for point, handler in points:
        point.subscribe(handler)
    old = signal.signal(signal.SIGINT, on_ctrl_c) if catch_ctrl_c else None
    try:
        h.run()
    finally:
        if catch_ctrl_c:
            signal.signal(signal.SIGINT, old)
        for point, handler in points:
            point.unsubscribe(handler)
    if asked:
        raise KeyboardInterrupt


def run_highs(h: highspy.Highs, is_mip: bool, start: np.ndarray | None = None,
              progress: ProgressFn | None = None, stop_at: float | None = None,
              program: MatrixProgram | None = None, soft: SoftStop | None = None
              ) -> SolveOutcome:
    """Run a prepared HiGHS instance and read its outcome; `program`: the program `h`
    holds (`highs_instance`), which HiGHS holds in its own units (`column_units`) and
    scaled costs (`objective_scale`): `start` is given, and the plan, objective, bound and
    progress come back, in the program's units and USD (without it, in HiGHS's own);
    `stop_at`: a `time.perf_counter()` reading past which HiGHS is interrupted
    (`run_interruptible`), the cold retry below included; `soft` (in USD): a MIP stops
    past `soft.at` once its gap is at most `soft.gap` (`planner.deadline.SoftStop`)."""
    if program is None:
        return _run(h, is_mip, start, progress, stop_at, soft)
    unit, scale = program.units, program.objective_scale
    if soft is not None:
        soft = replace(soft, bound=soft.bound * scale)
    out = _run(h, is_mip, None if start is None else np.asarray(start) / unit,
               _unscaled_progress(progress, scale), stop_at, soft)
    if out.x is not None:
        out.x = out.x * unit
    return _unscaled(out, scale)


def _run(h: highspy.Highs, is_mip: bool, start: np.ndarray | None,
         progress: ProgressFn | None, stop_at: float | None,
         soft: SoftStop | None = None) -> SolveOutcome:
    """`run_highs` in HiGHS's own units."""
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(map(float, start))
        sol.value_valid = True
        h.setSolution(sol)
    if progress is not None and is_mip:
        _subscribe_progress(h, progress)
    t0 = time.perf_counter()
    run_interruptible(h, stop_at, soft if is_mip else None)
    seconds = time.perf_counter() - t0
    ms = h.getModelStatus()
    name = h.modelStatusToString(ms)
    info = h.getInfo()
    MS = highspy.HighsModelStatus
    feasible = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=np.float64) if feasible else None
    obj = _finite(info.objective_function_value) if feasible else None
    if is_mip:
        bound = _finite(info.mip_dual_bound)
        gap = _finite(info.mip_gap) if feasible else None
        nodes = int(info.mip_node_count)
    else:
        bound, gap, nodes = (obj, 0.0 if feasible else None, 0)
    if ms == MS.kModelEmpty:
        status, x, obj = "optimal", np.zeros(0), float(h.getLp().offset_)
        bound, gap = obj, 0.0
    elif ms == MS.kOptimal:
        status = "optimal"
        if gap is None:
            gap = 0.0
    elif ms in (MS.kInfeasible,) or ms == MS.kUnboundedOrInfeasible:
        status = "infeasible"
    elif ms == MS.kUnbounded:
        status = "unbounded"
    elif ms in (MS.kTimeLimit, MS.kIterationLimit, MS.kSolutionLimit, MS.kInterrupt):
        status = "time_limit" if feasible else "no_solution"
    else:
        status = "error"
    if status not in ("optimal", "time_limit"):
        x = None
    if start is not None and is_mip and x is not None and obj is not None:
        lp = h.getLp()
        true_obj = float(np.dot(np.asarray(lp.col_cost_), x) + lp.offset_)
        if abs(true_obj - obj) > 1e-7 * max(1.0, abs(obj)):
            # HiGHS 1.16 can map a starting plan through presolve into a reduced space
            # where its objective is wrong (measured: "MIP start solution is feasible in
            # the reduced space: objective 7507200" for a plan costing 8407200), then
            # claim that plan optimal. Never trust such a run: solve again, cold.
            return _cold_retry(h, x, true_obj, seconds, stop_at, soft)
    return SolveOutcome(status, x, obj, bound, gap, seconds, name, nodes)


def _cold_retry(h: highspy.Highs, x: np.ndarray, true_obj: float, seconds: float,
                stop_at: float | None, soft: SoftStop | None = None) -> SolveOutcome:
    """`run_highs` again without the starting plan HiGHS misvalued: the retry gets the time
    limit of the run it repeats (a MIP's `time_limit` counts from the start of each run,
    `set_time_limit`), but not past `stop_at`, and stops as `soft` says. When the retry
    finds no plan (no time left), the misvalued run's plan is returned at its true cost,
    as a time-limited plan without a bound."""
    h.clearSolver()
    limit = float(h.getOptionValue("time_limit")[1])
    own = limit if stop_at is None else max(MIN_RETRY_S,
                                            min(limit, stop_at - time.perf_counter()))
    set_time_limit(h, True, own)
    again = _run(h, True, None, None, stop_at, soft)
    h.setOptionValue("time_limit", limit)
    again.seconds += seconds
    if again.x is None and again.status == "no_solution":
        return SolveOutcome("time_limit", x, true_obj, None, None, again.seconds,
                            again.highs_status, again.nodes)
    return again


#: the least time a cold retry is given
MIN_RETRY_S = 1e-3


def _unscaled(out: SolveOutcome, scale: float) -> SolveOutcome:
    if out.objective is not None:
        out.objective /= scale
    if out.best_bound is not None:
        out.best_bound /= scale
    return out


def _unscaled_progress(progress: ProgressFn | None, scale: float) -> ProgressFn | None:
    if progress is None or scale == 1.0:
        return progress

    def report(d: dict[str, float]) -> None:
        progress({k: (v / scale if k in ("objective", "bound") else v) for k, v in d.items()})

    return report


def _subscribe_progress(h: highspy.Highs, progress: ProgressFn) -> None:
    """Report incumbent, bound and gap while HiGHS runs (best effort)."""
    try:
        def on_event(e: object) -> None:
            data = getattr(e, "data_out", None)
            if data is None:
                return
            progress({
                "objective": float(getattr(data, "objective_function_value", math.nan)),
                "bound": float(getattr(data, "mip_dual_bound", math.nan)),
                "gap": float(getattr(data, "mip_gap", math.nan)),
                "running_time": float(getattr(data, "running_time", math.nan)),
            })

        h.cbMipInterrupt.subscribe(on_event)
        h.cbMipImprovingSolution.subscribe(on_event)
    except Exception:  # noqa: BLE001 - progress is a convenience, never a failure
        return

