"""Build served-model profiles from benchmark results the user downloaded.

- InferenceX (formerly InferenceMAX) result rows (`agg_bmk.json`: a JSON array of one object
  per benchmark point; JSON lines and `{"data": [...]}` wrappers are accepted too). Metrics
  may sit at the top level of a row or under `metrics` (the public API's shape).
- A plain CSV of (system, interactivity, throughput).

Rows are grouped by hardware, hardware keys are mapped to catalogue ids, and each system keeps
the Pareto frontier of throughput per GPU against interactivity (the best published
configuration at every interactivity). Nothing here touches the network.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from planner.errors import InputError, Issue
from planner.fmt import finite
from planner.inputs.schemas import ModelProfile

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


@dataclass
class ImportResult:
    """A profile plus what the import left out, for the user to see."""

    profile: ModelProfile
    rows_read: int
    rows_kept: int
    points_per_system: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- helpers


def pareto_frontier(points: Iterable[Sequence[float]]) -> list[tuple[float, float]]:
    """Points (interactivity, throughput) that no other point beats on both axes.

    Non-finite or non-positive values are dropped. The result is sorted by interactivity
    ascending, so throughput strictly decreases along it.
    """
    clean = [
        (float(x), float(y))
        for x, y in points
        if math.isfinite(float(x)) and math.isfinite(float(y)) and float(x) > 0 and float(y) > 0
    ]
    clean.sort(key=lambda p: (-p[0], -p[1]))
    out: list[tuple[float, float]] = []
    best = -math.inf
    for x, y in clean:
        if y > best:
            out.append((x, y))
            best = y
    out.reverse()
    return out


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


def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-")
    return s or "model"


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


def _workload(isl: int | None, osl: int | None) -> dict[str, int] | None:
    if isl is None or osl is None:
        return None
    return {"input_tokens": int(isl), "output_tokens": int(osl)}


def _build_profile(
    *,
    name: str,
    profile_id: str,
    model_name: str,
    precision: str | None,
    token_basis: str,
    workload: dict[str, int] | None,
    source: str,
    curves: dict[str, list[tuple[float, float]]],
    note: str,
) -> ModelProfile:
    data: dict[str, Any] = {
        "id": profile_id,
        "name": model_name,
        "precision": precision,
        "source": source,
        "token_basis": token_basis,
        "workload": workload,
        "throughput": {
            k: [[round(x, 3), round(y, 2)] for x, y in v] for k, v in sorted(curves.items())
        },
        "provenance": {
            k: {"tag": "published", "source": source, "note": note} for k in sorted(curves)
        },
    }
    try:
        return ModelProfile.model_validate(data)
    except Exception as exc:  # pydantic ValidationError
        raise InputError([Issue(name, "", f"imported profile is invalid: {exc}")]) from exc


def _basis_for(column: str) -> str:
    return "output" if column.lower().startswith("output") else "total"


# --------------------------------------------------------------------------- InferenceX


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
    want_model = model.strip().lower()
    warnings: list[str] = []

    def model_matches(row: Mapping[str, Any]) -> bool:
        m = str(row.get("model", "") or row.get("model_name", "")).strip().lower()
        return m == want_model or m.rsplit("/", 1)[-1] == want_model

    kept = [r for r in rows if model_matches(r)]
    if not kept:
        models = sorted({str(r.get("model", "?")) for r in rows})
        raise InputError(
            [
                Issue(
                    name,
                    "model",
                    f"no rows for model {model!r}; the file has: " + ", ".join(models[:20]),
                )
            ]
        )
    if precision is not None:
        kept = [r for r in kept if str(r.get("precision", "")).lower() == precision.lower()]
        if not kept:
            raise InputError(
                [
                    Issue(
                        name, "precision", f"no rows for model {model!r} at precision {precision!r}"
                    )
                ]
            )
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

    precisions = sorted({str(r.get("precision", "?")) for r in kept})
    if len(precisions) > 1:
        raise InputError(
            [
                Issue(
                    name,
                    "precision",
                    "rows mix precisions "
                    + ", ".join(precisions)
                    + "; choose one with --precision",
                )
            ]
        )
    lengths = sorted({(r.get("isl"), r.get("osl")) for r in kept}, key=str)
    if len(lengths) > 1:
        shown = ", ".join(f"{a}/{b}" for a, b in lengths)
        raise InputError(
            [
                Issue(
                    name,
                    "isl/osl",
                    f"rows mix workloads (isl/osl) {shown}; choose one with --isl and --osl",
                )
            ]
        )
    row_isl, row_osl = (finite(lengths[0][0]), finite(lengths[0][1]))
    workload = _workload(int(row_isl) if row_isl else None, int(row_osl) if row_osl else None)

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
    for hw, n in sorted(unmapped.items()):
        warnings.append(
            f"hardware {hw!r} ({n} rows) has no catalogue id; skipped (add --map {hw}=ID)"
        )
    if missing:
        warnings.append(f"{missing} rows lacked hardware, {x_col!r} or {y_col!r}; skipped")
    curves = {k: pareto_frontier(v) for k, v in groups.items()}
    curves = {k: v for k, v in curves.items() if v}
    if not curves:
        raise InputError(
            [Issue(name, y_col, "no usable points (check --map, --x-col and --y-col)")]
        )
    prec = precisions[0] if precisions[0] != "?" else precision
    pid = profile_id or _slug(f"{model}-{prec}" if prec else model)
    src = source or f"InferenceX results file {path.name}"
    filt = [f"model={model}"] + ([f"precision={precision}"] if precision else [])
    filt += [f"isl={isl}"] if isl is not None else []
    filt += [f"osl={osl}"] if osl is not None else []
    filt += [f"{k}={v}" for k, v in (where or {}).items()]
    note = (
        f"Pareto frontier of {y_col} vs {x_col} over rows with "
        + ", ".join(filt)
        + "; best configuration at each interactivity"
    )
    profile = _build_profile(
        name=name,
        profile_id=pid,
        model_name=model,
        precision=prec,
        token_basis=token_basis or _basis_for(y_col),
        workload=workload,
        source=src,
        curves=curves,
        note=note,
    )
    return ImportResult(
        profile=profile,
        rows_read=len(rows),
        rows_kept=len(kept),
        points_per_system={k: len(v) for k, v in sorted(curves.items())},
        warnings=warnings,
    )


# --------------------------------------------------------------------------- plain CSV


def import_csv(
    path: Path,
    *,
    model: str,
    precision: str | None = None,
    isl: int | None = None,
    osl: int | None = None,
    hw_map: Mapping[str, str] | None = None,
    system_col: str = "system",
    x_col: str = "interactivity",
    y_col: str = "throughput",
    token_basis: str = "total",
    profile_id: str | None = None,
    pareto: bool = True,
    source: str | None = None,
) -> ImportResult:
    """Profile from a CSV with one row per point: system, interactivity, throughput.

    System names are used as catalogue ids unless `hw_map` (or the InferenceX default map)
    maps them. With `pareto`, dominated points are dropped.
    """
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError([Issue(name, "", f"cannot read file: {exc.strerror or exc}")]) from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing_cols = [c for c in (system_col, x_col, y_col) if c not in header]
    if missing_cols:
        raise InputError(
            [
                Issue(
                    name,
                    "header",
                    "missing column(s) "
                    + ", ".join(missing_cols)
                    + f"; found: {', '.join(header) or '(none)'}",
                )
            ]
        )
    mapping = {k.lower(): v for k, v in (hw_map or {}).items()}
    issues: list[Issue] = []
    groups: dict[str, list[tuple[float, float]]] = {}
    n = 0
    for i, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        n += 1
        sys_name = row.get(system_col, "")
        x, y = finite(row.get(x_col)), finite(row.get(y_col))
        if not sys_name:
            issues.append(Issue(name, f"line {i}: {system_col}", "empty system"))
        if x is None or x < 0:
            issues.append(
                Issue(name, f"line {i}: {x_col}", f"not a non-negative number: {row.get(x_col)!r}")
            )
        if y is None or y < 0:
            issues.append(
                Issue(name, f"line {i}: {y_col}", f"not a non-negative number: {row.get(y_col)!r}")
            )
        if sys_name and x is not None and y is not None:
            sys_id = mapping.get(sys_name.lower(), sys_name)
            groups.setdefault(sys_id, []).append((x, y))
    if issues:
        raise InputError(issues)
    if not groups:
        raise InputError([Issue(name, "", "no data rows")])
    curves: dict[str, list[tuple[float, float]]] = {}
    for k, pts in groups.items():
        if pareto:
            curves[k] = pareto_frontier(pts)
        else:
            by_x: dict[float, float] = {}
            for x, y in pts:
                by_x[x] = max(y, by_x.get(x, -math.inf))
            curves[k] = sorted(by_x.items())
    curves = {k: v for k, v in curves.items() if v}
    if not curves:
        raise InputError([Issue(name, y_col, "no positive points")])
    pid = profile_id or _slug(f"{model}-{precision}" if precision else model)
    src = source or f"CSV file {path.name}"
    note = f"{'Pareto frontier of ' if pareto else ''}{y_col} vs {x_col} per {system_col}"
    profile = _build_profile(
        name=name,
        profile_id=pid,
        model_name=model,
        precision=precision,
        token_basis=token_basis,
        workload=_workload(isl, osl),
        source=src,
        curves=curves,
        note=note,
    )
    return ImportResult(
        profile=profile,
        rows_read=n,
        rows_kept=n,
        points_per_system={k: len(v) for k, v in sorted(curves.items())},
    )


# --------------------------------------------------------------------------- output


def profile_to_yaml(profile: ModelProfile) -> str:
    """YAML text of a profile, curves in flow style ([x, y] per point)."""
    data = profile.model_dump(mode="json", exclude_none=True)

    class _Dumper(yaml.SafeDumper):
        pass

    def _repr_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
        flow = all(not isinstance(v, (list, dict)) for v in value)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)

    _Dumper.add_representer(list, _repr_list)
    head = (
        "# Served-model profile written by `planner models import-*`. Points are\n"
        "# [tokens/s per user, tokens/s per GPU].\n"
    )
    return head + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def write_profile(profile: ModelProfile, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(profile_to_yaml(profile), encoding="utf-8")
