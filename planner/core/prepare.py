"""Prepare stage: turn validated inputs into the index sets and coefficients of the model
(`planner.core.problem.PlanData`).

Sparsity is decided here: a variable exists only where it can be non-zero (the hall
exists, the system fits its cooling, the lead time has passed, the system delivers
throughput at the demand class's SLO, a block can be built, a unit can retire).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from planner.core.problem import (
    DemandClass,
    PlanData,
    ThinCurve,
    interpolation_of,
    thin_curve,
    throughput_at,
)
from planner.core.rent_sets import rent_sets
from planner.gcpause import paused_gc
from planner.inputs.bundle import Inputs
from planner.inputs.datasets import System
from planner.inputs.periods import (
    HOURS_PER_PERIOD,
    PERIODS_PER_YEAR,
    parse_period,
    period_labels,
    plan_period,
)
from planner.inputs.validate import horizon_granularity, validate


def prepare(inputs: Inputs) -> PlanData:
    """Validate inputs and derive the sparse index sets and coefficients (with Python's
    cyclic collector paused, `planner.gcpause`)."""
    with paused_gc():
        return _prepare(inputs)


def _prepare(inputs: Inputs) -> PlanData:
    validate(inputs)
    sc = inputs.scenario
    gran = horizon_granularity(inputs)
    assert gran is not None
    labels = period_labels(sc.horizon.start, sc.horizon.periods, gran)
    first = parse_period(sc.horizon.start, gran)

    def t_of(period: str, edge: Literal["start", "end"] = "start") -> int:
        """The position of a period label of any granularity in the horizon (negative
        before its start), rounded inwards at `edge` (`planner.inputs.periods.plan_period`)."""
        return plan_period(period, gran, edge) - first

    # `systems:` restricts what may be bought; installed units of any system keep serving
    installed_any = {ex.system for site in sc.sites for ex in site.existing if ex.units > 0}
    allowed = (set(sc.systems) | installed_any) if sc.systems is not None else None
    buyable = set(sc.systems) if sc.systems is not None else None
    catalog = {s.id: s for s in inputs.catalog.systems}

    classes = _demand_classes(inputs, labels, t_of)
    tput_at = _curve_reader(inputs)
    tput = _throughput(inputs, classes, catalog, allowed, tput_at)
    serving = {g for g, _ in tput}
    existing = _existing(inputs, len(labels), t_of)
    # systems in the model: those that can serve, plus those already installed
    installed = {g for (_, g, _) in existing}
    order = [s.id for s in inputs.catalog.systems]
    systems = {g: catalog[g] for g in order if g in serving or g in installed}
    available_t = {site.name: 0 if site.available_from is None
                   else max(0, t_of(site.available_from)) for site in sc.sites}
    purchasable = {g for g in systems if g in serving and (buyable is None or g in buyable)}
    lead, basis = _lead_times(inputs, systems, gran)
    buy_index, fleet_index = _buy_and_fleet(inputs, systems, purchasable, available_t,
                                            existing, len(labels), lead)
    data = PlanData(
        name=sc.name,
        granularity=gran,
        labels=labels,
        hours=float(HOURS_PER_PERIOD[gran]),
        periods_per_year=PERIODS_PER_YEAR[gran],
        sites=list(sc.sites),
        systems=systems,
        classes=classes,
        tput=tput,
        existing=existing,
        available_t=available_t,
        buy_index=buy_index,
        fleet_index=fleet_index,
        serve_index=_serve_index(classes, tput, fleet_index),
        target_utilization=sc.options.target_utilization,
        average_power_fraction=sc.options.average_power_fraction,
        unmet_penalty_usd_per_mtok=sc.options.unmet_penalty_usd_per_mtok,
        strict_demand=sc.options.strict_demand,
        capex_accounting=sc.finance.capex_accounting,
        discount_rate=sc.finance.discount_rate,
        budget_per_period_usd=sc.budget.capex_usd_per_period,
        budget_total_usd=sc.budget.total_capex_usd,
        **rent_sets(inputs, classes, catalog, len(labels), t_of, tput_at),
        build_index=_build_index(inputs, available_t, len(labels)),
        lead_periods=lead,
        lead_basis=basis,
        demand_reading=inputs.demand_reading,
    )
    _retirement_sets(data, inputs, t_of)  # C. refresh: nothing without allow_retirement
    data.thin_curves = _thin_curves(inputs, classes, [*tput, *data.rent_tput])
    return data


def _curve_reader(inputs: Inputs) -> Callable[[str, str, float], float]:
    """tput_at(model, system, slo): tokens/s per GPU of the system at the SLO (0 without
    a curve), read with the profile's interpolation or the scenario's override."""
    override = inputs.scenario.options.interpolation

    def tput_at(model: str, system: str, slo: float) -> float:
        prof = inputs.profiles[model]
        pts = prof.throughput.get(system)
        if not pts:
            return 0.0
        return throughput_at(pts, slo, interpolation_of(prof.interpolation, override))

    return tput_at


def _thin_curves(inputs: Inputs, classes: list[DemandClass],
                 keys: list[tuple[str, int]]) -> dict[tuple[str, int], ThinCurve]:
    """(system, class) of `keys` whose throughput rests on a one-point curve or on flat
    extrapolation below the lowest point (`planner.core.problem.thin_curve`)."""
    out: dict[tuple[str, int], ThinCurve] = {}
    for g, k in keys:
        c = classes[k]
        pts = inputs.profiles[c.model].throughput.get(g)
        note = thin_curve(pts, c.slo) if pts else None
        if note is not None:
            out[(g, k)] = note
    return out


def _build_index(inputs: Inputs, available_t: dict[str, int], T: int) -> list[tuple[str, int]]:
    """A. (site, t) where a block may be energised: sites with `build`, from the later of
    the hall's availability and the build's lead time; ordered by period, then site."""
    out = [(site.name, t) for site in inputs.scenario.sites if site.build is not None
           for t in range(max(available_t[site.name], site.build.lead_time_periods), T)]
    pos = {s.name: i for i, s in enumerate(inputs.scenario.sites)}
    return sorted(out, key=lambda x: (x[1], pos[x[0]]))


def _demand_classes(inputs: Inputs, labels: list[str],
                    t_of: Callable[[str], int]) -> list[DemandClass]:
    """The demand classes (rows with positive demand), ordered by period, model and SLO;
    keys are unique within a period (``model@slo``, then ``#2``, ``#3`` for repeats in
    file order)."""
    classes: list[DemandClass] = []
    seen_keys: dict[tuple[int, str], int] = {}
    for row in inputs.demand:
        if row.tokens_per_s <= 0:
            continue
        t = t_of(row.period)
        key = f"{row.model}@{row.min_tokens_per_s_per_user:g}"
        n = seen_keys.get((t, key), 0)
        seen_keys[(t, key)] = n + 1
        if n:
            key = f"{key}#{n + 1}"
        classes.append(DemandClass(len(classes), t, labels[t], row.model,
                                   row.min_tokens_per_s_per_user, row.tokens_per_s, key,
                                   row.usd_per_mtok))
    classes.sort(key=lambda c: (c.t, c.model, c.slo, c.index))
    return [DemandClass(i, c.t, c.period, c.model, c.slo, c.tokens_per_s, c.key,
                        c.usd_per_mtok) for i, c in enumerate(classes)]


def _throughput(inputs: Inputs, classes: list[DemandClass], catalog: dict[str, System],
                allowed: set[str] | None, tput_at: Callable[[str, str, float], float]
                ) -> dict[tuple[str, int], float]:
    """Tokens/s per GPU of each catalogue system (of the `systems:` list and the installed
    ones, when the scenario restricts systems) at each class's SLO, where positive."""
    tput: dict[tuple[str, int], float] = {}
    for c in classes:
        curves = inputs.profiles[c.model].throughput
        for g in curves:
            if g not in catalog or (allowed is not None and g not in allowed):
                continue
            v = tput_at(c.model, g, c.slo)
            if v > 0:
                tput[(g, c.index)] = v
    return tput


