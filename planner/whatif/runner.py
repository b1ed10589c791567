"""Run many plans: serially, in local worker processes, or on a Dask distributed cluster.

Each plan is a `Job`: a variant's name and its loaded `Inputs` (or the reason it could not
be loaded). A worker runs `run_chain(jobs)` and returns a `JobResult` per job, carrying the
summary, the purchases and the text of every plan file, so the caller writes the files on
its own machine (cluster workers need only the `planner` package, not the caller's files).

Failures are per job: an invalid or infeasible variant comes back as a result with that
status and never stops the others. Results come back in the jobs' order, whatever the
order they finish in.

Local workers: `--workers N` plans N jobs at a time, one in this process and N - 1 in
fresh worker processes, all taking the next job from one queue (see `run_local`).

Threads: several HiGHS instances side by side each get one thread (`threads=1`) unless the
caller asks for another number, so N workers use N cores, not N x all cores. Serial runs
use the same setting, so a plan is the same whichever way it was run.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from planner.errors import InfeasibleError, InputError, PlannerError, SolverError

if TYPE_CHECKING:
    from planner.inputs.loader import Inputs

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
    summary: dict[str, Any] | None = None
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
    from planner.io.output import plan_files  # pandas: start_early runs before it is needed

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
    summary = dict(result.summary)
    return JobResult(job.name, str(summary["status"]), summary, purchases, peak, files,
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


def _warm() -> None:
    """Worker initializer: import the solver stack once, before the first job."""
    import planner.api  # noqa: F401
    import planner.core.model  # noqa: F401


def _ready() -> bool:
    """A no-op a worker runs first: its answer says the worker process is up."""
    return True


#: What the fork server imports once for every worker: the solver stack, and the caller's
#: main script (for the `planner` console script: the CLI), which every worker would
#: otherwise import again (`python -m planner` needs no main script: none is imported).
PRELOAD = ["planner._forkserver", "__main__", "planner.api", "planner.core.model"]

#: Commands that plan in worker processes, and the options that keep them serial.
PARALLEL_COMMANDS = ("compare", "sweep", "new-hall")


def start_early(argv: Sequence[str]) -> None:
    """Called first thing by the command line: for a command that will plan in local
    worker processes, start their fork server now, so it imports the solver stack while
    this process imports the rest of the CLI (about a second each on one core)."""
    if not argv or argv[0] not in PARALLEL_COMMANDS or any(
            a in ("--help", "-h", "--scheduler") or a.startswith("--scheduler=") for a in argv):
        return
    workers = None
    for k, a in enumerate(argv):
        value = None
        if a in ("--workers", "-j") and k + 1 < len(argv):
            value = argv[k + 1]
        elif a.startswith("--workers="):
            value = a.split("=", 1)[1]
        if value is not None:
            try:
                workers = int(value)
            except ValueError:
                return  # the CLI will refuse it
    try:
        warm_up(workers, None, 2)
    except Exception:  # noqa: BLE001 - only a head start: the pool starts it later anyway
        return


def _context() -> multiprocessing.context.BaseContext:
    """Fresh worker processes, never a fork of this one (which may hold HiGHS threads).

    Where available a fork server is used: it imports the solver stack once and forks
    each worker from that clean process, so workers start without re-importing Pyomo.
    Elsewhere (Windows) workers are spawned. Both need only top-level, picklable
    functions and arguments (`run_chain`, `Job`).
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


def warm_up(workers: int | None, scheduler: str | None, jobs: int) -> None:
    """Start the fork server now, so it imports the solver stack while the caller still
    reads and merges scenarios (only when `jobs` plans will run in local workers)."""
    if scheduler or jobs <= 1:
        return
    if (default_workers() if workers is None else workers) <= 1:
        return
    if "forkserver" in multiprocessing.get_all_start_methods():
        _context()
        from multiprocessing import forkserver

        forkserver.ensure_running()


def run_local(jobs: Sequence[Job], workers: int, on_done: DoneFn | None = None
              ) -> list[JobResult]:
    """Jobs `workers` at a time: this process plans jobs itself, in the jobs' order, while
    `workers - 1` fresh worker processes (safe with HiGHS's threads) start and take the
    rest from the same queue. A chain of jobs (`chains`) goes to one side as a whole.

    This process starts planning at once, as a serial run does, so the seconds a worker
    process takes to start (a fresh interpreter importing Pyomo) are spent planning here
    rather than waiting. A chain goes to whichever side is free next, so the split between
    this process and the workers differs from run to run, but each chain is planned by the
    same `run_chain` with the same options, and the results do not depend on where it ran.
    A worker process that dies fails only the jobs it held; the other chains go on.
    """
    units = chains(jobs)
    n = max(1, min(workers, len(units)))
    if n <= 1:
        return run_serial(jobs, on_done)
    results: list[JobResult | None] = [None] * len(jobs)
    lock = threading.Lock()
    cursor = [0]
    stop = threading.Event()

    def left() -> int:
        with lock:
            return 0 if stop.is_set() else len(units) - cursor[0]

    def take() -> list[int] | None:
        with lock:
            if stop.is_set() or cursor[0] >= len(units):
                return None
            cursor[0] += 1
            return units[cursor[0] - 1]

    def finish(chain: list[int], res: list[JobResult]) -> None:
        with lock:
            for i, r in zip(chain, res, strict=True):
                results[i] = r
                if on_done:
                    on_done(i, r)

    def crashed(chain: list[int], exc: BaseException) -> list[JobResult]:
        return [_crashed(jobs[i], exc) for i in chain]

    pool = ProcessPoolExecutor(max_workers=n - 1, mp_context=_context(), initializer=_warm)

    def feed() -> None:
        """Keep one worker process busy: hand it the next chain when it is done. Until
        the worker process is up, this process takes every chain itself."""
        try:
            up = pool.submit(_ready)
            while not up.done():
                if left() == 0:  # all taken before the worker was up: it is not needed
                    return
                wait([up], timeout=0.05)
            up.result()
        except Exception:  # noqa: BLE001 - no worker: this process plans everything
            return
        while (chain := take()) is not None:
            try:
                res = pool.submit(run_chain, [jobs[i] for i in chain]).result()
            except BrokenExecutor as exc:  # a worker died: its jobs fail, the rest go on
                finish(chain, crashed(chain, exc))
                return
            except Exception as exc:  # noqa: BLE001 - a failed call fails its jobs only
                res = crashed(chain, exc)
            except BaseException as exc:  # Ctrl-C reached the worker: this process stops too
                finish(chain, crashed(chain, exc))
                return
            finish(chain, res)

    feeders = [threading.Thread(target=feed, name=f"planner-worker-{k + 1}", daemon=True)
               for k in range(n - 1)]
    try:
        for t in feeders:
            t.start()
        while (chain := take()) is not None:
            finish(chain, run_chain([jobs[i] for i in chain]))
        for t in feeders:
            t.join()
    except BaseException:  # Ctrl-C: take no more jobs, drop the queued ones
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=False, cancel_futures=True)  # a worker still starting is not waited for
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
