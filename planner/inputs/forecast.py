"""The demand forecast as the plan reads it: rates in tokens/s on the plan's periods.

`to_demand` turns the rows of the demand file (`planner.inputs.demand_csv.ForecastRow`:
a rate in its unit, a period in the file's granularity) into `DemandRow`s:

- **units**: tokens/s as written; tokens per day / 86,400 s; tokens per month / (730 h x
  3,600 s), the planner's month (8760 / 12 hours, so a month's tokens are the rate x H x
  3600 of a monthly plan); requests/s x tokens per request (the row's
  `tokens_per_request`, else the scenario's `demand_format.tokens_per_request`, else the
  profile's `workload`: input + output tokens, output only for an `output` profile).
- **periods**: a file in the plan's granularity is read row by row (v1). A file in
  another granularity is put on the plan's periods by the mean rate over each plan
  period: each row's rate counts for the months it shares with the period, so monthly
  rows in a quarterly plan average three months (a month without a row counts as no
  demand, as a missing row always does), and a quarterly row in a monthly plan gives its
  rate to each of its months. Rows of one model, SLO and price on one plan period become
  one demand class.

`DemandReading` says what was done; summary.json writes it as `demand_input`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from planner.errors import Issue, IssueCollector
from planner.inputs.datasets import MIN_DEMAND_TOKENS_PER_S, DemandRow, ModelProfile
from planner.inputs.demand_csv import ForecastRow
from planner.inputs.periods import (
    MONTHS_PER_PERIOD,
    detect_granularity,
    format_period,
    month_span,
    parse_period,
)
from planner.inputs.schemas import DEMAND_UNITS, DemandFormat

_MAX_TOKENS_PER_S = 1e12  # DemandRow.tokens_per_s's limit
_UNIT_WORDS = {"tokens_per_s": "tokens/s", "requests_per_s": "requests/s",
               "tokens_per_day": "tokens per day (/ 86,400 s)",
               "tokens_per_month": "tokens per month (/ 730 h x 3,600 s: the planner's "
                                   "month, 8760 / 12 hours)"}


@dataclass
class DemandReading:
    """How a demand file was read: its layout, unit and granularity against the plan's."""

    layout: str = "long"
    unit: str = "tokens_per_s"
    file_granularity: str | None = None
    plan_granularity: str | None = None
    #: model -> (tokens per request, where it comes from), for requests_per_s
    tokens_per_request: dict[str, tuple[float, str]] = field(default_factory=dict)
    #: plan periods some class covers only in part (its missing months count as 0)
    partial_periods: list[str] = field(default_factory=list)

    @property
    def aggregated(self) -> bool:
        return self.file_granularity not in (None, self.plan_granularity)

    def as_dict(self) -> dict[str, Any] | None:
        """summary.json's `demand_input`; None for a v1 file (long, tokens/s, the plan's
        periods)."""
        if self.layout == "long" and self.unit == "tokens_per_s" and not self.aggregated:
            return None
        out: dict[str, Any] = {"layout": self.layout, "unit": self.unit,
                               "file_granularity": self.file_granularity,
                               "plan_granularity": self.plan_granularity,
                               "aggregation": self._aggregation()}
        if self.tokens_per_request:
            out["tokens_per_request"] = {m: {"tokens": v, "from": src} for m, (v, src)
                                         in sorted(self.tokens_per_request.items())}
        if self.partial_periods:
            out["partial_periods"] = self.partial_periods
        out["statement"] = self.statement()
        return out

    def _aggregation(self) -> str:
        if not self.aggregated or self.file_granularity is None:
            return "none"
        f, p = self.file_granularity, self.plan_granularity or ""
        if MONTHS_PER_PERIOD[f] < MONTHS_PER_PERIOD.get(p, 0):
            return "mean_rate"  # finer rows averaged onto each plan period
        return "same_rate"  # a coarser row's rate in each plan period it covers

    def statement(self) -> str:
        """One sentence for the report and the terminal."""
        parts = [f"{self.layout} layout" + (" (one column per model or MODEL@SLO)"
                                            if self.layout == "wide" else ""),
                 f"rates in {_UNIT_WORDS[self.unit]}"]
        if self.tokens_per_request:
            parts.append("tokens per request " + ", ".join(
                f"{m} {v:g} ({src})" for m, (v, src) in sorted(self.tokens_per_request.items())))
        agg = self._aggregation()
        f, p = self.file_granularity, self.plan_granularity
        if agg == "mean_rate":
            parts.append(f"{f}ly rows averaged onto each {p} (the mean rate over its "
                         f"{MONTHS_PER_PERIOD[p or 'month'] // MONTHS_PER_PERIOD[f or 'month']}"
                         f" {f}s; a {f} without a row counts as no demand)")
        elif agg == "same_rate":
            parts.append(f"each {f}ly row's rate applies to every {p} it covers")
        if self.partial_periods:
            parts.append("periods the forecast covers only in part: "
                         + ", ".join(self.partial_periods))
        return "; ".join(parts) + "."


