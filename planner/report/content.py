"""What the decision report says, section by section, from a plan folder.

`build` reads like the report's table of contents. The sections are written in
`planner.report.headline` (the first screen), `planner.report.plan_sections` (the plan,
its limits and its shortfall) and `planner.report.analysis_sections` (marginal values and
baselines); `planner.report.document` is the structure they fill, which both renderers
(Markdown and HTML) write, so the two say the same thing. Every figure comes from the
plan folder's tables and summary.json.
"""

from __future__ import annotations

from planner.analysis.verdicts import plan_standing
from planner.report.analysis_sections import baseline_section, marginal_section
from planner.report.build_section import build_sections
from planner.report.document import Report
from planner.report.econ import rent_section
from planner.report.folder import PlanFolder
from planner.report.headline import headline_section, shortfall_of, subtitle, tiles
from planner.report.money_sections import cashflow_section, refresh_section
from planner.report.plan_sections import (
    charts_section,
    limits_section,
    notes_section,
    purchases_section,
    unmet_section,
)


def build(pf: PlanFolder) -> Report:
    """The report of a plan folder: demand served and any shortfall before any cost."""
    s = pf.summary
    short = shortfall_of(pf)
    standing = plan_standing(s)
    sections = [
        headline_section(pf, short, standing),
        purchases_section(pf, short, standing),
        *build_sections(pf),  # A. building power (only when the scenario builds)
        charts_section(pf),
        *filter(None, [rent_section(pf)]),  # B. renting
        refresh_section(pf),  # C. refresh: only with retirements.csv
        cashflow_section(pf),  # F. cash flow
        limits_section(pf),
        unmet_section(pf),
        marginal_section(pf),
        baseline_section(pf),
        notes_section(pf),
    ]
    return Report(f"Capacity plan: {s.scenario or pf.path.name}", subtitle(s), tiles(s),
                  [sec for sec in sections if sec is not None])
