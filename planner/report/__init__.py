"""Decision report: `report.md` and a self-contained `report.html` from a plan folder.

The report reads only the plan folder (the CSV tables, summary.json, and the analysis
tables `limits.csv`, `marginal_values.csv`, `baselines.csv` written beside them), never
the solver model, so `planner report DIR` rebuilds it from the folder alone. The HTML
has its charts as inline SVG, no script and no network reference, and prints on A4.

`analysis_files` computes the analysis tables for a fresh plan (re-solves, baselines);
it imports the solver stages lazily, so importing this package never imports Pyomo.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.report.content import Report, build
from planner.report.folder import PlanFolder, load_folder
from planner.report.render import to_html, to_markdown

if TYPE_CHECKING:
    from planner.api import PlanResult

REPORT_FILES = ("report.md", "report.html")
ANALYSIS_FILES = ("limits.csv", "marginal_values.csv", "baselines.csv")

__all__ = ["ANALYSIS_FILES", "REPORT_FILES", "PlanFolder", "Report", "analysis_files",
           "build", "load_folder", "report_files", "to_html", "to_markdown", "write_report"]

ProgressFn = Callable[[str, int, int, str], None]


def report_files(folder: str | Path) -> dict[str, str]:
    """The report texts of a plan folder: {'report.md': ..., 'report.html': ...}."""
    rep = build(load_folder(folder))
    return {"report.md": to_markdown(rep), "report.html": to_html(rep)}


def write_report(folder: str | Path) -> list[Path]:
    """(Re)write report.md and report.html in a plan folder, from its files alone."""
    from planner.output import write_files

    return write_files(Path(folder), report_files(folder))


def analysis_files(result: PlanResult, profiles: Mapping[str, Any] | None = None, *,
                   marginals: bool = True, baselines: bool = True,
                   progress: ProgressFn | None = None,
                   time_limit_s: float | None = None,
                   budget_s: float | None = None) -> dict[str, str]:
    """limits.csv, and unless skipped marginal_values.csv and baselines.csv, as CSV text.

    `progress(stage, done, total, label)` is called before each re-solve. Each re-solve
    and baseline plan may run `time_limit_s`; by default as long as the plan's own solve
    took (at least 5 s, at most the plan's time limit), so the analysis of a plan that
    used its whole time limit does not take that limit again per re-solve. A value whose
    re-solve stopped at the limit is flagged in its `method` (or `status`). The marginal
    re-solves together, and the baseline plans together, stop starting new solves after
    `budget_s` (default: twice the plan's solve time, at least 20 s); what was not
    solved is marked so (marginal rows keep their LP estimate).
    """
    from planner.output import frame_to_csv
    from planner.report.facts import limits_table

    if time_limit_s is None:
        time_limit_s = min(result.settings.time_limit_s, max(5.0, result.outcome.seconds))
    if budget_s is None:
        budget_s = max(20.0, 2.0 * result.outcome.seconds)

    files = {"limits.csv": frame_to_csv(limits_table(result.data, result.tables, profiles))}
    if marginals:
        from planner.marginal import marginal_values

        def mp(done: int, total: int, label: str) -> None:
            if progress:
                progress("marginal values", done, total, label)

        mv = marginal_values(result.data, result.settings, result.outcome.x,
                             sites_table=result.tables.sites, time_limit_s=time_limit_s,
                             budget_s=budget_s, progress=mp)
        files["marginal_values.csv"] = frame_to_csv(mv)
    if baselines:
        from planner.baselines import baselines as run_baselines

        def bp(done: int, total: int, label: str) -> None:
            if progress:
                progress("baselines", done, total, label)

        from dataclasses import replace

        settings = replace(result.settings, time_limit_s=time_limit_s)
        pp = result.tables.purchase_plan
        bought = pp.loc[pp["units"] > 0, "system"].astype(str).tolist()
        bl = run_baselines(result.data, settings, result.summary, progress=bp,
                           budget_s=budget_s, optimised_systems=bought)
        files["baselines.csv"] = frame_to_csv(bl)
    return files
