"""Run many plans: serially, in local worker processes, or on a Dask distributed cluster.

Each plan is a `Job`: a variant's name and its loaded `Inputs` (or the reason it could not
be loaded). A worker runs `run_chain(jobs)` and returns a `JobResult` per job, carrying the
summary, the purchases and the text of every plan file, so the caller writes the files on
its own machine (cluster workers need only the `planner` package, not the caller's files).

Failures are per job: an invalid or infeasible variant comes back as a result with that
status and never stops the others. Results come back in the jobs' order, whatever the
order they finish in.

Local workers: `--workers N` plans N jobs at a time in N fresh worker processes of a
standard `ProcessPoolExecutor` (see `run_local`).

Threads: several HiGHS instances side by side each get one thread (`threads=1`) unless the
caller asks for another number, so N workers use N cores, not N x all cores. Serial runs
use the same setting, so a plan is the same whichever way it was run.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from planner.errors import InfeasibleError, InputError, PlannerError, SolverError

if TYPE_CHECKING:
    from planner.core.summary import PlanSummary
    from planner.inputs.bundle import Inputs

DEFAULT_THREADS = 1
DoneFn = Callable[[int, "JobResult"], None]


@dataclass(frozen=True)
class Job:
    """One plan to run. `inputs` is None when the variant could not be loaded; `error`
    then says why (its status is `invalid: ...`)."""

    name: str
    inputs: Inputs | None
    error: str | None = None
    threads: int | None = None
    time_limit_s: float | None = None
    mip_rel_gap: float | None = None
    keep_files: bool = True
    extra_files: dict[str, str] = field(default_factory=dict)
    #: start from the plan of the job just before this one (a sweep's previous point)
    #: when that plan is feasible here; the two then run one after the other, in one
    #: process, as one chain (`chains`)
    warm_from_previous: bool = False


@dataclass
class JobResult:
    """What one plan gave: status (optimal, time_limit, infeasible, `invalid: ...`,
    `error: ...`), its summary and purchases, and its plan files as text."""

    name: str
    status: str
    summary: PlanSummary | None = None
    purchases: list[tuple[str, str, str, int, float]] = field(default_factory=list)
    peak_mw: float | None = None
    files: dict[str, str] = field(default_factory=dict)
    message: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.summary is not None


def _first_line(text: str) -> str:
    return " ".join(text.split())


def run_chain(jobs: Sequence[Job]) -> list[JobResult]:
    """Plan a chain of jobs in order; a job marked `warm_from_previous` starts from the
    plan of the one before it (when that one has a plan). Top-level, for workers."""
    out: list[JobResult] = []
    previous: Any = None
    for job in jobs:
        res, previous = _plan_job(job, previous if job.warm_from_previous else None)
        out.append(res)
    return out


def chains(jobs: Sequence[Job]) -> list[list[int]]:
    """The jobs' indices grouped into chains: a job marked `warm_from_previous` joins the
    chain of the job before it. Chains depend on the jobs only, never on the workers,
    so a plan is the same however many workers run them."""
    out: list[list[int]] = []
    for i, job in enumerate(jobs):
        if job.warm_from_previous and out:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def _plan_job(job: Job, start_from: Any) -> tuple[JobResult, Any]:
    """One job's result, and its PlanResult (None if it failed) for the next in a chain."""
    from planner.api import plan  # the solver stack: workers load it, `planner --help` not
    from planner.io.output import plan_files  # pandas: not needed by `planner --help`

    t0 = time.perf_counter()
    if job.inputs is None:
        msg = job.error or "not loaded"
        return JobResult(job.name, f"invalid: {_first_line(msg)}", message=msg,
                         files=dict(job.extra_files)), None
    threads = DEFAULT_THREADS if job.threads is None else job.threads
    try:
        result = plan(job.inputs, threads=threads, time_limit_s=job.time_limit_s,
                      mip_rel_gap=job.mip_rel_gap, start_from=start_from)
    except InputError as exc:
        msg = "; ".join(str(i) for i in exc.issues)
        return JobResult(job.name, f"invalid: {_first_line(msg)}", message=msg,
                         files=dict(job.extra_files), seconds=time.perf_counter() - t0), None
    except InfeasibleError as exc:
        return JobResult(job.name, "infeasible", message=exc.explain(),
                         files=dict(job.extra_files), seconds=time.perf_counter() - t0), None
    except SolverError as exc:
        return JobResult(job.name, f"error: {_first_line(str(exc))}", message=str(exc),
                         files=dict(job.extra_files), seconds=time.perf_counter() - t0), None
    except Exception as exc:  # noqa: BLE001 - one variant's failure must not lose the others
        msg = f"{type(exc).__name__}: {exc}"
        return JobResult(job.name, f"error: {_first_line(msg)}", message=msg,
                         files=dict(job.extra_files), seconds=time.perf_counter() - t0), None
    pp = result.tables.purchase_plan
    purchases = [(str(r.period), str(r.site), str(r.system), int(r.units), float(r.capex_usd))
                 for r in pp.itertuples()]
    st = result.tables.sites
    peak = float(st.groupby("period")["power_kw"].sum().max()) / 1000.0 if len(st) else 0.0
    files: dict[str, str] = {}
    if job.keep_files:
        files = plan_files(result)
        files.update(job.extra_files)
    return JobResult(job.name, result.summary.status, result.summary, purchases, peak, files,
                     seconds=time.perf_counter() - t0), result


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _crashed(job: Job, exc: BaseException) -> JobResult:
    msg = f"{type(exc).__name__}: {exc}"
    return JobResult(job.name, f"error: worker failed: {_first_line(msg)}", message=msg,
                     files=dict(job.extra_files))


