"""Decision report: `report.md` and a self-contained `report.html` from a plan folder.

The report reads only the plan folder (the CSV tables, summary.json, and the analysis
tables `limits.csv`, `marginal_values.csv`, `baselines.csv` written beside them), never
the solver model, so `planner report DIR` rebuilds it from the folder alone. The HTML
has its charts as inline SVG, no script and no network reference, and prints on A4.

`plan_set` computes every file of a fresh plan in memory (the plan tables, the analysis
tables from re-solves and baselines, the report built from them), for `planner plan` to
write as one set; it imports the solver stages lazily, so importing this package never
imports Pyomo.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.analysis.verdicts import plan_standing
from planner.deadline import (
    ANALYSIS_SHARE,
    CUT_SHORT,
    MIN_ANALYSIS_S,
    CutShort,
    Deadline,
    analysis_budget_s,
    post_solve_reserve,
)
from planner.errors import InputError, Issue
from planner.fmt import pct
from planner.io.atomic import write_files
from planner.io.output import ANALYSIS_FILES, REPORT_FILES, frame_to_csv, plan_files
from planner.report.content import build
from planner.report.document import Report
from planner.report.folder import PlanFolder, folder_from_texts, load_folder
from planner.report.render import to_html, to_markdown

if TYPE_CHECKING:
    from planner.api import PlanResult

__all__ = ["ANALYSIS_FILES", "REPORT_FILES", "PlanFolder", "Report", "build",
           "folder_from_texts", "load_folder", "plan_set", "report_files", "to_html",
           "to_markdown", "variant_report_files", "write_report"]

ProgressFn = Callable[[str, int, int, str], None]


def report_files(folder: str | Path) -> dict[str, str]:
    """The report texts of a plan folder: {'report.md': ..., 'report.html': ...}."""
    pf = load_folder(folder)
    try:
        rep = build(pf)
        return {"report.md": to_markdown(rep), "report.html": to_html(rep)}
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as exc:
        # the files passed the folder's checks but do not fit together (edited by hand,
        # or written by another version): the user's files, not a planner bug
        raise InputError([Issue(str(folder), "", "cannot build the report from these "
                                f"files (edited, or written by another planner version?): "
                                f"{type(exc).__name__}: {exc}")]) from exc


def write_report(folder: str | Path) -> list[Path]:
    """(Re)write report.md and report.html in a plan folder, from its files alone."""
    return write_files(Path(folder), report_files(folder))


def plan_set(result: PlanResult, out: str | Path, profiles: Mapping[str, Any] | None = None,
             *, report: bool = True, marginals: bool = True, baselines: bool = True,
             progress: ProgressFn | None = None, budget_s: float | None = None,
             extra: Mapping[str, str] | None = None,
             on_error: Callable[[str, BaseException], None] | None = None,
             deadline: Deadline | None = None) -> dict[str, str | bytes]:
    """Every file `planner plan` writes, as texts, built before anything is written.

    The plan tables and summary.json, `extra` files, and with `report` the analysis
    tables and report.md/report.html (the report built from these texts exactly as
    `planner report` builds it from the folder). They are written as one atomic set
    (`planner.io.output.write_files`), so the folder holds one plan and its own report or,
    after a failure, what it held before.

    An analysis that fails (an internal error in the marginal values, the baselines or
    the limits table) does not lose the plan: its table is left out, summary.json lists
    it in ``analysis_errors``, the report says so first, and `on_error(name, exc)` is
    called. A plan stopped by the time limit far from its bound (`plan_standing` weak) is
    not analysed further: its marginal values and baselines would rest on a plan that is
    not an answer; summary.json says so in ``analyses_skipped``.

    `deadline` (the run's, `planner.deadline`): the analyses run only in what is left of
    it, less a reserve for building and writing the files (the plan's own
    `post_solve_reserve`); an analysis the deadline stopped before it started, or cut
    short, says so in ``analyses_skipped`` ("cut short by the time limit") and in the
    report.
    """
    files: dict[str, str | bytes] = {}
    if report:
        skipped: dict[str, str] = {}
        if plan_standing(result.summary) == "weak":
            why = ("not computed: the time limit stopped the plan far from its bound "
                   f"(gap {pct(result.summary.mip_gap)}); plan again with a longer "
                   "time limit")
            if marginals:
                skipped["marginal_values"] = why
            if baselines:
                skipped["baselines"] = why
            marginals = baselines = False
        if deadline is not None:
            deadline = deadline.shortened(post_solve_reserve(result.timings,
                                                             deadline.limit_s))
        analysed, errors = _analyses(result, profiles, marginals=marginals,
                                  baselines=baselines, progress=progress,
                                  budget_s=budget_s, on_error=on_error, deadline=deadline,
                                  cut=skipped)
        files = {**analysed}
        if skipped:
            result.summary.analyses_skipped = skipped
        if errors:
            result.summary.analysis_errors = errors
    files = {**plan_files(result), **(extra or {}), **files}
    if report:
        rep = build(folder_from_texts(Path(out), {k: v for k, v in files.items()
                                                  if isinstance(v, str)}))
        files["report.md"] = to_markdown(rep)
        files["report.html"] = to_html(rep)
    return files


def variant_report_files(result: PlanResult, inputs: Any) -> dict[str, str | bytes]:
    """A what-if plan's folder with ``--reports``: every file `planner plan` writes (the
    plan, its analyses and report.md/report.html; `plan_set`). Module-level, so a worker
    process or Dask unpickles it by name (`planner.whatif.jobs.FilesFn`)."""
    return plan_set(result, Path("."), getattr(inputs, "profiles", None))


def _analyses(result: PlanResult, profiles: Mapping[str, Any] | None, *, marginals: bool,
              baselines: bool, progress: ProgressFn | None, budget_s: float | None = None,
              on_error: Callable[[str, BaseException], None] | None = None,
              deadline: Deadline | None = None, cut: dict[str, str] | None = None
              ) -> tuple[dict[str, str], list[str]]:
    """limits.csv, and unless skipped marginal_values.csv and baselines.csv, as CSV
    texts, and the analyses that failed (named, never raised: the plan is kept).

    `progress(stage, done, total, label)` is called before each re-solve. The analyses
    share one time budget: `budget_s` seconds, by default as long as the plan took
    (`planner.deadline.analysis_budget_s`), recorded in the summary's
    ``analysis_budget`` (the budget and its rule). The baseline plans (small: one system
    each) come first and may take half of it; then the marginal values' LP estimates
    (one LP) and their re-solves, where a re-solve can differ from 0
    (`planner.analysis.marginal.marginal_values`), until the budget ends. What the
    budget left out is marked so (marginal rows keep their LP estimate, baseline plans
    are `skipped`).

    `deadline`: the run's (`planner.deadline`); each solve may take at most what is left
    of it, and what it stops is recorded in `cut` (analysis name -> why, for
    summary.json's ``analyses_skipped``): the analysis not started at all, or started and
    cut short (the steps and plans not solved are marked so in their tables).
    """
    # the solver stack (highspy, Pyomo): kept out of `planner --help` start-up
    from planner.analysis.marginal import BUDGET_SPENT
    from planner.report.facts import limits_table

    if budget_s is None:
        budget_s = analysis_budget_s(result.timings, deadline)
        rule = (f"{ANALYSIS_SHARE:g} of the time the plan took, at least "
                f"{MIN_ANALYSIS_S:g} s")
        label = f"{budget_s:.3g} s, {ANALYSIS_SHARE:g} of the plan's time"
    else:
        rule, label = "given (--analysis-time)", f"{budget_s:g} s, --analysis-time"
    budget = Deadline.starting_now(budget_s, why=f"{BUDGET_SPENT} ({label}) was spent")
    files: dict[str, str] = {}
    errors: list[str] = []

    if cut is None:
        cut = {}
    limit = f"{result.settings.time_limit_s:g} s"

    def guarded(name: str, fn: Callable[[], str]) -> None:
        try:
            files[name] = fn()
        except CutShort as exc:  # the deadline passed before it could start
            cut[name.removesuffix(".csv")] = (
                f"not computed: {CUT_SHORT} ({limit} for the whole run; {exc}); plan "
                "again with a longer --time-limit (solver.time_limit_s)")
        except Exception as exc:  # noqa: BLE001 - one failed analysis must not lose the plan
            errors.append(f"{name} was not written: internal error "
                          f"({type(exc).__name__}: {exc}); the plan and the other "
                          "analyses are not affected")
            if on_error is not None:
                on_error(name, exc)

    guarded("limits.csv", lambda: frame_to_csv(limits_table(result.data, result.tables,
                                                            profiles)))
    if baselines:
        half = replace(budget, limit_s=budget.limit_s / 2.0)
        guarded("baselines.csv", lambda: _baselines_csv(result, progress, half, deadline,
                                                         cut, (limit, label)))
    if marginals:
        guarded("marginal_values.csv", lambda: _marginals_csv(result, progress, budget,
                                                               deadline, cut, (limit, label)))
    # the budget, not the seconds used: those differ from run to run, and the files of
    # the same plan must not (the progress lines and benchmarks/analyses.py time them)
    result.summary.analysis_budget = {"budget_s": round(budget_s, 1), "rule": rule}
    return files, errors


def _marginals_csv(result: PlanResult, progress: ProgressFn | None, budget: Deadline,
                   deadline: Deadline | None, cut: dict[str, str],
                   limits: tuple[str, str]) -> str:
    """marginal_values.csv's text (`planner.analysis.marginal.marginal_values`), measured
    against the plan's own solve; steps the run's deadline or the budget cut short are
    counted in `cut`. `limits`: the run's time limit and the budget, as words."""
    # the solver stack (highspy, Pyomo): kept out of `planner --help` start-up
    from planner.analysis.marginal import BUDGET_SPENT, marginal_values

    def mp(done: int, total: int, label: str) -> None:
        if progress:
            progress("marginal values", done, total, label)

    table = marginal_values(result.data, result.settings, result.outcome.x,
                            base=result.outcome, sites_table=result.tables.sites,
                            budget=budget, progress=mp, deadline=deadline)
    method = table["method"].astype(str)
    _record_cut(cut, "marginal_values", int(method.str.contains(CUT_SHORT).sum()),
                int(method.str.contains(BUDGET_SPENT).sum()), limits,
                f"of {len(table)} steps not re-solved, their rows keep the LP estimate only")
    return frame_to_csv(table)


def _record_cut(cut: dict[str, str], name: str, by_deadline: int, by_budget: int,
                limits: tuple[str, str], what: str) -> None:
    """Say in `cut` (summary.json's ``analyses_skipped``) that the run's time limit, else
    the analyses' budget, left `by_deadline` (else `by_budget`) items of an analysis out.
    `limits`: the run's time limit and the budget, as words; `what`: "of N ... not ..."."""
    limit, label = limits
    if by_deadline:
        cut[name] = f"{CUT_SHORT} ({limit} for the whole run): {by_deadline} {what}"
    elif by_budget:
        cut[name] = f"cut short by its time budget ({label}): {by_budget} {what}"


def _baselines_csv(result: PlanResult, progress: ProgressFn | None, budget: Deadline,
                   deadline: Deadline | None, cut: dict[str, str],
                   limits: tuple[str, str]) -> str:
    """baselines.csv's text (`planner.analysis.baselines.baselines`); plans the run's
    deadline or the budget left out are counted in `cut`. `limits`: the run's time limit
    and the budget, as words."""
    # the solver stack (highspy, Pyomo): kept out of `planner --help` start-up
    from planner.analysis.baselines import baselines as run_baselines

    def bp(done: int, total: int, label: str) -> None:
        if progress:
            progress("baselines", done, total, label)

    if deadline is not None and deadline.expired():
        raise CutShort("no time left after the plan")
    pp = result.tables.purchase_plan
    bought = pp.loc[pp["units"] > 0, "system"].astype(str).tolist()
    table = run_baselines(result.data, result.settings, result.summary, progress=bp,
                          budget=budget, optimised_systems=bought, deadline=deadline)
    skipped = int((table["status"] == "skipped").sum())
    expired = deadline is not None and deadline.expired()
    _record_cut(cut, "baselines", skipped if expired else 0, 0 if expired else skipped,
                limits, f"of {len(table) - 1} baseline plans not solved (status skipped)")
    return frame_to_csv(table)