@dataclass(frozen=True)
class Plan:
    """What the conversion needs of the scenario: its granularity and horizon."""

    granularity: str
    first: int
    periods: int


def to_demand(rows: Sequence[ForecastRow], lines: Sequence[int], plan: Plan | None,
              profiles: dict[str, ModelProfile] | None, fmt: DemandFormat, file: str
              ) -> tuple[list[DemandRow], list[int], DemandReading, list[Issue]]:
    """The demand rows in tokens/s on the plan's periods, their lines, how they were read,
    and the issues (by file, line and column). Without a usable horizon (`plan` None) the
    rows keep their periods; without profiles, requests cannot be converted (read as 0)."""
    errs = IssueCollector()
    reading = DemandReading(layout=rows[0].layout if rows else "long",
                            unit=rows[0].unit if rows else fmt.unit or "tokens_per_s",
                            plan_granularity=plan.granularity if plan else None)
    _check_unit(reading, fmt, file, errs)
    rates = [_tokens_per_s(r, ln, profiles, fmt, reading, file, errs)
             for r, ln in zip(rows, lines, strict=True)]
    reading.file_granularity = _file_granularity(rows, lines, file, errs)
    if plan is None or not reading.aggregated or errs.issues:
        out = [DemandRow(period=r.period, model=r.model, tokens_per_s=v,
                         min_tokens_per_s_per_user=r.min_tokens_per_s_per_user,
                         usd_per_mtok=r.usd_per_mtok, scenario=r.scenario)
               for r, v in zip(rows, rates, strict=True)]
        return out, list(lines), reading, errs.issues
    out, out_lines = _on_plan_periods(rows, lines, rates, plan, reading, file, errs)
    return out, out_lines, reading, errs.issues


def _check_unit(reading: DemandReading, fmt: DemandFormat, file: str,
                errs: IssueCollector) -> None:
    if reading.layout == "long" and fmt.unit is not None and fmt.unit != reading.unit:
        errs.add(file, f"column {reading.unit!r}", f"the scenario's demand_format.unit is "
                 f"{fmt.unit!r} but the file gives {reading.unit!r}; a long file's rate "
                 "column names its unit (drop demand_format.unit, or rename the column)")


def _tokens_per_s(r: ForecastRow, line: int, profiles: dict[str, ModelProfile] | None,
                  fmt: DemandFormat, reading: DemandReading, file: str,
                  errs: IssueCollector) -> float:
    """The row's rate in tokens/s (0 when it cannot be converted: an issue says why)."""
    rate = r.value / DEMAND_UNITS[r.unit]
    if r.unit == "requests_per_s":
        tpr = _tokens_per_request(r, line, profiles, fmt, reading, file, errs)
        rate = r.value * (tpr or 0.0)
    if 0.0 < rate < MIN_DEMAND_TOKENS_PER_S:
        errs.add(file, f"line {line}: {r.unit}", f"{r.value:g} {r.unit} is {rate:g} "
                 f"tokens/s: a demand above 0 must be at least "
                 f"{MIN_DEMAND_TOKENS_PER_S:g} tokens/s (below that it is 0 in effect); "
                 "write 0 for no demand")
        return 0.0
    if rate > _MAX_TOKENS_PER_S:
        errs.add(file, f"line {line}: {r.unit}", f"{r.value:g} {r.unit} is {rate:g} "
                 f"tokens/s, above the limit of {_MAX_TOKENS_PER_S:g} tokens/s (a "
                 "plausibility limit)")
        return 0.0
    return rate


