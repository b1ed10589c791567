"""The limits of the planning model that have no row of their own: each is enforced by
which variables exist (the sets `planner.core.prepare.prepare` computes) or by a bound.
Listed next to the constraint families (`planner.core.constraints`) so that a newcomer
finds any limit in one place; `python -m planner.core.mathdoc` writes them to
docs/math.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SparsityLimit:
    """A limit with no row of its own: what enforces it, and where."""

    limit: str
    rule: str
    where: str


#: every limit enforced by which variables exist (sparsity) or by a column bound
SPARSITY_LIMITS: tuple[SparsityLimit, ...] = (
    SparsityLimit("cooling", "no buy[s,g,t] where g needs liquid cooling and hall s is "
                  "air-cooled", "`planner.core.prepare.prepare` (`_buy_and_fleet`)"),
    SparsityLimit("hall availability", "no buy[s,g,t] before the hall's `available_from` "
                  "(a label of any granularity, rounded up to a whole plan period)",
                  "`planner.core.prepare.prepare` (`available_t`, `_buy_and_fleet`)"),
    SparsityLimit("lead time", "no buy[s,g,t] for t < L[g], the lead time in whole periods "
                  "(ceil of lead_time_months / months per period, or lead_time_periods, or "
                  "the scenario's override)",
                  "`planner.core.prepare.prepare` (`_lead_times`, `_buy_and_fleet`)"),
    SparsityLimit("systems restriction", "with `systems:`, no buy of any other system; "
                  "installed units of any system keep serving",
                  "`planner.core.prepare.prepare` (`allowed`, `purchasable`)"),
    SparsityLimit("zero supply", "no buy of a system with max_units_per_period = 0",
                  "`planner.core.prepare.prepare` (`_buy_and_fleet`)"),
    SparsityLimit("systems that serve nothing", "no buy of a system that meets no class's "
                  "SLO; installed units of it stay in the fleet and cost energy and opex",
                  "`planner.core.prepare.prepare` (`purchasable`)"),
    SparsityLimit("SLO", "no serve[s,g,k] or pool[g,k] where tput[g,k] = 0 (g cannot meet "
                  "the SLO of k)",
                  "`planner.core.prepare.prepare` (`_throughput`, `_serve_index`)"),
    SparsityLimit("serving in its own period", "a class is served only from the fleet "
                  "standing in its period t_k",
                  "`planner.core.prepare.prepare` (`_serve_index`)"),
    SparsityLimit("retire_after", "installed units count in E[s,g,t] only up to their "
                  "`retire_after` period",
                  "`planner.core.prepare.prepare` (`_existing`)"),
    SparsityLimit("bought units stay", "fleet[s,g,t] exists from the first purchase "
                  "period to the end of the horizon; nothing bought is retired (unless "
                  "`options.allow_retirement`)",
                  "`planner.core.prepare.prepare` (`_buy_and_fleet`)"),
    # C. refresh (contract v2)
    SparsityLimit("retirement allowed", "retire[s,g,t] and xretire[s,e,t] exist only with "
                  "`options.allow_retirement`: bought units from the period after the first "
                  "purchase period, installed entries up to their last period in service",
                  "`planner.core.prepare.prepare` (`_retirement_sets`)"),
    SparsityLimit("retirement bounds (strong)", "retire[s,g,t] <= the units of g hall s "
                  "holds by power and racks (and the supply before t); xretire[s,e,t] <= "
                  "U_e: redundant with the rows, tighter for the LP relaxation",
                  "`planner.core.refresh_model.add_retirement_variables`"),
    SparsityLimit("strict demand", "with `strict_demand`, no unmet[k]: every class must "
                  "be served in full", "`planner.core.variables.add_variables`"),
    SparsityLimit("supply, one hall (strong)", "buy[s,g,t] <= max_units_per_period[g] as a "
                  "bound, where only one hall can buy g in t (no `supply` row)",
                  "`planner.core.variables.add_variables` (`PlanData.buy_cap`)"),
    # ---- B. renting (contract v2) ----
    SparsityLimit("rent window", "no rent[r,t] or rserve[r,k] outside the offer's `from`.."
                  "`until`, nor where its system cannot meet the SLO of k",
                  "`planner.core.prepare.prepare` (`_rent_sets`)"),
    SparsityLimit("rent cap", "rent[r,t] <= max_gpus[r] as a bound",
                  "`planner.core.variables.add_rent_variables`"),
    SparsityLimit("implied rent bound (strong)", "rent[r,t] <= the GPUs that serve all "
                  "demand of t the offer can serve: never cuts an optimum",
                  "`planner.core.variables.add_rent_variables` (`PlanData.rent_gpu_bound`)"),
    # A. building power
    SparsityLimit("build availability and lead time", "no build[s,t] at a site without "
                  "`build`, before the hall's `available_from` or before the build's "
                  "`lead_time_periods`", "`planner.core.prepare.prepare` (`_build_index`)"),
    SparsityLimit("implied build bounds (strong)", "build[s,t] <= nmax[s] and <= the blocks "
                  "the capex budgets pay for: redundant with the `build_most` and `budget` "
                  "rows", "`planner.core.build_power.add_build_variables` (`build_cap`)"),
    SparsityLimit("implied power and space bounds (strong)", "buy[s,g,t] <= the units "
                  "hall s holds by power and racks: redundant with the `power` and `space` "
                  "rows, tighter for the LP relaxation",
                  "`planner.core.variables.add_variables` (`PlanData.buy_cap`)"),
)
