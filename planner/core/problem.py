"""The planning problem as data: `PlanData`, the index sets and the cost coefficients of
the model, which `planner.core.prepare.prepare` computes from validated inputs.

Everything here is plain Python (no Pyomo), so it can be tested alone and reused by the
reports.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from planner.core.rent_sets import RentData
from planner.inputs.datasets import System
from planner.inputs.periods import format_period, parse_period
from planner.inputs.schemas import Site

#: unit conversions of the contract's formulas (power rows are in kW, prices per MWh and
#: per million tokens, opex per year)
KW_PER_MW = 1000.0
HOURS_PER_YEAR = 8760.0
SECONDS_PER_HOUR = 3600.0
TOKENS_PER_MTOK = 1e6
#: slack when counting whole units that fit under a cap (floor(cap / per_unit + slack)),
#: so that a cap of exactly n units is not read as n - 1 through floating-point rounding
UNIT_FLOOR_SLACK = 1e-9


def throughput_at(points: Sequence[Sequence[float]], slo: float,
                  interpolation: str = "linear") -> float:
    """Tokens/s per GPU at an interactivity SLO (tokens/s per user), by the contract's rule.

    Points are (interactivity, throughput). At or below the lowest interactivity: the
    throughput of that lowest point. Above the highest: 0 (the system cannot meet the
    SLO). Between two points (x0, y0) and (x1, y1), by the profile's `interpolation`
    (or the scenario's `options.interpolation`):

    - `linear` (the default, the contract's rule): y0 + (y1 - y0) (x - x0) / (x1 - x0);
    - `log`: linear in ln(throughput), y0 (y1 / y0) ^ ((x - x0) / (x1 - x0)), the same
      factor of throughput lost per tokens/s per user; at most the linear value, so
      between distant points it is the cautious reading of a curve that falls roughly
      exponentially. A segment with an end at 0 tokens/s per GPU (no logarithm) is read
      linearly.
    """
    pts = sorted((float(x), float(y)) for x, y in points)
    if not pts:
        return 0.0
    xs = [p[0] for p in pts]
    if slo <= xs[0]:
        return pts[0][1]
    if slo > xs[-1]:
        return 0.0
    i = bisect.bisect_left(xs, slo)
    if xs[i] == slo:
        return pts[i][1]
    (x0, y0), (x1, y1) = pts[i - 1], pts[i]
    f = (slo - x0) / (x1 - x0)
    if interpolation == "log" and y0 > 0 and y1 > 0:
        return y0 * (y1 / y0) ** f
    return y0 + (y1 - y0) * f


def interpolation_of(profile_interpolation: str, override: str | None) -> str:
    """The interpolation a curve is read with: the scenario's `options.interpolation`
    (or `planner cost --interpolation`) when given, else the profile's own."""
    return override if override is not None else profile_interpolation


@dataclass(frozen=True)
class ThinCurve:
    """A throughput at an SLO that rests on thin data: the system's curve for the model
    has one point, or the SLO lies below the curve's lowest point, where the throughput
    of that point is assumed at every lower interactivity (flat extrapolation)."""

    points: int  # the curve's number of points
    interactivity: float  # the point used: its tokens/s per user ...
    tokens_per_s_per_gpu: float  # ... and its tokens/s per GPU

    @property
    def reason(self) -> str:
        """`single_point` (the curve has one point) or `below_lowest_point`."""
        return "single_point" if self.points == 1 else "below_lowest_point"


def thin_curve(points: Sequence[Sequence[float]], slo: float) -> ThinCurve | None:
    """Whether the throughput of a curve at `slo` rests on thin data (`ThinCurve`): the
    curve has one point (and the SLO is not above it), or the SLO is below its lowest
    point. None when the throughput is read from two points around the SLO, from a point
    at the SLO of a curve with several, or is 0 (above the highest point)."""
    pts = sorted((float(x), float(y)) for x, y in points)
    if not pts or slo > pts[-1][0]:
        return None
    if len(pts) == 1 or slo < pts[0][0]:
        return ThinCurve(len(pts), pts[0][0], pts[0][1])
    return None


@dataclass(frozen=True)
class DemandClass:
    """One demand row: a model, a period, an SLO and the tokens/s to sustain."""

    index: int
    t: int
    period: str
    model: str
    slo: float
    tokens_per_s: float
    key: str  # unique within its period, e.g. "llama-70b@30"
    #: D. prices: what a million of its tokens earns (None: the unmet penalty applies)
    usd_per_mtok: float | None = None


@dataclass
class PlanData:
    """Index sets and coefficients of one planning problem."""

    name: str
    granularity: str
    labels: list[str]
    hours: float
    periods_per_year: int
    sites: list[Site]
    systems: dict[str, System]
    classes: list[DemandClass]
    tput: dict[tuple[str, int], float]  # (system, class) -> tokens/s per GPU at the SLO, > 0
    existing: dict[tuple[str, str, int], int]  # (site, system, t) -> units in service
    available_t: dict[str, int]  # site -> first period index it can hold equipment
    buy_index: list[tuple[str, str, int]]
    fleet_index: list[tuple[str, str, int]]
    serve_index: list[tuple[str, str, int]]  # (site, system, class)
    target_utilization: float
    average_power_fraction: float
    unmet_penalty_usd_per_mtok: float
    strict_demand: bool
    capex_accounting: str
    discount_rate: float
    budget_per_period_usd: float | None
    budget_total_usd: float | None
    # ---- B. renting: offers, (r, t) where rent[r,t] exists, (r, k) where rserve[r,k]
    # exists, and tokens/s per GPU of a rented system at a class's SLO ----
    rent_offers: list[RentData] = field(default_factory=list)
    rent_index: list[tuple[int, int]] = field(default_factory=list)
    rserve_index: list[tuple[int, int]] = field(default_factory=list)
    rent_tput: dict[tuple[str, int], float] = field(default_factory=dict)
    # A. building power: (site, t) where blocks may be energised (`sites[].build`)
    build_index: list[tuple[str, int]] = field(default_factory=list)
    # --- C. refresh (contract v2): empty unless options.allow_retirement
    allow_retirement: bool = False
    #: the installed entries that may retire early: (site, entry position, system, units,
    #: last period in service)
    existing_entries: list[tuple[str, int, str, int, int]] = field(default_factory=list)
    #: (site, system, t) where bought units may retire: after the first purchase period
    retire_index: list[tuple[str, str, int]] = field(default_factory=list)
    #: (site, entry position, t) where installed units may retire: up to their last period
    xretire_index: list[tuple[str, int, int]] = field(default_factory=list)
    #: lead time of each system of the model in whole periods of this plan (the
    #: catalogue's months rounded up, its periods, or the scenario's override), and where
    #: each comes from: "months", "periods" (the catalogue's) or "scenario"
    lead_periods: dict[str, int] = field(default_factory=dict)
    lead_basis: dict[str, str] = field(default_factory=dict)
    #: how the demand file was read (`planner.inputs.forecast.DemandReading.as_dict`):
    #: None for a v1 file (long layout, tokens/s, the plan's periods)
    demand_reading: dict[str, Any] | None = None
    #: what the planner warns about this problem (printed, never an error)
    warnings: list[str] = field(default_factory=list)
    #: (system, class) whose tokens/s per GPU at the class's SLO (owned or rented) rests
    #: on a curve with one point or on flat extrapolation below its lowest point
    thin_curves: dict[tuple[str, int], ThinCurve] = field(default_factory=dict)

    @property
    def T(self) -> int:  # noqa: N802 - the contract's symbol
        return len(self.labels)

    def __post_init__(self) -> None:
        self.site_by_name: dict[str, Site] = {s.name: s for s in self.sites}
        #: (period label, class key) -> class index
        self.class_of_key: dict[tuple[str, str], int] = {
            (c.period, c.key): c.index for c in self.classes}

    # ---- cost coefficients (the contract's objective, per unit) ----
    def lead(self, g: str) -> int:
        """Lead time of system g in whole periods of this plan (0 if not in the model)."""
        return self.lead_periods.get(g, 0)

    def order_by(self, g: str, t: int) -> str:
        """The label of the period at whose start a unit of g commissioned in t must be
        ordered: t minus its lead time in whole periods. Never before the horizon in a
        plan (no unit is commissioned before the horizon start plus its lead time)."""
        first = parse_period(self.labels[0], self.granularity)
        return format_period(first + t - self.lead(g), self.granularity)

    def discount(self, t: int) -> float:
        return float(1.0 / (1.0 + self.discount_rate) ** (t * self.hours / HOURS_PER_YEAR))

    def capex_share(self, g: str, t: int) -> float:
        """Share of the purchase price counted in the horizon for a unit bought in t."""
        if self.capex_accounting == "upfront":
            return 1.0
        life_periods = self.systems[g].lifetime_years * self.periods_per_year
        return min(1.0, (self.T - t) / life_periods)

    def unit_price_usd(self, g: str, t: int) -> float:
        """E. the price of one unit of g commissioned in t, before accounting and discount:
        capex_usd x (1 - capex_decline_per_year)^(t H / 8760) (the budgets' price)."""
        sysd = self.systems[g]
        if sysd.capex_decline_per_year == 0:
            return sysd.capex_usd
        return float(sysd.capex_usd * (1.0 - sysd.capex_decline_per_year)
                     ** (t * self.hours / HOURS_PER_YEAR))

    def capex_charge_usd(self, g: str, t: int) -> float:
        """Objective cost of one unit of g commissioned in t (accounting and discount)."""
        return self.unit_price_usd(g, t) * self.capex_share(g, t) * self.discount(t)

    def resale_usd(self, g: str, t: int) -> float:
        """Undiscounted resale of one unit of g retired in t: resale_fraction x the price
        of a new unit in t x the accounting factor of t (section C)."""
        return self.systems[g].resale_fraction * self.unit_price_usd(g, t) * \
            self.capex_share(g, t)

    def resale_credit_usd(self, g: str, t: int) -> float:
        """Objective credit (discounted) of one unit of g retired in t."""
        return self.resale_usd(g, t) * self.discount(t)

    def energy_usd_per_unit(self, s: str, g: str, t: int) -> float:
        site = self.site_by_name[s]
        kw = self.systems[g].unit_power_kw
        return (kw / KW_PER_MW * self.average_power_fraction * site.pue * self.hours
                * site.electricity_usd_per_mwh * self.discount(t))

    def opex_usd_per_unit(self, g: str, t: int) -> float:
        return self.systems[g].opex_usd_per_year * self.hours / HOURS_PER_YEAR * self.discount(t)

    def unmet_usd_per_tokens_per_s(self, t: int) -> float:
        return (self.hours * SECONDS_PER_HOUR / TOKENS_PER_MTOK
                * self.unmet_penalty_usd_per_mtok * self.discount(t))

    # ---- D. prices ----
    @property
    def priced(self) -> bool:
        """Whether some demand class carries a price (`usd_per_mtok`)."""
        return any(c.usd_per_mtok is not None for c in self.classes)

    def unmet_usd_of_class(self, k: int) -> float:
        """Objective cost of one token/s of class k unmet for its period: at the class's
        price where given (revenue lost), else at the unmet penalty."""
        c = self.classes[k]
        if c.usd_per_mtok is None:
            return self.unmet_usd_per_tokens_per_s(c.t)
        return self.hours * SECONDS_PER_HOUR / TOKENS_PER_MTOK * c.usd_per_mtok \
            * self.discount(c.t)

    # ---- B. renting ----
    def rent_cash_usd_per_gpu(self, r: int) -> float:
        """What one GPU of offer r held through a period costs, undiscounted."""
        return self.rent_offers[r].usd_per_gpu_hour * self.hours

    def rent_tokens_per_gpu(self, r: int, k: int) -> float:
        """Tokens/s one rented GPU of offer r serves for class k."""
        return self.rent_tput[(self.rent_offers[r].system, k)] * self.target_utilization

    def rent_gpu_bound(self, r: int, t: int) -> float | None:
        """The most GPUs of offer r a plan needs in t: max_gpus, and (the bound the
        strong formulation adds) the GPUs that serve all demand of t it can serve."""
        need = sum(self.classes[k].tokens_per_s / self.rent_tokens_per_gpu(r, k)
                   for rr, k in self.rserve_index if rr == r and self.classes[k].t == t)
        cap = self.rent_offers[r].max_gpus
        return need if cap is None else min(cap, need)

    def tokens_per_unit(self, g: str, k: int) -> float:
        """Tokens/s one unit of g serves for class k (GPUs x tput x target utilisation)."""
        return self.systems[g].gpus_per_unit * self.tput[(g, k)] * self.target_utilization

    def buy_cap(self, s: str, g: str, power_kw: float | None = None) -> float:
        """The most units of g that hall s can take in one period: floor(power_kw /
        unit_power_kw[g]), floor(max_racks[s] / racks_per_unit[g]) where the hall caps its
        racks, and max_units_per_period[g] where the system's supply is capped.

        `power_kw` is the hall's power cap (power_mw[s] x 1000 unless given), plus the
        most MW the hall may build (`max_build_mw`, section A), so the bound holds for
        every power the hall can ever have. Purchases
        carry this upper bound in the strong formulation (`planner.core.variables`); it
        never cuts a feasible plan, since the units bought in a period are in its fleet.
        """
        cap = self.hall_cap(s, g, power_kw)
        supply = self.systems[g].max_units_per_period
        return float(cap) if supply is None else min(float(cap), float(supply))

    def hall_cap(self, s: str, g: str, power_kw: float | None = None) -> int:
        """The most units of g hall s can ever hold at once: floor(power_kw /
        unit_power_kw[g]) with power_kw the hall's power (power_mw[s] x 1000 unless given)
        plus the most MW it may build (section A), and floor(max_racks[s] /
        racks_per_unit[g]) where the hall caps its racks."""
        site, sysd = self.site_by_name[s], self.systems[g]
        kw = site.power_mw * KW_PER_MW if power_kw is None else power_kw
        kw += self.max_build_mw(s) * KW_PER_MW  # A: the most power the hall can ever have
        cap = math.floor(kw / sysd.unit_power_kw + UNIT_FLOOR_SLACK)
        if site.max_racks is not None and sysd.racks_per_unit > 0:
            cap = min(cap, math.floor(site.max_racks / sysd.racks_per_unit + UNIT_FLOOR_SLACK))
        return cap


    # ---- A. building power (contract v2): blocks of MW energised at a site ----
    def max_blocks(self, s: str) -> int:
        """The most blocks site s may build over the horizon (0 without `build`)."""
        b = self.site_by_name[s].build
        return 0 if b is None else math.floor(b.max_mw / b.block_mw + UNIT_FLOOR_SLACK)

    def max_build_mw(self, s: str) -> float:
        """The most MW site s may add by building (whole blocks within max_mw)."""
        b = self.site_by_name[s].build
        return 0.0 if b is None else self.max_blocks(s) * b.block_mw

    def block_capex_usd(self, s: str) -> float:
        """Full price of one block at site s (block_mw x capex_usd_per_mw): budgets, cash."""
        b = self.site_by_name[s].build
        assert b is not None
        return b.block_mw * b.capex_usd_per_mw

    def block_capex_charge_usd(self, s: str, t: int) -> float:
        """Objective cost of one block energised at s in t: its full price times the
        accounting factor of the build's own lifetime, discounted."""
        b = self.site_by_name[s].build
        assert b is not None
        share = 1.0 if self.capex_accounting == "upfront" else min(
            1.0, (self.T - t) / (b.lifetime_years * self.periods_per_year))
        return self.block_capex_usd(s) * share * self.discount(t)

    def block_opex_usd(self, s: str, t: int, discounted: bool = True) -> float:
        """Fixed opex of one block in service at s in period t (block_mw x
        opex_usd_per_mw_year x H / 8760), discounted unless told otherwise."""
        b = self.site_by_name[s].build
        assert b is not None
        usd = b.block_mw * b.opex_usd_per_mw_year * self.hours / HOURS_PER_YEAR
        return usd * self.discount(t) if discounted else usd

    def block_opex_charge_usd(self, s: str, t: int) -> float:
        """Objective cost of the fixed opex of one block energised at s in t: its opex in
        every period from t to the end of the horizon (built MW stay)."""
        return sum(self.block_opex_usd(s, u) for u in range(t, self.T))
