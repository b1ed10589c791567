"""Load stage: read scenario YAML, catalogue YAML, model profiles and demand CSV.

Every reader turns malformed files into `InputError` issues that name the file and the
field. YAML is read with the safe loader, and files too large to be an input are refused.
Paths in a scenario resolve against the scenario file's own folder; ``builtin`` resolves
to the catalogue and profiles shipped with the package.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from planner.errors import InputError, Issue, IssueCollector
from planner.schemas import Catalog, DemandRow, ModelProfile, Scenario

MAX_INPUT_BYTES = 20 * 1024 * 1024  # no scenario, catalogue or profile is this large
MAX_YAML_NODES = 2_000_000  # guards alias ("billion laughs") expansion

_PKG = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    """Shipped data: inside the installed package, or the repository root in a checkout."""
    installed = _PKG / "_builtin" / name
    if installed.is_dir():
        return installed
    return _PKG.parent / name


def builtin_catalog_path() -> Path:
    return _data_dir("catalogs") / "default.yaml"


def builtin_models_dir() -> Path:
    return _data_dir("models")


# --------------------------------------------------------------------------- raw reading


def read_text(path: Path, label: str | None = None) -> str:
    """Text of an input file, or an InputError that says why it cannot be read."""
    name = label or str(path)
    try:
        if not path.exists():
            raise InputError([Issue(name, "", "file not found")])
        if path.is_dir():
            raise InputError([Issue(name, "", "is a folder, expected a file")])
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise InputError(
                [Issue(name, "", f"file is {size} bytes, too large to be an input "
                       f"(limit {MAX_INPUT_BYTES})")]
            )
        data = path.read_bytes()
    except OSError as exc:
        raise InputError([Issue(name, "", f"cannot read file: {exc.strerror or exc}")]) from None
    if b"\x00" in data:
        raise InputError([Issue(name, "", "not a text file (contains NUL bytes)")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError([Issue(name, "", "not a UTF-8 text file")]) from None


class _SafeLoader(yaml.SafeLoader):
    """Safe loader that also counts nodes, so alias bombs are refused."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._nodes = 0

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        self._nodes += 1
        if self._nodes > MAX_YAML_NODES:
            raise yaml.YAMLError("document expands to too many nodes (alias bomb?)")
        return super().construct_object(node, deep)


def _count_expanded(node: Any, budget: list[int], seen_depth: int = 0) -> None:
    budget[0] -= 1
    if budget[0] < 0:
        raise yaml.YAMLError("document expands to too many nodes (alias bomb?)")
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            _count_expanded(child, budget)
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            _count_expanded(k, budget)
            _count_expanded(v, budget)


