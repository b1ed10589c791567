"""Read a plan folder: the plan tables, summary.json and the analysis tables beside them.

The report reads only these files, never the solver model.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planner.core.summary import PlanSummary, type_problems
from planner.errors import InputError, Issue
from planner.io.atomic import folder_lock, settle
from planner.io.output import unescape_text

TEXT_COLUMNS = {"period": str, "site": str, "system": str, "model": str, "kind": str,
                "limit": str, "baseline": str, "status": str, "method": str, "unit": str,
                "note": str, "delta_unit": str, "value_unit": str,
                "source": str, "offer": str, "capacity": str, "reason": str,
                "order_by_period": str}

#: the columns the report reads from each file (a plan folder written by this version has
#: them all); numbers unless named in TEXT_COLUMNS or BOOL_COLUMNS
READ_COLUMNS: dict[str, list[str]] = {
    "purchase_plan.csv": ["period", "site", "system", "units", "capex_usd"],
    "fleet.csv": ["period", "site", "system", "units", "power_kw"],
    "allocation.csv": ["period", "site", "system", "model", "units", "tokens_per_s"],
    "service.csv": ["period", "model", "demand_tokens_per_s", "served_tokens_per_s",
                    "unmet_tokens_per_s"],
    "sites.csv": ["period", "site", "power_kw", "power_cap_kw"],
    "limits.csv": ["limit", "site", "period", "used", "cap", "unit", "binding"],
    "marginal_values.csv": ["kind", "site", "period", "value_usd", "method"],
    "baselines.csv": ["baseline", "system", "status", "total_cost_usd", "savings_usd"],
    # A. building power
    "build_plan.csv": ["period", "site", "blocks", "mw", "capex_usd"],
    "thin_curves.csv": ["period", "model", "min_tokens_per_s_per_user", "system", "capacity",
                        "tokens_per_s", "reason", "curve_points", "point_tokens_per_s_per_user",
                        "point_tokens_per_s_per_gpu"],
}
BOOL_COLUMNS = {"binding"}

REQUIRED = ["summary.json", "purchase_plan.csv", "fleet.csv", "allocation.csv", "service.csv",
            "sites.csv"]
OPTIONAL = ["limits.csv", "marginal_values.csv", "baselines.csv",
            "rent_plan.csv",  # B. renting: only with `rent:`
            "build_plan.csv",  # A. building power
            "retirements.csv", "cashflow.csv",  # C. refresh; F. cash flow
            "thin_curves.csv"]  # demand served from thin curves (planner.core.thin_curves)


@dataclass
class PlanFolder:
    path: Path
    summary: PlanSummary
    purchase_plan: pd.DataFrame
    fleet: pd.DataFrame
    allocation: pd.DataFrame
    service: pd.DataFrame
    sites: pd.DataFrame
    limits: pd.DataFrame | None
    marginal: pd.DataFrame | None
    baselines: pd.DataFrame | None
    #: B. renting: rent_plan.csv, in a plan with `rent:`
    rent_plan: pd.DataFrame | None = None
    #: A. building power: build_plan.csv, only when the scenario has `build:`
    build_plan: pd.DataFrame | None = None
    #: C. refresh: retirements.csv (with options.allow_retirement)
    retirements: pd.DataFrame | None = None
    #: F. cashflow.csv (None in a folder written before it existed)
    cashflow: pd.DataFrame | None = None
    #: thin_curves.csv: only when some demand is served from a one-point curve or below a
    #: curve's lowest point
    thin_curves: pd.DataFrame | None = None

    @property
    def hours(self) -> float:
        return float(self.summary.horizon.hours_per_period)

    @property
    def periods(self) -> list[str]:
        """Period labels in plan order (from the tables; the horizon if known)."""
        labels: list[str] = []
        for df in (self.sites, self.service, self.fleet):
            for p in df["period"].tolist() if "period" in df else []:
                if p not in labels:
                    labels.append(p)
        return labels


def _csv(text: str) -> pd.DataFrame:
    head = pd.read_csv(io.StringIO(text), nrows=0)
    dtypes = {c: str for c in head.columns if c in TEXT_COLUMNS}
    df = pd.read_csv(io.StringIO(text), dtype=dtypes, keep_default_na=False, na_values=[""])
    for c in dtypes:  # names as the user wrote them, not as escaped for spreadsheets
        df[c] = df[c].fillna("").map(unescape_text)
    return df


def load_folder(path: str | Path) -> PlanFolder:
    """Load a plan folder; InputError naming the file if something is missing or broken."""
    p = Path(path)
    if not p.is_dir():
        raise InputError([Issue(str(p), "", "plan folder not found (run `planner plan` "
                                            "first)")])
    texts: dict[str, str] = {}
    with folder_lock(p):  # one run's files: never half of a concurrent write
        settle(p)  # a run killed while replacing these files: complete its switch
        issues = [Issue(str(p / f), "", "file not found: not a complete plan folder")
                  for f in REQUIRED if not (p / f).is_file()]
        if issues:
            raise InputError(issues)
        for f in REQUIRED + OPTIONAL:
            if (p / f).is_file():
                try:
                    texts[f] = (p / f).read_text(encoding="utf-8")
                except (OSError, ValueError) as exc:
                    raise InputError([Issue(str(p / f), "", f"cannot read: {exc}")]) from exc
    return folder_from_texts(p, texts)


def _summary(path: Path, texts: Mapping[str, str]) -> PlanSummary:
    """summary.json's text as a `PlanSummary`; InputError naming a field it lacks."""
    try:
        raw = json.loads(texts["summary.json"])
    except (KeyError, ValueError) as exc:
        raise InputError([Issue(str(path), "", f"cannot read: {exc}")]) from exc
    if not isinstance(raw, dict) or "total_cost_usd" not in raw:
        raise InputError([Issue(str(path), "total_cost_usd",
                                "missing: not a planner summary")])
    try:
        summary = PlanSummary.from_json_dict(raw)
    except KeyError as exc:
        raise InputError([Issue(str(path), str(exc.args[0]),
                                "missing: not a planner summary")]) from exc
    except (AttributeError, TypeError, ValueError) as exc:
        raise InputError([Issue(str(path), "", f"not a planner summary: {exc}")]) from exc
    wrong = type_problems(summary)
    if wrong:
        raise InputError([Issue(str(path), field, message) for field, message in wrong])
    return summary