def run_serial(jobs: Sequence[Job], on_done: DoneFn | None = None) -> list[JobResult]:
    out: list[JobResult] = []
    for chain in chains(jobs):
        for i, res in zip(chain, run_chain([jobs[i] for i in chain]), strict=True):
            out.append(res)
            if on_done:
                on_done(i, res)
    return out


def _worker_init() -> None:
    """Worker processes never handle Ctrl-C (they were started ignoring it, see
    `_sigint_ignored`; this covers a pool started outside the main thread): the caller
    stops them (`_stop`), so none prints a traceback.

    The solver stack (Pyomo) creates a multiprocessing Lock when imported. Under a
    worker's own default start method ('spawn') that is a named semaphore, which the
    resource tracker reports as "leaked" when the worker is stopped; under 'fork' it is
    unlinked at once. A worker starts no processes, so its default only decides that."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
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


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Worker processes started in here ignore Ctrl-C from their first instruction (a
    child inherits an ignored signal, and Python then installs no KeyboardInterrupt
    handler), so a Ctrl-C while one is still importing prints no traceback. The pool
    starts its processes in `submit`. Only the main thread may set signal handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old if old is not None else signal.default_int_handler)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop at once (Ctrl-C): drop the queued chains and end the worker processes, which
    a plain shutdown would let finish the plans they are solving."""
    # The pool's processes: no public way to end them before Python 3.14.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        p.terminate()
    for p in processes:
        p.join()


def _died(job: Job) -> JobResult:
    msg = ("its worker process ended abruptly (killed, out of memory, or crashed) while "
           "planning it")
    return JobResult(job.name, f"error: worker failed: {msg}", message=msg,
                     files=dict(job.extra_files))


