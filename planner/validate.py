"""Validate stage: cross-file checks that single-file schemas cannot make.

Periods must parse in the horizon's granularity and lie in the horizon, names must be
unique, references to systems and models must resolve, and one run must not mix token
bases. All issues are gathered and raised together.
"""

from __future__ import annotations

import difflib

from planner.errors import IssueCollector
from planner.loader import Inputs
from planner.periods import detect_granularity, format_period, parse_period


def _did_you_mean(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def horizon_granularity(inputs: Inputs) -> str | None:
    h = inputs.scenario.horizon
    return h.granularity or detect_granularity(h.start)


def validate(inputs: Inputs) -> None:
    """Raise InputError listing every cross-reference problem of a loaded scenario."""
    sc, cat, profiles = inputs.scenario, inputs.catalog, inputs.profiles
    sf, df = inputs.scenario_file, inputs.demand_file
    errs = IssueCollector()

    gran = horizon_granularity(inputs)
    first = last = None
    if gran is None:
        errs.add(sf, "horizon.start",
                 f"{sc.horizon.start!r} is not a period (use 2027Q1, 2027-01 or 2027)")
    else:
        try:
            first = parse_period(sc.horizon.start, gran)
            last = first + sc.horizon.periods - 1
        except ValueError:
            detected = detect_granularity(sc.horizon.start)
            errs.add(sf, "horizon.granularity",
                     f"{gran!r} does not match start {sc.horizon.start!r}"
                     + (f" (which is a {detected})" if detected else ""))
            gran = None

    def period_ok(label: str, file: str, field: str, allow_before: bool, allow_after: bool
                  ) -> int | None:
        if gran is None or first is None or last is None:
            return None
        try:
            p = parse_period(label, gran)
        except ValueError as exc:
            errs.add(file, field, str(exc))
            return None
        span = f"{format_period(first, gran)}..{format_period(last, gran)}"
        if p < first and not allow_before:
            errs.add(file, field, f"{label} is before the horizon ({span})")
            return None
        if p > last and not allow_after:
            errs.add(file, field, f"{label} is after the horizon ({span})")
            return None
        return p

    system_ids = [s.id for s in cat.systems]
    systems = {s.id: s for s in cat.systems}

    if sc.systems is not None:
        if not sc.systems:
            errs.add(sf, "systems", "is empty; omit it to use the whole catalogue")
        seen: set[str] = set()
        for i, sid in enumerate(sc.systems):
            if sid not in systems:
                errs.add(sf, f"systems[{i}]",
                         f"unknown system {sid!r} in {inputs.catalog_file}"
                         + _did_you_mean(sid, system_ids))
            if sid in seen:
                errs.add(sf, f"systems[{i}]", f"{sid!r} is listed twice")
            seen.add(sid)

    names: set[str] = set()
    for i, site in enumerate(sc.sites):
        if site.name in names:
            errs.add(sf, f"sites[{i}].name", f"duplicate site name {site.name!r}")
        names.add(site.name)
        avail = first
        if site.available_from is not None:
            p = period_ok(site.available_from, sf, f"sites[{i}].available_from",
                          allow_before=True, allow_after=False)
            if p is not None and first is not None:
                avail = max(p, first)
        for j, ex in enumerate(site.existing):
            fld = f"sites[{i}].existing[{j}]"
            sysdef = systems.get(ex.system)
            if sysdef is None:
                errs.add(sf, f"{fld}.system",
                         f"unknown system {ex.system!r} in {inputs.catalog_file}"
                         + _did_you_mean(ex.system, system_ids))
            elif sysdef.cooling == "liquid" and site.cooling != "liquid":
                errs.add(sf, f"{fld}.system",
                         f"{ex.system!r} is liquid-cooled but site {site.name!r} is air-cooled")
            if ex.retire_after is not None:
                period_ok(ex.retire_after, sf, f"{fld}.retire_after",
                          allow_before=False, allow_after=True)
            if ex.units > 0 and avail is not None and first is not None and avail > first:
                errs.add(sf, f"{fld}.units",
                         f"site {site.name!r} is not available until "
                         f"{site.available_from}, so it cannot hold existing units at the "
                         "horizon start")

    # demand: periods, models, token basis
    model_ids = sorted(profiles)
    used_models: dict[str, int] = {}
    for n, row in enumerate(inputs.demand, start=2):
        period_ok(row.period, df, f"line {n}: period", allow_before=False, allow_after=False)
        if row.model not in profiles:
            errs.add(df, f"line {n}: model",
                     f"unknown model {row.model!r} in {inputs.models_dir}"
                     + _did_you_mean(row.model, model_ids))
        else:
            used_models.setdefault(row.model, n)
    bases = {profiles[m].token_basis for m in used_models}
    if len(bases) > 1:
        detail = ", ".join(f"{m}: {profiles[m].token_basis}" for m in sorted(used_models))
        errs.add(df, "model",
                 "demand mixes token bases (total vs output tokens) in one run; "
                 f"plan models of one basis together ({detail})")
    if inputs.models_dir != "builtin models":
        for m in sorted(used_models):
            for sid in profiles[m].throughput:
                if sid not in systems:
                    errs.add(f"{inputs.models_dir}/{m}", f"throughput.{sid}",
                             f"unknown system {sid!r} in {inputs.catalog_file}"
                             + _did_you_mean(sid, system_ids))
    errs.raise_if_any()
