"""A plan's summary: the typed form of summary.json, and cost per million tokens.

`planner.core.results.summarize` builds a `PlanSummary` from the plan tables; the solve
adds the shortfall and the model size, `planner.report.plan_set` the analyses skipped or
failed. `PlanSummary.to_json_dict` is summary.json's content (its keys in their order);
`PlanSummary.from_json_dict` reads a plan folder's summary.json back.

Imports nothing of the solver stack, so the report and the CLI read it at start-up.
"""

from __future__ import annotations

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
             "retired_units", "npv_usd")


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
    #: C. refresh: units retired early (installed and bought); only with
    #: options.allow_retirement
    retired_units: int | None = None
    #: F. cash flow: the sum of cashflow.csv's net_discounted_usd; only where demand
    #: carries token prices
    npv_usd: float | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """summary.json's content: every field in order; `shortfall`, `model_size`,
        `analyses_skipped` and `analysis_errors` only when set."""
        out = asdict(self)
        if out["cost_breakdown_usd"]["resale"] is None:
            del out["cost_breakdown_usd"]["resale"]
        for key in _OPTIONAL:
            if out[key] is None:
                del out[key]
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
                                  unmet_penalty=b["unmet_penalty"], resale=b.get("resale"))
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
            analysis_errors=d.get("analysis_errors"),
            retired_units=d.get("retired_units"),
            npv_usd=d.get("npv_usd"),
        )


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
