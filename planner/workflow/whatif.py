"""`planner compare`, `planner sweep`, `planner new-hall` and `planner sensitivity` as
library functions.

Each refuses an unusable output folder before any plan, plans the variants
(`planner.whatif`), and with `out` writes its table (CSV), its page (HTML,
`planner.report.whatif`) and any plan folders into `out` as one atomic set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from planner.io.atomic import write_files
from planner.io.output import check_output_dir, frame_to_csv
from planner.report import REPORT_FILES, variant_report_files
from planner.report.whatif import comparison_page, new_hall_page, sensitivity_page, sweep_page
from planner.whatif.compare import Comparison, run_compare
from planner.whatif.hallbuild import HallDecision, decision_frame, decision_lines, run_hall_decision
from planner.whatif.jobs import JobResult
from planner.whatif.newhall import NewHall, run_new_hall
from planner.whatif.sensitivity import DEFAULT_TAGS, Sensitivity, run_sensitivity
from planner.whatif.sweep import Sweep, parse_values, parse_vary, run_sweep
from planner.whatif.variants import RunProgress, RunSettings, result_files

#: the table and the page each command writes
COMPARISON_FILES = ("comparison.csv", "comparison.html")
SWEEP_FILES = ("sweep.csv", "sweep.html")
NEW_HALL_FILES = ("new_hall.csv", "new_hall.html")
SENSITIVITY_FILES = ("sensitivity.csv", "sensitivity.html")
#: what `planner new-hall` (the build decision) writes: the answer, the re-solves of the
#: break-even search, and the decision's plan in ``plan/``
NEW_HALL_DECISION_FILES = ("new_hall.txt", "new_hall_probes.csv")
DECISION_PLAN_FOLDER = "plan/"
#: where a sweep's plan folders go (`plans=True`), one per point
POINTS_FOLDER = "points/"
#: where `planner new-hall --sensitivity --reports` puts a folder per plan
NEW_HALL_PLANS_FOLDER = "plans/"


def _with_reports(settings: RunSettings | None, reports: bool) -> RunSettings:
    """The run's settings; with `reports`, each kept plan's folder holds the plan report
    (`planner.report.variant_report_files`: the files `planner plan` writes)."""
    settings = settings or RunSettings()
    return replace(settings, plan_files=variant_report_files) if reports else settings


def report_links(results: Sequence[JobResult], prefix: str = "") -> dict[str, str]:
    """The relative path of each plan's report.html, by plan name (plans only)."""
    return {r.name: f"{prefix}{r.name}/{REPORT_FILES[1]}" for r in results
            if r.ok and REPORT_FILES[1] in r.files}


def compare(base: Path, what_ifs: Sequence[Path] = (), sets: Sequence[str] = (),
            out: Path | None = None, settings: RunSettings | None = None, *,
            timings: bool = False, progress: RunProgress | None = None,
            reports: bool = False) -> Comparison:
    """Plan the base and each what-if side by side (`planner.whatif.compare`). With
    `out`: the table, the page, and each plan in its own folder (the base in ``base/``, a
    what-if named after its file; a failed one holds its ``error.txt``); with `reports`
    each folder holds the plan's full report too, linked from the page."""
    if out is not None:
        check_output_dir(out, [])
    cmp = run_compare(base, what_ifs, sets, _with_reports(settings, reports),
                      keep_plans=out is not None, timings=timings, progress=progress)
    if out is not None:
        plans, stale = result_files(cmp.results)
        table, page = COMPARISON_FILES
        write_files(out, {table: frame_to_csv(cmp.table),
                          page: comparison_page(cmp, report_links(cmp.results)), **plans},
                    remove=stale)
    return cmp


def sweep(base: Path, vary: Sequence[str], what_ifs: Sequence[Path] = (),
          sets: Sequence[str] = (), out: Path | None = None,
          settings: RunSettings | None = None, *, plans: bool = False, chain: int = 4,
          timings: bool = False, progress: RunProgress | None = None,
          reports: bool = False) -> Sweep:
    """Plan every point of the grid the `vary` specs make (``PATH=START:STOP:STEP`` or
    ``PATH=v1,v2``; `planner.whatif.sweep`). With `out`: the table and the page, and with
    `plans` each point's plan in ``points/<n>/`` (the base's in ``points/base/``); with
    `reports` those folders (written then) hold each plan's full report too, linked from
    the page."""
    axes = [parse_vary(v) for v in vary]
    plans = plans or reports
    if out is not None:
        check_output_dir(out, [])
    sw = run_sweep(base, axes, what_ifs, sets, _with_reports(settings, reports), chain=chain,
                   keep_plans=plans and out is not None, timings=timings, progress=progress)
    if out is not None:
        files, stale = result_files(sw.all_results, POINTS_FOLDER) if plans else ({}, [])
        table, page = SWEEP_FILES
        links = report_links(sw.all_results, POINTS_FOLDER)
        write_files(out, {table: frame_to_csv(sw.table), page: sweep_page(sw, links),
                          **files}, remove=stale)
    return sw


