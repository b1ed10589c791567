"""Run many plans: serially, in local worker processes, or on a Dask distributed cluster.

Each plan is a `Job`: a variant's name and its loaded `Inputs` (or the reason it could not
be loaded). A worker runs `run_chain(jobs)` and returns a `JobResult` per job, carrying the
summary, the purchases and the text of every plan file, so the caller writes the files on
its own machine (cluster workers need only the `planner` package, not the caller's files).

Failures are per job: an invalid or infeasible variant comes back as a result with that
status and never stops the others. Results come back in the jobs' order, whatever the
order they finish in.

Local workers: `--workers N` plans N jobs at a time in N fresh worker processes of a
standard `ProcessPoolExecutor` (`planner.whatif.pool.run_local`); a Dask cluster:
`planner.whatif.cluster.run_dask`; one job and one process: `planner.whatif.jobs`.

Threads: several HiGHS instances side by side each get one thread (`threads=1`) unless the
caller asks for another number, so N workers use N cores, not N x all cores. Serial runs
use the same setting, so a plan is the same whichever way it was run.
"""

from __future__ import annotations

from collections.abc import Sequence

from planner.whatif.cluster import run_dask
from planner.whatif.jobs import DoneFn, Job, JobResult, default_workers, run_serial
from planner.whatif.pool import KeptPool, run_local

__all__ = ["KeptPool", "run_jobs"]


def run_jobs(jobs: Sequence[Job], workers: int | None = None, scheduler: str | None = None,
             on_done: DoneFn | None = None, kept: KeptPool | None = None
             ) -> list[JobResult]:
    """Run every job and return the results in the jobs' order.

    `scheduler`: a Dask scheduler address (``tcp://host:8786``); otherwise `workers` local
    processes (default: all cores); ``workers=1`` runs serially in this process. `kept`:
    local workers kept from one call to the next (`planner.whatif.pool.KeptPool`), for
    runs made of rounds.
    """
    if scheduler:
        return run_dask(jobs, scheduler, on_done)
    n = default_workers() if workers is None else workers
    if n <= 1 or len(jobs) <= 1:
        return run_serial(jobs, on_done)
    return run_local(jobs, n, on_done, kept)
