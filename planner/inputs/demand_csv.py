"""The demand CSV: one header row, then the forecast, in one of two layouts.

- **long**: a `model` column, one row per period, model and SLO, and one rate column:
  `tokens_per_s`, `requests_per_s`, `tokens_per_day` or `tokens_per_month`;
- **wide**: no `model` column: `period` and one column per model (`MODEL`, or
  `MODEL@SLO` with the SLO in tokens/s per user), each cell a rate in the scenario's
  `demand_format.unit`; an empty cell is no demand.

Rows are read as written (`ForecastRow`: the rate in its unit, the period in the
file's granularity); `planner.inputs.forecast` converts them to tokens/s on the plan's
periods. Every bad cell is reported with its line and column, all at once; rows that do
parse are kept, so they can still be checked against the horizon and the models. The
bounds of the numeric columns are those of `planner.inputs.datasets.DemandRow` and
`ForecastColumns`. A spreadsheet's `sep=,` first line, blank lines and trailing empty
columns are accepted.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

from pydantic.fields import FieldInfo

from planner.errors import InputError, Issue, IssueCollector
from planner.inputs.datasets import DemandRow, ForecastColumns
from planner.inputs.fields import bound, close_name, plausibility_limit
from planner.inputs.schemas import DEMAND_UNITS

DEMAND_COLUMNS = ("period", "model", "tokens_per_s", "min_tokens_per_s_per_user")
#: the rate columns; a long file has exactly one
RATE_COLUMNS = tuple(DEMAND_UNITS)
REQUIRED_DEMAND_COLUMNS = ("period", "model")
#: D. prices (contract v2): optional columns beside DEMAND_COLUMNS; empty means not given
PRICE_COLUMNS = ("usd_per_mtok",)
#: G. uncertain demand: the future a row belongs to (optional, long layout)
SCENARIO_COLUMN = "scenario"
ALLOWED_COLUMNS = ("period", "model", *RATE_COLUMNS, "min_tokens_per_s_per_user",
                   *PRICE_COLUMNS, "tokens_per_request", SCENARIO_COLUMN)
#: number columns an empty cell leaves at their default
OPTIONAL_NUMBER_COLUMNS = ("min_tokens_per_s_per_user", *PRICE_COLUMNS, "tokens_per_request")
TEXT_COLUMNS = ("period", "model")
_FIELDS: dict[str, FieldInfo] = {**DemandRow.model_fields, **ForecastColumns.model_fields}


@dataclass(frozen=True)
class ForecastRow:
    """One demand rate as the file writes it."""

    period: str
    model: str
    #: the rate, in `unit` (a RATE_COLUMNS name)
    value: float
    unit: str
    min_tokens_per_s_per_user: float = 0.0
    usd_per_mtok: float | None = None
    #: the row's own tokens per request (a `tokens_per_request` column), for requests_per_s
    tokens_per_request: float | None = None
    layout: str = "long"
    #: G. the future the row belongs to (the `scenario` column); None: every future's
    scenario: str | None = None


def parse_demand(text: str, name: str, unit: str | None = None
                 ) -> tuple[list[ForecastRow], list[int], list[Issue]]:
    """(good rows, the line each is on, the issues of the bad rows). `unit`: the wide
    layout's (the scenario's `demand_format.unit`; default tokens_per_s).

    Raises InputError only if no row can be read: not a CSV, no header, a header without
    the required columns.
    """
    rows = _csv_rows(text, name)
    errs = IssueCollector()
    header_line, header = rows[0][0], _header_names(rows[0][1])
    if "model" not in header and "period" in header and len(header) > 1 and not any(
            c in header for c in RATE_COLUMNS):
        cols = _wide_header(header, header_line, name, errs)
        out, lines = _wide_rows(rows[1:], header, cols, unit or "tokens_per_s", name, errs)
        return out, lines, errs.issues
    rate = _long_header(header_line, header, name, errs)
    out, lines = [], []
    for lineno, raw in rows[1:]:
        row = _long_row(raw, header, rate, lineno, name, errs)
        if row is not None:
            out.append(row)
            lines.append(lineno)
    return out, lines, errs.issues


def _csv_rows(text: str, name: str) -> list[tuple[int, list[str]]]:
    """The non-blank rows of a CSV text and the line each starts on (header first)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    try:
        line = 1
        for raw in reader:
            if any(c.strip() for c in raw):
                rows.append((line, raw))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InputError([Issue(name, f"line {reader.line_num}",
                                f"not a valid CSV: {exc}")]) from None
    if rows and rows[0][1] and rows[0][1][0].strip().lower().startswith("sep="):
        rows = rows[1:]  # a spreadsheet's "sep=," hint line
    if not rows:
        raise InputError([Issue(name, "", "empty demand file (expected a header row: "
                                f"{','.join(DEMAND_COLUMNS)})")])
    return rows


