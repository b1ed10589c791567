"""A profile from InferenceX result rows: filter, group by hardware, keep the frontier.

InferenceX (formerly InferenceMAX) publishes `agg_bmk.json`: a JSON array of one object
per benchmark point (JSON lines and `{"data": [...]}` wrappers are accepted too). Metrics
may sit at the top level of a row or under `metrics` (the public API's shape). Hardware
keys (`h100`, `b200-nb`) map to catalogue ids through `DEFAULT_HW_MAP` and `--map`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from planner.errors import InputError, Issue
from planner.fmt import finite
from planner.inputs.importers.profile import (
    ImportResult,
    build_profile,
    pareto_frontier,
    slug,
    workload_dict,
)

# InferenceX hardware keys -> builtin catalogue ids.
DEFAULT_HW_MAP: dict[str, str] = {
    "a100": "hgx-a100",
    "h100": "hgx-h100",
    "h200": "hgx-h200",
    "b200": "hgx-b200",
    "b300": "hgx-b300",
    "gb200": "gb200-nvl72",
    "gb300": "gb300-nvl72",
    "mi300x": "mi300x",
    "mi325x": "mi325x",
    "mi355x": "mi355x",
    "gaudi3": "gaudi3",
    "l40s": "l40s-server",
    "l4": "l4-server",
    "h100-pcie": "h100-pcie-server",
}

HW_KEYS = ("hw", "hardware", "gpu", "sku")


def parse_map(items: Iterable[str]) -> dict[str, str]:
    """`KEY=ID` strings -> dict (keys lower-cased). Raises InputError on a malformed item."""
    out: dict[str, str] = {}
    bad: list[Issue] = []
    for item in items:
        key, sep, val = item.partition("=")
        if not sep or not key.strip() or not val.strip():
            bad.append(Issue("--map", item, "expected KEY=ID, e.g. --map h100=hgx-h100"))
            continue
        out[key.strip().lower()] = val.strip()
    if bad:
        raise InputError(bad)
    return out


def map_hardware(key: str, mapping: Mapping[str, str]) -> str | None:
    """Catalogue id for an InferenceX hardware key, or None.

    Tries the key itself, then shorter dash/underscore prefixes (`b200-nb` -> `b200`).
    """
    k = key.strip().lower()
    if k in mapping:
        return mapping[k]
    parts = re.split(r"[-_]", k)
    for n in range(len(parts) - 1, 0, -1):
        cand = "-".join(parts[:n])
        if cand in mapping:
            return mapping[cand]
    return None


def _get(row: Mapping[str, Any], key: str) -> Any:
    if key in row:
        return row[key]
    metrics = row.get("metrics")
    if isinstance(metrics, Mapping) and key in metrics:
        return metrics[key]
    return None


def _basis_for(column: str) -> str:
    return "output" if column.lower().startswith("output") else "total"


def read_inferencex_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of an InferenceX results file: JSON array, JSON lines, or a wrapper object."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError([Issue(name, "", f"cannot read file: {exc.strerror or exc}")]) from exc
    data: Any
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = []
        for i, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputError(
                    [Issue(name, f"line {i}", f"not JSON (nor JSON lines): {exc.msg}")]
                ) from exc
    if isinstance(data, Mapping):
        for key in ("data", "results", "rows", "benchmarks"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
        else:
            data = [data]
    if not isinstance(data, list):
        raise InputError([Issue(name, "", "expected a JSON array of result rows")])
    rows = [r for r in data if isinstance(r, Mapping)]
    if not rows:
        raise InputError([Issue(name, "", "no result rows (JSON objects) in file")])
    return [dict(r) for r in rows]


def _select(rows: list[dict[str, Any]], name: str, model: str, precision: str | None,
            isl: int | None, osl: int | None,
            where: Mapping[str, str] | None) -> list[dict[str, Any]]:
    """The rows of one model (and precision, lengths, `--where` values); none is an error."""
    want_model = model.strip().lower()

    def model_matches(row: Mapping[str, Any]) -> bool:
        m = str(row.get("model", "") or row.get("model_name", "")).strip().lower()
        return m == want_model or m.rsplit("/", 1)[-1] == want_model

    kept = [r for r in rows if model_matches(r)]
    if not kept:
        models = sorted({str(r.get("model", "?")) for r in rows})
        raise InputError([Issue(name, "model", f"no rows for model {model!r}; the file has: "
                                + ", ".join(models[:20]))])
    if precision is not None:
        kept = [r for r in kept if str(r.get("precision", "")).lower() == precision.lower()]
        if not kept:
            raise InputError([Issue(name, "precision",
                                    f"no rows for model {model!r} at precision {precision!r}")])
    if isl is not None:
        kept = [r for r in kept if finite(r.get("isl")) == isl]
    if osl is not None:
        kept = [r for r in kept if finite(r.get("osl")) == osl]
    for k, v in (where or {}).items():
        kept = [r for r in kept if str(_get(r, k)).lower() == v.lower()]
    if not kept:
        raise InputError(
            [Issue(name, "isl/osl", "no rows left after the --isl/--osl/--where filters")]
        )
    return kept


def _one_setup(kept: list[dict[str, Any]], name: str
               ) -> tuple[str, dict[str, int] | None]:
    """(the rows' precision, their workload); rows that mix either are an error."""
    precisions = sorted({str(r.get("precision", "?")) for r in kept})
    if len(precisions) > 1:
        raise InputError([Issue(name, "precision", "rows mix precisions "
                                + ", ".join(precisions) + "; choose one with --precision")])
    lengths = sorted({(r.get("isl"), r.get("osl")) for r in kept}, key=str)
    if len(lengths) > 1:
        shown = ", ".join(f"{a}/{b}" for a, b in lengths)
        raise InputError([Issue(name, "isl/osl", f"rows mix workloads (isl/osl) {shown}; "
                                "choose one with --isl and --osl")])
    row_isl, row_osl = (finite(lengths[0][0]), finite(lengths[0][1]))
    return precisions[0], workload_dict(int(row_isl) if row_isl else None,
                                        int(row_osl) if row_osl else None)


def _points_by_system(kept: list[dict[str, Any]], mapping: Mapping[str, str], x_col: str,
                      y_col: str) -> tuple[dict[str, list[tuple[float, float]]], list[str]]:
    """(points per catalogue id, warnings about the rows skipped)."""
    groups: dict[str, list[tuple[float, float]]] = {}
    unmapped: dict[str, int] = {}
    missing = 0
    for r in kept:
        hw = next((str(r[k]) for k in HW_KEYS if r.get(k)), None)
        if hw is None:
            missing += 1
            continue
        sys_id = map_hardware(hw, mapping)
        if sys_id is None:
            unmapped[hw] = unmapped.get(hw, 0) + 1
            continue
        x = finite(_get(r, x_col))
        if x is None and x_col == "median_intvty":
            tpot = finite(_get(r, "median_tpot"))
            x = 1.0 / tpot if tpot else None
        y = finite(_get(r, y_col))
        if x is None or y is None:
            missing += 1
            continue
        groups.setdefault(sys_id, []).append((x, y))
    warnings = [f"hardware {hw!r} ({n} rows) has no catalogue id; skipped (add --map {hw}=ID)"
                for hw, n in sorted(unmapped.items())]
    if missing:
        warnings.append(f"{missing} rows lacked hardware, {x_col!r} or {y_col!r}; skipped")
    return groups, warnings


def import_inferencex(
    path: Path,
    *,
    model: str,
    precision: str | None = None,
    isl: int | None = None,
    osl: int | None = None,
    hw_map: Mapping[str, str] | None = None,
    x_col: str = "median_intvty",
    y_col: str = "tput_per_gpu",
    token_basis: str | None = None,
    profile_id: str | None = None,
    where: Mapping[str, str] | None = None,
    source: str | None = None,
) -> ImportResult:
    """Profile from InferenceX result rows: filter, group by hardware, keep the frontier."""
    name = str(path)
    rows = read_inferencex_rows(path)
    mapping = {**DEFAULT_HW_MAP, **{k.lower(): v for k, v in (hw_map or {}).items()}}
    kept = _select(rows, name, model, precision, isl, osl, where)
    row_precision, workload = _one_setup(kept, name)
    groups, warnings = _points_by_system(kept, mapping, x_col, y_col)
    curves = {k: pareto_frontier(v) for k, v in groups.items()}
    curves = {k: v for k, v in curves.items() if v}
    if not curves:
        raise InputError(
            [Issue(name, y_col, "no usable points (check --map, --x-col and --y-col)")]
        )
    prec = row_precision if row_precision != "?" else precision
    filt = [f"model={model}"] + ([f"precision={precision}"] if precision else [])
    filt += [f"isl={isl}"] if isl is not None else []
    filt += [f"osl={osl}"] if osl is not None else []
    filt += [f"{k}={v}" for k, v in (where or {}).items()]
    profile = build_profile(
        name=name,
        profile_id=profile_id or slug(f"{model}-{prec}" if prec else model),
        model_name=model,
        precision=prec,
        token_basis=token_basis or _basis_for(y_col),
        workload=workload,
        source=source or f"InferenceX results file {path.name}",
        curves=curves,
        note=(f"Pareto frontier of {y_col} vs {x_col} over rows with " + ", ".join(filt)
              + "; best configuration at each interactivity"),
    )
    return ImportResult(
        profile=profile,
        rows_read=len(rows),
        rows_kept=len(kept),
        points_per_system={k: len(v) for k, v in sorted(curves.items())},
        warnings=warnings,
    )