def new_hall(base: Path, site: str, sizes: str, opens: str, out: Path | None = None,
             settings: RunSettings | None = None, *, like: str | None = None,
             tolerance_usd: float | None = None, what_ifs: Sequence[Path] = (),
             sets: Sequence[str] = (), chain: int = 4,
             progress: RunProgress | None = None, reports: bool = False) -> NewHall:
    """Plan the base without the hall `site` and with it at every size (MW, `sizes`:
    ``START:STOP:STEP`` or ``10,20,40``) and opening period (`opens`: ``2027Q3,2028Q1``;
    `planner.whatif.newhall`). With `out`: the table and the page; with `reports` each
    plan's folder in ``plans/<name>/`` with its full report, linked from the page."""
    size_vals = parse_values(sizes, "--sizes")
    open_vals = parse_values(opens, "--open")
    if out is not None:
        check_output_dir(out, [])
    nh = run_new_hall(base, site, size_vals, open_vals, _with_reports(settings, reports),
                      like=like, what_ifs=what_ifs, sets=sets, tolerance_usd=tolerance_usd,
                      chain=chain, progress=progress, keep_plans=reports and out is not None)
    if out is not None:
        files, stale = (result_files(nh.all_results, NEW_HALL_PLANS_FOLDER) if reports
                        else ({}, []))
        table, page = NEW_HALL_FILES
        links = report_links(nh.all_results, NEW_HALL_PLANS_FOLDER)
        write_files(out, {table: frame_to_csv(nh.table), page: new_hall_page(nh, links),
                          **files}, remove=stale)
    return nh


def new_hall_decision(base: Path, site: str, build: Mapping[str, object],
                      out: Path | None = None, settings: RunSettings | None = None, *,
                      hall: Mapping[str, object] | None = None, like: str | None = None,
                      what_ifs: Sequence[Path] = (), sets: Sequence[str] = (),
                      search: bool = True, progress: RunProgress | None = None,
                      reports: bool = False) -> HallDecision:
    """`planner new-hall`: one optimisation in which the hall `site` is a build decision
    (`planner.whatif.hallbuild`), and the capex per MW at which its answer changes. With
    `out`: the answer (``new_hall.txt``), the re-solves (``new_hall_probes.csv``) and the
    decision's plan files in ``plan/`` (with `reports`, its full report too)."""
    if out is not None:
        check_output_dir(out, [])
    d = run_hall_decision(base, site, build, _with_reports(settings, reports), hall=hall,
                          like=like,
                          what_ifs=what_ifs, sets=sets, search=search, progress=progress)
    if out is not None:
        answer, probes = NEW_HALL_DECISION_FILES
        plan = {DECISION_PLAN_FOLDER + name: text for name, text in d.result.files.items()}
        write_files(out, {answer: "\n".join(decision_lines(d)) + "\n",
                          probes: frame_to_csv(decision_frame(d)), **plan})
    return d


def sensitivity(base: Path, out: Path | None = None, settings: RunSettings | None = None, *,
                params: Sequence[str] = (), range_pct: float = 50.0, candidates: int = 2,
                tags: Sequence[str] = DEFAULT_TAGS, what_ifs: Sequence[Path] = (),
                sets: Sequence[str] = (), progress: RunProgress | None = None
                ) -> Sensitivity:
    """Which estimates matter (`planner.whatif.sensitivity`): for each figure searched,
    the change at which the purchase decision flips and the cost of it being 20% wrong.
    With `out`: ``sensitivity.csv`` and ``sensitivity.html``, written together, only when
    the base could be planned."""
    if out is not None:
        check_output_dir(out, list(SENSITIVITY_FILES))
    sens = run_sensitivity(base, settings or RunSettings(), params=params,
                           range_pct=range_pct, candidates=candidates, tags=tags,
                           what_ifs=what_ifs, sets=sets, progress=progress)
    if out is not None and sens.base.ok:
        table, page = SENSITIVITY_FILES
        write_files(out, {table: frame_to_csv(sens.table), page: sensitivity_page(sens)})
    return sens
