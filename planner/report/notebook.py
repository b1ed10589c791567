"""A plan as a notebook shows it: `plan_html`, the HTML of a plan in Jupyter.

The plan's headline (whether all demand is served, the report's tiles: spend and the
unmet-demand penalty apart, cost per million tokens, unmet tokens), its purchases (the
first rows) and one chart, the fleet mix. Each piece is the report's own
(`planner.report.headline`, `planner.report.plan_sections`, `planner.report.render`),
built from the plan's tables in memory; the report's style applies inside the output only
(`render.scoped_css`).
"""

from __future__ import annotations

from dataclasses import replace
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from planner.analysis.verdicts import plan_standing
from planner.report.document import Block, Table
from planner.report.folder import PlanFolder
from planner.report.headline import shortfall_block, shortfall_of, subtitle, tiles
from planner.report.plan_sections import fleet_chart, purchases_section
from planner.report.render import block_html, scoped_css, tiles_html

if TYPE_CHECKING:
    from planner.api import PlanResult

#: the class of a plan's output element: the report's style applies inside it only
SCOPE = "planner-plan"
#: purchases shown in a notebook; the rest are in `result.purchases`
PURCHASE_ROWS = 12


def folder_view(result: PlanResult) -> PlanFolder:
    """A solved plan as the report reads a plan folder, from its tables in memory (no
    analysis tables: those are computed by `result.report(DIR)`)."""
    t = result.tables
    return PlanFolder(Path(result.summary.scenario or "plan"), result.summary,
                      t.purchase_plan, t.fleet, t.allocation, t.service, t.sites,
                      limits=None, marginal=None, baselines=None, rent_plan=t.rent_plan,
                      build_plan=t.build_plan, retirements=t.retirements,
                      cashflow=t.cashflow, thin_curves=t.thin_curves)


def plan_html(result: PlanResult) -> str:
    """The plan as a notebook shows it: headline, purchases, the fleet-mix chart."""
    pf = folder_view(result)
    s, short = pf.summary, shortfall_of(pf)
    purchases = purchases_section(pf, short, plan_standing(s))
    parts = [f'<div class="{SCOPE}"><style>{scoped_css(SCOPE)}</style>',
             f"<h3>Capacity plan: {escape(s.scenario)}</h3>",
             f'<p class="sub">{escape(subtitle(s))}</p>',
             block_html(shortfall_block(short, s)), tiles_html(tiles(s)),
             f"<h4>{escape(purchases.title)}</h4>",
             *(block_html(_first_rows(b)) for b in purchases.blocks),
             block_html(fleet_chart(pf)),
             '<p class="sub">Tables (pandas DataFrames): <code>.purchases</code>, '
             f"<code>.tables.{'</code>, <code>.tables.'.join(result.tables.frames())}"
             "</code>. <code>.report(DIR)</code> writes the plan files and the full "
             "report, as <code>planner plan -o DIR</code> does.</p></div>"]
    return "\n".join(parts)


def _first_rows(block: Block) -> Block:
    """A table cut to its first `PURCHASE_ROWS` rows, saying how many more there are."""
    if not isinstance(block, Table) or len(block.rows) <= PURCHASE_ROWS:
        return block
    more = len(block.rows) - PURCHASE_ROWS
    return replace(block, rows=block.rows[:PURCHASE_ROWS],
                   caption=f"the first {PURCHASE_ROWS} rows; {more} more in .purchases")