def _existing(inputs: Inputs, T: int, t_of: Callable[..., int]
              ) -> dict[tuple[str, str, int], int]:
    """Installed units in service per (site, system, period), up to `retire_after`."""
    existing: dict[tuple[str, str, int], int] = {}
    for site in inputs.scenario.sites:
        for ex in site.existing:
            if ex.units <= 0:
                continue
            last_t = T - 1
            if ex.retire_after is not None:
                last_t = min(T - 1, t_of(ex.retire_after, "end"))
            for t in range(0, last_t + 1):
                k3 = (site.name, ex.system, t)
                existing[k3] = existing.get(k3, 0) + ex.units
    return existing


def _lead_times(inputs: Inputs, systems: dict[str, System], gran: str
                ) -> tuple[dict[str, int], dict[str, str]]:
    """Each system's lead time in whole periods of the plan, and its basis: the
    scenario's `lead_time_periods` override ("scenario"), else the catalogue's
    `lead_time_months` rounded up ("months"), else its `lead_time_periods` ("periods")."""
    override = inputs.scenario.lead_time_periods
    lead: dict[str, int] = {}
    basis: dict[str, str] = {}
    for g, sysdef in systems.items():
        if g in override:
            lead[g], basis[g] = override[g], "scenario"
        else:
            lead[g] = sysdef.lead_periods(gran)
            basis[g] = "periods" if sysdef.lead_time_months is None else "months"
    return lead, basis


