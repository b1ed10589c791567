"""A plan's final MIP in a process of its own, stopped at the deadline whatever HiGHS does.

HiGHS checks its time limit, and calls the interrupt callbacks `run_interruptible` uses,
only at points of its search; between them it can run on for a long time. On a large
model the MIP root's cut separation went 66-80 s without reaching one
(benchmarks/README.md, finding 23): `planner plan --time-limit 120` on installed-base
large seed 2 ended at 126.7-129.4 s, the benchmark runner's child at 150-162 s. A process
can be stopped at any instant, so for a large program (`worth_isolating`) the plan's
final MIP runs in a child process (a fresh interpreter, never a fork of a process that
holds HiGHS's threads):

- the child builds its HiGHS instance from the program's arrays (`highs_instance`) and
  runs it (`run_highs`) with HiGHS's own time limit counted from when the parent asked;
- every improving plan HiGHS finds, and its bound at most every `PROGRESS_EVERY_S`, is
  sent to the parent as it is found;
- the parent waits for the outcome until `stop_at`; past it, the child is killed and the
  best plan received is the outcome (status ``time_limit``, its cost recomputed from the
  program, its gap from the last bound received).

A child that dies without an answer (out of memory, say) is a `SolverError`; Ctrl-C,
SIGTERM and any error in the parent kill it; the child also dies with its parent
(`planner.procs.die_with_parent`). The child runs the same HiGHS on the same arrays with
the same options as a run in this process would, so it finds the same plan. Windows:
not isolated (`worth_isolating`).
"""

from __future__ import annotations

import contextlib
import math
import os
import subprocess
import sys
import threading
import time
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from planner.core.highs import (
    HighsSettings,
    MatrixProgram,
    ProgressFn,
    SolveOutcome,
    highs_instance,
    run_highs,
)
from planner.core.scaling import HIGHS_FEASIBILITY_TOL
from planner.core.warm import is_feasible
from planner.deadline import SoftStop
from planner.errors import PlannerError, SolverError
from planner.procs import die_with_parent

#: programs with at least this many non-zeros have their final MIP solved in a child
#: process (`worth_isolating`): starting one costs 0.3-0.4 s (a fresh interpreter
#: importing highspy, numpy and scipy, and the program's arrays sent to it; measured on
#: the quickstart and a medium scenario, benchmarks/README.md finding 24), which a small
#: plan would feel and a large one does not; HiGHS's long stretches without a time check
#: were seen on large programs only (finding 23, 259,564 non-zeros)
ISOLATE_MIN_NONZEROS = 100_000
#: the child sends HiGHS's progress (incumbent, bound, gap) at most this often
PROGRESS_EVERY_S = 0.5
#: how often the parent looks at the clock while it waits for the child
POLL_S = 0.2
#: the least time limit the child's HiGHS is given
MIN_LIMIT_S = 1e-3
#: HiGHS's status for a run the parent stopped (its own name for a run its limit stopped)
KILLED_STATUS = "Time limit reached"


def worth_isolating(prog: MatrixProgram) -> bool:
    """Whether `prog`'s final MIP runs in a child process (`ISOLATE_MIN_NONZEROS`; POSIX
    only: the child reads and writes pipes it inherits)."""
    return (os.name == "posix" and bool(prog.integer.any())
            and int(prog.A.nnz) >= ISOLATE_MIN_NONZEROS)


def solve_program(prog: MatrixProgram, settings: HighsSettings, start: np.ndarray | None,
                  progress: ProgressFn | None, stop_at: float,
                  soft: SoftStop | None = None) -> SolveOutcome:
    """A program solved once (a plan's final MIP, the extensive form of several futures):
    in a process of its own when `worth_isolating`, else on a HiGHS instance here; the
    same outcome either way, but only the child can be stopped at `stop_at` whatever
    HiGHS is doing."""
    if worth_isolating(prog):
        return run_isolated(prog, settings, start, progress, stop_at, soft)
    return run_highs(highs_instance(prog, settings), bool(prog.integer.any()), start,
                     progress, stop_at=stop_at, program=prog, soft=soft)


