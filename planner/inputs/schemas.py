"""Input schemas (pydantic): scenario, hardware catalogue, served-model profile, demand.

Field names and defaults follow the scenario contract (v1). Every model is frozen and
refuses unknown keys; NaN and infinities are refused everywhere. Cross-file checks
(periods in the horizon, references to systems and models) live in `planner.inputs.validate`.
"""

from __future__ import annotations

import datetime as _dt
import types
import typing
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

# No quantity in a scenario, catalogue or profile is larger than this; larger numbers are
# typing mistakes, and they would wreck the numerics of the solver.
MAX_NUMBER = 1e15
MAX_NAME_LENGTH = 200


def _is_number_type(ann: Any) -> bool:
    """Whether a field annotation is (optionally) an int or a float."""
    if ann in (int, float):
        return True
    origin = typing.get_origin(ann)
    if origin is Annotated:
        return _is_number_type(typing.get_args(ann)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        return len(args) == 1 and _is_number_type(args[0])
    return False


def _allows_none(ann: Any) -> bool:
    if ann is None or ann is type(None):
        return True
    origin = typing.get_origin(ann)
    if origin is Annotated:
        return _allows_none(typing.get_args(ann)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_allows_none(a) for a in typing.get_args(ann))
    return False


def _check_number(v: Any) -> Any:
    """Refuse booleans where a number belongs, and numbers too large to be real."""
    if isinstance(v, bool):
        raise PydanticCustomError("bool_not_number", "must be a number, got {value}",
                                  {"value": "true" if v else "false"})
    if isinstance(v, (int, float)) and abs(v) > MAX_NUMBER and abs(v) != float("inf"):
        raise PydanticCustomError("number_too_large",
                                  "must be <= {limit}, got {value} (too large to be real)",
                                  {"limit": f"{MAX_NUMBER:g}", "value": f"{v:g}"})
    return v


# Plausibility limits of the quantities that become coefficients of the optimisation
# model. Each is orders of magnitude above any real value; a number above it is a typing
# mistake, and it would make the model numerically unsolvable.
PLAUSIBLE_MAX: dict[str, float] = {
    "Site.power_mw": 1e6,  # a terawatt
    "Site.electricity_usd_per_mwh": 1e6,
    "Site.max_racks": 1e9,
    "Existing.units": 1e9,
    "System.gpus_per_unit": 1e6,
    "System.unit_power_kw": 1e6,
    "System.capex_usd": 1e12,
    "System.opex_usd_per_year": 1e12,
    "System.lifetime_years": 1000,
    "System.lead_time_periods": 10_000,
    "System.max_units_per_period": 1e9,
    "System.racks_per_unit": 1e6,
    "Options.unmet_penalty_usd_per_mtok": 1e6,
}
# Free-text fields: YAML reads `name: 2027` as a number; here it is the text "2027".
FREE_TEXT = frozenset({"description", "notes", "note", "vendor", "accelerator", "precision",
                       "form_factor", "Scenario.name", "Catalog.name", "System.name",
                       "ModelProfile.name", "Catalog.source", "System.source",
                       "ModelProfile.source"})
MAX_TOKENS_PER_S = 1e12  # demand per row: a trillion tokens/s
MAX_CURVE_VALUE = 1e8  # tokens/s per user or per GPU


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_are_numbers(cls, v: Any, info: ValidationInfo) -> Any:
        name = info.field_name
        if v is None and name is not None:
            # `options:` with every line commented out means "the defaults"
            f = cls.model_fields[name]
            if not f.is_required() and not _allows_none(f.annotation):
                return f.get_default(call_default_factory=True)
        if name is not None and _is_number_type(cls.model_fields[name].annotation):
            return _check_number(v)
        if (name in FREE_TEXT or f"{cls.__name__}.{name}" in FREE_TEXT) and \
                isinstance(v, (int, float, _dt.date)) and \
                not isinstance(v, bool):
            return v.isoformat() if isinstance(v, _dt.date) else str(v)
        return v

    @field_validator("*", mode="after")
    @classmethod
    def _plausible(cls, v: Any, info: ValidationInfo) -> Any:
        limit = PLAUSIBLE_MAX.get(f"{cls.__name__}.{info.field_name}")
        if limit is not None and isinstance(v, (int, float)) and v > limit:
            raise PydanticCustomError(
                "implausible", "must be <= {limit} (a plausibility limit), got {value}",
                {"limit": f"{limit:g}", "value": f"{v:g}"})
        return v


def _safe_name(v: Any) -> Any:
    """Names (site names, system and model ids) are one line of visible text."""
    if isinstance(v, str):
        if not v.strip():
            raise PydanticCustomError("name_blank", "must not be empty or blank")
        if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in v):
            raise PydanticCustomError(
                "name_control", "must not contain control or invisible characters (tab, "
                "newline, zero-width, direction marks), got {value}", {"value": ascii(v)})
        if v != v.strip():
            raise PydanticCustomError(
                "name_spaces", "must not start or end with spaces, got {value}",
                {"value": repr(v)})
        if len(v) > MAX_NAME_LENGTH:
            raise PydanticCustomError("name_long", "is longer than {n} characters",
                                      {"n": MAX_NAME_LENGTH})
    return v


Name = Annotated[str, BeforeValidator(_safe_name)]


NonNeg = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
PeriodLabel = Annotated[str, Field(min_length=1)]

Tag = Literal["published", "derived", "estimate"]


def _period_str(v: object) -> object:
    # YAML reads `2027` as an int and `2027-01` as a string; periods are labels.
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (_dt.date, _dt.datetime)):
        raise PydanticCustomError(
            "period_date", "{value} is a date; periods are quarters 2027Q1, months 2027-01 "
            "or years 2027", {"value": v.isoformat()})
    return v


