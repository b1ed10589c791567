"""Plans in local worker processes: a standard `ProcessPoolExecutor` of fresh
('spawn') processes, with what it takes to survive faults: a worker that dies fails only
its chain; Ctrl-C and SIGTERM stop every worker without a traceback; workers die with their
parent however it ends (docs/what-if.md, docs/reliability.md).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from planner.errors import Terminated
from planner.procs import die_with_parent, ignore_ctrl_c, signals_blocked
from planner.whatif.jobs import DoneFn, Job, JobResult, chains, crashed, run_chain, run_serial

#: how often the loop handing out chains looks for a Ctrl-C or SIGTERM (`_StopRequest`)
STOP_CHECK_S = 0.2


def _worker_init(parent_pid: int) -> None:
    """Set up a worker process: it dies with its parent and never handles Ctrl-C.

    Ctrl-C: the worker was started with SIGINT blocked (`signals_blocked`); it now
    ignores SIGINT and unblocks it, so a Ctrl-C sent to the whole process group (as a
    terminal sends it) is discarded here, and the caller stops the workers (`_stop`), so
    none prints a traceback.

    Death with the parent: a parent killed outright (`kill -9`, or SIGTERM outside the
    CLI) cannot stop its pool, so each worker watches it (`planner.procs.die_with_parent`).

    The solver stack (Pyomo) creates a multiprocessing Lock when imported. Under a
    worker's own default start method ('spawn') that is a named semaphore, which the
    resource tracker reports as "leaked" when the worker is stopped; under 'fork' it is
    unlinked at once. A worker starts processes only through an explicit 'spawn' context
    (HiGHS's own process for a large plan, `planner.core.isolated`), so its default only
    decides that."""
    ignore_ctrl_c()
    die_with_parent(parent_pid)
    if "fork" in multiprocessing.get_all_start_methods():
        multiprocessing.set_start_method("fork", force=True)


def _context() -> multiprocessing.context.BaseContext:
    """'spawn': every worker is a fresh interpreter, never a fork of this process.

    Plain 'fork' would copy a process that may hold HiGHS and BLAS threads and locks (a
    child can deadlock on a lock a thread of the parent held at the fork). 'forkserver'
    would avoid that too, and could import the solver stack once for all workers, but only
    with a preload imported in a shared server process (whose Ctrl-C handling and exit
    this module used to patch); measured against this runner, that saved no more than
    run-to-run noise (docs/what-if.md). 'spawn' is also the default on Windows and macOS,
    so the runner behaves the same everywhere."""
    return multiprocessing.get_context("spawn")


class _StopRequest:
    """Ctrl-C (SIGINT) or SIGTERM while a pool runs, recorded by a signal handler and acted
    on by the loop that hands out chains (`_run_pool`), never raised inside the pool's own
    code: an exception raised at a random point of `concurrent.futures` can leave one of
    its locks held and the interpreter's exit waiting for it for ever."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.event = threading.Event()

    def _handler(self, signum: int, frame: object) -> None:
        self.signum = signum
        self.event.set()

    @contextlib.contextmanager
    def installed(self) -> Iterator[_StopRequest]:
        if threading.current_thread() is not threading.main_thread():
            yield self  # only the main thread receives signals
            return
        old = {sig: signal.signal(sig, self._handler) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield self
        finally:
            for sig, handler in old.items():
                signal.signal(sig, handler if handler is not None else signal.SIG_DFL)

    def check(self, pool: ProcessPoolExecutor) -> None:
        """If a stop was asked: end the workers, then act on the signal as it would have
        been without the pool: KeyboardInterrupt for Ctrl-C, `Terminated` (SystemExit
        143) for SIGTERM, once no worker is left."""
        if self.signum is None:
            return
        _stop(pool)
        if self.signum == signal.SIGTERM:
            raise Terminated
        raise KeyboardInterrupt


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop at once (Ctrl-C): drop the queued chains and end the worker processes, which
    a plain shutdown would let finish the plans they are solving."""
    # The pool's processes: no public way to end them before Python 3.14.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        p.terminate()
    for p in processes:
        p.join(timeout=10)
        if p.is_alive():  # SIGTERM blocked or handled: make sure
            p.kill()
            p.join()


def _died(job: Job) -> JobResult:
    msg = ("its worker process ended abruptly (killed, out of memory, or crashed) while "
           "planning it")
    return JobResult(job.name, f"error: worker failed: {msg}", message=msg,
                     files=dict(job.extra_files))


def _new_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=_context(),
                               initializer=_worker_init, initargs=(os.getpid(),))


class KeptPool:
    """Worker processes kept from one `run_local` call to the next, for a caller that
    plans in rounds, each round's jobs depending on the last's results (a sensitivity
    search): the workers start, and import the solver stack, once instead of once a
    round. A pool a dying worker breaks is dropped, and the next round starts a fresh
    one; the chains of a broken pool are retried alone, as without it. Use it as a
    context manager: leaving it (normally, on an error or on Ctrl-C) ends its workers."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def get(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = _new_pool(self.workers)
        return self._pool

    def drop(self) -> None:
        """End the workers now (they hold no work the caller still waits for)."""
        if self._pool is not None:
            _stop(self._pool)
            self._pool = None

    def __enter__(self) -> KeptPool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            if exc[0] is None:
                self._pool.shutdown(wait=True)
                self._pool = None
            else:
                self.drop()


def _run_pool(jobs: Sequence[Job], todo: deque[list[int]], workers: int,
              finish: Callable[[list[int], list[JobResult]], None],
              kept: KeptPool | None = None) -> list[list[int]]:
    """Plan the chains in `todo` (taking them from it) in one pool of `workers` processes
    (`kept`'s, when given and at least that size, else a pool of its own), at most `workers`
    chains at a time, so a worker that dies can only have held one of those. Returns the
    chains that were in flight when a worker died; the pool is then unusable (a kept one
    is dropped), and the chains still in `todo` were never sent."""
    keep = kept is not None and kept.workers >= workers
    pool = kept.get() if keep and kept is not None else _new_pool(workers)
    running: dict[Future[list[JobResult]], list[int]] = {}
    suspects: list[list[int]] = []
    broken = False
    try:
        with _StopRequest().installed() as stop:
            while running or (todo and not broken):
                stop.check(pool)
                while todo and len(running) < workers and not broken:
                    chain = todo.popleft()
                    try:
                        with signals_blocked():
                            fut = pool.submit(run_chain, [jobs[i] for i in chain])
                    except BrokenProcessPool:  # a worker died since the last result
                        todo.appendleft(chain)
                        broken = True
                    else:
                        running[fut] = chain
                if not running:
                    break
                done, _ = wait(running, timeout=STOP_CHECK_S, return_when=FIRST_COMPLETED)
                stop.check(pool)
                for fut in done:
                    chain = running.pop(fut)
                    try:
                        res = fut.result()
                    except BrokenProcessPool:  # this chain or another in flight killed it
                        suspects.append(chain)
                        broken = True
                        continue
                    except Exception as exc:  # noqa: BLE001 - a failed call fails its jobs only
                        res = [crashed(jobs[i], exc) for i in chain]
                    finish(chain, res)
    except BaseException:  # a stop, or an error in `finish`: end the workers now
        if keep and kept is not None:
            kept.drop()
        else:
            _stop(pool)
        raise
    if keep and kept is not None:
        if broken:
            kept.drop()
    else:
        pool.shutdown(wait=True)
    return suspects


def run_local(jobs: Sequence[Job], workers: int, on_done: DoneFn | None = None,
              kept: KeptPool | None = None) -> list[JobResult]:
    """Jobs in `workers` fresh worker processes (a `ProcessPoolExecutor`); this process
    only hands out chains (`chains`: a sweep's warm-started chain goes to one worker as a
    whole) and collects the results, in the jobs' order.

    A worker process that dies (killed, out of memory, a crash in the solver) breaks its
    pool: the chains in flight then are each planned again alone, in a pool of their own,
    and one that kills that worker too fails (`error: worker failed: ...`); the others keep
    their plans, and the chains not yet sent go on in a fresh pool. The outcome does not
    depend on which worker took which chain. `kept`: workers kept across calls
    (`KeptPool`), used when it holds as many as the call needs.
    """
    units = chains(jobs)
    n = max(1, min(workers, len(units)))
    if n <= 1:
        return run_serial(jobs, on_done)
    results: list[JobResult | None] = [None] * len(jobs)

    def finish(chain: list[int], res: list[JobResult]) -> None:
        for i, r in zip(chain, res, strict=True):
            results[i] = r
            if on_done:
                on_done(i, r)

    todo = deque(units)
    while todo:
        for chain in _run_pool(jobs, todo, n, finish, kept):
            if _run_pool(jobs, deque([chain]), 1, finish):  # alone, and it died again
                finish(chain, [_died(jobs[i]) for i in chain])
    return [r for r in results if r is not None]