def run_isolated(prog: MatrixProgram, settings: HighsSettings, start: np.ndarray | None,
                 progress: ProgressFn | None, stop_at: float,
                 soft: SoftStop | None = None) -> SolveOutcome:
    """Solve the MIP `prog` in a child process with `settings` from the plan `start`, as
    `run_highs(highs_instance(prog, settings), True, start, progress, program=prog,
    soft=soft)` would here, and stop it at `stop_at` (a `time.perf_counter()` reading),
    or past `soft.at` once the best plan received is within `soft.gap` of the last bound.

    The child is ``python -c`` importing this module (`child_main`), not a
    `multiprocessing` process: those re-import the caller's main module, which breaks a
    script without an ``if __name__ == "__main__"`` guard. It starts in a session of its
    own, so a terminal's Ctrl-C reaches this process only, which stops it."""
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    t0, asked_at = time.perf_counter(), time.monotonic()  # monotonic: the child's clock too
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", f"from planner.core.isolated import child_main; "
             f"child_main({to_child_r}, {from_child_w}, {os.getpid()})"],
            pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
            start_new_session=True)
    finally:
        os.close(to_child_r)
        os.close(from_child_w)
    send = Connection(to_child_w, readable=False)
    receive = Connection(from_child_r, writable=False)
    best = _Best(prog)
    if start is not None and is_feasible(prog, start, _feasibility_tol(prog)):
        best.offer(start)  # HiGHS takes it as its first plan, and may not send it back
    # the program is sent from a thread: a large one fills the pipe, and a child that
    # never reads it (stuck starting) must not keep this process from its deadline
    sender = threading.Thread(target=_send_and_close, name="planner-highs-send",
                              args=(send, (prog, settings, start, asked_at)), daemon=True)
    sender.start()
    try:
        while True:
            wait = stop_at - time.perf_counter()
            if wait <= 0 or best.due(soft):
                break
            if not receive.poll(min(wait, POLL_S)):
                continue
            try:
                kind, payload = receive.recv()
            except EOFError:
                code = child.wait()
                raise SolverError(
                    f"HiGHS's process ended without an answer (exit code {code}: killed, "
                    "out of memory, or crashed); this is a planner bug if it was not "
                    "killed: please report it with the scenario") from None
            if kind == "done":
                outcome: SolveOutcome = payload
                outcome.seconds = time.perf_counter() - t0
                return outcome
            if kind == "error":
                raise SolverError(payload)
            if kind == "plan":
                best.offer(payload)
            elif kind == "progress":
                best.bound_from(payload)
                if progress is not None:
                    progress(payload)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        sender.join(timeout=POLL_S)  # the kill broke the pipe if it was still writing
        receive.close()
    return best.outcome(time.perf_counter() - t0)


def _send_and_close(conn: Connection, message: object) -> None:
    with contextlib.suppress(OSError):  # the child died (or was killed) before reading
        conn.send(message)
    conn.close()


def _feasibility_tol(prog: MatrixProgram) -> float:
    """The MIP feasibility tolerance HiGHS holds `prog` to (its default unless the program
    sets one, `MatrixProgram.options`)."""
    return float(prog.options.get("mip_feasibility_tolerance", HIGHS_FEASIBILITY_TOL))


class _Best:
    """The best plan and the last bound the child sent."""

    def __init__(self, prog: MatrixProgram) -> None:
        self.prog = prog
        self.x: np.ndarray | None = None
        self.objective = math.inf
        self.bound: float | None = None

    def offer(self, x: np.ndarray) -> None:
        cost = float(np.dot(self.prog.c, x) + self.prog.offset)
        if cost < self.objective:
            self.x, self.objective = x, cost

    def bound_from(self, report: dict[str, float]) -> None:
        bound = report.get("bound", math.nan)
        if math.isfinite(bound) and abs(bound) < 1e300:
            self.bound = bound if self.bound is None else max(self.bound, bound)

    def due(self, soft: SoftStop | None) -> bool:
        """Whether `soft` stops the run with the best plan and bound received."""
        return (soft is not None and self.x is not None
                and soft.due(self.objective, -math.inf if self.bound is None else self.bound))

    def outcome(self, seconds: float) -> SolveOutcome:
        if self.x is None:
            return SolveOutcome("no_solution", None, None, self.bound, None, seconds,
                                KILLED_STATUS)
        bound = None if self.bound is None else min(self.bound, self.objective)
        gap = (None if bound is None
               else max(0.0, self.objective - bound) / max(abs(self.objective), 1e-9))
        return SolveOutcome("time_limit", self.x, self.objective, bound, gap, seconds,
                            KILLED_STATUS)


def child_main(read_fd: int, write_fd: int, parent_pid: int) -> None:
    """The child (`run_isolated`): HiGHS on the program read from `read_fd`, each
    improving plan and the progress sent to `write_fd` as found, then the outcome (or
    the error that stopped it)."""
    die_with_parent(parent_pid)
    conn = Connection(write_fd, readable=False)
    with Connection(read_fd, writable=False) as inbox:
        prog, settings, start, asked_at = inbox.recv()
    try:
        startup_s = max(0.0, time.monotonic() - asked_at)
        h = highs_instance(prog, replace(settings, time_limit_s=max(
            MIN_LIMIT_S, settings.time_limit_s - startup_s)))
        unit = prog.units
        last, sent = [-math.inf], [math.inf]  # when progress was last sent; its best plan

        def on_plan(e: Any) -> None:
            conn.send(("plan", np.asarray(e.data_out.mip_solution, dtype=np.float64) * unit))

        def on_progress(report: dict[str, float]) -> None:
            # each better plan as found, the rest at most every PROGRESS_EVERY_S
            now = time.perf_counter()
            if report["objective"] < sent[0] or now - last[0] >= PROGRESS_EVERY_S:
                last[0] = now
                sent[0] = min(sent[0], report["objective"])
                conn.send(("progress", report))

        h.cbMipImprovingSolution.subscribe(on_plan)
        outcome = run_highs(h, True, start, on_progress, program=prog)
        conn.send(("done", outcome))
    except PlannerError as exc:
        conn.send(("error", str(exc)))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
        conn.send(("error", f"HiGHS's process failed: {exc!r}"))
    finally:
        conn.close()