def _run_pool(jobs: Sequence[Job], todo: deque[list[int]], workers: int,
              finish: Callable[[list[int], list[JobResult]], None]) -> list[list[int]]:
    """Plan the chains in `todo` (taking them from it) in one pool of `workers` processes,
    at most `workers` chains at a time, so a worker that dies can only have held one of
    those. Returns the chains that were in flight when a worker died; the pool is then
    unusable, and the chains still in `todo` were never sent."""
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context(),
                               initializer=_worker_init)
    running: dict[Future[list[JobResult]], list[int]] = {}
    suspects: list[list[int]] = []
    broken = False
    try:
        while running or (todo and not broken):
            while todo and len(running) < workers and not broken:
                chain = todo.popleft()
                try:
                    with _sigint_ignored():
                        fut = pool.submit(run_chain, [jobs[i] for i in chain])
                except BrokenProcessPool:  # a worker died since the last result
                    todo.appendleft(chain)
                    broken = True
                else:
                    running[fut] = chain
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                chain = running.pop(fut)
                try:
                    res = fut.result()
                except BrokenProcessPool:  # this chain or another one in flight killed it
                    suspects.append(chain)
                    broken = True
                    continue
                except Exception as exc:  # noqa: BLE001 - a failed call fails its jobs only
                    res = [_crashed(jobs[i], exc) for i in chain]
                finish(chain, res)
    except BaseException:  # Ctrl-C: stop the workers now, plan nothing more
        _stop(pool)
        raise
    pool.shutdown(wait=True)
    return suspects


def run_local(jobs: Sequence[Job], workers: int, on_done: DoneFn | None = None
              ) -> list[JobResult]:
    """Jobs in `workers` fresh worker processes (a `ProcessPoolExecutor`); this process
    only hands out chains (`chains`: a sweep's warm-started chain goes to one worker as a
    whole) and collects the results, in the jobs' order.

    A worker process that dies (killed, out of memory, a crash in the solver) breaks its
    pool: the chains in flight then are each planned again alone, in a pool of their own,
    and one that kills that worker too fails (`error: worker failed: ...`); the others keep
    their plans, and the chains not yet sent go on in a fresh pool. The outcome does not
    depend on which worker took which chain.
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
        for chain in _run_pool(jobs, todo, n, finish):
            if _run_pool(jobs, deque([chain]), 1, finish):  # alone, and it died again
                finish(chain, [_died(jobs[i]) for i in chain])
    return [r for r in results if r is not None]


class ClusterError(PlannerError):
    """The Dask scheduler cannot be used (not installed, unreachable)."""

    exit_code = 1


def _dask_client(address: str, timeout_s: float) -> Any:
    try:
        from distributed import Client
    except ImportError:
        raise ClusterError(
            "--scheduler needs Dask distributed, which is not installed; install it with "
            "pip install 'planner[cluster]' (or: pip install distributed)") from None
    try:
        return Client(address, timeout=f"{timeout_s}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address!r}: {exc}") from None


def run_dask(jobs: Sequence[Job], address: str, on_done: DoneFn | None = None,
             timeout_s: float = 30.0) -> list[JobResult]:
    """Jobs on a Dask distributed cluster (the scheduler at `address`)."""
    client = _dask_client(address, timeout_s)
    from distributed import as_completed

    results: list[JobResult | None] = [None] * len(jobs)
    units = chains(jobs)
    try:
        keys = [f"planner-{os.getpid()}-{time.time_ns()}-{k}" for k in range(len(units))]
        futures = [client.submit(run_chain, [jobs[i] for i in chain], key=key, pure=False,
                                 retries=0)
                   for chain, key in zip(units, keys, strict=True)]
        index = {f.key: k for k, f in enumerate(futures)}
        for fut in as_completed(futures, loop=client.loop):
            chain = units[index[fut.key]]
            try:
                res = fut.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker fails its jobs only
                res = [_crashed(jobs[i], exc) for i in chain]
            for i, r in zip(chain, res, strict=True):
                results[i] = r
                if on_done:
                    on_done(i, r)
    finally:
        client.close()
    return [r for r in results if r is not None]


def run_jobs(jobs: Sequence[Job], workers: int | None = None, scheduler: str | None = None,
             on_done: DoneFn | None = None) -> list[JobResult]:
    """Run every job and return the results in the jobs' order.

    `scheduler`: a Dask scheduler address (``tcp://host:8786``); otherwise `workers` local
    processes (default: all cores); ``workers=1`` runs serially in this process.
    """
    if scheduler:
        return run_dask(jobs, scheduler, on_done)
    n = default_workers() if workers is None else workers
    if n <= 1 or len(jobs) <= 1:
        return run_serial(jobs, on_done)
    return run_local(jobs, n, on_done)
