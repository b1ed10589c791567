"""Plans on a Dask distributed cluster (`--scheduler`): each chain of jobs is one task
that runs `planner.whatif.jobs.run_chain` on a worker."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

from planner.errors import PlannerError
from planner.whatif.jobs import DoneFn, Job, JobResult, chains, crashed, run_chain


class ClusterError(PlannerError):
    """The Dask scheduler cannot be used (not installed, unreachable)."""

    exit_code = 1


def _dask_client(address: str, timeout_s: float) -> Any:
    try:  # Dask is optional (pip install 'planner[cluster]'): imported only when asked for
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
                    res = [crashed(jobs[i], exc) for i in chain]
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
