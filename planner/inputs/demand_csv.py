"""The demand CSV: one header row, then one demand class per row.

Every bad cell is reported with its line and column, all at once; rows that do parse are
kept, so they can still be checked against the horizon and the models. The bounds of the
numeric columns are those of `planner.inputs.datasets.DemandRow`. A spreadsheet's `sep=,`
first line, blank lines and trailing empty columns are accepted.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
from typing import Any

from pydantic.fields import FieldInfo

from planner.errors import InputError, Issue, IssueCollector
from planner.inputs.datasets import DemandRow
from planner.inputs.fields import bound, plausibility_limit

DEMAND_COLUMNS = ("period", "model", "tokens_per_s", "min_tokens_per_s_per_user")
REQUIRED_DEMAND_COLUMNS = ("period", "model", "tokens_per_s")
#: D. prices (contract v2): optional columns beside DEMAND_COLUMNS; empty means not given
PRICE_COLUMNS = ("usd_per_mtok",)
#: G. uncertain demand: the future a row belongs to (optional)
SCENARIO_COLUMN = "scenario"
ALLOWED_COLUMNS = DEMAND_COLUMNS + PRICE_COLUMNS + (SCENARIO_COLUMN,)
NUMBER_COLUMNS = ("tokens_per_s", "min_tokens_per_s_per_user", *PRICE_COLUMNS)
#: number columns an empty cell leaves at their default
OPTIONAL_NUMBER_COLUMNS = ("min_tokens_per_s_per_user", *PRICE_COLUMNS)
TEXT_COLUMNS = ("period", "model")


def parse_demand(text: str, name: str) -> tuple[list[DemandRow], list[int], list[Issue]]:
    """(good rows, the line each starts on, the issues of the bad rows).

    Raises InputError only if no row can be read: not a CSV, no header, a header without
    the required columns.
    """
    rows = _csv_rows(text, name)
    errs = IssueCollector()
    header = _header(rows[0][0], rows[0][1], name, errs)
    out: list[DemandRow] = []
    lines: list[int] = []
    for lineno, raw in rows[1:]:
        row = _demand_row(raw, header, lineno, name, errs)
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


def _header(header_line: int, raw: list[str], name: str, errs: IssueCollector) -> list[str]:
    """The column names; unknown, unnamed and repeated columns are issues.

    Raises InputError when a required column is missing (no row can be read without it).
    """
    header = [h.strip() for h in raw]
    while header and header[-1] == "":
        header.pop()  # trailing empty columns, as spreadsheets export them
    if not any(c in header for c in REQUIRED_DEMAND_COLUMNS):
        hint = ""
        if len(header) == 1 and any(sep in header[0] for sep in (";", "\t", "|")):
            hint = "; it looks separated by something other than commas: use commas"
        raise InputError([Issue(name, f"line {header_line}", "the first line must be the "
                                f"header {','.join(DEMAND_COLUMNS)}, got "
                                f"{','.join(header)!r}" + hint)])
    for i, col in enumerate(header):
        if col == "":
            errs.add(name, f"line {header_line}", f"column {i + 1} of the header has no name")
        elif col not in ALLOWED_COLUMNS:
            close = difflib.get_close_matches(col, ALLOWED_COLUMNS, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else (
                f"; allowed: {', '.join(ALLOWED_COLUMNS)}")
            errs.add(name, f"column {col!r}", f"unknown column{hint}")
    for col in sorted(set(header)):
        if header.count(col) > 1:
            errs.add(name, f"column {col!r}", "appears twice in the header")
    for col in REQUIRED_DEMAND_COLUMNS:
        if col not in header:
            errs.add(name, f"column {col!r}", "required column is missing")
    if any(c not in header for c in REQUIRED_DEMAND_COLUMNS):
        errs.raise_if_any()
    return header


def _demand_row(raw: list[str], header: list[str], lineno: int, name: str,
                errs: IssueCollector) -> DemandRow | None:
    """The row, or None when a cell of it is bad (each bad cell an issue)."""
    if len(raw) > len(header) and not any(c.strip() for c in raw[len(header):]):
        raw = raw[:len(header)]  # empty trailing cells
    if len(raw) != len(header):
        errs.add(name, f"line {lineno}", f"has {len(raw)} cells, the header has {len(header)}")
        return None
    rec = {h: c.strip() for h, c in zip(header, raw, strict=True)}
    row: dict[str, Any] = {"period": rec["period"], "model": rec["model"]}
    bad = False
    for col in NUMBER_COLUMNS:
        if col not in rec or (col in OPTIONAL_NUMBER_COLUMNS and rec[col] == ""):
            continue  # the SLO and the price are optional: absent or empty means the default
        val = _number(rec[col], f"line {lineno}: {col}", DemandRow.model_fields[col], name,
                      errs)
        if val is None:
            bad = True
        else:
            row[col] = val
    for col in TEXT_COLUMNS:
        if not row[col]:
            errs.add(name, f"line {lineno}: {col}", "is empty")
            bad = True
        elif any(ord(ch) < 32 or ord(ch) == 127 for ch in row[col]):
            errs.add(name, f"line {lineno}: {col}",
                     f"contains a control character: {row[col]!r}")
            bad = True
    if rec.get(SCENARIO_COLUMN):  # G. the future this row belongs to
        row[SCENARIO_COLUMN] = rec[SCENARIO_COLUMN]
    return None if bad else DemandRow(**row)


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