def _check_columns(path: Path, df: pd.DataFrame, need: list[str]) -> None:
    """InputError naming the file, line and column when a column the report reads is
    missing, or a number column holds something else (a folder edited by hand)."""
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise InputError([Issue(str(path), missing[0], "column missing (was the file "
                                "edited? `planner plan` writes it)")])
    for col in df.columns:
        if col in TEXT_COLUMNS or col in BOOL_COLUMNS:
            if col in BOOL_COLUMNS:
                bad = ~df[col].isin([True, False, "true", "false"]) & df[col].notna()
                if bad.any():
                    i = int(bad.to_numpy().nonzero()[0][0])
                    raise InputError([Issue(str(path), f"line {i + 2}: {col}",
                                            f"must be true or false, got {df[col].iloc[i]!r}")])
            continue
        if pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col]):
            continue
        nums = pd.to_numeric(df[col].replace({"inf": float("inf"), "'-inf": float("-inf")}),
                             errors="coerce")
        bad = nums.isna() & df[col].notna() & (df[col].astype(str) != "")
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise InputError([Issue(str(path), f"line {i + 2}: {col}",
                                    f"must be a number, got {df[col].iloc[i]!r}")])
        df[col] = nums


def folder_from_texts(p: Path, texts: Mapping[str, str]) -> PlanFolder:
    """A plan folder from its files' texts (name -> text), as `load_folder` reads them
    from disk: how `planner plan` builds the report before anything is written."""
    summary = _summary(p / "summary.json", texts)
    frames: dict[str, pd.DataFrame | None] = {}
    for f in REQUIRED[1:] + OPTIONAL:
        fp = p / f
        if f not in texts:
            if f in REQUIRED:
                raise InputError([Issue(str(fp), "", "file not found: not a complete plan "
                                        "folder")])
            frames[f] = None
            continue
        try:
            frames[f] = _csv(texts[f])
        except (ValueError, pd.errors.ParserError) as exc:
            raise InputError([Issue(str(fp), "", f"cannot read CSV: {exc}")]) from exc
    for f, df in frames.items():
        if df is not None:
            _check_columns(p / f, df, READ_COLUMNS.get(f, []))
    def req(f: str) -> pd.DataFrame:
        df = frames[f]
        assert df is not None
        return df

    return PlanFolder(p, summary, purchase_plan=req("purchase_plan.csv"),
                      fleet=req("fleet.csv"), allocation=req("allocation.csv"),
                      service=req("service.csv"), sites=req("sites.csv"),
                      limits=frames["limits.csv"], marginal=frames["marginal_values.csv"],
                      baselines=frames["baselines.csv"], rent_plan=frames["rent_plan.csv"],
                      build_plan=frames["build_plan.csv"],
                      retirements=frames["retirements.csv"], cashflow=frames["cashflow.csv"],
                      thin_curves=frames["thin_curves.csv"])
