"""`planner.plan` for notebooks and scripts: a plan that shows itself and writes its report.

`plan` is `planner.api.plan` (a scenario as a file, a dict or a `Scenario` object), its
result a `Plan`: a `PlanResult` that Jupyter shows as HTML (`_repr_html_`: the headline,
the purchases and the fleet-mix chart, `planner.report.notebook`), whose tables are pandas
DataFrames (`plan.purchases`, `plan.tables.fleet`, ...) and whose `report(DIR)` writes the
files `planner plan -o DIR` writes (`planner.workflow.plan.write_plan_folder`). It lives
here, above the report, because `planner.api` may not import the report (the layer
contract, docs/architecture.md). Only `planner.plan` imports it, never the command line.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pandas as pd

from planner.api import PlanResult
from planner.api import plan as plan_inputs
from planner.deadline import Deadline
from planner.inputs.bundle import Inputs
from planner.inputs.loader import ScenarioSource, load_inputs
from planner.io.output import check_output_dir
from planner.report.notebook import plan_html
from planner.workflow.plan import write_plan_folder


def plan(scenario: ScenarioSource | Inputs, *, base_dir: str | Path | None = None,
         time_limit_s: float | None = None, mip_rel_gap: float | None = None,
         threads: int | None = None, random_seed: int | None = None,
         **more: Any) -> Plan:
    """Plan a scenario: a file, a dict as its YAML would read, or a `Scenario` object.

    A dict's or a Scenario's relative paths (`catalog`, `models`, `demand`) resolve
    against `base_dir` (default: the working directory); invalid input raises InputError
    naming the file (``<dict>``, ``<Scenario>``) and the field, as `planner plan` prints
    it. The solver settings override the scenario's; `more` are `planner.api.plan`'s
    other arguments. Raises InputError, InfeasibleError or SolverError.
    """
    # the time limit counts loading too
    started = more.pop("started_at", None) or time.perf_counter()
    inputs = scenario if isinstance(scenario, Inputs) else load_inputs(scenario,
                                                                       base_dir=base_dir)
    result = plan_inputs(inputs, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap,
                         threads=threads, random_seed=random_seed, started_at=started,
                         **more)
    return Plan.of(result, inputs)


@dataclass(repr=False)
class Plan(PlanResult):
    """A solved plan with what a notebook needs: `_repr_html_`, `purchases`, `report`."""

    #: the scenario and the files it names, as planned
    inputs: Inputs | None = None

    @classmethod
    def of(cls, result: PlanResult, inputs: Inputs | None = None) -> Plan:
        """`result` (a `planner.api.PlanResult`) as a Plan."""
        return cls(**{f.name: getattr(result, f.name) for f in fields(result)},
                   inputs=inputs)

    @property
    def purchases(self) -> pd.DataFrame:
        """What to buy: purchase_plan.csv as a DataFrame (`tables.purchase_plan`)."""
        frame: pd.DataFrame = self.tables.purchase_plan
        return frame

    def report(self, out_dir: str | Path, *, marginals: bool = True,
               baselines: bool = True) -> list[Path]:
        """Write the files `planner plan -o OUT_DIR` writes (the plan files, the analyses
        and report.html), as one set; the analyses' re-solves share the scenario's time
        limit from now. The paths written."""
        out = Path(out_dir)
        check_output_dir(out)
        profiles = self.inputs.profiles if self.inputs is not None else None
        # what an earlier report's analyses skipped or failed is not this report's
        self.summary.analyses_skipped = self.summary.analysis_errors = None
        return write_plan_folder(self, out, profiles, marginals=marginals,
                                 baselines=baselines,
                                 deadline=Deadline(time.perf_counter(),
                                                   self.settings.time_limit_s))

    def _repr_html_(self) -> str:
        """Jupyter's view: the headline, the purchases and the fleet-mix chart."""
        return plan_html(self)