def _header_names(raw: list[str]) -> list[str]:
    header = [h.strip() for h in raw]
    while header and header[-1] == "":
        header.pop()  # trailing empty columns, as spreadsheets export them
    return header


def _long_header(header_line: int, header: list[str], name: str,
                 errs: IssueCollector) -> str:
    """The long layout's rate column; unknown, unnamed and repeated columns are issues.

    Raises InputError when a required column is missing (no row can be read without it).
    """
    rates = [c for c in RATE_COLUMNS if c in header]
    if not any(c in header for c in (*REQUIRED_DEMAND_COLUMNS, *RATE_COLUMNS)):
        hint = ""
        if len(header) == 1 and any(sep in header[0] for sep in (";", "\t", "|")):
            hint = "; it looks separated by something other than commas: use commas"
        raise InputError([Issue(name, f"line {header_line}", "the first line must be the "
                                f"header {','.join(DEMAND_COLUMNS)} (or period and one "
                                f"column per model), got {','.join(header)!r}" + hint)])
    for i, col in enumerate(header):
        if col == "":
            errs.add(name, f"line {header_line}", f"column {i + 1} of the header has no name")
        elif col not in ALLOWED_COLUMNS:
            errs.add(name, f"column {col!r}", "unknown column" + _column_hint(col))
    for col in sorted(set(header)):
        if header.count(col) > 1:
            errs.add(name, f"column {col!r}", "appears twice in the header")
    for col in REQUIRED_DEMAND_COLUMNS:
        if col not in header:
            errs.add(name, f"column {col!r}", "required column is missing")
    if not rates:
        errs.add(name, "column 'tokens_per_s'", "required column is missing: the rate, one "
                 f"of {', '.join(RATE_COLUMNS)}")
    elif len(rates) > 1:
        errs.add(name, f"column {rates[1]!r}", f"a second rate column beside {rates[0]!r}: "
                 "write the demand in one unit")
    if any(c not in header for c in REQUIRED_DEMAND_COLUMNS) or len(rates) != 1:
        errs.raise_if_any()
    return rates[0]


def _column_hint(col: str) -> str:
    """A rename that keeps the number's meaning, or the accepted rate columns."""
    close = close_name(col, ALLOWED_COLUMNS)
    if close:
        return f"; did you mean {close!r}?"
    return (f"; the demand rate is one of {', '.join(RATE_COLUMNS)} (a month is 730 "
            f"hours; requests_per_s with tokens per request); allowed columns: "
            f"{', '.join(ALLOWED_COLUMNS)}")


def _cells(raw: list[str], header: list[str], lineno: int, name: str,
           errs: IssueCollector) -> dict[str, str] | None:
    """The row's cells by column, trimmed; None (and an issue) when the count is wrong."""
    if len(raw) > len(header) and not any(c.strip() for c in raw[len(header):]):
        raw = raw[:len(header)]  # empty trailing cells
    if len(raw) != len(header):
        errs.add(name, f"line {lineno}", f"has {len(raw)} cells, the header has {len(header)}")
        return None
    return {h: c.strip() for h, c in zip(header, raw, strict=True)}


def _long_row(raw: list[str], header: list[str], rate: str, lineno: int, name: str,
              errs: IssueCollector) -> ForecastRow | None:
    """The row, or None when a cell of it is bad (each bad cell an issue)."""
    rec = _cells(raw, header, lineno, name, errs)
    if rec is None:
        return None
    nums: dict[str, float] = {}
    bad = False
    for col in (rate, *OPTIONAL_NUMBER_COLUMNS):
        if col not in rec or (col in OPTIONAL_NUMBER_COLUMNS and rec[col] == ""):
            continue  # optional: absent or empty means the default
        val = _number(rec[col], f"line {lineno}: {col}", _FIELDS[col], name, errs)
        bad = bad or val is None
        if val is not None:
            nums[col] = val
    bad = _bad_text(rec, lineno, name, errs) or bad
    if bad:
        return None
    return ForecastRow(rec["period"], rec["model"], nums[rate], rate,
                       nums.get("min_tokens_per_s_per_user", 0.0), nums.get("usd_per_mtok"),
                       nums.get("tokens_per_request"),
                       scenario=rec.get(SCENARIO_COLUMN) or None)