def load_yaml(path: Path, label: str | None = None) -> Any:
    """Parse a YAML file safely; syntax errors become one issue with the line."""
    name = label or str(path)
    text = read_text(path, name)
    try:
        loader = _SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _count_expanded(node, [MAX_YAML_NODES])
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.constructor.ConstructorError as exc:
        where = f"line {exc.problem_mark.line + 1}" if exc.problem_mark else ""
        raise InputError(
            [Issue(name, where, f"unsupported YAML tag or construct: {exc.problem}")]
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError([Issue(name, where, f"invalid YAML: {problem}")]) from None
    except RecursionError:
        raise InputError([Issue(name, "", "YAML nests too deeply")]) from None


# --------------------------------------------------------------------------- pydantic errors


def loc_to_field(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the sub-model at `loc` (for "did you mean")."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        ann = fields[part].annotation
        current = _unwrap_model(ann)
        if current is None:
            return []
    fields = getattr(current, "model_fields", None)
    return list(fields) if fields else []


def _unwrap_model(ann: Any) -> Any:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in getattr(ann, "__args__", ()) or ():
        found = _unwrap_model(arg)
        if found is not None:
            return found
    meta = getattr(ann, "__origin__", None)
    if meta is not None and isinstance(meta, type) and issubclass(meta, BaseModel):
        return meta
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def pydantic_issues(file: str, exc: ValidationError, model: type[BaseModel],
                    prefix: str = "") -> list[Issue]:
    issues = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        field = loc_to_field(loc)
        if prefix:
            field = f"{prefix}.{field}" if field and not field.startswith("[") else prefix + field
        etype = err.get("type", "")
        inp = err.get("input")
        if etype == "extra_forbidden":
            key = str(loc[-1]) if loc else ""
            allowed = _allowed_keys(model, loc)
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else (
                f"; allowed: {', '.join(allowed)}" if allowed else "")
            msg = f"unknown key{hint}"
        elif etype == "missing":
            msg = "required field is missing"
        elif etype in ("finite_number",) or (
            isinstance(inp, float) and (math.isnan(inp) or math.isinf(inp))
        ):
            msg = f"must be a finite number, got {_short(inp)}"
        else:
            msg = err.get("msg", "invalid")
            msg = msg[0].lower() + msg[1:] if msg else msg
            if "input" in err and etype not in ("model_type", "dict_type"):
                msg += f", got {_short(inp)}"
        issues.append(Issue(file, field, msg))
    return issues


def parse_model(file: str, data: Any, model: type[BaseModel], prefix: str = "") -> Any:
    """Validate `data` against a pydantic model; raise InputError with every issue."""
    if not isinstance(data, dict):
        what = "empty" if data is None else f"a {type(data).__name__}"
        raise InputError([Issue(file, prefix, f"expected a mapping of fields, got {what}")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(pydantic_issues(file, exc, model, prefix)) from None


# --------------------------------------------------------------------------- typed loaders


def load_scenario_file(path: Path) -> Scenario:
    result: Scenario = parse_model(str(path), load_yaml(path), Scenario)
    return result


def load_catalog(path: Path, label: str | None = None) -> Catalog:
    name = label or str(path)
    result: Catalog = parse_model(name, load_yaml(path, name), Catalog)
    return result


def load_profile(path: Path, label: str | None = None) -> ModelProfile:
    name = label or str(path)
    result: ModelProfile = parse_model(name, load_yaml(path, name), ModelProfile)
    return result


def load_profiles(folder: Path, label: str | None = None) -> dict[str, ModelProfile]:
    """Every ``*.yaml``/``*.yml`` profile in a folder, keyed by id (all errors at once)."""
    name = label or str(folder)
    if not folder.is_dir():
        raise InputError([Issue(name, "", "models folder not found")])
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    if not files:
        raise InputError([Issue(name, "", "no model profiles (*.yaml) in folder")])
    out: dict[str, ModelProfile] = {}
    where: dict[str, str] = {}
    errs = IssueCollector()
    for f in files:
        try:
            prof = load_profile(f)
        except InputError as exc:
            errs.extend(exc.issues)
            continue
        if prof.id in out:
            errs.add(str(f), "id", f"duplicate model id {prof.id!r} (also in {where[prof.id]})")
            continue
        out[prof.id] = prof
        where[prof.id] = str(f)
    errs.raise_if_any()
    return out


DEMAND_COLUMNS = ("period", "model", "tokens_per_s", "min_tokens_per_s_per_user")
REQUIRED_DEMAND_COLUMNS = ("period", "model", "tokens_per_s")


def parse_demand_csv(text: str, name: str) -> list[DemandRow]:
    """Demand rows from CSV text; every bad cell is reported with its line and column."""
    errs = IssueCollector()
    reader = csv.reader(io.StringIO(text))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InputError([Issue(name, "", f"not a valid CSV: {exc}")]) from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise InputError([Issue(name, "", "empty demand file (expected a header row: "
                                f"{','.join(DEMAND_COLUMNS)})")])
    header = [h.strip() for h in rows[0]]
    for col in header:
        if col not in DEMAND_COLUMNS:
            close = difflib.get_close_matches(col, DEMAND_COLUMNS, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else (
                f"; allowed: {', '.join(DEMAND_COLUMNS)}")
            errs.add(name, f"column {col!r}", f"unknown column{hint}")
    if len(set(header)) != len(header):
        errs.add(name, "header", "a column name appears twice")
    for col in REQUIRED_DEMAND_COLUMNS:
        if col not in header:
            errs.add(name, f"column {col!r}", "required column is missing")
    errs.raise_if_any()
    out: list[DemandRow] = []
    for lineno, raw in enumerate(rows[1:], start=2):
        if len(raw) != len(header):
            errs.add(name, f"line {lineno}",
                     f"has {len(raw)} cells, the header has {len(header)}")
            continue
        rec = {h: c.strip() for h, c in zip(header, raw, strict=True)}
        row: dict[str, Any] = {"period": rec["period"], "model": rec["model"]}
        bad = False
        for col in ("tokens_per_s", "min_tokens_per_s_per_user"):
            if col not in rec or (col == "min_tokens_per_s_per_user" and rec[col] == ""):
                continue
            try:
                val = float(rec[col])
            except ValueError:
                errs.add(name, f"line {lineno}: {col}", f"not a number: {rec[col]!r}")
                bad = True
                continue
            if math.isnan(val) or math.isinf(val):
                errs.add(name, f"line {lineno}: {col}", f"must be a finite number, got {rec[col]!r}")
                bad = True
            elif val < 0:
                errs.add(name, f"line {lineno}: {col}", f"must be >= 0, got {rec[col]}")
                bad = True
            row[col] = val
        for col in ("period", "model"):
            if not row[col]:
                errs.add(name, f"line {lineno}: {col}", "is empty")
                bad = True
        if not bad:
            out.append(DemandRow(**row))
    errs.raise_if_any()
    return out


def load_demand(path: Path, label: str | None = None) -> list[DemandRow]:
    name = label or str(path)
    return parse_demand_csv(read_text(path, name), name)


# --------------------------------------------------------------------------- scenario bundle


@dataclass(frozen=True)
class Inputs:
    """Everything a scenario refers to, loaded and individually valid."""

    scenario: Scenario
    catalog: Catalog
    profiles: dict[str, ModelProfile]
    demand: list[DemandRow]
    scenario_file: str = "scenario.yaml"
    catalog_file: str = "catalog"
    demand_file: str = "demand.csv"
    models_dir: str = "models"


def resolve(base: Path, ref: str) -> Path:
    p = Path(ref).expanduser()
    return p if p.is_absolute() else (base / p)


def load_inputs(scenario_path: str | Path) -> Inputs:
    """Load a scenario and every file it names; gather issues across all of them."""
    spath = Path(scenario_path)
    scenario = load_scenario_file(spath)
    return load_referenced(scenario, spath.resolve().parent, str(spath))


def load_referenced(scenario: Scenario, base: Path, scenario_file: str = "scenario.yaml") -> Inputs:
    """Load the catalogue, profiles and demand a (validated) scenario names."""
    errs = IssueCollector()
    catalog = profiles = demand = None
    if scenario.catalog == "builtin":
        cpath, clabel = builtin_catalog_path(), "builtin catalogue"
    else:
        cpath = resolve(base, scenario.catalog)
        clabel = str(cpath)
    try:
        catalog = load_catalog(cpath, clabel if scenario.catalog == "builtin" else None)
    except InputError as exc:
        errs.extend(exc.issues)
    if scenario.models == "builtin":
        mdir, mlabel = builtin_models_dir(), "builtin models"
    else:
        mdir = resolve(base, scenario.models)
        mlabel = str(mdir)
    try:
        profiles = load_profiles(mdir, mlabel)
    except InputError as exc:
        errs.extend(exc.issues)
    dpath = resolve(base, scenario.demand)
    try:
        demand = load_demand(dpath)
    except InputError as exc:
        errs.extend(exc.issues)
    errs.raise_if_any()
    assert catalog is not None and profiles is not None and demand is not None
    return Inputs(scenario, catalog, profiles, demand, scenario_file, clabel, str(dpath), mlabel)
