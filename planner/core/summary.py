"""A plan's summary: the typed form of summary.json, and cost per million tokens.

`planner.core.results.summarize` builds a `PlanSummary` from the plan tables; the solve
adds the shortfall and the model size, `planner.report.plan_set` the analyses skipped or
failed. `PlanSummary.to_json_dict` is summary.json's content (its keys in their order);
`PlanSummary.from_json_dict` reads a plan folder's summary.json back.

Imports nothing of the solver stack, so the report and the CLI read it at start-up.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from planner.fmt import finite


def usd_per_mtok(usd: float, tokens: float) -> float:
    """USD per million tokens: ``usd / tokens x 1e6``; infinite when `tokens` is 0 or less.

    The one implementation of cost per token. Over one hour of a GPU it is the seed's
    identity, ``$/GPU-hour / (tokens/s per GPU x 3600) x 1e6``
    (`planner.analysis.economics.cost_per_mtok`, and per unit-hour the greedy baseline's
    ranking); over a plan's horizon, spend / tokens served x 1e6 (summary.json's
    ``cost_per_mtok_usd``, and per served model in the report).
    """
    if tokens <= 0:
        return math.inf
    return usd / tokens * 1e6


@dataclass(kw_only=True)
class CostBreakdown:
    """The objective's terms over the horizon, USD: discounted, capex as the scenario
    accounts it (charged upfront or amortized inside the horizon)."""

    capex: float
    energy: float
    opex: float
    #: unserved tokens at the scenario's unmet-demand price: not money spent
    unmet_penalty: float
    #: B. rented GPUs (money); only in a plan with `rent:` (summary.json omits it else)
    rent: float | None = None
    # A. building power: only when some site has `build` (else None, not written)
    #: capex of the blocks built, as the scenario accounts it
    build_capex: float | None = None
    #: fixed opex of the MW built
    build_opex: float | None = None
    #: C. refresh: the resale of units retired early, negative (money earned back); only
    #: with options.allow_retirement
    resale: float | None = None


@dataclass(kw_only=True)
class SiteSummary:
    """One hall over the horizon."""

    power_cap_mw: float
    #: the largest IT power of the fleet in service in any period
    peak_power_mw: float
    #: tokens/s served per MW of IT power in service, over all periods; None without power
    tokens_per_s_per_mw: float | None
    peak_racks: float
    max_racks: float | None


@dataclass(kw_only=True)
class Horizon:
    """The planning horizon: `periods` periods of `granularity` from `start`."""

    start: str
    periods: int
    granularity: str
    hours_per_period: float


@dataclass(kw_only=True)
class ShortClass:
    """One demand class (model, period, SLO) the plan leaves short, and why."""

    period: str
    model: str
    min_tokens_per_s_per_user: float
    demand_tokens_per_s: float
    unmet_tokens_per_s: float
    #: unmet over demand
    unmet_share: float
    #: the reason, in the planner's words (`planner.analysis.shortfall.why_short`)
    why: str


@dataclass(kw_only=True)
class Shortfall:
    """How much demand the plan leaves unserved (summary.json's ``shortfall``)."""

    #: demand classes with unmet tokens
    classes_short: int
    #: tokens unserved over the horizon
    unmet_tokens: float
    #: unserved tokens over demanded tokens
    unmet_share: float
    penalty_usd: float
    #: the largest short classes, largest first (`planner.analysis.shortfall.TOP_CLASSES`)
    largest: list[ShortClass]


@dataclass(kw_only=True)
class ModelSize:
    """The compiled program HiGHS solved."""

    columns: int
    rows: int
    nonzeros: int


#: fields summary.json carries only when they are set, in this order after the others
_OPTIONAL = ("shortfall", "model_size", "analyses_skipped", "analysis_errors",
             "analysis_budget",
             # ---- B. renting, D. prices (contract v2) ----
             "rented_tokens", "rented_share", "revenue_usd", "revenue_cash_usd",
             "margin_usd", "margin_per_mw_usd",
             # ---- A. building power ----
             "built_mw",
             # ---- C. refresh, F. cash flow ----
             "retired_units", "npv_usd",
             # ---- forecasts as they come: lead times, the demand file as read ----
             "lead_times", "demand_input")
#: cost_breakdown_usd keys written only when set (A. building power, C. refresh)
_OPTIONAL_COSTS = ("build_capex", "build_opex", "resale")


@dataclass(kw_only=True)
class PlanSummary:
    """A solved plan's figures: summary.json, typed. Money in USD, tokens over the horizon.

    The fields are in summary.json's order. Costs are the objective's (discounted):
    `total_cost_usd` = `spend_usd` (capex, energy, opex: money) + `unmet_penalty_usd`
    (unserved tokens at the scenario's price: not money).
    """

    scenario: str
    #: optimal, time_limit (`planner.core.highs.SolveOutcome.status`)
    status: str
    time_limited: bool
    total_cost_usd: float
    spend_usd: float
    unmet_penalty_usd: float
    cost_breakdown_usd: CostBreakdown
    tokens_served: float
    unmet_tokens: float
    demand_tokens: float
    #: tokens served over tokens demanded (1.0 without demand); None in a summary written
    #: before the field existed
    demand_served_share: float | None
    #: spend over tokens served x 1e6 (`usd_per_mtok`); None when nothing is served
    cost_per_mtok_usd: float | None
    #: tokens/s served per MW of IT power in service, over all halls and periods
    tokens_per_s_per_mw: float | None
    objective_usd: float | None
    best_bound_usd: float | None
    #: HiGHS's relative MIP gap at the stop
    mip_gap: float | None
    solve_seconds: float
    #: HiGHS's own words for the stop
    solver_status: str
    #: capex of the units commissioned, undiscounted and not amortized (cash)
    capex_cash_usd: float
    units_bought: int
    units_bought_by_period: dict[str, int]
    sites: dict[str, SiteSummary]
    horizon: Horizon
    #: the solver settings of the solve (time_limit_s, mip_rel_gap, threads, random_seed)
    solver_settings: dict[str, Any]
    shortfall: Shortfall | None = None
    model_size: ModelSize | None = None
    #: analyses not run, and why (`planner.report.plan_set`)
    analyses_skipped: dict[str, str] | None = None
    #: analyses that failed, one sentence each (`planner.report.plan_set`)
    analysis_errors: list[str] | None = None
    #: the analyses' time budget (`planner.report.plan_set`): ``budget_s``, ``rule`` (how
    #: the budget was set)
    analysis_budget: dict[str, Any] | None = None
    # ---- B. renting (only with `rent:`) ----
    #: tokens rented GPUs serve over the horizon (included in `tokens_served`)
    rented_tokens: float | None = None
    #: rented tokens over tokens served (None when nothing is served)
    rented_share: float | None = None
    # ---- D. prices (only where a demand row has `usd_per_mtok`; `planner.core.prices`) ----
    #: price x tokens served over the priced classes, discounted like the costs
    revenue_usd: float | None = None
    #: the same, undiscounted
    revenue_cash_usd: float | None = None
    #: revenue_usd - spend_usd (discounted; penalties are not money)
    margin_usd: float | None = None
    #: margin_usd per MW of peak IT power in service over all halls
    margin_per_mw_usd: float | None = None
    #: whether the plan has rent / prices (set by `summarize`; not written)
    has_rent: bool = False
    has_prices: bool = False
    # A. building power: MW built over the horizon, all sites (only with `build`)
    built_mw: float | None = None
    #: C. refresh: units retired early (installed and bought); only with
    #: options.allow_retirement
    retired_units: int | None = None
    #: F. cash flow: the sum of cashflow.csv's net_discounted_usd; only where demand
    #: carries token prices
    npv_usd: float | None = None
    #: per system with a lead time (or one given in months, or by the scenario): its
    #: `periods` in this plan, `months` where the catalogue gives months, and `basis`
    #: ("months": rounded up to whole periods; "periods": the catalogue's; "scenario")
    lead_times: dict[str, dict[str, Any]] | None = None
    #: how the demand file was read when it is not in v1 form (long layout, tokens/s, the
    #: plan's periods): layout, unit, conversions and `aggregation`
    demand_input: dict[str, Any] | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """summary.json's content: every field in order; `shortfall`, `model_size`,
        `analyses_skipped` and `analysis_errors` only when set; the renting fields and
        `cost_breakdown_usd.rent` only with `rent:`, the price fields only with prices."""
        out = asdict(self)
        has_rent, has_prices = out.pop("has_rent"), out.pop("has_prices")
        for key in _OPTIONAL:
            if out[key] is None and not (
                    (has_rent and key in ("rented_tokens", "rented_share"))
                    or (has_prices and key in _PRICE_FIELDS)):
                del out[key]
        if out["cost_breakdown_usd"].get("rent") is None:
            out["cost_breakdown_usd"].pop("rent", None)
        for key in _OPTIONAL_COSTS:
            if out["cost_breakdown_usd"][key] is None:
                del out["cost_breakdown_usd"][key]
        return out

    @classmethod
    def from_json_dict(cls, d: Mapping[str, Any]) -> PlanSummary:
        """A summary from summary.json's content.

        Raises KeyError naming a field every planner writes that `d` lacks. A summary
        written before `spend_usd`, `unmet_penalty_usd` and `demand_served_share` existed
        (or without a finite figure in them) gives the first two by its cost breakdown
        and None for the share; one without a shortfall (or with one written before
        ``classes_short``) gives None. Values are taken as written: checking them is not
        done here.
        """
        b = d["cost_breakdown_usd"]
        breakdown = CostBreakdown(capex=b["capex"], energy=b["energy"], opex=b["opex"],
                                  unmet_penalty=b["unmet_penalty"], rent=b.get("rent"),
                                  **{k: b[k] for k in _OPTIONAL_COSTS if k in b})
        spend = finite(d.get("spend_usd"))
        if spend is None:
            spend = sum(float(x or 0.0) for x in (b["capex"], b["energy"], b["opex"]))
        penalty = finite(d.get("unmet_penalty_usd"))
        if penalty is None:
            penalty = float(b["unmet_penalty"] or 0.0)
        sf = d.get("shortfall")
        ms = d.get("model_size")
        return cls(
            scenario=d["scenario"], status=d["status"], time_limited=d["time_limited"],
            total_cost_usd=d["total_cost_usd"], spend_usd=spend, unmet_penalty_usd=penalty,
            cost_breakdown_usd=breakdown, tokens_served=d["tokens_served"],
            unmet_tokens=d["unmet_tokens"], demand_tokens=d["demand_tokens"],
            demand_served_share=d.get("demand_served_share"),
            cost_per_mtok_usd=d["cost_per_mtok_usd"],
            tokens_per_s_per_mw=d["tokens_per_s_per_mw"], objective_usd=d["objective_usd"],
            best_bound_usd=d["best_bound_usd"], mip_gap=d["mip_gap"],
            solve_seconds=d["solve_seconds"], solver_status=d["solver_status"],
            capex_cash_usd=d["capex_cash_usd"], units_bought=d["units_bought"],
            units_bought_by_period=dict(d["units_bought_by_period"]),
            sites={name: SiteSummary(**{k: v[k] for k in _SITE_FIELDS})
                   for name, v in d["sites"].items()},
            horizon=Horizon(**{k: d["horizon"][k] for k in _HORIZON_FIELDS}),
            solver_settings=dict(d["solver_settings"]),
            shortfall=_shortfall(sf) if isinstance(sf, Mapping) and "classes_short" in sf
            else None,
            model_size=None if ms is None else ModelSize(
                columns=ms["columns"], rows=ms["rows"], nonzeros=ms["nonzeros"]),
            analyses_skipped=d.get("analyses_skipped"),
            analysis_budget=d.get("analysis_budget"),
            analysis_errors=d.get("analysis_errors"),
            **{k: d.get(k) for k in _V2_FIELDS}, built_mw=d.get("built_mw"),
            has_rent="rented_tokens" in d, has_prices="revenue_usd" in d,
            retired_units=d.get("retired_units"),
            npv_usd=d.get("npv_usd"),
            lead_times=d.get("lead_times"),
            demand_input=d.get("demand_input"),
        )


_PRICE_FIELDS = ("revenue_usd", "revenue_cash_usd", "margin_usd", "margin_per_mw_usd")
_V2_FIELDS = ("rented_tokens", "rented_share", *_PRICE_FIELDS)
_SITE_FIELDS = ("power_cap_mw", "peak_power_mw", "tokens_per_s_per_mw", "peak_racks",
                "max_racks")
_HORIZON_FIELDS = ("start", "periods", "granularity", "hours_per_period")
_CLASS_FIELDS = ("period", "model", "min_tokens_per_s_per_user", "demand_tokens_per_s",
                 "unmet_tokens_per_s", "unmet_share", "why")


def _shortfall(sf: Mapping[str, Any]) -> Shortfall:
    return Shortfall(classes_short=sf["classes_short"], unmet_tokens=sf["unmet_tokens"],
                     unmet_share=sf["unmet_share"], penalty_usd=sf["penalty_usd"],
                     largest=[ShortClass(**{k: c[k] for k in _CLASS_FIELDS})
                              for c in sf["largest"]])


def type_problems(obj: Any, where: str = "") -> list[tuple[str, str]]:
    """(field path, what is wrong) for each value of a summary read back from a file that
    does not have its field's type: text where a number belongs, a number where text
    does. Numbers may be null (summary.json writes a non-finite number as null)."""
    out: list[tuple[str, str]] = []
    if not dataclasses.is_dataclass(obj):
        return out
    for f in dataclasses.fields(obj):
        # annotations are strings here (``from __future__ import annotations``): "float | None"
        value, hint, path = getattr(obj, f.name), str(f.type), f"{where}{f.name}"
        if dataclasses.is_dataclass(value):
            out += type_problems(value, path + ".")
        elif isinstance(value, dict) and value and all(
                dataclasses.is_dataclass(v) for v in value.values()):
            for k, v in value.items():
                out += type_problems(v, f"{path}.{k}.")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                out += type_problems(v, f"{path}[{i}].")
        elif value is None:
            continue
        elif hint.startswith(("float", "int")) and (
                isinstance(value, bool) or not isinstance(value, (int, float))):
            out.append((path, f"must be a number, got {value!r}"))
        elif hint.startswith("str") and not isinstance(value, str):
            out.append((path, f"must be text, got {value!r}"))
        elif hint.startswith("bool") and not isinstance(value, bool):
            out.append((path, f"must be true or false, got {value!r}"))
    return out