def _bad_text(rec: dict[str, str], lineno: int, name: str, errs: IssueCollector) -> bool:
    bad = False
    for col in TEXT_COLUMNS:
        if not rec.get(col, "x"):
            errs.add(name, f"line {lineno}: {col}", "is empty")
            bad = True
        elif any(ord(ch) < 32 or ord(ch) == 127 for ch in rec.get(col, "")):
            errs.add(name, f"line {lineno}: {col}",
                     f"contains a control character: {rec[col]!r}")
            bad = True
    return bad


def _wide_header(header: list[str], header_line: int, name: str,
                 errs: IssueCollector) -> dict[str, tuple[str, float]]:
    """The wide layout's model columns: name -> (model, SLO). `MODEL@SLO` sets the SLO."""
    cols: dict[str, tuple[str, float]] = {}
    for i, col in enumerate(header):
        if col == "period":
            continue
        if col == "":
            errs.add(name, f"line {header_line}", f"column {i + 1} of the header has no name")
        elif col in ALLOWED_COLUMNS:
            errs.add(name, f"column {col!r}", "is a column of the long layout; a wide file "
                     "has `period` and one column per model (MODEL or MODEL@SLO), a long "
                     "file a `model` column")
        elif header.count(col) > 1:
            errs.add(name, f"column {col!r}", "appears twice in the header")
        else:
            cols[col] = _model_slo(col, name, errs)
    return cols


def _model_slo(col: str, name: str, errs: IssueCollector) -> tuple[str, float]:
    model, at, slo = col.rpartition("@")
    if not at:
        return col, 0.0
    where = f"column {col!r}"
    val = _number(slo.strip(), where, _FIELDS["min_tokens_per_s_per_user"], name, errs)
    return model.strip(), 0.0 if val is None else val


def _wide_rows(rows: list[tuple[int, list[str]]], header: list[str],
               cols: dict[str, tuple[str, float]], unit: str, name: str,
               errs: IssueCollector) -> tuple[list[ForecastRow], list[int]]:
    """One ForecastRow per non-empty model cell of each row."""
    out: list[ForecastRow] = []
    lines: list[int] = []
    for lineno, raw in rows:
        rec = _cells(raw, header, lineno, name, errs)
        if rec is None or _bad_text(rec, lineno, name, errs):
            continue
        for col, (model, slo) in cols.items():
            if rec[col] == "":
                continue  # no demand for this model in this period
            val = _number(rec[col], f"line {lineno}: {col}", _FIELDS[unit], name, errs)
            if val is not None:
                out.append(ForecastRow(rec["period"], model, val, unit, slo, layout="wide"))
                lines.append(lineno)
    return out, lines


def _number(cell: str, where: str, field: FieldInfo, name: str,
            errs: IssueCollector) -> float | None:
    """The number in a cell, within the field's bounds; else None and an issue."""
    if cell == "":
        errs.add(name, where, "is empty; write 0 for no demand")
        return None
    try:
        val = float(cell)
    except ValueError:
        hint = (" (write numbers without thousands separators, with a decimal point)"
                if any(ch in cell for ch in ", '") and any(ch.isdigit() for ch in cell)
                else "")
        errs.add(name, where, f"must be a number, got {cell!r}{hint}")
        return None
    low, high = bound(field, "ge"), bound(field, "le")
    if math.isnan(val) or math.isinf(val):
        errs.add(name, where, f"must be a finite number, got {cell!r}")
    elif low is not None and val < low:
        errs.add(name, where, f"must be >= {low:g}, got {cell}")
    elif high is not None and val > high:
        kind = " (a plausibility limit)" if plausibility_limit(field) is not None else ""
        errs.add(name, where, f"must be <= {high:g}{kind}, got {cell}")
    else:
        return val
    return None
