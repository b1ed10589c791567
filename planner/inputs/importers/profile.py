"""What both importers share: the Pareto frontier, the profile they build, and its YAML."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from planner.errors import InputError, Issue
from planner.inputs.datasets import ModelProfile


@dataclass
class ImportResult:
    """A profile plus what the import left out, for the user to see."""

    profile: ModelProfile
    rows_read: int
    rows_kept: int
    points_per_system: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


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


def slug(text: str) -> str:
    """A profile id made of a model name: lower case, dashes for anything else."""
    s = re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-")
    return s or "model"


def workload_dict(isl: int | None, osl: int | None) -> dict[str, int] | None:
    """The profile's `workload` of input/output sequence lengths, if both are known."""
    if isl is None or osl is None:
        return None
    return {"input_tokens": int(isl), "output_tokens": int(osl)}


def build_profile(
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
    """The validated profile of imported curves, each with a `published` provenance."""
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
    """Write a profile's YAML to `out`, creating its folder."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(profile_to_yaml(profile), encoding="utf-8")
