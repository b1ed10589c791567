"""What a person may conclude from a plan's summary: solver noise and standing.

One place for the rules every printed comparison and verdict follows: two costs that
differ by less than the solvers' proven gaps are the same cost (`same_cost`), and a plan
stopped by the time limit far from its bound supports no verdict (`plan_standing`).
Reads summaries (dicts) only, so the report and the CLI use it without the solver stack.
"""

from __future__ import annotations

from typing import Any

from planner.fmt import finite


def cost_noise_usd(summary: dict[str, Any]) -> float:
    """How far a plan's total may sit above the true optimum: the solver's proven gap.

    HiGHS stops when (objective - best bound) <= mip_rel_gap * |objective|, so the plan's
    total is known only to within `objective - best_bound`. Two totals that differ by less
    than the larger of their noises are the same plan cost for every purpose a person
    reads (`same_cost`). Without a bound (no solve), the relative gap alone is used.
    """
    obj = finite(summary.get("objective_usd"))
    if obj is None:
        obj = finite(summary.get("total_cost_usd")) or 0.0
    bound = finite(summary.get("best_bound_usd"))
    gap = finite(summary.get("mip_gap"))
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


def plan_standing(summary: dict[str, Any]) -> str:
    """``optimal`` (proven within the requested gap), ``time_limit`` (stopped by the clock
    with a plan near its bound) or ``weak`` (stopped by the clock with a gap above
    `WEAK_GAP`, or no finite bound): what a person may conclude from the plan."""
    if summary.get("status") != "time_limit":
        return "optimal"
    gap = finite(summary.get("mip_gap"))
    if gap is None or finite(summary.get("best_bound_usd")) is None:
        return "weak"
    return "weak" if gap > WEAK_GAP else "time_limit"


def same_cost(a: dict[str, Any], b: dict[str, Any], key: str = "total_cost_usd") -> bool:
    """Whether two plans' costs (`key`) differ by no more than solver noise."""
    va, vb = finite(a.get(key)), finite(b.get(key))
    if va is None or vb is None:
        return False
    return abs(va - vb) <= max(cost_noise_usd(a), cost_noise_usd(b))
