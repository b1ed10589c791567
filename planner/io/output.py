"""Write stage: plan files, written whole or not at all.

The plan files are written as one set through `planner.io.atomic` (whole or not at all,
one run at a time, completed after a kill).

CSV floats are written in Python's shortest round-trip form (full precision, and the
same bytes for the same plan). Text cells that a spreadsheet would read as a formula
(starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) are prefixed with a
single quote, as the OWASP guidance on CSV injection says.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from planner.io.atomic import check_target, write_files


class Summary(Protocol):
    """A plan's summary (`planner.core.summary.PlanSummary`), as summary.json is written."""

    def to_json_dict(self) -> dict[str, Any]: ...


class PlanResult(Protocol):
    """A solved plan (`planner.core.solve.PlanResult`), as the plan files read it: this
    layer sits below the core, so it names only what it uses."""

    @property
    def tables(self) -> Any: ...

    @property
    def summary(self) -> Summary: ...


CSV_FILES = {
    "purchase_plan": "purchase_plan.csv",
    "fleet": "fleet.csv",
    "allocation": "allocation.csv",
    "service": "service.csv",
    "sites": "sites.csv",
    # F. cash flow: every plan
    "cashflow": "cashflow.csv",
}
#: plan files written only when the plan has the table (contract v2)
OPTIONAL_CSV_FILES = {
    # ---- B. renting: only with `rent:` ----
    "rent_plan": "rent_plan.csv",
    "rent_allocation": "rent_allocation.csv",
    # ---- A. building power: only when some site has `build` ----
    "build_plan": "build_plan.csv",
    # ---- C. refresh: only with options.allow_retirement ----
    "retirements": "retirements.csv",
    # ---- demand served from a one-point curve or below a curve's lowest point ----
    "thin_curves": "thin_curves.csv",
}
#: F. the plan's tables in one workbook (`planner.io.workbook`), every plan
WORKBOOK_FILE = "plan.xlsx"

# OWASP "CSV Injection": cells starting with these are read as formulas by spreadsheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
__all__ = ["CSV_FILES", "FORMULA_START", "OPTIONAL_CSV_FILES", "check_output_dir",
           "escape_text", "frame_to_csv", "plan_files", "summary_json", "unescape_text",
           "write_plan", "WORKBOOK_FILE"]


def escape_text(text: str) -> str:
    """A text cell made safe for spreadsheets: a leading formula character is quoted.

    Text that itself starts with a quote gets one more, so `unescape_text` can always
    give the original back.
    """
    if text.startswith((*FORMULA_START, "'")) or text.lstrip(" ").startswith(FORMULA_START):
        return "'" + text
    return text


def unescape_text(text: str) -> str:
    """The original text of a cell written by `escape_text` (for tools reading CSVs back)."""
    if text.startswith("'"):
        return text[1:]
    return text


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "inf" if v > 0 else "'-inf"
        if v == 0:
            return "0"
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    # Text (names, labels): spreadsheet safety, OWASP CSV injection. Numbers are written
    # by the branches above, so a negative number stays a number.
    return escape_text(str(v))


def frame_to_csv(df: pd.DataFrame) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([escape_text(str(c)) for c in df.columns])
    for row in df.itertuples(index=False, name=None):
        w.writerow([_cell(v.item() if hasattr(v, "item") else v) for v in row])
    return buf.getvalue()


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _clean(o: Any) -> Any:
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    return o


def summary_json(summary: Summary) -> str:
    """summary.json's text: two-space indents, NaN and infinity written as null."""
    return json.dumps(_clean(summary.to_json_dict()), indent=2, default=_json_default) + "\n"


def check_output_dir(out_dir: str | Path, names: list[str] | None = None) -> None:
    """Refuse an output path the plan cannot be written to, before any work is done:
    `planner.io.atomic.check_target` with the plan files' names unless `names` are given.
    """
    check_target(out_dir, list(PLAN_FILES) if names is None else names)


def plan_files(result: PlanResult) -> dict[str, str | bytes]:
    """The plan's files: a CSV per table it has, summary.json and plan.xlsx."""
    # XlsxWriter: imported here, so `planner --help` does not load it
    from planner.io.workbook import plan_workbook

    frames = result.tables.frames()
    files: dict[str, str | bytes] = {fname: frame_to_csv(frames[key])
                                     for key, fname in CSV_FILES.items()}
    files.update({fname: frame_to_csv(frames[key]) for key, fname in OPTIONAL_CSV_FILES.items()
                  if key in frames})
    files["summary.json"] = summary_json(result.summary)
    files[WORKBOOK_FILE] = plan_workbook(
        {key: frames[key] for key in (*CSV_FILES, *OPTIONAL_CSV_FILES) if key in frames},
        _clean(result.summary.to_json_dict()))
    return files


#: The files of every plan, as `plan_files` writes them: the tables, summary.json and the
#: workbook (and, only when the plan has them, `OPTIONAL_CSV_FILES`).
PLAN_FILES = (*CSV_FILES.values(), "summary.json", WORKBOOK_FILE)
#: The merged scenario a what-if plan was made from, written beside its plan files.
MERGED_FILE = "scenario.merged.yaml"
#: The report (`planner.report`) and the analysis tables it reads.
REPORT_FILES = ("report.md", "report.html")
ANALYSIS_FILES = ("limits.csv", "marginal_values.csv", "baselines.csv")
#: Files `planner plan` writes after the plan (docs/report.md). A new plan removes older
#: ones in the same atomic set, so a folder never shows a report of another plan.
REPORT_SET = (*REPORT_FILES, *ANALYSIS_FILES)


def write_plan(result: PlanResult, out_dir: Path,
               extra: Mapping[str, str | bytes] | None = None) -> list[Path]:
    """The plan files (and `extra` files) as one set; any older report goes with it."""
    # an optional table of an older plan must not survive beside a plan without it
    return write_files(out_dir, {**plan_files(result), **(extra or {})},
                       remove=(*REPORT_SET, *OPTIONAL_CSV_FILES.values()))
