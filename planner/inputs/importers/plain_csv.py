"""A profile from a plain CSV with one row per point: system, interactivity, throughput."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from pathlib import Path

from planner.errors import InputError, Issue
from planner.fmt import finite
from planner.inputs.importers.profile import (
    ImportResult,
    build_profile,
    pareto_frontier,
    slug,
    workload_dict,
)


def _points_by_system(path: Path, system_col: str, x_col: str, y_col: str,
                      mapping: Mapping[str, str]
                      ) -> tuple[dict[str, list[tuple[float, float]]], int]:
    """(points per system id, data rows read); every bad cell is reported at once."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError([Issue(name, "", f"cannot read file: {exc.strerror or exc}")]) from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing_cols = [c for c in (system_col, x_col, y_col) if c not in header]
    if missing_cols:
        raise InputError([Issue(name, "header", "missing column(s) " + ", ".join(missing_cols)
                                + f"; found: {', '.join(header) or '(none)'}")])
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
    return groups, n


def _curve(points: list[tuple[float, float]], pareto: bool) -> list[tuple[float, float]]:
    """The frontier of the points, or (without `pareto`) the best throughput at each x."""
    if pareto:
        return pareto_frontier(points)
    by_x: dict[float, float] = {}
    for x, y in points:
        by_x[x] = max(y, by_x.get(x, -math.inf))
    return sorted(by_x.items())


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

    System names are used as catalogue ids unless `hw_map` maps them (names compared in
    lower case). With `pareto`, dominated points are dropped.
    """
    mapping = {k.lower(): v for k, v in (hw_map or {}).items()}
    groups, n = _points_by_system(path, system_col, x_col, y_col, mapping)
    curves = {k: _curve(pts, pareto) for k, pts in groups.items()}
    curves = {k: v for k, v in curves.items() if v}
    if not curves:
        raise InputError([Issue(str(path), y_col, "no positive points")])
    profile = build_profile(
        name=str(path),
        profile_id=profile_id or slug(f"{model}-{precision}" if precision else model),
        model_name=model,
        precision=precision,
        token_basis=token_basis,
        workload=workload_dict(isl, osl),
        source=source or f"CSV file {path.name}",
        curves=curves,
        note=f"{'Pareto frontier of ' if pareto else ''}{y_col} vs {x_col} per {system_col}",
    )
    return ImportResult(
        profile=profile,
        rows_read=n,
        rows_kept=n,
        points_per_system={k: len(v) for k, v in sorted(curves.items())},
    )
