"""plan.xlsx: a plan's tables in one Excel workbook (finance teams open plans there).

One sheet per plan table, in the order of the CSVs (with cashflow.csv's), and a
``summary`` sheet with summary.json's figures, one per row (run times left out). Each
sheet has its header frozen, widths fitted to its columns and a number format by column:
money
(``*_usd``) as dollars, units as whole numbers, shares and factors as decimals or
percentages. Text cells are escaped as the CSVs escape them (`escape_text`: a leading
formula character is quoted), and written as text, never as a formula or a link.

The same plan gives the same bytes, however long its solve took: the workbook's created
date is fixed (`FIXED_DATE`), XlsxWriter stamps every file of the archive with one fixed
date, and the summary sheet leaves out run times.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd
import xlsxwriter

from planner.io.output import escape_text

#: the created and modified date of every workbook (so the bytes depend on the plan only)
FIXED_DATE = datetime(2000, 1, 1)
#: the widest column, in characters
MAX_WIDTH = 40
USD_FORMAT = '"$"#,##0.00'
UNITS_FORMAT = "#,##0"
NUMBER_FORMAT = "#,##0.###"
SHARE_FORMAT = "0.00%"
FACTOR_FORMAT = "0.000000"


def _format_of(column: str) -> str | None:
    """The number format of a column, by its name."""
    if column.endswith("_usd"):
        return USD_FORMAT
    if column in ("units", "gpus", "existing_units", "year") or column.endswith("_units"):
        return UNITS_FORMAT if column != "year" else "0"
    if column.endswith("_share") or column in ("mip_gap",):
        return SHARE_FORMAT
    if column.endswith("_factor"):
        return FACTOR_FORMAT
    return NUMBER_FORMAT


class _Sheet:
    """One worksheet being written, with the formats of its workbook."""

    def __init__(self, wb: Any, name: str, formats: dict[str, Any]) -> None:
        self.ws = wb.add_worksheet(name)
        self.formats = formats
        self.widths: dict[int, int] = {}

    def cell(self, row: int, col: int, value: Any, fmt: str | None) -> None:
        ws = self.ws
        if hasattr(value, "item"):
            value = value.item()
        if value is None or (isinstance(value, float) and math.isnan(value)):
            ws.write_blank(row, col, None)
            text = ""
        elif isinstance(value, bool):
            ws.write_boolean(row, col, value)
            text = str(value)
        elif isinstance(value, (int, float)) and math.isfinite(value):
            ws.write_number(row, col, value, self.formats.get(fmt or "") if fmt else None)
            text = f"{value:,.2f}"
        elif isinstance(value, (int, float)):
            text = "inf" if value > 0 else "-inf"
            ws.write_string(row, col, escape_text(text))
        else:
            text = escape_text(str(value))
            ws.write_string(row, col, text)
        self.widths[col] = max(self.widths.get(col, 0), min(MAX_WIDTH, len(text) + 2))

    def finish(self) -> None:
        self.ws.freeze_panes(1, 0)
        for col, w in sorted(self.widths.items()):
            self.ws.set_column(col, col, max(8, w))


def _table_sheet(wb: Any, name: str, df: pd.DataFrame, formats: dict[str, Any]) -> None:
    sh = _Sheet(wb, name, formats)
    header = formats["header"]
    fmts = [_format_of(str(c)) for c in df.columns]
    for j, c in enumerate(df.columns):
        text = escape_text(str(c))
        sh.ws.write_string(0, j, text, header)
        sh.widths[j] = min(MAX_WIDTH, len(text) + 2)
    for i, row in enumerate(df.itertuples(index=False, name=None), start=1):
        for j, v in enumerate(row):
            sh.cell(i, j, v, fmts[j])
    sh.finish()


def _flatten(d: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """summary.json's figures as (dotted key, value), without run times (`*_seconds`):
    they differ from run to run of the same plan."""
    out: list[tuple[str, Any]] = []
    for k, v in d.items():
        if str(k).endswith("_seconds"):
            continue
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out += _flatten(v, key + ".")
        elif isinstance(v, (list, tuple)):
            out.append((key, json.dumps(v, default=str)))
        else:
            out.append((key, v))
    return out


def _summary_sheet(wb: Any, summary: Mapping[str, Any], formats: dict[str, Any]) -> None:
    sh = _Sheet(wb, "summary", formats)
    sh.ws.write_string(0, 0, "field", formats["header"])
    sh.ws.write_string(0, 1, "value", formats["header"])
    sh.widths = {0: 7, 1: 7}
    for i, (key, v) in enumerate(_flatten(summary), start=1):
        sh.cell(i, 0, key, None)
        sh.cell(i, 1, v, _format_of(key.rsplit(".", 1)[-1]) if not isinstance(v, str) else None)
    sh.finish()


def plan_workbook(frames: Mapping[str, pd.DataFrame], summary: Mapping[str, Any]) -> bytes:
    """plan.xlsx's bytes: a ``summary`` sheet, then one sheet per table of `frames`
    (sheet named by the table), the same bytes for the same plan."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False, "strings_to_numbers": False})
    wb.set_properties({"created": FIXED_DATE, "title": "plan"})
    formats = {"header": wb.add_format({"bold": True, "bottom": 1})}
    for f in (USD_FORMAT, UNITS_FORMAT, NUMBER_FORMAT, SHARE_FORMAT, FACTOR_FORMAT, "0"):
        formats[f] = wb.add_format({"num_format": f})
    _summary_sheet(wb, summary, formats)
    for name, df in frames.items():
        _table_sheet(wb, name[:31], df, formats)
    wb.close()
    return buf.getvalue()