def _buy_and_fleet(inputs: Inputs, systems: dict[str, System], purchasable: set[str],
                   available_t: dict[str, int], existing: dict[tuple[str, str, int], int],
                   T: int, lead: dict[str, int]
                   ) -> tuple[list[tuple[str, str, int]], list[tuple[str, str, int]]]:
    """Where units may be bought, and where units may stand, ordered by period, site and
    system: a purchasable system is bought only where its cooling fits the hall, from
    the hall's first available period and its lead time on, unless its supply is 0;
    bought units stay in service to the end of the horizon."""
    sites = inputs.scenario.sites
    buy_index: list[tuple[str, str, int]] = []
    fleet_set: set[tuple[str, str, int]] = set(existing)
    for site in sites:
        for g in systems:
            sysdef = systems[g]
            if g not in purchasable:
                continue
            if sysdef.cooling == "liquid" and site.cooling != "liquid":
                continue
            if sysdef.max_units_per_period == 0:
                continue
            start_t = max(available_t[site.name], lead[g])
            for t in range(start_t, T):
                buy_index.append((site.name, g, t))
                fleet_set.add((site.name, g, t))
    site_pos = {s.name: i for i, s in enumerate(sites)}
    sys_pos = {g: i for i, g in enumerate(systems)}

    def sgt_key(x: tuple[str, str, int]) -> tuple[int, int, int]:
        return (x[2], site_pos[x[0]], sys_pos[x[1]])

    buy_index.sort(key=sgt_key)
    return buy_index, sorted(fleet_set, key=sgt_key)


def _serve_index(classes: list[DemandClass], tput: dict[tuple[str, int], float],
                 fleet_index: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """(site, system, class) where a unit may serve: the fleet of the class's period, of
    a system with throughput at the class's SLO."""
    by_t: dict[int, list[tuple[str, str]]] = {}
    for s, g, t in fleet_index:
        by_t.setdefault(t, []).append((s, g))
    serve_index: list[tuple[str, str, int]] = []
    for c in classes:
        for s, g in by_t.get(c.t, []):
            if (g, c.index) in tput:
                serve_index.append((s, g, c.index))
    return serve_index


def _retirement_sets(data: PlanData, inputs: Inputs, t_of: Callable[..., int]) -> None:
    """Section C: where units may retire early (nothing without `allow_retirement`).

    Bought units of (s,g) may retire in any period after the first in which (s,g) may be
    bought; each installed entry in any period up to its last in service.
    """
    if not inputs.scenario.options.allow_retirement:
        return
    T, buy_index = data.T, data.buy_index
    entries: list[tuple[str, int, str, int, int]] = []
    for site in inputs.scenario.sites:
        for j, ex in enumerate(site.existing):
            last_t = (T - 1 if ex.retire_after is None
                      else min(T - 1, t_of(ex.retire_after, "end")))
            if ex.units > 0 and last_t >= 0:
                entries.append((site.name, j, ex.system, ex.units, last_t))
    first_buy: dict[tuple[str, str], int] = {}
    for s, g, t in buy_index:  # ordered by period
        first_buy.setdefault((s, g), t)
    retire_index = sorted(((s, g, t) for (s, g), t0 in first_buy.items()
                           for t in range(t0 + 1, T)), key=lambda x: (x[2], x[0], x[1]))
    xretire_index = sorted(((s, j, t) for s, j, _g, _u, last in entries
                            for t in range(0, last + 1)), key=lambda x: (x[2], x[0], x[1]))
    data.allow_retirement = True
    data.existing_entries, data.retire_index = entries, retire_index
    data.xretire_index = xretire_index
    if not retire_index and not xretire_index:
        data.warnings.append("options.allow_retirement is true but there is nothing to retire: "
                        "no installed units, and no system the plan may buy before the "
                        "last period")


def widen(data: PlanData, envelope: PlanData) -> PlanData:
    """G. `data` (one future's problem) with the systems, purchases, fleet and retirements
    of `envelope` (the problem of every future's demand at once), serving re-derived:
    so every future has the same decision columns, and the ones it cannot use stay 0
    (a system no class of this future can use is never worth buying for it)."""
    data.systems = envelope.systems
    data.buy_index, data.fleet_index = envelope.buy_index, envelope.fleet_index
    data.serve_index = _serve_index(data.classes, data.tput, data.fleet_index)
    data.retire_index, data.xretire_index = envelope.retire_index, envelope.xretire_index
    return data
