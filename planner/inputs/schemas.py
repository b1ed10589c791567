"""Input schemas (pydantic): the scenario (`planner.inputs.datasets` has the hardware
catalogue, the served-model profiles and the demand rows).

Field names and defaults follow the scenario contract (v1, docs/scenario.md). Every model
is a `planner.inputs.fields.Strict`: frozen, refusing unknown keys, NaN and infinities.
Each field carries its bounds as pydantic constraints and says what it is in its
description; an upper bound marked `PLAUSIBLE` is a plausibility limit. A numeric field
without an upper bound of its own says why in its description; `MAX_NUMBER` (1e15)
bounds every number written as one. Cross-file checks (periods in the horizon,
references to systems and models) live in `planner.inputs.validate`.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from planner.inputs.fields import (
    PLAUSIBLE,
    FreeText,
    Name,
    PeriodLabel,
    Strict,
)

MAX_CURVE_VALUE = 1e8  # tokens/s per user or per GPU: a throughput curve's axes, the SLO

Tag = Literal["published", "derived", "estimate"]
Cooling = Literal["air", "liquid"]
#: how a throughput curve is read between two of its points (`planner.core.problem.throughput_at`)
Interpolation = Literal["linear", "log"]


# --------------------------------------------------------------------------- scenario


class Horizon(Strict):
    """The planning periods."""

    start: PeriodLabel = Field(
        description="The first period: a quarter 2027Q1, a month 2027-01 or a year 2027.")
    periods: int = Field(ge=1, le=600, description="Number of periods planned.")
    granularity: Literal["quarter", "month", "year"] | None = Field(
        default=None,
        description="Length of a period; read from `start` when omitted, and must match it when "
                    "given.")


class Existing(Strict):
    """Units installed in a hall at the horizon start."""

    system: Name = Field(description="The catalogue id of the system installed.")
    units: int = Field(
        ge=0, le=1e9, json_schema_extra=PLAUSIBLE,
        description="Units in service from the horizon start; 0 is allowed and ignored.")
    retire_after: PeriodLabel | None = Field(
        default=None,
        description="Last period these units are in service; None keeps them to the end.")


# A. building power (contract v2)
class Build(Strict):
    """Power the planner may add to a hall, in whole blocks (contract v2, section A)."""

    block_mw: float = Field(
        gt=0, le=1e6, json_schema_extra=PLAUSIBLE,
        description="Power is added in whole blocks (phases) of this many MW.")
    max_mw: float = Field(
        gt=0, le=1e6, json_schema_extra=PLAUSIBLE,
        description="Most MW that may be added over the horizon; at least one block.")
    capex_usd_per_mw: float = Field(
        ge=0, le=1e12, json_schema_extra=PLAUSIBLE,
        description="Building, electrical and cooling plant per MW of IT power, USD.")
    opex_usd_per_mw_year: float = Field(
        default=0.0, ge=0, le=1e12, json_schema_extra=PLAUSIBLE,
        description="Fixed yearly cost per built MW, USD.")
    lifetime_years: float = Field(
        default=15.0, gt=0, le=1000, json_schema_extra=PLAUSIBLE,
        description="Depreciation life of what is built, years, for amortized capex.")
    lead_time_periods: int = Field(
        default=0, ge=0, le=10_000, json_schema_extra=PLAUSIBLE,
        description="The first block can be energised at the horizon start plus this.")

    @model_validator(mode="after")
    def _max_holds_a_block(self) -> Build:
        if self.max_mw < self.block_mw:
            raise PydanticCustomError(
                "max_below_block", "max_mw ({max_mw}) must be >= block_mw ({block_mw}): not "
                "one block could be built", {"max_mw": f"{self.max_mw:g}",
                                             "block_mw": f"{self.block_mw:g}"})
        return self


class Site(Strict):
    """A hall: its power, energy price, cooling, floor space and installed base."""

    name: Name = Field(
        min_length=1,
        description="How the hall is named in every output; unique among the sites.")
    build: Build | None = Field(
        default=None,
        description="Power the planner may add here, in blocks (contract v2, A); None: the "
                    "hall's power is fixed.")
    power_mw: float = Field(
        ge=0, le=1e6, json_schema_extra=PLAUSIBLE,
        description="Critical IT power for accelerators, MW (the limit is a terawatt): > 0, "
                    "or >= 0 for a site with `build` (0: a greenfield site).")
    pue: float = Field(
        default=1.0, ge=1.0,
        description="Facility energy over IT energy; multiplies the energy bill. No upper bound of "
                    "its own: the contract sets none, and one would refuse scenarios accepted "
                    "today.")
    electricity_usd_per_mwh: float = Field(
        default=0.0, ge=0, le=1e6, json_schema_extra=PLAUSIBLE,
        description="Price of facility energy, USD per MWh.")
    cooling: Cooling = Field(
        default="air",
        description="A liquid hall hosts liquid- and air-cooled systems; an air hall only "
                    "air-cooled ones.")
    max_racks: float | None = Field(
        default=None, ge=0, le=1e9, json_schema_extra=PLAUSIBLE,
        description="Floor space, in racks; None means no cap.")
    available_from: PeriodLabel | None = Field(
        default=None,
        description="First period the hall can hold equipment; None (or a period before the "
                    "horizon start) means from the start.")
    existing: list[Existing] = Field(
        default_factory=list,
        description="The installed base at the horizon start.")

    @field_validator("power_mw", mode="before")
    @classmethod
    def _power_or_build(cls, v: object, info: ValidationInfo) -> object:
        """Without `build`, power_mw must be > 0 (as in v1); with it, >= 0 (the field)."""
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v <= 0 \
                and info.data.get("build") is None:
            raise PydanticCustomError("greater_than", "Input should be greater than {gt}",
                                      {"gt": 0})
        return v


class Budget(Strict):
    """Capex caps, at the full purchase price of the units commissioned."""

    capex_usd_per_period: float | None = Field(
        default=None, ge=0,
        description="Most capex commissioned in any one period; None means no cap. No upper bound "
                    "of its own: a cap, so a larger one only loosens the plan (it is the "
                    "right-hand side of a row, not a coefficient).")
    total_capex_usd: float | None = Field(
        default=None, ge=0,
        description="Most capex commissioned over the horizon; None means no cap. No upper bound "
                    "of its own: a cap, so a larger one only loosens the plan (it is the "
                    "right-hand side of a row, not a coefficient).")


class Finance(Strict):
    """How capex is charged and discounted."""

    capex_accounting: Literal["amortized", "upfront"] = Field(
        default="amortized",
        description="`upfront`: a unit costs its full price; `amortized`: only the depreciation "
                    "that falls inside the horizon.")
    discount_rate: float = Field(
        default=0.0, ge=0, le=10,
        description="Annual rate; every period's cost is discounted by it.")


class Options(Strict):
    """Utilisation, power draw and the price of unmet demand."""

    target_utilization: float = Field(
        default=1.0, gt=0, le=1,
        description="Share of a curve's throughput a plan may count on.")
    average_power_fraction: float = Field(
        default=1.0, ge=0, le=1,
        description="Share of nameplate power drawn on average; scales the energy bill, not the "
                    "power cap.")
    unmet_penalty_usd_per_mtok: float = Field(
        default=100.0, ge=0, le=1e6, json_schema_extra=PLAUSIBLE,
        description="Price of each million tokens of demand not served, USD.")
    strict_demand: bool = Field(
        default=False,
        description="True: every demand class must be met in full, else the scenario is "
                    "infeasible.")
    # --- C. refresh (contract v2)
    allow_retirement: bool = Field(
        default=False,
        description="True: installed and bought units may be retired early (sold at the "
                    "system's resale_fraction of a new unit's price); false: units stay in "
                    "service (installed ones to their retire_after).")
    interpolation: Interpolation | None = Field(
        default=None,
        description="How every curve is read between two of its points, for this scenario: "
                    "`linear` (the contract's rule), or `log` (linear in the logarithm of "
                    "throughput: throughput falls by the same factor per tokens/s per user, "
                    "which is lower than linear between distant points). None: each "
                    "profile's own `interpolation`.")


class SolverSettings(Strict):
    """HiGHS settings."""

    time_limit_s: float = Field(
        default=300.0, gt=0,
        description="Seconds HiGHS may run. No upper bound of its own: a longer limit only lets "
                    "HiGHS run longer; it is not part of the model.")
    mip_rel_gap: float = Field(
        default=0.001, ge=0, le=1,
        description="Relative optimality gap at which HiGHS stops.")
    threads: int = Field(
        default=0, ge=0, le=1024,
        description="HiGHS threads; 0 lets HiGHS decide.")
    random_seed: int = Field(
        default=0, ge=0, le=2147483647,
        description="HiGHS's random seed (a 32-bit signed integer), fixed so a rerun gives the "
                    "same plan.")


# ---- B. renting (contract v2) ----


class RentOffer(Strict):
    """Rented capacity outside the halls: GPUs of a catalogue system at a price per GPU-hour."""

    system: Name = Field(
        description="The catalogue id of the system rented; its throughput curves apply.")
    usd_per_gpu_hour: float | None = Field(
        default=None, ge=0, le=1e6, json_schema_extra=PLAUSIBLE,
        description="Price of one GPU held for one hour, USD; None takes the system's "
                    "`rental_usd_per_gpu_hour` (one of the two is required).")
    max_gpus: float | None = Field(
        default=None, ge=0, le=1e12, json_schema_extra=PLAUSIBLE,
        description="Most GPUs of this offer held in any one period; None means no cap.")
    from_: PeriodLabel | None = Field(
        default=None, alias="from",
        description="First period the offer stands (written `from`); None means the "
                    "horizon start.")
    until: PeriodLabel | None = Field(
        default=None,
        description="Last period the offer stands; None means the horizon end.")


#: the rate columns a demand file may give, and seconds per unit of each
#: (requests_per_s: times tokens per request); a month is the planner's 730 hours
DEMAND_UNITS: dict[str, float] = {"tokens_per_s": 1.0, "requests_per_s": 1.0,
                                  "tokens_per_day": 86_400.0,
                                  "tokens_per_month": 730.0 * 3600.0}
DemandUnit = Literal["tokens_per_s", "requests_per_s", "tokens_per_day", "tokens_per_month"]


class DemandFormat(Strict):
    """How the demand file is written, where the file cannot say it itself."""

    unit: DemandUnit | None = Field(
        default=None,
        description="The unit of the wide layout's model columns (default tokens_per_s); in "
                    "the long layout the rate column names its unit, and this must agree "
                    "with it when given. A month is 730 hours (8760 / 12), the planner's "
                    "month.")
    tokens_per_request: float | None = Field(
        default=None, ge=1, le=1e8, json_schema_extra=PLAUSIBLE,
        description="Tokens per request, for `requests_per_s` (in the profile's token "
                    "basis); default: each model profile's `workload` (input + output "
                    "tokens, or output only for an `output` profile). A "
                    "`tokens_per_request` column overrides it per row.")


# ---- G. uncertain demand (contract v2) ----

#: probabilities of the futures must sum to 1 within this
PROBABILITY_SUM_TOL = 1e-6


class FutureSpec(Strict):
    """One future of `uncertainty.scenarios`: a demand forecast and its probability."""

    name: Name = Field(description="The future's name (a folder name in the plan: "
                                   "futures/<name>/).")
    probability: float = Field(
        ge=0, le=1, description="The chance of this future; the futures' sum to 1.")
    demand: str | None = Field(
        default=None,
        description="The path of this future's demand CSV; None: the rows of the top-level "
                    "demand CSV whose `scenario` column is this name.")


class Uncertainty(Strict):
    """Several demand futures, one plan (contract v2, G)."""

    scenarios: list[FutureSpec] = Field(
        min_length=1, max_length=1000, json_schema_extra=PLAUSIBLE,
        description="The futures, with probabilities summing to 1.")
    commit_periods: int | None = Field(
        default=None, ge=1, le=600,
        description="Periods whose purchases, builds and retirements are decided now, the same "
                    "in every future; None: the whole horizon.")

    @model_validator(mode="after")
    def _futures_add_up(self) -> Uncertainty:
        names = [f.name for f in self.scenarios]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise PydanticCustomError("future_twice", "future names must differ; named twice: "
                                      "{names}", {"names": ", ".join(twice)})
        total = math.fsum(f.probability for f in self.scenarios)
        if abs(total - 1.0) > PROBABILITY_SUM_TOL:
            raise PydanticCustomError(
                "probability_sum", "the futures' probabilities must sum to 1 (within 1e-6), "
                "they sum to {total}", {"total": f"{total:.9g}"})
        return self


class Scenario(Strict):
    """A planning scenario (the YAML a user writes)."""

    name: FreeText = Field(
        default="",
        description="Shown in reports and in summary.json (`scenario`).")
    horizon: Horizon = Field(description="The planning periods.")
    catalog: str = Field(
        default="builtin",
        description="The hardware catalogue: `builtin`, or the path of a YAML file.")
    models: str = Field(
        default="builtin",
        description="Served-model profiles: `builtin`, or a folder whose *.yaml / *.yml files are "
                    "profiles.")
    demand: str | None = Field(
        default=None,
        description="The path of the demand CSV; optional with `uncertainty` when every future "
                    "names its own file (it is then not read).")
    demand_format: DemandFormat = Field(
        default_factory=DemandFormat,
        description="How the demand file is written: the wide layout's unit, tokens per "
                    "request (an extension).")
    sites: list[Site] = Field(min_length=1, description="The halls; at least one.")
    budget: Budget = Field(default_factory=Budget, description="Capex caps.")
    finance: Finance = Field(
        default_factory=Finance,
        description="How capex is charged and discounted.")
    options: Options = Field(
        default_factory=Options,
        description="Utilisation, power draw and the price of unmet demand.")
    solver: SolverSettings = Field(default_factory=SolverSettings, description="HiGHS settings.")
    systems: list[Name] | None = Field(
        default=None,
        description="Restricts purchases to these catalogue systems (an extension); None: all of "
                    "them.")
    description: FreeText | None = Field(
        default=None,
        description="Free text for the reader; not used by the plan.")
    lead_time_periods: dict[Name, Annotated[int, Field(ge=0, le=10_000)]] = Field(
        default_factory=dict,
        description="Per catalogue system id: its lead time in this plan's periods, "
                    "overriding the catalogue's `lead_time_months` / `lead_time_periods` "
                    "(an extension: a catalogue is data about hardware, this is a planning "
                    "choice). Bounds 0 to 10000 periods, a plausibility limit as the "
                    "catalogue's.")
    # ---- B. renting (contract v2) ----
    rent: list[RentOffer] = Field(
        default_factory=list,
        description="Rented capacity that serves demand outside the halls (contract v2, B).")
    # ---- G. uncertain demand (contract v2) ----
    uncertainty: Uncertainty | None = Field(
        default=None,
        description="Several demand futures with probabilities: one plan whose first "
                    "`commit_periods` decisions hold in all of them (contract v2, G).")

    @model_validator(mode="after")
    def _demand_named(self) -> Scenario:
        own_files = self.uncertainty is not None and all(
            f.demand is not None for f in self.uncertainty.scenarios)
        if self.demand is None and not own_files:
            raise PydanticCustomError(
                "demand_missing", "demand: required field is missing (it may be left out only "
                "when every future of `uncertainty.scenarios` names its own demand file)")
        if self.uncertainty is not None and self.uncertainty.commit_periods is not None \
                and self.uncertainty.commit_periods > self.horizon.periods:
            raise PydanticCustomError(
                "commit_beyond_horizon", "uncertainty.commit_periods ({commit}) must be within "
                "1..horizon.periods ({periods})",
                {"commit": self.uncertainty.commit_periods, "periods": self.horizon.periods})
        return self

    @property
    def commit_periods(self) -> int:
        """G. periods decided now: `uncertainty.commit_periods`, default the whole horizon."""
        u = self.uncertainty
        return self.horizon.periods if u is None or u.commit_periods is None \
            else u.commit_periods

    @field_validator("catalog", "models", "demand")
    @classmethod
    def _path_not_blank(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not v.strip():
            raise PydanticCustomError("path_blank", "must name a file (or builtin), got an "
                                      "empty value")
        if "\x00" in v:
            raise PydanticCustomError("path_nul", "is not a valid path (contains NUL)")
        return v


# --------------------------------------------------------------------------- catalogue
