"""The solve the planner runs: the core solve, with the analyses' words for shortfalls.

`planner.core.solve.solve_data` builds, solves, extracts and checks a plan; what it says
about demand it cannot serve (why a class is unservable, what falls short when strict
demand cannot be met, summary.json's ``shortfall``) comes from here, so the core never
imports the analyses. `planner.api.solve_data` is this function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from planner.analysis.binding import shortfall_details, unservable_reason
from planner.analysis.shortfall import diagnose
from planner.analysis.verdicts import WEAK_GAP
from planner.core import solve as core
from planner.core.highs import HighsSettings
from planner.core.problem import PlanData
from planner.core.solve import Diagnosis, PlanResult, StageFn
from planner.core.warm import HeldBuys, WarmSource

#: the planner's diagnosis of unserved demand, handed to every core solve
DIAGNOSIS = Diagnosis(unservable_reason=unservable_reason,
                      shortfall_details=shortfall_details, shortfall=diagnose)


def solve_data(data: PlanData, settings: HighsSettings,
               progress: Callable[[dict[str, float]], None] | None = None,
               on_stage: StageFn | None = None, *, formulation: str = "strong",
               start: Any = None, heuristic: bool = True,
               start_from: WarmSource | None = None,
               started_at: float | None = None,
               held_buys: HeldBuys | None = None, plan_share: float = 1.0) -> PlanResult:
    """Build, compile, solve and extract one prepared problem (`planner.core.solve.solve_data`
    with `DIAGNOSIS`): raises InfeasibleError with the shortfall explained, or SolverError.

    A plan that shares the time limit with analyses (`plan_share` below 1) goes on past
    its share while its gap is above `WEAK_GAP`: the analyses skip such a plan, so the
    time kept for them would be lost.
    """
    return core.solve_data(data, settings, progress, on_stage, formulation=formulation,
                           start=start, heuristic=heuristic, start_from=start_from,
                           diagnosis=DIAGNOSIS, started_at=started_at,
                           held_buys=held_buys, plan_share=plan_share,
                           weak_gap=WEAK_GAP if plan_share < 1.0 else None)


def precheck(data: PlanData, settings: HighsSettings | None = None) -> None:
    """Infeasibilities visible before solving (`planner.core.solve.precheck`), explained."""
    core.precheck(data, DIAGNOSIS, settings)
