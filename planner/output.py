"""Write stage: plan files, written whole or not at all.

Files go to a temporary folder beside the target and are moved into place only when all
of them are complete, so a failed run leaves an earlier output folder as it was. Only
the files the planner writes are replaced; nothing else in the folder is touched.
CSV floats are written in Python's shortest round-trip form (full precision, and the
same bytes for the same plan).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from planner.api import PlanResult

CSV_FILES = {
    "purchase_plan": "purchase_plan.csv",
    "fleet": "fleet.csv",
    "allocation": "allocation.csv",
    "service": "service.csv",
    "sites": "sites.csv",
}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
        if v == 0:
            return "0"
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    text = str(v)
    # Spreadsheet safety (OWASP CSV injection): text that could start a formula is
    # prefixed with a single quote. Numbers are written by the branches above.
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return text


def frame_to_csv(df: pd.DataFrame) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(list(df.columns))
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


def summary_json(summary: dict[str, Any]) -> str:
    return json.dumps(_clean(summary), indent=2, default=_json_default) + "\n"


def write_files(out_dir: Path, files: dict[str, str]) -> list[Path]:
    """Write text files into out_dir atomically as a set (temp folder, then rename)."""
    out_dir = Path(out_dir)
    parent = out_dir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"{out_dir} exists and is not a folder")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=parent))
    try:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        out_dir.mkdir(exist_ok=True)
        written = []
        for name in files:
            os.replace(tmp / name, out_dir / name)
            written.append(out_dir / name)
        return written
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def plan_files(result: PlanResult) -> dict[str, str]:
    files = {fname: frame_to_csv(df) for key, df in result.tables.frames().items()
             for k2, fname in CSV_FILES.items() if k2 == key}
    files["summary.json"] = summary_json(result.summary)
    return files


def write_plan(result: PlanResult, out_dir: Path) -> list[Path]:
    return write_files(out_dir, plan_files(result))
