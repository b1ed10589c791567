"""What a person may conclude from a plan's summary: solver noise and standing.

One place for the rules every printed comparison and verdict follows: two costs that
differ by less than the solvers' proven gaps are the same cost (`same_cost`), and a plan
stopped by the time limit far from its bound supports no verdict (`plan_standing`).
Reads summaries (`planner.core.summary.PlanSummary`) only, so the report and the CLI use
it without the solver stack.
"""

from __future__ import annotations

from planner.core.summary import PlanSummary
from planner.fmt import finite


def cost_noise_usd(summary: PlanSummary) -> float:
    """How far a plan's total may sit above the true optimum: the solver's proven gap.

    HiGHS stops when (objective - best bound) <= mip_rel_gap * |objective|, so the plan's
    total is known only to within `objective - best_bound`. Two totals that differ by less
    than the larger of their noises are the same plan cost for every purpose a person
    reads (`same_cost`). Without a bound (no solve), the relative gap alone is used.
    """
    obj = finite(summary.objective_usd)
    if obj is None:
        obj = finite(summary.total_cost_usd) or 0.0
    bound = finite(summary.best_bound_usd)
    gap = finite(summary.mip_gap)
    noise = 0.0
    if bound is not None:
        noise = max(noise, obj - bound)
    elif gap is not None:
        noise = max(noise, gap * abs(obj))
    # the float tolerance of the recomputed totals
    return max(noise, 1e-9 * abs(obj), 1e-6)


#: a plan stopped by the time limit with a relative gap above this is only "the best plan
#: found so far": no verdict (nothing bought, a system chosen, a saving) rests on it
WEAK_GAP = 0.10


def plan_standing(summary: PlanSummary) -> str:
    """``optimal`` (proven within the requested gap), ``time_limit`` (stopped by the clock
    with a plan near its bound) or ``weak`` (stopped by the clock with a gap above
    `WEAK_GAP`, or no finite bound): what a person may conclude from the plan."""
    if summary.status != "time_limit":
        return "optimal"
    gap = finite(summary.mip_gap)
    if gap is None or finite(summary.best_bound_usd) is None:
        return "weak"
    return "weak" if gap > WEAK_GAP else "time_limit"


def same_cost(a: PlanSummary, b: PlanSummary, key: str = "total_cost_usd") -> bool:
    """Whether two plans' costs differ by no more than solver noise: `key` names the cost
    field compared (`total_cost_usd`, `spend_usd`, `unmet_penalty_usd`)."""
    va, vb = finite(getattr(a, key)), finite(getattr(b, key))
    if va is None or vb is None:
        return False
    return abs(va - vb) <= max(cost_noise_usd(a), cost_noise_usd(b))
