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
import sys
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
#: how often the loop handing out chains looks for a Ctrl-C or SIGTERM (`_StopRequest`)
STOP_CHECK_S = 0.2
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
    files: dict[str, str | bytes] = field(default_factory=dict)
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
    files: dict[str, str | bytes] = {}
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


def _worker_init(parent_pid: int) -> None:
    """Set up a worker process: it dies with its parent and never handles Ctrl-C.

    Ctrl-C: the worker was started with SIGINT blocked (`_signals_blocked`); it now
    ignores SIGINT and unblocks it, so a Ctrl-C sent to the whole process group (as a
    terminal sends it) is discarded here, and the caller stops the workers (`_stop`), so
    none prints a traceback.

    Death with the parent: a parent killed outright (`kill -9`, or SIGTERM outside the
    CLI) cannot stop its pool, so each worker watches it (`_die_with_parent`).

    The solver stack (Pyomo) creates a multiprocessing Lock when imported. Under a
    worker's own default start method ('spawn') that is a named semaphore, which the
    resource tracker reports as "leaked" when the worker is stopped; under 'fork' it is
    unlinked at once. A worker starts no processes, so its default only decides that."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _die_with_parent(parent_pid)
    if "fork" in multiprocessing.get_all_start_methods():
        multiprocessing.set_start_method("fork", force=True)


#: how often a worker checks that its parent is alive where the kernel cannot tell it
PARENT_CHECK_S = 1.0


def _die_with_parent(parent_pid: int) -> None:
    """End this process when `parent_pid` ends.

    On Linux the kernel sends SIGKILL the moment the parent dies
    (`prctl(PR_SET_PDEATHSIG)`). Everywhere, a daemon thread also checks every
    `PARENT_CHECK_S` whether the process has been re-parented, and exits if so (this
    also covers a parent that died before the `prctl`)."""
    if sys.platform.startswith("linux"):
        import ctypes  # only for prctl, only on Linux

        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
    if os.getppid() != parent_pid:
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_S)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="planner-parent-watch", daemon=True).start()


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
def _signals_blocked() -> Iterator[None]:
    """Worker processes started in here start with SIGINT blocked (a child inherits the
    signal mask), so a Ctrl-C while one is still importing prints no traceback there;
    `_worker_init` then ignores and unblocks it. In this process a Ctrl-C that arrives
    meanwhile stays pending and is handled when the block ends: none is lost. The pool
    starts its processes in `submit`."""
    if not hasattr(signal, "pthread_sigmask"):  # not POSIX: ignore it meanwhile instead
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, old if old is not None else signal.default_int_handler)
        return
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)


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
        been without the pool (KeyboardInterrupt for Ctrl-C; SIGTERM's default, ending
        this process, once no worker is left)."""
        if self.signum is None:
            return
        _stop(pool)
        if self.signum == signal.SIGTERM:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
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


def _run_pool(jobs: Sequence[Job], todo: deque[list[int]], workers: int,
              finish: Callable[[list[int], list[JobResult]], None]) -> list[list[int]]:
    """Plan the chains in `todo` (taking them from it) in one pool of `workers` processes,
    at most `workers` chains at a time, so a worker that dies can only have held one of
    those. Returns the chains that were in flight when a worker died; the pool is then
    unusable, and the chains still in `todo` were never sent."""
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context(),
                               initializer=_worker_init, initargs=(os.getpid(),))
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
                        with _signals_blocked():
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
                        res = [_crashed(jobs[i], exc) for i in chain]
                    finish(chain, res)
    except BaseException:  # a stop, or an error in `finish`: end the workers now
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


#: how long a Dask run waits with no worker in the cluster before it fails the jobs left
NO_WORKERS_TIMEOUT_S = 60.0
#: how often a Dask run looks for finished jobs, and for workers in the cluster
DASK_POLL_S, DASK_WORKERS_CHECK_S = 0.05, 1.0


def _no_workers(job: Job, address: str, waited_s: float) -> JobResult:
    msg = (f"the Dask cluster at {address} had no worker for {waited_s:.0f} s (every "
           "worker died or left); start workers and run it again")
    return JobResult(job.name, f"error: {msg}", message=msg, files=dict(job.extra_files))


def run_dask(jobs: Sequence[Job], address: str, on_done: DoneFn | None = None,
             timeout_s: float = 30.0, no_workers_timeout_s: float = NO_WORKERS_TIMEOUT_S
             ) -> list[JobResult]:
    """Jobs on a Dask distributed cluster (the scheduler at `address`).

    A scheduler left without any worker would hold the jobs for ever; after
    `no_workers_timeout_s` without one, the jobs not finished fail with a message saying
    so, and the others keep their results."""
    client = _dask_client(address, timeout_s)
    results: list[JobResult | None] = [None] * len(jobs)
    units = chains(jobs)

    def finish(chain: list[int], res: list[JobResult]) -> None:
        for i, r in zip(chain, res, strict=True):
            results[i] = r
            if on_done:
                on_done(i, r)

    try:
        keys = [f"planner-{os.getpid()}-{time.time_ns()}-{k}" for k in range(len(units))]
        futures = [client.submit(run_chain, [jobs[i] for i in chain], key=key, pure=False,
                                 retries=0)
                   for chain, key in zip(units, keys, strict=True)]
        pending = dict(zip(futures, units, strict=True))
        alone_since: float | None = None
        checked = time.monotonic()
        while pending:
            done = [f for f in pending if f.done()]
            if not done and time.monotonic() - checked < DASK_WORKERS_CHECK_S:
                time.sleep(DASK_POLL_S)
                continue
            for fut in done:
                chain = pending.pop(fut)
                try:
                    res = fut.result()
                except Exception as exc:  # noqa: BLE001 - a lost worker fails its jobs only
                    res = [_crashed(jobs[i], exc) for i in chain]
                finish(chain, res)
            if not pending or time.monotonic() - checked < DASK_WORKERS_CHECK_S:
                continue
            checked = time.monotonic()
            if client.scheduler_info().get("workers"):
                alone_since = None
                continue
            now = time.monotonic()
            alone_since = now if alone_since is None else alone_since
            if now - alone_since >= no_workers_timeout_s:
                client.cancel(list(pending))
                for chain in pending.values():
                    finish(chain, [_no_workers(jobs[i], address, now - alone_since)
                                   for i in chain])
                pending.clear()
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
