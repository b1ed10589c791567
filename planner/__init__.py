"""planner: capacity planning for AI inference fleets at least cost per token.

Library API::

    import planner
    result = planner.plan("examples/quickstart/scenario.yaml")
    result.summary["total_cost_usd"]; result.tables.purchase_plan
    result.write("plan-out")
"""

from planner.api import PlanResult, plan, solve_data
from planner.errors import InfeasibleError, InputError, PlannerError, SolverError
from planner.loader import load_inputs
from planner.problem import prepare, throughput_at

__all__ = [
    "InfeasibleError",
    "InputError",
    "PlanResult",
    "PlannerError",
    "SolverError",
    "load_inputs",
    "plan",
    "prepare",
    "solve_data",
    "throughput_at",
]
__version__ = "0.1.0"
