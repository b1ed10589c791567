"""planner: capacity planning for AI inference fleets at least cost per token.

Library API::

    import planner
    result = planner.plan("examples/quickstart/scenario.yaml")   # or a dict, or a Scenario
    result.summary.total_cost_usd; result.purchases; result.tables.fleet   # DataFrames
    result.report("plan-out")    # the files `planner plan -o plan-out` writes
    result                       # in Jupyter: headline, purchases, the fleet-mix chart

`planner.plan` (`planner.workflow.notebook`) wraps `planner.api.plan`, whose result is the
plain `PlanResult`. `planner.compare` and `planner.sweep` are the what-if commands
(`planner.workflow.whatif`; `out=None` writes nothing), `planner.RunSettings` how they run.

The names below are imported on first use, so `import planner` (and the command line's
start-up) does not pay for the solver stack until it is needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from planner.api import PlanResult, solve_data
    from planner.core.prepare import prepare
    from planner.core.problem import throughput_at
    from planner.errors import InfeasibleError, InputError, PlannerError, SolverError
    from planner.inputs.loader import load_inputs
    from planner.inputs.schemas import Scenario
    from planner.whatif.variants import RunSettings
    from planner.workflow.notebook import Plan, plan
    from planner.workflow.whatif import compare, sweep

_WHERE = {
    "InfeasibleError": "planner.errors",
    "InputError": "planner.errors",
    "Plan": "planner.workflow.notebook",
    "PlanResult": "planner.api",
    "PlannerError": "planner.errors",
    "RunSettings": "planner.whatif.variants",
    "Scenario": "planner.inputs.schemas",
    "SolverError": "planner.errors",
    "compare": "planner.workflow.whatif",
    "load_inputs": "planner.inputs.loader",
    "plan": "planner.workflow.notebook",
    "prepare": "planner.core.prepare",
    "solve_data": "planner.api",
    "sweep": "planner.workflow.whatif",
    "throughput_at": "planner.core.problem",
}
__all__ = [
    "InfeasibleError",
    "InputError",
    "Plan",
    "PlanResult",
    "PlannerError",
    "RunSettings",
    "Scenario",
    "SolverError",
    "compare",
    "load_inputs",
    "plan",
    "prepare",
    "solve_data",
    "sweep",
    "throughput_at",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'planner' has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
