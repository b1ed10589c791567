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
from typing import Any, Literal

from pydantic import ValidationError

from planner.errors import Issue, IssueCollector
from planner.inputs.bundle import Inputs
from planner.inputs.datasets import Catalog, DemandRow, ModelProfile, System
from planner.inputs.periods import (
    PERIODS_PER_YEAR,
    detect_granularity,
    format_period,
    parse_period,
    plan_period,
)
from planner.inputs.schemas import Horizon, Scenario


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
        if self.last // PERIODS_PER_YEAR[gran] > 9999:
            errs.add(sf, "horizon.periods", "the horizon runs past the year 9999")
            self.gran = None

    def check(self, label: str, file: str, field: str, allow_before: bool,
              allow_after: bool, edge: Literal["start", "end"] | None = None) -> int | None:
        """The plan ordinal of `label`, or None (and an issue) when it is no period or
        lies outside the horizon where that is not allowed. With `edge`, a label of any
        granularity is read as `planner.inputs.periods.plan_period` rounds it; without,
        it must be written in the horizon's granularity (demand rows)."""
        if self.gran is None or self.first is None or self.last is None:
            return None
        try:
            p = (parse_period(label, self.gran) if edge is None
                 else plan_period(label, self.gran, edge))
        except ValueError as exc:
            self.errs.add(file, field, str(exc))
            return None
        span = f"{format_period(self.first, self.gran)}..{format_period(self.last, self.gran)}"
        read = format_period(p, self.gran)
        as_read = "" if read == str(label).strip() else f" (read as {read} in this plan)"
        if p < self.first and not allow_before:
            self.errs.add(file, field, f"{label}{as_read} is before the horizon ({span})")
            return None
        if p > self.last and not allow_after:
            self.errs.add(file, field, f"{label}{as_read} is after the horizon ({span})")
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

    for sid in sc.lead_time_periods:
        if systems is not None and sid not in systems:
            errs.add(sf, f"lead_time_periods.{sid}", f"unknown system {sid!r} in "
                     f"{catalog_file}" + _did_you_mean(sid, system_ids))
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
                              allow_before=True, allow_after=False, edge="start")
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
                              allow_before=False, allow_after=True, edge="end")
            if ex.units > 0 and avail is not None and periods.first is not None and \
                    avail > periods.first:
                errs.add(sf, f"{fld}.units",
                         f"site {site.name!r} is not available until "
                         f"{site.available_from}, so it cannot hold existing units at the "
                         "horizon start")
    _check_rent(sc, systems, system_ids, periods, sf, catalog_file, errs)


def _check_rent(sc: Scenario, systems: dict[str, System] | None, system_ids: list[str],
                periods: _Periods, sf: str, catalog_file: str, errs: IssueCollector) -> None:
    """B. renting: each offer names a catalogue system, has a price (its own or the
    system's `rental_usd_per_gpu_hour`), and a window inside the horizon, in order."""
    for i, offer in enumerate(sc.rent):
        fld = f"rent[{i}]"
        sysdef = systems.get(offer.system) if systems is not None else None
        if systems is not None and sysdef is None:
            errs.add(sf, f"{fld}.system", f"unknown system {offer.system!r} in {catalog_file}"
                     + _did_you_mean(offer.system, system_ids))
        elif sysdef is not None and offer.usd_per_gpu_hour is None \
                and sysdef.rental_usd_per_gpu_hour is None:
            errs.add(sf, f"{fld}.usd_per_gpu_hour",
                     f"is required: the catalogue gives {offer.system!r} no "
                     "rental_usd_per_gpu_hour (write the offer's price per GPU-hour)")
        lo = hi = None
        if offer.from_ is not None:
            lo = periods.check(offer.from_, sf, f"{fld}.from", allow_before=False,
                               allow_after=False, edge="start")
        if offer.until is not None:
            hi = periods.check(offer.until, sf, f"{fld}.until", allow_before=False,
                               allow_after=False, edge="end")
        if lo is not None and hi is not None and lo > hi:
            errs.add(sf, f"{fld}.until", f"{offer.until} is before from {offer.from_} "
                     "(in whole periods of this plan): the offer stands in no period")


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


def demand_issues(horizon: Horizon, demand: Sequence[DemandRow], lines: Sequence[int],
                  profiles: dict[str, ModelProfile] | None, demand_file: str,
                  models_dir: str, scenario_file: str) -> list[Issue]:
    """The issues of one demand file against the horizon and the models (G: each future's
    file is checked as the demand file is)."""
    errs = IssueCollector()
    _check_demand(demand, lines, profiles, _Periods(horizon, scenario_file, errs),
                  demand_file, models_dir, errs)
    return errs.issues
