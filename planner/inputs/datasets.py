"""Input schemas (pydantic) of the data a scenario names: the hardware catalogue
(`System`, `Catalog`), served-model profiles (`ModelProfile`) and demand rows
(`DemandRow`). Same conventions as `planner.inputs.schemas` (the scenario): frozen strict
models, bounds as pydantic constraints, a description on every field.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from planner.inputs.fields import (
    PLAUSIBLE,
    FreeText,
    Name,
    Strict,
    check_number,
)
from planner.inputs.periods import MONTHS_PER_PERIOD
from planner.inputs.schemas import MAX_CURVE_VALUE, Cooling, Interpolation, Tag


class Provenance(Strict):
    """Where one figure comes from and whether it is published, derived or estimated."""

    tag: Tag = Field(
        description="Whether the figure is published, derived from published ones, or an estimate.")
    source: str = Field(min_length=1, description="Where the figure comes from.")
    note: FreeText | None = Field(default=None, description="How it was derived or estimated.")


class System(Strict):
    """A purchasable unit: an 8-GPU server, an NVL72 rack."""

    id: Name = Field(
        min_length=1,
        description="The key scenarios and profiles use; unique in a catalogue.")
    name: FreeText | None = Field(default=None, description="Descriptive name.")
    vendor: FreeText | None = Field(default=None, description="Descriptive: who sells it.")
    accelerator: FreeText | None = Field(
        default=None,
        description="Descriptive: the accelerator it holds.")
    gpus_per_unit: int = Field(
        ge=1, le=1e6, json_schema_extra=PLAUSIBLE,
        description="Accelerators in one unit.")
    unit_power_kw: float = Field(
        gt=0, le=1e6, json_schema_extra=PLAUSIBLE,
        description="IT power of one unit at nameplate, kW, everything in the unit included.")
    capex_usd: float = Field(
        ge=0, le=1e12, json_schema_extra=PLAUSIBLE,
        description="Installed purchase price of one unit, USD.")
    opex_usd_per_year: float = Field(
        default=0.0, ge=0, le=1e12, json_schema_extra=PLAUSIBLE,
        description="Fixed yearly cost of one installed unit (support, network, colocation), USD.")
    lifetime_years: float = Field(
        default=5.0, gt=0, le=1000, json_schema_extra=PLAUSIBLE,
        description="Depreciation life, years, for amortized capex.")
    lead_time_periods: int = Field(
        default=0, ge=0, le=10_000, json_schema_extra=PLAUSIBLE,
        description="Periods from order to service, in the plan's periods (the contract's v1 "
                    "field): the first period a unit can be commissioned is the horizon start "
                    "plus this. Prefer `lead_time_months`, which keeps its meaning whatever the "
                    "plan's period; not both.")
    lead_time_months: float | None = Field(
        default=None, ge=0, le=1200, json_schema_extra=PLAUSIBLE,
        description="Months from order to service (the preferred unit: a fact about the "
                    "hardware); a plan rounds it up to whole periods of its own (3 months is "
                    "1 quarter, 4 months 2 quarters). None: `lead_time_periods` applies.")
    max_units_per_period: int | None = Field(
        default=None, ge=0, le=1e9, json_schema_extra=PLAUSIBLE,
        description="Supply: most units commissioned per period over all halls; 0 means never "
                    "bought, None no cap.")
    cooling: Cooling = Field(
        default="air",
        description="Liquid-cooled systems go in liquid halls only.")
    racks_per_unit: float = Field(
        default=0.0, ge=0, le=1e6, json_schema_extra=PLAUSIBLE,
        description="Floor space of one unit, in racks.")
    source: FreeText | None = Field(default=None, description="Where the figures come from.")
    form_factor: FreeText | None = Field(
        default=None,
        description="Descriptive: server, rack, card.")
    hbm_gb: float | None = Field(
        default=None, ge=0,
        description="Accelerator memory, GB. No upper bound of its own: descriptive, not used by "
                    "the plan.")
    mem_bw_tbps: float | None = Field(
        default=None, ge=0,
        description="Accelerator memory bandwidth, TB/s. No upper bound of its own: descriptive, "
                    "not used by the plan.")
    tdp_w: float | None = Field(
        default=None, ge=0,
        description="Accelerator thermal design power, W. No upper bound of its own: descriptive, "
                    "not used by the plan (`unit_power_kw` is).")
    resale_fraction: float = Field(
        default=0.0, ge=0, lt=1,
        description="C. refresh: share of a new unit's price (times the accounting factor of "
                    "the period) that a unit retired early earns, with "
                    "options.allow_retirement; in [0, 1).")
    rental_usd_per_gpu_hour: float | None = Field(
        default=None, ge=0,
        description="A published rental price, USD per GPU-hour, used by `planner cost --rental`. "
                    "No upper bound of its own: not used by the plan.")
    provenance: dict[str, Provenance] = Field(
        default_factory=dict,
        description="Per figure (a field name of this system): where it comes from.")
    notes: FreeText | None = Field(default=None, description="Free text.")
    # ---- E. falling prices (contract v2) ----
    capex_decline_per_year: float = Field(
        default=0.0, ge=0, lt=1,
        description="Yearly fall of the purchase price: a unit commissioned in period t costs "
                    "capex_usd x (1 - this)^(t x H / 8760), in the objective and the budgets.")


    @model_validator(mode="after")
    def _one_lead_time(self) -> System:
        if self.lead_time_months is not None and "lead_time_periods" in self.model_fields_set:
            raise PydanticCustomError(
                "lead_time_twice", "gives both lead_time_months and lead_time_periods; keep "
                "lead_time_months (a scenario may override it in periods: {example})",
                {"example": f"lead_time_periods: {{{self.id}: N}}"})
        return self

    def lead_periods(self, granularity: str) -> int:
        """The lead time in whole periods of a plan of `granularity`: `lead_time_months`
        rounded up (a unit is never in service before it can arrive), else
        `lead_time_periods`."""
        if self.lead_time_months is None:
            return self.lead_time_periods
        return months_to_periods(self.lead_time_months, granularity)


def months_to_periods(months: float, granularity: str) -> int:
    """Whole periods of `granularity` that hold `months`, rounded up (a hair above a whole
    number of periods, 1e-9, is read as that number)."""
    return max(0, math.ceil(months / MONTHS_PER_PERIOD[granularity] - 1e-9))


class Catalog(Strict):
    """A hardware catalogue: the systems a plan may buy."""

    name: FreeText | None = Field(default=None, description="Descriptive name.")
    description: FreeText | None = Field(default=None, description="Free text for the reader.")
    source: FreeText | None = Field(default=None, description="Where the figures come from.")
    notes: FreeText | None = Field(default=None, description="Free text.")
    systems: list[System] = Field(
        min_length=1,
        description="The systems; at least one, ids unique.")

    @model_validator(mode="after")
    def _unique_ids(self) -> Catalog:
        first: dict[str, int] = {}
        dups: list[str] = []
        for i, s in enumerate(self.systems):
            if s.id in first:
                dups.append(f"systems[{i}].id {s.id!r} repeats systems[{first[s.id]}]")
            else:
                first[s.id] = i
        if dups:
            raise ValueError(f"duplicate system id: {'; '.join(dups)}")
        return self


# --------------------------------------------------------------------------- model profile


class Workload(Strict):
    """The request shape a curve was measured with (descriptive)."""

    input_tokens: int = Field(
        ge=0,
        description="Input tokens per request. No upper bound of its own: descriptive, not used by "
                    "the plan.")
    output_tokens: int = Field(
        ge=0,
        description="Output tokens per request. No upper bound of its own: descriptive, not used "
                    "by the plan.")


# One axis of a throughput curve: tokens/s per user, or tokens/s per GPU.
CurveValue = Annotated[float, BeforeValidator(check_number), Field(ge=0, le=MAX_CURVE_VALUE)]
# (interactivity in tokens/s per user, throughput in tokens/s per GPU)
Point = tuple[CurveValue, CurveValue]


class ModelProfile(Strict):
    """Throughput-vs-interactivity curves of one served model, per system."""

    id: Name = Field(
        min_length=1,
        description="The model's key in the demand file; unique across the profiles of a run.")
    name: FreeText | None = Field(default=None, description="Descriptive name.")
    precision: FreeText | None = Field(
        default=None,
        description="Descriptive: the number format served (fp8, fp4).")
    source: FreeText | None = Field(default=None, description="Where the curves come from.")
    token_basis: Literal["total", "output"] = Field(
        default="total",
        description="Which tokens the throughput counts: input + output (`total`) or output only.")
    workload: Workload | None = Field(
        default=None,
        description="The request shape the curves were measured with (descriptive).")
    throughput: dict[Name, Annotated[list[Point], Field(min_length=1)]] = Field(
        description="Per system id, the curve's points; no two points of a curve share an "
                    "interactivity.")
    interpolation: Interpolation = Field(
        default="linear",
        description="How the curves are read between two points: `linear` (the contract's "
                    "rule), or `log` (linear in the logarithm of throughput, lower between "
                    "distant points). Below the lowest point and above the highest the "
                    "rule is the same for both. A scenario's `options.interpolation` "
                    "overrides it.")
    provenance: dict[str, Provenance] = Field(
        default_factory=dict,
        description="Per system id: where its curve comes from (an extension).")
    notes: FreeText | None = Field(default=None, description="Free text.")

    @field_validator("throughput")
    @classmethod
    def _distinct_interactivity(cls, v: dict[str, list[Point]]) -> dict[str, list[Point]]:
        for sys_id, pts in v.items():
            xs = [p[0] for p in pts]
            if len(set(xs)) != len(xs):
                raise ValueError(
                    f"curve for {sys_id!r} repeats an interactivity value; "
                    "each point needs its own tokens/s per user"
                )
        return v


# --------------------------------------------------------------------------- demand


class ForecastColumns(Strict):
    """The demand CSV's columns read before conversion to `DemandRow.tokens_per_s`: the
    other rate units and the request size (`planner.inputs.forecast`). Each rate's limit
    is `DemandRow.tokens_per_s`'s in its unit; the converted rate is checked against that
    limit too."""

    requests_per_s: float = Field(
        ge=0, le=1e12, json_schema_extra=PLAUSIBLE,
        description="Requests per second, times tokens per request.")
    tokens_per_day: float = Field(
        ge=0, le=1e12 * 86_400,
        description="Tokens per day of 24 hours; the limit is tokens_per_s's in this unit "
                    "(above the 1e15 of a number written in YAML: a demand CSV cell only).")
    tokens_per_month: float = Field(
        ge=0, le=1e12 * 730 * 3600,
        description="Tokens per month of 730 hours (the planner's month, 8760 / 12); the "
                    "limit is tokens_per_s's in this unit (a demand CSV cell only).")
    tokens_per_request: float = Field(
        ge=1, le=1e8, json_schema_extra=PLAUSIBLE,
        description="Tokens per request, in the profile's token basis, for requests_per_s.")


#: the smallest demand above 0 a class may have, tokens/s: below it a class is 0 in effect
#: (a hundredth of a token a day), and its scaled demand row (divided by the demand,
#: `planner.core.scaling`) would carry coefficients HiGHS refuses (fuzzing found a
#: demand of 2.2e-308 tokens/s: coefficients of inf)
MIN_DEMAND_TOKENS_PER_S = 1e-6


class DemandRow(Strict):
    """One row of the demand CSV: a demand class."""

    period: str = Field(description="A period of the horizon, in its granularity.")
    model: str = Field(description="A profile id.")
    tokens_per_s: float = Field(
        ge=0, le=1e12, json_schema_extra=PLAUSIBLE,
        description="The average rate the fleet must sustain in the period, tokens/s.")
    min_tokens_per_s_per_user: float = Field(
        default=0.0, ge=0, le=MAX_CURVE_VALUE, json_schema_extra=PLAUSIBLE,
        description="The interactivity SLO, tokens/s per user.")
    # ---- D. prices (contract v2) ----
    usd_per_mtok: float | None = Field(
        default=None, ge=0, le=1e6, json_schema_extra=PLAUSIBLE,
        description="What one million of this class's tokens earns, USD; replaces "
                    "`unmet_penalty_usd_per_mtok` for the class (demand not served is revenue "
                    "lost). None: the penalty applies.")
    # ---- G. uncertain demand (contract v2) ----
    scenario: str | None = Field(
        default=None,
        description="The future this row belongs to (the optional `scenario` column); None: "
                    "every future's, or a file without futures.")