def _tokens_per_request(r: ForecastRow, line: int, profiles: dict[str, ModelProfile] | None,
                        fmt: DemandFormat, reading: DemandReading, file: str,
                        errs: IssueCollector) -> float | None:
    """The row's tokens per request: its column, the scenario's, or the profile's workload
    (in the profile's token basis). None, with an issue, when none is given."""
    if r.tokens_per_request is not None:
        reading.tokens_per_request.setdefault(r.model, (r.tokens_per_request, "column"))
        return r.tokens_per_request
    if fmt.tokens_per_request is not None:
        reading.tokens_per_request[r.model] = (fmt.tokens_per_request, "scenario")
        return fmt.tokens_per_request
    prof = profiles.get(r.model) if profiles is not None else None
    if prof is None:
        return None  # an unknown model: validate says so
    if prof.workload is None:
        errs.add(file, f"line {line}: requests_per_s", f"needs tokens per request: the "
                 f"profile of {r.model!r} gives no workload; add a tokens_per_request "
                 "column or the scenario's demand_format.tokens_per_request")
        return None
    w = prof.workload
    tpr = float(w.output_tokens if prof.token_basis == "output"
                else w.input_tokens + w.output_tokens)
    reading.tokens_per_request[r.model] = (tpr, f"profile workload, {prof.token_basis} tokens")
    return tpr


def _file_granularity(rows: Sequence[ForecastRow], lines: Sequence[int], file: str,
                      errs: IssueCollector) -> str | None:
    """The granularity the file's periods are written in (the first row's); a row in
    another one is an issue."""
    gran: str | None = None
    for r, ln in zip(rows, lines, strict=True):
        g = detect_granularity(r.period)
        if g is None:
            continue  # not a period: validate (or the aggregation) says so
        if gran is None:
            gran = g
        elif g != gran:
            errs.add(file, f"line {ln}: period", f"{r.period} is a {g}, but the file's "
                     f"periods are {gran}s (line {lines[0]}); write one granularity")
    return gran


def _on_plan_periods(rows: Sequence[ForecastRow], lines: Sequence[int], rates: list[float],
                     plan: Plan, reading: DemandReading, file: str, errs: IssueCollector
                     ) -> tuple[list[DemandRow], list[int]]:
    """Rows in another granularity as mean rates on the plan's periods, one row per plan
    period, model, SLO and price (in order of the plan's periods, then of the file)."""
    size = MONTHS_PER_PERIOD[plan.granularity]
    first_m, last_m = plan.first * size, (plan.first + plan.periods) * size - 1
    Key = tuple[int, str, float, float | None, str | None]
    sums: dict[Key, float] = {}
    months: dict[Key, set[int]] = {}
    where: dict[Key, int] = {}
    for r, ln, rate in zip(rows, lines, rates, strict=True):
        try:
            lo, hi = month_span(r.period)
        except ValueError as exc:
            errs.add(file, f"line {ln}: period", str(exc))
            continue
        if hi < first_m or lo > last_m:
            span = (f"{format_period(plan.first, plan.granularity)}.."
                    f"{format_period(plan.first + plan.periods - 1, plan.granularity)}")
            errs.add(file, f"line {ln}: period", f"{r.period} is outside the horizon ({span})")
            continue
        for m in range(max(lo, first_m), min(hi, last_m) + 1):
            key = (m // size, r.model, r.min_tokens_per_s_per_user, r.usd_per_mtok,
                   r.scenario)
            sums[key] = sums.get(key, 0.0) + rate  # a month's rate; / size: the mean
            months.setdefault(key, set()).add(m)
            where.setdefault(key, ln)
    out, out_lines = [], []
    partial: set[int] = set()
    for key in sorted(sums, key=lambda k: (k[0], where[k])):
        p, model, slo, price, future = key
        if len(months[key]) < size:
            partial.add(p)
        out.append(DemandRow(period=format_period(p, plan.granularity), model=model,
                             tokens_per_s=sums[key] / size, min_tokens_per_s_per_user=slo,
                             usd_per_mtok=price, scenario=future))
        out_lines.append(where[key])
    reading.partial_periods = [format_period(p, plan.granularity) for p in sorted(partial)]
    return out, out_lines


def plan_of(start: str, periods: int, granularity: str | None) -> Plan | None:
    """The conversion's view of a horizon; None when it is not usable."""
    gran = granularity or detect_granularity(start)
    if gran is None:
        return None
    try:
        return Plan(gran, parse_period(start, gran), periods)
    except ValueError:
        return None
