"""`Inputs`: a scenario and everything it refers to, loaded and each valid on its own.

`planner.inputs.loader` builds it; `planner.inputs.validate` checks it across files; the
core prepares the optimisation data from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from planner.inputs.datasets import Catalog, DemandRow, ModelProfile
from planner.inputs.schemas import Scenario


@dataclass(frozen=True)
class Future:
    """G. uncertain demand: one future, its probability and its demand rows."""

    name: str
    probability: float
    demand: tuple[DemandRow, ...]
    demand_file: str
    demand_lines: tuple[int, ...] = ()


@dataclass(frozen=True)
class Inputs:
    """Everything a scenario refers to, loaded and individually valid."""

    scenario: Scenario
    catalog: Catalog
    profiles: dict[str, ModelProfile]
    demand: list[DemandRow]
    scenario_file: str = "scenario.yaml"
    catalog_file: str = "catalog"
    demand_file: str = "demand.csv"
    models_dir: str = "models"
    demand_lines: tuple[int, ...] = ()  # line of each demand row in its file (for messages)
    profile_files: dict[str, str] = field(default_factory=dict)  # model id -> its file
    #: how the demand file was read when it is not in the v1 form (long layout, tokens/s,
    #: the plan's periods): `planner.inputs.forecast.DemandReading.as_dict`
    demand_reading: dict[str, Any] | None = None
    #: G. uncertain demand: the futures (empty: one forecast, `demand`); with futures,
    #: `demand` is their probability-weighted mean (the mean-demand plan's)
    futures: tuple[Future, ...] = ()
    #: G. periods whose purchases, builds and retirements every future shares
    commit_periods: int = 0

    def for_future(self, future: Future) -> Inputs:
        """These inputs with one future's demand, and no futures: a deterministic plan."""
        return replace(self, demand=list(future.demand), demand_file=future.demand_file,
                       demand_lines=future.demand_lines, futures=())
