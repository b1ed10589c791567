"""What-if variants: named merged scenarios, planned together by the runner.

A `Variant` is a merged scenario (or the reason it could not be built). `run_variants`
plans a list of them (`planner.whatif.runner`) and returns a `JobResult` each, in order;
`result_files` lays the results out as plan folders, one per variant.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from planner.errors import InputError
from planner.io.output import MERGED_FILE, OPTIONAL_CSV_FILES, PLAN_FILES, REPORT_SET
from planner.whatif.jobs import FilesFn, Job, JobResult
from planner.whatif.overlays import InputsCache, MergedScenario, merge_scenario
from planner.whatif.runner import run_jobs

#: what a variant's folder holds instead of plan files when it has no plan
ERROR_FILE = "error.txt"


@dataclass(frozen=True)
class Variant:
    """A named merged scenario, or the error that kept it from being built."""

    name: str
    merged: MergedScenario | None
    error: str | None = None


@dataclass(frozen=True)
class RunSettings:
    """How the plans of a what-if run are made: in `workers` local processes (None: all
    cores; 1: serially, in this process) or on the Dask scheduler at `scheduler`, with
    `threads` HiGHS threads each (None: 1), and per plan the solver's time limit and
    relative MIP gap (None: the scenario's own). `plan_files`: what a kept plan's folder
    holds (`planner.whatif.jobs.FilesFn`; None: the plan files; the workflow passes the
    plan report's for ``--reports``)."""

    workers: int | None = None
    scheduler: str | None = None
    threads: int | None = None
    time_limit_s: float | None = None
    mip_rel_gap: float | None = None
    plan_files: FilesFn | None = None


class RunProgress(Protocol):
    """A display of a what-if run: told how many plans there are, then each result as
    its plan finishes (in any order)."""

    def start(self, total: int) -> None: ...

    def done(self, result: JobResult) -> None: ...


def unique_names(names: Sequence[str]) -> list[str]:
    """The names made safe as folder names, a clash suffixed ``-2``, ``-3``, ...

    Only letters, digits and ``._=+-`` are kept (others become ``_``), and leading dots
    are dropped: a what-if file named ``..yaml`` or ``...yaml`` (stems ``.`` and ``..``)
    must not name the output folder itself or its parent, and no variant is hidden. A
    name left empty is ``variant``."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        clean = re.sub(r"[^A-Za-z0-9._=+-]", "_", n).lstrip(".") or "variant"
        if clean in seen:
            seen[clean] += 1
            clean = f"{clean}-{seen[clean]}"
        else:
            seen[clean] = 1
        out.append(clean)
    return out


def error_text(exc: InputError) -> str:
    """Every issue of an input error on one line."""
    return "; ".join(str(i) for i in exc.issues)


def variant(name: str, base: Path, base_data: dict[str, Any], overlays: Sequence[Any],
            sets: Sequence[Any]) -> Variant:
    """The base with `overlays` and then `sets` applied, as a variant named `name`; an
    invalid merge gives a variant that carries its error (it fails alone)."""
    try:
        return Variant(name, merge_scenario(base, overlays, sets, base_data=base_data))
    except InputError as exc:
        return Variant(name, None, error_text(exc))


def penalty_price(merged: MergedScenario | None) -> float | None:
    """The scenario's unmet-demand price, USD per million tokens (None if it is invalid)."""
    if merged is None:
        return None
    try:
        return float(merged.scenario().options.unmet_penalty_usd_per_mtok)
    except InputError:
        return None


def _jobs(variants: Sequence[Variant], settings: RunSettings, keep_files: bool,
          chain: int) -> list[Job]:
    """A job per variant. With `chain` > 1 the variants after the first (a sweep's
    points) go in chains of that many, each point starting from the previous one's plan
    (`planner.whatif.runner.chains`)."""
    jobs = []
    cache = InputsCache()
    for k, v in enumerate(variants):
        extra: dict[str, str] = {}
        inputs = None
        error = v.error
        if v.merged is not None:
            extra[MERGED_FILE] = v.merged.to_yaml()
            try:
                inputs = v.merged.inputs(cache)
            except InputError as exc:
                error = error_text(exc)
        warm = chain > 1 and k >= 1 and (k - 1) % chain != 0
        jobs.append(Job(v.name, inputs, error, settings.threads, settings.time_limit_s,
                        settings.mip_rel_gap, keep_files, extra if keep_files else {},
                        warm_from_previous=warm, files_fn=settings.plan_files))
    return jobs


def run_variants(variants: Sequence[Variant], settings: RunSettings, *, keep_files: bool,
                 chain: int = 1, progress: RunProgress | None = None) -> list[JobResult]:
    """Plan every variant (a failed one comes back with its status, never raised) and
    return the results in the variants' order. `keep_files`: the results carry their
    plan files and merged scenario. Raises `planner.whatif.runner.ClusterError` when
    the Dask scheduler cannot be used."""
    jobs = _jobs(variants, settings, keep_files, chain)
    if progress is not None:
        progress.start(len(jobs))

    def on_done(_i: int, res: JobResult) -> None:
        if progress is not None:
            progress.done(res)

    return run_jobs(jobs, workers=settings.workers, scheduler=settings.scheduler,
                    on_done=on_done)


def result_files(results: Sequence[JobResult], prefix: str = ""
                 ) -> tuple[dict[str, str | bytes], list[str]]:
    """Each result's files as `<prefix><name>/<file>`, and the stale files to remove with
    them: a failed plan leaves an `error.txt` and no plan files of an older run; a plan
    leaves no older `error.txt`, and a plan without a report no older report (or its
    analyses). The caller writes them with its own tables as one set."""
    files: dict[str, str | bytes] = {}
    remove: list[str] = []
    for res in results:
        d = f"{prefix}{res.name}/"
        mine = dict(res.files)
        if not res.ok:
            remove += [d + name for name in (*PLAN_FILES, *OPTIONAL_CSV_FILES.values(),
                                             MERGED_FILE) if name not in mine]
            mine[ERROR_FILE] = f"{res.status}\n\n{res.message}\n"
        else:
            remove.append(d + ERROR_FILE)
            remove += [d + name for name in OPTIONAL_CSV_FILES.values() if name not in mine]
        remove += [d + name for name in REPORT_SET if name not in mine]
        files.update({d + name: text for name, text in mine.items()})
    return files, remove
