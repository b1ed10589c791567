"""Start heuristic: a feasible plan to start HiGHS from (relax, round, improve).

`start_plan` works on the compiled arrays (no Pyomo):

1. Solve the LP relaxation.
2. Lumpy systems first (a unit takes more than `lumpy_share` of some cap row, as a
   120 kW rack does of a 5 MW hall): round each cumulative LP purchase up to the next
   unit while every cap row (power, space, supply, budget: rows of purchases and fleet
   alone, all coefficients >= 0) still holds, counting the installed base of every
   system; fix them and re-solve the LP, so the small systems fill around them.
3. The other systems: the floor of each purchase (fewer units never break a cap row),
   then, period by period, add back single units where the LP had more (to the nearest
   unit), largest shortfall first, while the cap rows hold.
4. Fix purchases and fleet; an LP gives the serving and unmet demand that go with them.
5. Up to `improve_rounds` times: add one unit wherever the purchase and the fleet it adds
   have a negative reduced cost (priced by the rows that are not caps) and the caps
   hold; keep the result if the re-solved plan costs less.
6. Hall by hall (fix and optimise), only when the plan is more than `REOPT_FROM_GAP`
   above the LP bound: every integer column of the other halls held at the plan's units,
   one hall's purchases, fleet and builds re-optimised as a small MIP from the plan (its
   root only, `REOPT_MAX_NODES`, to the run's gap), kept if it costs less; halls in name
   order, until the plan is within `target_gap` of the LP bound or the time is spent.
   Not with retirements (section C), whose per-hall MIPs were slower than HiGHS on the
   whole program.
7. When the plan is still more than `RINS_FROM_GAP` above the LP bound (so it does not
   prove a 1% gap by itself): every integer column whose value in the LP optimum
   (retirements allowed) is a whole number held there, the few fractional ones
   (purchases, fleet and retirements alike) decided by a small MIP, its root only; kept
   if it costs less (a RINS step, relaxation-induced neighbourhood search, before
   HiGHS's own). If the plan is still more than `HALL_AFTER_RINS_FROM_GAP` above, step
   6 follows: from step 7's plan with retirements (section C: the rounded plan keeps
   every unit, steps 2-5 round a plan that retires nothing; the retirements held),
   otherwise from step 5's rounded plan (from step 7's, whose whole columns are the
   LP's, single halls found nothing better: many-small-halls medium seed 3, 1.98%
   above the bound after step 6, 0.93% from step 5's plan); the cheaper plan is kept.

Handed to HiGHS with `setSolution`, the plan is the incumbent the MIP starts from; the
LP optimum (`StartPlan.lp_bound`) is a proven lower bound. Measured effects:
benchmarks/README.md.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from planner.core.highs import HighsSettings, MatrixProgram
from planner.core.session import PlanSession
from planner.deadline import HIGHS_GRACE_S

if TYPE_CHECKING:
    from planner.core.compile import CompiledModel

#: the first LP: interior point from this many columns on, dual simplex below (measured:
#: large, 42-50k columns, IPM 6.7 s against simplex 13.8 s; medium, about 3,000 columns,
#: simplex 34-45 ms against IPM 68-96 ms; small 1.3 ms against 2.5-3.8 ms)
IPM_FROM_COLUMNS = 10_000
#: the shortest time limit an LP of the heuristic is given (seconds)
MIN_TIME_LIMIT_S = 1e-3
#: slack on a cap row when adding units: this share of its bound, at least this much
CAP_ROW_TOL = 1e-7
#: bounds smaller than this are taken as this when measuring a unit's share of a cap row
TINY_CAP = 1e-9
#: slack when counting the whole units that fit in a cap row's room
ROOM_FLOOR_SLACK = 1e-9
#: an LP purchase within this of a whole number of units is that number
LP_UNIT_TOL = 1e-6
#: an improvement (or a negative reduced cost) is real beyond this share of the cost
IMPROVE_REL_TOL = 1e-9
#: step 6 (hall by hall) runs when the plan is more than this share above the LP bound.
#: Below it the distance is mostly the LP bound's own weakness, which HiGHS's root cuts
#: close at once (slo-classes medium seed 1: start 1.5% above the LP bound, HiGHS proved
#: 1% at 0.49 s without step 6 and at 18 s after it); above it the plan itself is poor
#: (installed-base medium: 3.4-5.3% above a bound within 0.15% of the optimum; step 6
#: took it to 0.1-0.2% in a few seconds, where HiGHS took 10-17 s to reach 1%;
#: benchmarks/README.md, finding 13)
REOPT_FROM_GAP = 0.03
#: the node limit of each hall's MIP: its root only (a node count is deterministic, a
#: clock is not; on installed-base medium seed 3 the roots found the same plans as 10 and
#: 100 nodes, and the root, not the nodes, took the time: 1.9-3.1 s for three halls)
REOPT_MAX_NODES = 1
#: the least time each hall's MIP gets while time is left: each presolves the whole
#: program (130,000 columns for 90 halls at large). Until session 10 every MIP re-solve
#: of a session got its share plus the session's run time so far (HiGHS's time limit
#: rule, `planner.core.highs.set_time_limit`), in effect its share plus HIGHS_GRACE_S;
#: given its share alone (a third of a second for 90 halls in 30 s), many-small-halls
#: large seed 1's start plan ended 2.28% above its bound after 60 s, with this floor
#: 1.28% (benchmarks/README.md, finding 22)
HALL_MIP_MIN_S = 2.0
#: step 7 (RINS) runs when the plan is more than this share above the LP bound: below
#: it the start plan proves a 1% gap by itself (medium, every family, seeds 1-5: it
#: took slo-classes seed 1 from 1.53% to 0.19% in 3.2 s, installed-base's retirement
#: seeds from 8-39% to 1% or less in under a second; on many-small-halls seeds 1-4
#: and yearly seeds 2 and 5, 1.1-2.8% above, it found nothing better in 0.2-1.3 s)
RINS_FROM_GAP = 0.01
#: step 6 follows step 7 when its plan still does not prove 1%, more than this share
#: above the LP bound. With retirements (installed-base medium, finding 16): after step
#: 7 seed 4 was 1.0014% above a bound within 0.1% of the optimum, and HiGHS took 9.2 s
#: to reach 1% from there, 3.1 s after step 6; from 0.5% step 6 also ran on seed 2,
#: 0.85% above, where it cost 1.4 s, and on few-big-halls with v2 seed 1, 0.55% above,
#: where its three halls' MIPs took 4.6 s and HiGHS alone was faster. Without them
#: (finding 18): many-small-halls medium seeds 1-4 from 1.1-2.0% to 0.64-1.00% in
#: 2.2-4.5 s, yearly seed 5 from 2.0% to 0.11%, where HiGHS's root took 20-25 s
HALL_AFTER_RINS_FROM_GAP = 0.01

Sg = tuple[object, object]  # (site, system)
Slot = tuple[int, int]  # (period position, column)


@dataclass
class StartPlan:
    """A feasible plan to start HiGHS from, and its objective (x None: none found)."""

    x: np.ndarray | None
    objective: float | None
    seconds: float
    lp_bound: float | None = None


def _relaxation(compiled: CompiledModel, time_limit_s: float) -> PlanSession:
    """The LP relaxation on its own session: the first solve by interior point on large
    programs, dual simplex on smaller ones (`IPM_FROM_COLUMNS`); later solves, with
    changed column bounds, by dual simplex from the previous basis (`_lp`)."""
    relax = PlanSession(compiled, HighsSettings(time_limit_s=max(time_limit_s,
                                                                 MIN_TIME_LIMIT_S)), lp=True)
    n = compiled.program.shape[1]
    relax.set_option("solver", "ipm" if n >= IPM_FROM_COLUMNS else "simplex")
    return relax


def _lp(relax: PlanSession, time_limit_s: float,
        bounds: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray | None:
    """Solve the relaxation (with new column `bounds` if given) within `time_limit_s`; its
    solution, or None when it is not optimal in time."""
    if time_limit_s <= 0:
        return None
    if relax.solves:
        relax.set_option("solver", "simplex")
    if bounds is not None:
        relax.set_all_col_bounds(*bounds)
    # interrupted if HiGHS overruns its limit (planner.deadline): the heuristic's share
    out = relax.solve(time_limit_s=time_limit_s,
                      stop_at=time.perf_counter() + time_limit_s + HIGHS_GRACE_S)
    return out.x if out.status == "optimal" else None


@dataclass
class _Layout:
    """Where the purchases and the fleet of each (site, system) are, in period order."""

    fleet_of: dict[Sg, list[Slot]]
    buys_of: dict[Sg, list[Slot]]
    #: the purchase and fleet columns
    integer_cols: np.ndarray
    #: (site, system, period position) -> the fleet columns from that period on
    fleet_after: dict[tuple[object, object, int], list[int]]
    #: A. building power: site -> its build columns, in period order (empty without)
    build_of: dict[object, list[Slot]]

    def cum(self, xv: np.ndarray, sg: Sg) -> dict[int, float]:
        """Cumulative purchases of (s,g) in service at each fleet period."""
        out: dict[int, float] = {}
        bl = self.buys_of.get(sg, [])
        acc, bi = 0.0, 0
        for t, _j in self.fleet_of[sg]:
            while bi < len(bl) and bl[bi][0] <= t:
                acc += max(0.0, xv[bl[bi][1]])
                bi += 1
            out[t] = acc
        return out

    def unit_cols(self, sg: Sg, t: int, j: int) -> list[int]:
        """The columns one more unit bought at column j (in period t) adds to."""
        return [j, *self.fleet_after[(sg[0], sg[1], t)]]


def _layout(compiled: CompiledModel, n: int) -> _Layout:
    buy_keys, buy_pos = compiled.columns["buy"]
    fleet_keys, fleet_pos = compiled.columns["fleet"]
    label_pos: dict[object, int] = {}
    for _s, _g, lab in fleet_keys:  # fleet keys come in period order
        label_pos.setdefault(lab, len(label_pos))
    fleet_of: dict[Sg, list[Slot]] = defaultdict(list)
    for (s, g, lab), j in zip(fleet_keys, fleet_pos.tolist(), strict=True):
        if j >= 0:
            fleet_of[(s, g)].append((label_pos[lab], j))
    buys_of: dict[Sg, list[Slot]] = defaultdict(list)
    for (s, g, lab), j in zip(buy_keys, buy_pos.tolist(), strict=True):
        if j >= 0:
            buys_of[(s, g)].append((label_pos[lab], j))
    for d in (fleet_of, buys_of):
        for lst in d.values():
            lst.sort()
    integer_cols = np.zeros(n, dtype=bool)
    for d in (fleet_of, buys_of):
        for lst in d.values():
            for _t, j in lst:
                integer_cols[j] = True
    fleet_after: dict[tuple[object, object, int], list[int]] = {}
    for sg, lst in fleet_of.items():
        for i, (t, _j) in enumerate(lst):
            fleet_after[(sg[0], sg[1], t)] = [jj for _tt, jj in lst[i:]]
    build_of: dict[object, list[Slot]] = defaultdict(list)
    if "build" in compiled.columns:  # A: blocks are integers the caps count, like units
        build_keys, build_pos = compiled.columns["build"]
        for (s, lab), j in zip(build_keys, build_pos.tolist(), strict=True):
            if j >= 0:
                build_of[s].append((label_pos.get(lab, len(label_pos)), j))
                integer_cols[j] = True
        for lst in build_of.values():
            lst.sort()
    return _Layout(fleet_of, buys_of, integer_cols, fleet_after, build_of)


@dataclass
class _Caps:
    """The cap rows: rows of purchases and fleet alone with an upper bound only."""

    row: np.ndarray  # bool per row
    hi: np.ndarray
    #: slack on each row when adding units
    tol: np.ndarray


def _caps(prog: MatrixProgram, A: sp.csr_array, integer_cols: np.ndarray) -> _Caps:
    cont_cols = np.flatnonzero(~integer_cols)
    touches_cont = np.zeros(prog.shape[0], dtype=bool)
    if len(cont_cols):
        touches_cont = np.asarray(abs(A[:, cont_cols]) @ np.ones(len(cont_cols)) > 0).ravel()
    hi = prog.row_hi
    cap_row = (~touches_cont) & np.isfinite(hi) & ~np.isfinite(prog.row_lo)
    tol = CAP_ROW_TOL * np.maximum(1.0, np.abs(np.where(np.isfinite(hi), hi, 0.0)))
    return _Caps(cap_row, hi, tol)


def _lumpy(layout: _Layout, A: sp.csr_array, caps: _Caps, n: int,
           lumpy_share: float) -> set[Sg]:
    """The (site, system) pairs one unit of which takes more than `lumpy_share` of some
    cap row."""
    share = np.zeros(n)
    Acap = A[np.flatnonzero(caps.row)]
    hcap = caps.hi[caps.row]
    Ascaled = Acap.multiply(1.0 / np.maximum(np.abs(hcap), TINY_CAP)[:, None]).tocsc()
    if Ascaled.nnz:
        share = np.asarray(abs(Ascaled).max(axis=0).todense()).ravel()
    fleet_of, buys_of = layout.fleet_of, layout.buys_of
    return {sg for sg in fleet_of
            if max(share[j] for _t, j in fleet_of[sg] + buys_of.get(sg, [])) > lumpy_share}


class _Rounding:
    """The integer plan under construction: units per column, the activity of every row,
    and the columns fixed for the LP re-solves. Every (s,g) starts at its installed base
    (the LP's fleet minus its cumulative purchases), with no purchases."""

    def __init__(self, prog: MatrixProgram, A: sp.csr_array, layout: _Layout, caps: _Caps,
                 x_lp: np.ndarray) -> None:
        self.prog, self.layout, self.caps = prog, layout, caps
        self.Ac = prog.A.tocsc()
        self.base: dict[tuple[object, object, int], float] = {}
        for sg, lst in layout.fleet_of.items():
            cum = layout.cum(x_lp, sg)
            for t, j in lst:
                self.base[(sg[0], sg[1], t)] = float(round(x_lp[j] - cum[t]))
        n = prog.shape[1]
        self.x = np.zeros(n)
        for sg, lst in layout.fleet_of.items():
            for t, j in lst:
                self.x[j] = self.base[(sg[0], sg[1], t)]
        self.fixed = np.zeros(n, dtype=bool)
        for lst in layout.build_of.values():  # A: the LP's blocks so far, rounded up
            acc, done = 0.0, 0
            for _t, j in lst:
                acc += max(0.0, float(x_lp[j]))
                so_far = math.ceil(acc - LP_UNIT_TOL)
                self.x[j] = max(0, min(so_far - done, prog.col_hi[j]))
                done += int(self.x[j])
                self.fixed[j] = True
        self.act = A @ self.x

    def add_units(self, j: int, cols: list[int], want: int) -> int:
        """Add up to `want` units at buy column j (and its later fleet), caps holding."""
        Ac, caps, x, act = self.Ac, self.caps, self.x, self.act
        idx = np.concatenate([Ac.indices[Ac.indptr[c]:Ac.indptr[c + 1]] for c in cols])
        val = np.concatenate([Ac.data[Ac.indptr[c]:Ac.indptr[c + 1]] for c in cols])
        keep = caps.row[idx]
        rows, inv = np.unique(idx[keep], return_inverse=True)
        delta = np.bincount(inv, weights=val[keep], minlength=len(rows))
        room = math.inf
        pos = delta > 0
        if pos.any():
            room = float(np.min((caps.hi[rows][pos] + caps.tol[rows][pos] - act[rows][pos])
                                / delta[pos]))
        k = int(min(want, math.floor(room + ROOM_FLOOR_SLACK), self.prog.col_hi[j] - x[j]))
        if k <= 0:
            return 0
        x[cols] += k
        act[rows] += k * delta
        return k

    def round_group(self, group: set[Sg], xl: np.ndarray, nearest: bool) -> None:
        """Round the LP purchases `xl` of `group`: up (`nearest` False: the floors, then
        single units back to the nearest unit), period by period, largest shortfall
        first, while the caps hold."""
        layout = self.layout
        cum_lp = {sg: layout.cum(xl, sg) for sg in group}
        by_t: dict[int, list[tuple[Sg, int, int]]] = defaultdict(list)
        for sg in sorted(group, key=str):
            for t, j in layout.buys_of.get(sg, []):
                by_t[t].append((sg, t, j))
        if not nearest:  # floors first: always within the caps
            for sg in group:
                for t, j in layout.buys_of.get(sg, []):
                    f = math.floor(max(0.0, xl[j]) + LP_UNIT_TOL)
                    if f > 0:
                        self.add_units(j, layout.unit_cols(sg, t, j), f)
        for t_now in sorted(by_t):
            cands = []
            for sg, t, j in by_t[t_now]:
                have = self.x[layout.fleet_after[(sg[0], sg[1], t)][0]] - \
                    self.base[(sg[0], sg[1], t)]
                short = cum_lp[sg][t] - have
                want = int(math.ceil(short - LP_UNIT_TOL)) if nearest else \
                    int(math.floor(short + 0.5))
                if want > 0:
                    cands.append((-short, j, sg, t, want))
            cands.sort(key=lambda c: (c[0], c[1]))
            for _neg, j, sg, t, want in cands:
                self.add_units(j, layout.unit_cols(sg, t, j), want)

    def fix(self, group: set[Sg]) -> None:
        """Fix the purchases and fleet of `group` at their rounded units."""
        for sg in group:
            for _t, j in self.layout.fleet_of[sg] + self.layout.buys_of.get(sg, []):
                self.fixed[j] = True

    def col_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The program's column bounds with the fixed columns at their units."""
        lo, up = self.prog.col_lo.copy(), self.prog.col_hi.copy()
        lo[self.fixed], up[self.fixed] = self.x[self.fixed], self.x[self.fixed]
        return lo, up


def _improve(rnd: _Rounding, relax: PlanSession, best_x: np.ndarray, best_obj: float,
             rounds: int, left: Callable[[], float]) -> tuple[np.ndarray, float]:
    """Step 5: add single units whose reduced cost (the purchase and the fleet it adds,
    priced by the rows that are not caps) says they pay, while the caps hold; keep them
    when the re-solved plan costs less."""
    prog, layout, x, act = rnd.prog, rnd.layout, rnd.x, rnd.act
    all_buys = [(j, layout.unit_cols(sg, t, j))
                for sg in sorted(layout.buys_of, key=str) for t, j in layout.buys_of[sg]]
    for _round in range(rounds):
        if left() <= 0:
            break
        y = relax.row_duals()
        if y is None or len(y) != prog.shape[0]:
            break
        dj = prog.c - prog.A.T @ np.where(rnd.caps.row, 0.0, y)
        scale = max(1.0, abs(best_obj)) * IMPROVE_REL_TOL
        cands = sorted((float(dj[cols].sum()), j, cols) for j, cols in all_buys)
        saved = x.copy(), act.copy()
        added = 0
        for v, j, cols in cands:
            if v >= -scale:
                break
            added += rnd.add_units(j, cols, 1)
        if not added:
            break
        x_new = _lp(relax, left(), rnd.col_bounds())
        if x_new is None:
            x[:], act[:] = saved
            break
        x_new[layout.integer_cols] = x[layout.integer_cols]
        obj = float(prog.c @ x_new + prog.offset)
        if obj >= best_obj - scale:
            x[:], act[:] = saved
            break
        best_x, best_obj = x_new, obj
    return best_x, best_obj


def _hall_columns(layout: _Layout) -> dict[object, np.ndarray]:
    """Each site's integer columns (`_layout`'s): its purchases, fleet and builds."""
    out: dict[object, list[int]] = defaultdict(list)
    for (site, _g), slots in [*layout.fleet_of.items(), *layout.buys_of.items()]:
        out[site] += [j for _t, j in slots]
    for site, slots in layout.build_of.items():
        out[site] += [j for _t, j in slots]
    return {site: np.asarray(sorted(cols), dtype=np.int64) for site, cols in out.items()}


def _gap(obj: float, bound: float) -> float:
    """How far a plan's cost lies above a lower bound, relative to the cost."""
    return (obj - bound) / max(abs(obj), 1.0)


def _by_hall(compiled: CompiledModel, layout: _Layout, x: np.ndarray, obj: float,
             lp_bound: float, target_gap: float, left: Callable[[], float]
             ) -> tuple[np.ndarray, float]:
    """Step 6: re-optimise one hall at a time with every other hall's integer columns held
    at the plan's units:

        min c x  s.t.  the program's rows,  x_j = plan_j  for integer j outside hall h

    a MIP of one hall's decisions (serving and unmet demand stay free everywhere), solved
    from the plan; a cheaper plan is kept. Stops within `target_gap` of the LP bound."""
    prog = compiled.program
    halls = _hall_columns(layout)
    if len(halls) < 2:  # one hall: its MIP is the whole program's
        return x, obj
    ints = np.flatnonzero(prog.integer)
    # each hall's MIP to the run's own gap (of the whole plan's cost): a gap of 1e-4
    # took 2-4x as long for the same plans (installed-base medium seed 3, three halls)
    session = _root_session(compiled, max(left(), MIN_TIME_LIMIT_S), target_gap)
    order = sorted(halls, key=str)
    for i, site in enumerate(order):
        if _gap(obj, lp_bound) <= target_gap or left() <= 0:
            break
        held = np.setdiff1d(ints, halls[site], assume_unique=True)
        remaining = left()
        share = remaining / (len(order) - i)
        limit = max(min(max(share, HALL_MIP_MIN_S), remaining), MIN_TIME_LIMIT_S)
        x, obj = _cheaper(session, held, x, x, obj, limit, from_x=True)
    return x, obj


def _root_session(compiled: CompiledModel, limit: float, target_gap: float) -> PlanSession:
    """A MIP session for steps 6 and 7: its root only (`REOPT_MAX_NODES`), to the run's
    gap."""
    session = PlanSession(compiled, HighsSettings(time_limit_s=limit, mip_rel_gap=target_gap))
    session.set_option("mip_max_nodes", REOPT_MAX_NODES)
    return session


def _cheaper(session: PlanSession, held: np.ndarray, held_at: np.ndarray, x: np.ndarray,
             obj: float, limit: float, from_x: bool) -> tuple[np.ndarray, float]:
    """Solve the program with the integer columns `held` fixed at `held_at`'s (rounded)
    values (started from the plan `x` if `from_x`: it must keep them), within `limit`
    seconds; the solution (whole units) and its cost if it costs less than the plan's
    `obj`, else (`x`, `obj`)."""
    prog = session.program
    lo, up = prog.col_lo.copy(), prog.col_hi.copy()
    lo[held] = up[held] = np.round(held_at[held])
    session.set_all_col_bounds(lo, up)
    out = session.solve(start=x if from_x else None, time_limit_s=limit,
                        stop_at=time.perf_counter() + limit + HIGHS_GRACE_S)
    if out.x is None:
        return x, obj
    x_new = np.asarray(out.x, dtype=float).copy()
    ints = np.flatnonzero(prog.integer)
    x_new[ints] = np.round(x_new[ints])
    new_obj = float(prog.c @ x_new + prog.offset)
    if new_obj < obj - max(1.0, abs(obj)) * IMPROVE_REL_TOL:
        return x_new, new_obj
    return x, obj


def _rins(compiled: CompiledModel, x_lp: np.ndarray, x: np.ndarray, obj: float,
          target_gap: float, left: Callable[[], float]) -> tuple[np.ndarray, float]:
    """Step 7: hold every integer column at which the LP optimum `x_lp` is whole,

        min c x  s.t.  the program's rows,  x_j = x_lp_j  for integer j with x_lp_j whole

    a MIP over the fractional ones (its root only, to the run's gap, within half of the
    time left); its plan replaces `x` if it costs less."""
    prog = compiled.program
    ints = np.flatnonzero(prog.integer)
    whole = np.abs(x_lp[ints] - np.round(x_lp[ints])) <= LP_UNIT_TOL
    if whole.all() or left() <= 0:
        return x, obj
    limit = max(left() / 2, MIN_TIME_LIMIT_S)
    return _cheaper(_root_session(compiled, limit, target_gap), ints[whole], x_lp, x, obj,
                    limit, from_x=False)


def _retirement_columns(compiled: CompiledModel) -> np.ndarray:
    """The columns of retirements (section C; none without `allow_retirement`)."""
    cols = [compiled.columns[name][1] for name in ("retire", "xretire")
            if name in compiled.columns]
    pos = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    return pos[pos >= 0]


def start_plan(compiled: CompiledModel, time_limit_s: float = 60.0,
               lumpy_share: float = 0.01, improve_rounds: int = 3,
               target_gap: float = 1e-3) -> StartPlan:
    """Relax, round in two phases, re-solve the rest, re-optimise hall by hall: a feasible
    starting plan (the steps are in the module docstring), within `time_limit_s` seconds;
    `target_gap`: the run's relative gap (step 6 stops there)."""
    t0 = time.perf_counter()
    prog = compiled.program
    if "buy" not in compiled.columns or "fleet" not in compiled.columns:
        return StartPlan(None, None, 0.0)

    def left() -> float:
        return time_limit_s - (time.perf_counter() - t0)

    relax = _relaxation(compiled, left())
    x_lp = _lp(relax, left())
    if x_lp is None:
        return StartPlan(None, None, time.perf_counter() - t0)
    lp_bound = float(prog.c @ x_lp + prog.offset)
    n = prog.shape[1]
    kept = _retirement_columns(compiled)
    x_round: np.ndarray | None = x_lp  # what steps 2-5 round (step 7 starts from x_lp)
    if len(kept):  # C. refresh: the start keeps every unit (a v1 plan); the MIP retires
        lo, up = prog.col_lo.copy(), prog.col_hi.copy()
        up[kept] = 0.0
        x_round = _lp(relax, left(), (lo, up))
    if x_round is None:
        return StartPlan(None, None, time.perf_counter() - t0, lp_bound)
    layout = _layout(compiled, n)
    A = prog.A.tocsr()
    caps = _caps(prog, A, layout.integer_cols)
    lumpy = _lumpy(layout, A, caps, n, lumpy_share)
    rnd = _Rounding(prog, A, layout, caps, x_round)
    rnd.fixed[kept] = True  # at 0
    if lumpy:
        rnd.round_group(lumpy, x_round, nearest=True)
        rnd.fix(lumpy)
        x2 = _lp(relax, left(), rnd.col_bounds())
        if x2 is not None:
            x_round = x2
    rest = set(layout.fleet_of) - lumpy
    rnd.round_group(rest, x_round, nearest=False)
    rnd.fix(rest)
    x_full = _lp(relax, left(), rnd.col_bounds()) if left() > 0 else None
    if x_full is None:
        return StartPlan(None, None, time.perf_counter() - t0, lp_bound)
    x_full[layout.integer_cols] = rnd.x[layout.integer_cols]
    best_x, best_obj = _improve(rnd, relax, x_full, float(prog.c @ x_full + prog.offset),
                                improve_rounds, left)
    if not len(kept) and _gap(best_obj, lp_bound) > REOPT_FROM_GAP:
        best_x, best_obj = _by_hall(compiled, layout, best_x, best_obj, lp_bound,
                                    target_gap, left)
    if _gap(best_obj, lp_bound) > RINS_FROM_GAP:
        rounded_x, rounded_obj = best_x, best_obj
        best_x, best_obj = _rins(compiled, x_lp, best_x, best_obj, target_gap, left)
        if _gap(best_obj, lp_bound) > HALL_AFTER_RINS_FROM_GAP:
            # with retirements from RINS's plan (the rounded one retires nothing); else
            # from the rounded plan
            from_x, from_obj = (best_x, best_obj) if len(kept) else (rounded_x, rounded_obj)
            hall_x, hall_obj = _by_hall(compiled, layout, from_x, from_obj, lp_bound,
                                        target_gap, left)
            if hall_obj < best_obj:
                best_x, best_obj = hall_x, hall_obj
    return StartPlan(best_x, best_obj, time.perf_counter() - t0, lp_bound)
