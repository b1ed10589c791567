"""Validate stage: cross-file checks that single-file schemas cannot make.

Periods must parse in the horizon's granularity and lie in the horizon, names must be
unique, references to systems and models must resolve, and one run must not mix token
bases. All issues are gathered and raised together. `partial_issues` runs the checks
that the files which did load allow, so a run with a broken scenario still reports the
problems of its demand file.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from planner.errors import Issue, IssueCollector
from planner.loader import Inputs
from planner.periods import detect_granularity, format_period, parse_period
from planner.schemas import Catalog, DemandRow, Horizon, ModelProfile, Scenario

if TYPE_CHECKING:
    from planner.problem import PlanData
    from planner.results import PlanTables


def _did_you_mean(name: str, options: list[str]) -> str:
    folded = {o.casefold(): o for o in options}
    if name.casefold() in folded:
        return f"; did you mean {folded[name.casefold()]!r}? (names are case-sensitive)"
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


def horizon_granularity(inputs: Inputs) -> str | None:
    h = inputs.scenario.horizon
    return h.granularity or detect_granularity(h.start)


class _Periods:
    """Checks period labels against a horizon (silent if the horizon itself is bad)."""

    def __init__(self, horizon: Horizon | None, sf: str, errs: IssueCollector) -> None:
        self.errs = errs
        self.gran: str | None = None
        self.first: int | None = None
        self.last: int | None = None
        if horizon is None:
            return
        detected = detect_granularity(horizon.start)
        gran = horizon.granularity or detected
        if gran is None or detected is None:
            errs.add(sf, "horizon.start",
                     f"{horizon.start!r} is not a period (use a quarter 2027Q1, a month "
                     "2027-01 or a year 2027)")
            return
        try:
            self.first = parse_period(horizon.start, gran)
        except ValueError:
            errs.add(sf, "horizon.granularity",
                     f"{gran!r} does not match start {horizon.start!r} (which is a "
                     f"{detected}); write the start as a {gran} or set granularity: "
                     f"{detected}")
            return
        self.gran = gran
        self.last = self.first + horizon.periods - 1
        per_year = {"quarter": 4, "month": 12, "year": 1}[gran]
        if self.last // per_year > 9999:
            errs.add(sf, "horizon.periods", "the horizon runs past the year 9999")
            self.gran = None

    def check(self, label: str, file: str, field: str, allow_before: bool,
              allow_after: bool) -> int | None:
        if self.gran is None or self.first is None or self.last is None:
            return None
        try:
            p = parse_period(label, self.gran)
        except ValueError as exc:
            self.errs.add(file, field, str(exc))
            return None
        span = f"{format_period(self.first, self.gran)}..{format_period(self.last, self.gran)}"
        if p < self.first and not allow_before:
            self.errs.add(file, field, f"{label} is before the horizon ({span})")
            return None
        if p > self.last and not allow_after:
            self.errs.add(file, field, f"{label} is after the horizon ({span})")
            return None
        return p


def _check_scenario(sc: Scenario, cat: Catalog | None, periods: _Periods, sf: str,
                    catalog_file: str, errs: IssueCollector) -> None:
    systems = {s.id: s for s in cat.systems} if cat is not None else None
    system_ids = [s.id for s in cat.systems] if cat is not None else []

    if sc.systems is not None:
        if not sc.systems:
            errs.add(sf, "systems", "is empty; omit it to use the whole catalogue")
        seen: set[str] = set()
        for i, sid in enumerate(sc.systems):
            if systems is not None and sid not in systems:
                errs.add(sf, f"systems[{i}]",
                         f"unknown system {sid!r} in {catalog_file}"
                         + _did_you_mean(sid, system_ids))
            if sid in seen:
                errs.add(sf, f"systems[{i}]", f"{sid!r} is listed twice")
            seen.add(sid)

    names: dict[str, int] = {}
    for i, site in enumerate(sc.sites):
        if site.name in names:
            errs.add(sf, f"sites[{i}].name",
                     f"duplicate site name {site.name!r} (also sites[{names[site.name]}])")
        else:
            names[site.name] = i
        avail = periods.first
        if site.available_from is not None:
            p = periods.check(site.available_from, sf, f"sites[{i}].available_from",
                              allow_before=True, allow_after=False)
            if p is not None and periods.first is not None:
                avail = max(p, periods.first)
        for j, ex in enumerate(site.existing):
            fld = f"sites[{i}].existing[{j}]"
            if systems is not None:
                sysdef = systems.get(ex.system)
                if sysdef is None:
                    errs.add(sf, f"{fld}.system",
                             f"unknown system {ex.system!r} in {catalog_file}"
                             + _did_you_mean(ex.system, system_ids))
                elif sysdef.cooling == "liquid" and site.cooling != "liquid":
                    errs.add(sf, f"{fld}.system",
                             f"{ex.system!r} is liquid-cooled but site {site.name!r} is "
                             "air-cooled")
            if ex.retire_after is not None:
                periods.check(ex.retire_after, sf, f"{fld}.retire_after",
                              allow_before=False, allow_after=True)
            if ex.units > 0 and avail is not None and periods.first is not None and \
                    avail > periods.first:
                errs.add(sf, f"{fld}.units",
                         f"site {site.name!r} is not available until "
                         f"{site.available_from}, so it cannot hold existing units at the "
                         "horizon start")


def _check_demand(demand: Sequence[DemandRow], lines: Sequence[int],
                  profiles: dict[str, ModelProfile] | None, periods: _Periods, df: str,
                  models_dir: str, errs: IssueCollector) -> list[str]:
    model_ids = sorted(profiles) if profiles is not None else []
    used_models: dict[str, int] = {}
    for n, row in enumerate(demand):
        line = lines[n] if n < len(lines) else n + 2
        periods.check(row.period, df, f"line {line}: period", allow_before=False,
                      allow_after=False)
        if profiles is None:
            continue
        if row.model not in profiles:
            errs.add(df, f"line {line}: model",
                     f"unknown model {row.model!r} in {models_dir}"
                     + _did_you_mean(row.model, model_ids))
        else:
            used_models.setdefault(row.model, line)
    if profiles is not None:
        bases = {profiles[m].token_basis for m in used_models}
        if len(bases) > 1:
            detail = ", ".join(f"{m}: {profiles[m].token_basis}" for m in sorted(used_models))
            errs.add(df, "model",
                     "demand mixes token bases (total vs output tokens) in one run; "
                     f"plan models of one basis together ({detail})")
    return sorted(used_models)


def _check_profiles(used: list[str], profiles: dict[str, ModelProfile], cat: Catalog,
                    models_dir: str, catalog_file: str, errs: IssueCollector,
                    files: dict[str, str] | None = None) -> None:
    if models_dir == "builtin models":
        return  # the shipped profiles cover more systems than a user's catalogue
    system_ids = [s.id for s in cat.systems]
    for m in used:
        for sid in profiles[m].throughput:
            if sid not in system_ids:
                errs.add((files or {}).get(m, f"{models_dir}/{m}"), f"throughput.{sid}",
                         f"unknown system {sid!r} in {catalog_file}"
                         + _did_you_mean(sid, system_ids))


def validate(inputs: Inputs) -> None:
    """Raise InputError listing every cross-reference problem of a loaded scenario."""
    errs = IssueCollector()
    sc = inputs.scenario
    periods = _Periods(sc.horizon, inputs.scenario_file, errs)
    _check_scenario(sc, inputs.catalog, periods, inputs.scenario_file, inputs.catalog_file,
                    errs)
    used = _check_demand(inputs.demand, inputs.demand_lines, inputs.profiles, periods,
                         inputs.demand_file, inputs.models_dir, errs)
    _check_profiles(used, inputs.profiles, inputs.catalog, inputs.models_dir,
                    inputs.catalog_file, errs, inputs.profile_files)
    errs.raise_if_any()


def partial_issues(scenario: Scenario | None, raw: dict[str, Any] | None,
                   catalog: Catalog | None, profiles: dict[str, ModelProfile] | None,
                   demand: list[DemandRow] | None, demand_lines: Sequence[int],
                   scenario_file: str, catalog_file: str, demand_file: str, models_dir: str,
                   complete: bool, profile_files: dict[str, str] | None = None) -> list[Issue]:
    """Cross-file issues that can be found with the parts that loaded.

    `complete` means every file loaded and is valid on its own: then `validate` (run by
    `prepare`) does the full check and this returns nothing.
    """
    if complete:
        return []
    errs = IssueCollector()
    horizon = scenario.horizon if scenario is not None else None
    if horizon is None and raw is not None and isinstance(raw.get("horizon"), dict):
        try:
            horizon = Horizon.model_validate(raw["horizon"])
        except (ValidationError, RecursionError):
            horizon = None
    periods = _Periods(horizon, scenario_file, errs)
    if scenario is not None:
        _check_scenario(scenario, catalog, periods, scenario_file, catalog_file, errs)
    if demand is not None:
        used = _check_demand(demand, demand_lines, profiles, periods, demand_file,
                             models_dir, errs)
        if profiles is not None and catalog is not None:
            _check_profiles(used, profiles, catalog, models_dir, catalog_file, errs,
                            profile_files)
    return errs.issues


# --------------------------------------------------------------------------- diagnostics
# Used by `planner.api.precheck` and `planner.api.explain_infeasible` to say, in the
# planner's words, why demand cannot be met.


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def unservable_reason(data: PlanData, k: int) -> str:
    """Why no unit can serve demand class k in its period (it has no serve variable)."""
    c = data.classes[k]
    able = [g for (g, kk) in data.tput if kk == k]
    if not able:
        return (f"no system in the catalogue reaches {c.slo:g} tokens/s per user for "
                f"{c.model} (lower min_tokens_per_s_per_user, or add a faster system)")
    reasons = []
    liquid_sites = [s for s in data.sites if s.cooling == "liquid"]
    for g in able:
        sysd = data.systems[g]
        if sysd.lead_time_periods > c.t:
            first = (data.labels[sysd.lead_time_periods]
                     if sysd.lead_time_periods < data.T else "after the horizon")
            reasons.append(f"{g}: lead time {sysd.lead_time_periods} periods, first in "
                           f"service {first}")
        elif sysd.cooling == "liquid" and not liquid_sites:
            reasons.append(f"{g}: liquid-cooled, and no site is liquid-cooled")
        elif sysd.max_units_per_period == 0:
            reasons.append(f"{g}: max_units_per_period is 0")
        else:
            sites = [s for s in data.sites if sysd.cooling != "liquid" or s.cooling == "liquid"]
            later = [f"{s.name} from {data.labels[data.available_t[s.name]]}"
                     if data.available_t[s.name] < data.T else f"{s.name} after the horizon"
                     for s in sites if data.available_t[s.name] > c.t]
            if later and len(later) == len(sites):
                reasons.append(f"{g}: no hall is available yet ({', '.join(later)})")
            else:
                reasons.append(f"{g}: cannot be in service in {c.period}")
    return "the systems that meet this SLO cannot be in service then: " + "; ".join(reasons)


def binding_caps(data: PlanData, tables: PlanTables, k: int) -> list[str]:
    """The caps that bind for demand class k in a (relaxed) plan: no room for one more
    unit of any system that could serve it."""
    c = data.classes[k]
    able = sorted({g for (g, kk) in data.tput if kk == k})
    fleet_at = {(s, g) for (s, g, t) in data.fleet_index if t == c.t}
    out: list[str] = []
    st = tables.sites
    for r in st[st["period"] == c.period].itertuples():
        here = [data.systems[g] for g in able if (r.site, g) in fleet_at]
        if not here:
            continue
        min_kw = min(sd.unit_power_kw for sd in here)
        if r.power_cap_kw - r.power_kw < min_kw - 1e-9:
            out.append(f"power at {r.site} ({r.power_kw / 1000:.4g} of "
                       f"{r.power_cap_kw / 1000:g} MW used)")
        racks = [sd.racks_per_unit for sd in here if sd.racks_per_unit > 0]
        if r.max_racks is not None and r.max_racks == r.max_racks and racks and \
                r.max_racks - r.racks < min(racks) - 1e-9:
            out.append(f"max_racks at {r.site} ({r.racks:g} of {r.max_racks:g} racks used)")
    pp = tables.purchase_plan
    capex = [data.systems[g].capex_usd for g in able]
    min_capex = min(capex) if capex else 0.0
    if data.budget_per_period_usd is not None:
        tight = []
        for t in range(c.t + 1):
            spent = float(pp.loc[pp["period"] == data.labels[t], "capex_usd"].sum())
            if data.budget_per_period_usd - spent < min_capex - 1e-6:
                tight.append(data.labels[t])
        if tight:
            out.append(f"budget.capex_usd_per_period {_fmt(data.budget_per_period_usd)} "
                       f"(spent in {', '.join(tight)})")
    if data.budget_total_usd is not None:
        spent = float(pp["capex_usd"].sum())
        if data.budget_total_usd - spent < min_capex - 1e-6:
            out.append(f"budget.total_capex_usd ({_fmt(spent)} of "
                       f"{_fmt(data.budget_total_usd)} spent)")
    for g in able:
        cap = data.systems[g].max_units_per_period
        if cap is None:
            continue
        full = [data.labels[t] for t in range(c.t + 1)
                if int(pp.loc[(pp["period"] == data.labels[t]) & (pp["system"] == g),
                              "units"].sum()) >= cap > 0]
        if full:
            out.append(f"max_units_per_period of {g} ({cap} units bought in "
                       f"{', '.join(full)})")
    late = [f"{g} (lead time {data.systems[g].lead_time_periods})" for g in able
            if data.systems[g].lead_time_periods > c.t]
    if late:
        out.append("not yet deliverable: " + ", ".join(late))
    closed = [s.name for s in data.sites if data.available_t[s.name] > c.t]
    if closed:
        out.append("halls not yet available: " + ", ".join(closed))
    return out


def shortfall_details(data: PlanData, tables: PlanTables) -> list[str]:
    """One line per (model, period, SLO) that a plan cannot fully serve."""
    sv = tables.service
    details = []
    key = {(c.period, c.model, c.slo): c.index for c in data.classes}
    for row in sv.itertuples():
        if row.unmet_tokens_per_s <= 1e-6 * max(row.demand_tokens_per_s, 1.0):
            continue
        k = key.get((row.period, row.model, row.min_tokens_per_s_per_user))
        share = row.unmet_tokens_per_s / row.demand_tokens_per_s if row.demand_tokens_per_s \
            else 0.0
        head = (f"{row.model} in {row.period} at {row.min_tokens_per_s_per_user:g} tokens/s "
                f"per user: demand {_fmt(row.demand_tokens_per_s)} tokens/s, the caps allow "
                f"at most {_fmt(row.served_tokens_per_s)} (short "
                f"{_fmt(row.unmet_tokens_per_s)} tokens/s, {share:.1%})")
        if k is None:
            details.append(head)
            continue
        if not any(kk == k for (_, _, kk) in data.serve_index):
            details.append(f"{head}: {unservable_reason(data, k)}")
            continue
        caps = binding_caps(data, tables, k)
        details.append(head + ("; binding: " + "; ".join(caps) if caps else
                               "; no single cap is full: the shortfall comes from the "
                               "caps of other periods or models sharing the fleet"))
    return details