# --------------------------------------------------------------------------- scenario


class Horizon(Strict):
    start: PeriodLabel
    periods: Annotated[int, Field(ge=1, le=600)]
    granularity: Literal["quarter", "month", "year"] | None = None

    _start = field_validator("start", mode="before")(_period_str)


class Existing(Strict):
    system: Name
    units: Annotated[int, Field(ge=0)]
    retire_after: PeriodLabel | None = None

    _ret = field_validator("retire_after", mode="before")(_period_str)


class Site(Strict):
    name: Annotated[Name, Field(min_length=1)]
    power_mw: Positive
    pue: Annotated[float, Field(ge=1.0)] = 1.0
    electricity_usd_per_mwh: NonNeg = 0.0
    cooling: Literal["air", "liquid"] = "air"
    max_racks: NonNeg | None = None
    available_from: PeriodLabel | None = None
    existing: list[Existing] = Field(default_factory=list)

    _af = field_validator("available_from", mode="before")(_period_str)


class Budget(Strict):
    capex_usd_per_period: NonNeg | None = None
    total_capex_usd: NonNeg | None = None


class Finance(Strict):
    capex_accounting: Literal["amortized", "upfront"] = "amortized"
    discount_rate: Annotated[float, Field(ge=0, le=10)] = 0.0


class Options(Strict):
    target_utilization: Annotated[float, Field(gt=0, le=1)] = 1.0
    average_power_fraction: Annotated[float, Field(ge=0, le=1)] = 1.0
    unmet_penalty_usd_per_mtok: NonNeg = 100.0
    strict_demand: bool = False


class SolverSettings(Strict):
    time_limit_s: Positive = 300.0
    mip_rel_gap: Annotated[float, Field(ge=0, le=1)] = 0.001
    threads: Annotated[int, Field(ge=0, le=1024)] = 0
    random_seed: Annotated[int, Field(ge=0, le=2147483647)] = 0


class Scenario(Strict):
    """A planning scenario (the YAML a user writes)."""

    name: str = ""
    horizon: Horizon
    catalog: str = "builtin"
    models: str = "builtin"
    demand: str
    sites: Annotated[list[Site], Field(min_length=1)]
    budget: Budget = Field(default_factory=Budget)
    finance: Finance = Field(default_factory=Finance)
    options: Options = Field(default_factory=Options)
    solver: SolverSettings = Field(default_factory=SolverSettings)
    # Extension: restrict the plan to these catalogue systems (default: all of them).
    systems: list[Name] | None = None
    description: str | None = None

    @field_validator("catalog", "models", "demand")
    @classmethod
    def _path_not_blank(cls, v: str) -> str:
        if not v.strip():
            raise PydanticCustomError("path_blank", "must name a file (or builtin), got an "
                                      "empty value")
        if "\x00" in v:
            raise PydanticCustomError("path_nul", "is not a valid path (contains NUL)")
        return v


# --------------------------------------------------------------------------- catalogue


class Provenance(Strict):
    """Where one figure comes from and whether it is published, derived or estimated."""

    tag: Tag
    source: Annotated[str, Field(min_length=1)]
    note: str | None = None


class System(Strict):
    """A purchasable unit: an 8-GPU server, an NVL72 rack."""

    id: Annotated[Name, Field(min_length=1)]
    name: str | None = None
    vendor: str | None = None
    accelerator: str | None = None
    gpus_per_unit: Annotated[int, Field(ge=1)]
    unit_power_kw: Positive
    capex_usd: NonNeg
    opex_usd_per_year: NonNeg = 0.0
    lifetime_years: Positive = 5.0
    lead_time_periods: Annotated[int, Field(ge=0)] = 0
    max_units_per_period: Annotated[int, Field(ge=0)] | None = None
    cooling: Literal["air", "liquid"] = "air"
    racks_per_unit: NonNeg = 0.0
    source: str | None = None
    # Extensions: accelerator facts and a rental price, each optional.
    form_factor: str | None = None
    hbm_gb: NonNeg | None = None
    mem_bw_tbps: NonNeg | None = None
    tdp_w: NonNeg | None = None
    rental_usd_per_gpu_hour: NonNeg | None = None
    provenance: dict[str, Provenance] = Field(default_factory=dict)
    notes: str | None = None


class Catalog(Strict):
    name: str | None = None
    description: str | None = None
    source: str | None = None
    notes: str | None = None
    systems: Annotated[list[System], Field(min_length=1)]

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
    input_tokens: Annotated[int, Field(ge=0)]
    output_tokens: Annotated[int, Field(ge=0)]


CurveValue = Annotated[float, BeforeValidator(_check_number), Field(ge=0, le=MAX_CURVE_VALUE)]
Point = tuple[CurveValue, CurveValue]


class ModelProfile(Strict):
    """Throughput-vs-interactivity curves of one served model, per system."""

    id: Annotated[Name, Field(min_length=1)]
    name: str | None = None
    precision: str | None = None
    source: str | None = None
    token_basis: Literal["total", "output"] = "total"
    workload: Workload | None = None
    throughput: dict[Name, Annotated[list[Point], Field(min_length=1)]]
    # Extension: where each system's curve comes from.
    provenance: dict[str, Provenance] = Field(default_factory=dict)
    notes: str | None = None

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


class DemandRow(Strict):
    period: str
    model: str
    tokens_per_s: NonNeg
    min_tokens_per_s_per_user: NonNeg = 0.0
