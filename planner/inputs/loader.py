"""Load stage: a scenario and the catalogue, profiles and demand it names.

`load_inputs` reads a scenario file and every file it refers to, and reports the issues
of all of them at once: a scenario whose YAML parses but has invalid fields still has its
catalogue, profiles and demand read and checked. Paths in a scenario resolve against the
scenario file's own folder; ``builtin`` resolves to the catalogue and profiles shipped
with the package. The pieces: `planner.inputs.text` (reading a file as text),
`planner.inputs.yaml_safe` (safe YAML), `planner.inputs.messages` (schema errors in the
planner's words), `planner.inputs.demand_csv` (the demand CSV).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from planner.errors import InputError, Issue, IssueCollector
from planner.gcpause import paused_gc
from planner.inputs.bundle import Future, Inputs
from planner.inputs.datasets import Catalog, DemandRow, ModelProfile
from planner.inputs.demand_csv import parse_demand
from planner.inputs.forecast import Plan, plan_of, to_demand
from planner.inputs.futures import check_futures, read_futures, with_futures
from planner.inputs.messages import parse_model
from planner.inputs.schemas import DemandFormat, Horizon, Scenario
from planner.inputs.text import read_text
from planner.inputs.validate import partial_issues
from planner.inputs.yaml_safe import load_yaml_issues

_PKG = Path(__file__).resolve().parent.parent  # the planner package


def _data_dir(name: str) -> Path:
    """Shipped data: inside the installed package, or the repository root in a checkout."""
    installed = _PKG / "_builtin" / name
    if installed.is_dir():
        return installed
    return _PKG.parent / name


def builtin_catalog_path() -> Path:
    """The shipped catalogue (`catalog: builtin`)."""
    return _data_dir("catalogs") / "default.yaml"


def builtin_models_dir() -> Path:
    """The folder of shipped profiles (`models: builtin`)."""
    return _data_dir("models")


# --------------------------------------------------------------------------- typed files


def _parse_file(path: Path, name: str, model: type[BaseModel]) -> Any:
    """Read and validate one YAML file; every issue of the file in one InputError."""
    data, issues = load_yaml_issues(path, name)
    try:
        result = parse_model(name, data, model)
    except InputError as exc:
        raise InputError(issues + exc.issues) from None
    if issues:
        raise InputError(issues)
    return result


def load_catalog(path: Path, label: str | None = None) -> Catalog:
    """A catalogue YAML file, validated."""
    result: Catalog = _parse_file(path, label or str(path), Catalog)
    return result


def load_profile(path: Path, label: str | None = None) -> ModelProfile:
    """A served-model profile YAML file, validated."""
    result: ModelProfile = _parse_file(path, label or str(path), ModelProfile)
    return result

    return result


def load_profiles(folder: Path, label: str | None = None) -> dict[str, ModelProfile]:
    """Every ``*.yaml``/``*.yml`` profile in a folder, keyed by id (all errors at once)."""
    return _load_profiles(folder, label)[0]


def _load_profiles(folder: Path, label: str | None = None
                   ) -> tuple[dict[str, ModelProfile], dict[str, str]]:
    """(profiles by id, file of each id)."""
    name = label or str(folder)
    try:
        if not folder.exists():
            raise InputError([Issue(name, "", "models folder not found")])
        if not folder.is_dir():
            raise InputError([Issue(name, "", "is a file; `models` must name a folder of "
                                    "model profiles (*.yaml)")])
        files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    except (OSError, ValueError) as exc:
        raise InputError([Issue(name, "", f"cannot read folder: {exc}")]) from None
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
    return out, where


# --------------------------------------------------------------------------- scenario bundle


def resolve(base: Path, ref: str) -> Path:
    """A path written in a scenario: `~` expanded, relative to the scenario's folder."""
    try:
        p = Path(ref).expanduser()
    except RuntimeError:  # "~user" of an unknown user: keep the path as written
        p = Path(ref)
    return p if p.is_absolute() else (base / p)


def catalog_ref_path(ref: str, base: Path | None = None) -> tuple[Path, str]:
    """Where a `catalog:` reference points and how messages name it.

    ``builtin`` (or empty) is the shipped catalogue; anything else is a path, relative to
    `base` (the scenario's folder; the working directory on the command line).
    """
    if ref in ("", "builtin"):
        return builtin_catalog_path(), "builtin catalogue"
    path = resolve(base, ref) if base is not None else Path(ref)
    return path, str(path)


def models_ref_path(ref: str, base: Path | None = None) -> tuple[Path, str]:
    """Where a `models:` reference points and how messages name it (as `catalog_ref_path`)."""
    if ref in ("", "builtin"):
        return builtin_models_dir(), "builtin models"
    path = resolve(base, ref) if base is not None else Path(ref)
    return path, str(path)


def load_catalog_ref(ref: str) -> Catalog:
    """The catalogue a command-line `--catalog` names (``builtin`` or a path)."""
    return load_catalog(*catalog_ref_path(ref))


def load_profiles_ref(ref: str) -> dict[str, ModelProfile]:
    """The profiles a command-line `--models` names (``builtin`` or a folder)."""
    return load_profiles(*models_ref_path(ref))


@dataclass
class _Referenced:
    """What a scenario's catalog/models/demand references loaded to (None if they failed)."""

    catalog: Catalog | None = None
    profiles: dict[str, ModelProfile] | None = None
    demand: list[DemandRow] | None = None
    demand_lines: tuple[int, ...] = ()
    profile_files: dict[str, str] = field(default_factory=dict)
    catalog_file: str = "catalog"
    models_dir: str = "models"
    demand_file: str = "demand.csv"
    demand_reading: dict[str, Any] | None = None


def _named_by(exc: InputError, target: str, key: str, scenario_file: str) -> list[Issue]:
    """Whole-file issues of a referenced file also say which scenario field names it."""
    return [Issue(i.file, i.field, f"{i.message} (named by `{key}` in {scenario_file})")
            if i.file == target and not i.field else i for i in exc.issues]


@dataclass(frozen=True)
class _DemandContext:
    """What reading the demand file needs of the scenario (its defaults if it is bad)."""

    fmt: DemandFormat = field(default_factory=DemandFormat)
    plan: Plan | None = None

    @classmethod
    def of(cls, scenario: Scenario | None, raw: Any) -> _DemandContext:
        if scenario is not None:
            h = scenario.horizon
            return cls(scenario.demand_format, plan_of(h.start, h.periods, h.granularity))
        raw = raw if isinstance(raw, dict) else {}
        try:
            fmt = DemandFormat.model_validate(raw.get("demand_format") or {})
        except (ValidationError, RecursionError):
            fmt = DemandFormat()
        try:
            h = Horizon.model_validate(raw.get("horizon"))
            return cls(fmt, plan_of(h.start, h.periods, h.granularity))
        except (ValidationError, RecursionError):
            return cls(fmt)


def _read_demand(path: Path, ref: _Referenced, ctx: _DemandContext,
                 errs: IssueCollector) -> None:
    """The demand file, converted to tokens/s on the plan's periods (`to_demand`)."""
    rows, lines, issues = parse_demand(read_text(path, ref.demand_file), ref.demand_file,
                                       ctx.fmt.unit)
    errs.extend(issues)
    demand, out_lines, reading, more = to_demand(rows, lines, ctx.plan, ref.profiles,
                                                 ctx.fmt, ref.demand_file)
    errs.extend(more)
    # rows that did parse are still checked against the horizon and the models
    ref.demand, ref.demand_lines = demand, tuple(out_lines)
    ref.demand_reading = reading.as_dict()


def _load_refs(catalog_ref: Any, models_ref: Any, demand_ref: Any, base: Path,
               errs: IssueCollector, scenario_file: str = "the scenario",
               ctx: _DemandContext | None = None) -> _Referenced:
    """Load whichever referenced files are named by a usable (text) reference."""
    ref = _Referenced()
    if isinstance(catalog_ref, str) and catalog_ref.strip():
        cpath, ref.catalog_file = catalog_ref_path(catalog_ref, base)
        try:
            ref.catalog = load_catalog(cpath, ref.catalog_file)
        except InputError as exc:
            errs.extend(_named_by(exc, ref.catalog_file, "catalog", scenario_file))
    if isinstance(models_ref, str) and models_ref.strip():
        mdir, ref.models_dir = models_ref_path(models_ref, base)
        try:
            ref.profiles, ref.profile_files = _load_profiles(mdir, ref.models_dir)
        except InputError as exc:
            errs.extend(_named_by(exc, ref.models_dir, "models", scenario_file))
    if isinstance(demand_ref, str) and demand_ref.strip():
        dpath = resolve(base, demand_ref)
        ref.demand_file = str(dpath)
        try:
            _read_demand(dpath, ref, ctx or _DemandContext(), errs)
        except InputError as exc:
            errs.extend(_named_by(exc, ref.demand_file, "demand", scenario_file))
    return ref


#: how messages name a scenario given without a file: a dict, or a `Scenario` object
DICT_LABEL = "<dict>"
SCENARIO_LABEL = "<Scenario>"

#: a scenario as `load_inputs` takes it: a file, a dict as its YAML would read, or a
#: `Scenario` object
ScenarioSource = str | os.PathLike[str] | Mapping[str, Any] | Scenario


def load_inputs(scenario: ScenarioSource, *, base_dir: str | Path | None = None) -> Inputs:
    """Load a scenario and every file it names; report the issues of all of them at once.

    A scenario whose YAML parses but has invalid fields still has its catalogue, profiles
    and demand read and checked, so one run lists every problem that can be found.

    `scenario` is a file (its relative paths resolve against its folder), or a dict as
    the file's YAML would read, or a `Scenario` object: these two are checked exactly as a
    file is, their messages naming ``<dict>`` or ``<Scenario>`` where a file's name
    the file, and their relative paths (`catalog`, `models`, `demand`) resolve against
    `base_dir` (default: the working directory; a file's own folder for a file).
    """
    with paused_gc():  # many small objects, none freed: planner.gcpause
        if isinstance(scenario, str | os.PathLike):
            if base_dir is not None:
                raise ValueError("base_dir is for a scenario given as a dict or a Scenario; "
                                 "a file's paths resolve against its own folder")
            spath = Path(scenario)
            raw, issues = load_yaml_issues(spath, str(spath))  # unreadable: raise now
            return _load_raw(raw, issues, str(spath), spath.resolve().parent)
        raw, label = _scenario_data(scenario)
        base = Path.cwd() if base_dir is None else Path(base_dir).expanduser()
        return _load_raw(raw, [], label, base.resolve())


def _scenario_data(scenario: Mapping[str, Any] | Scenario) -> tuple[Any, str]:
    """(the scenario as its YAML would read, how messages name it)."""
    if isinstance(scenario, Scenario):
        # checked again, as a file is: an object may have been changed since it was made
        return scenario.model_dump(mode="json", by_alias=True, exclude_unset=True), \
            SCENARIO_LABEL
    if isinstance(scenario, Mapping):
        return _plain(scenario), DICT_LABEL
    raise TypeError("a scenario is a file path, a dict or a planner Scenario, not "
                    f"{type(scenario).__name__}")


def _plain(value: Any) -> Any:
    """A dict as YAML would read it: nested mappings as dicts, paths as text."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return os.fspath(value) if isinstance(value, os.PathLike) else value


def _load_raw(raw: Any, dup_issues: list[Issue], name: str, base: Path) -> Inputs:
    """The scenario `raw` (named `name` in messages, its paths relative to `base`) and
    every file it names."""
    errs = IssueCollector()
    errs.extend(dup_issues)
    scenario: Scenario | None = None
    try:
        scenario = parse_model(name, raw, Scenario)
    except InputError as exc:
        errs.extend(exc.issues)
    refs: tuple[Any, Any, Any]
    if scenario is not None:
        refs = (scenario.catalog, scenario.models, _demand_ref(scenario))
    elif isinstance(raw, dict):
        refs = (raw.get("catalog", "builtin"), raw.get("models", "builtin"), raw.get("demand"))
    else:
        errs.raise_if_any()
        refs = (None, None, None)
    ctx = _DemandContext.of(scenario, raw)
    ref = _load_refs(refs[0], refs[1], refs[2], base, errs, name, ctx)
    futures = _futures(scenario, base, ref, name, errs, ctx) if scenario is not None else ()
    errs.extend(partial_issues(scenario, raw if isinstance(raw, dict) else None, ref.catalog,
                               ref.profiles, ref.demand, ref.demand_lines, name,
                               ref.catalog_file, ref.demand_file, ref.models_dir,
                               complete=not errs.issues, profile_files=ref.profile_files))
    if not errs.issues and (scenario is None or ref.catalog is None or ref.profiles is None
                            or ref.demand is None):
        errs.add(name, "", "the scenario's catalog, models or demand could not be loaded")
    errs.raise_if_any()
    assert scenario is not None and ref.catalog is not None
    assert ref.profiles is not None and ref.demand is not None
    inputs = Inputs(scenario, ref.catalog, ref.profiles, ref.demand, name, ref.catalog_file,
                    ref.demand_file, ref.models_dir, ref.demand_lines, ref.profile_files,
                    ref.demand_reading)
    return with_futures(inputs, futures, scenario.commit_periods) if futures else inputs


def _futures(scenario: Scenario, base: Path, ref: _Referenced, name: str,
             errs: IssueCollector, ctx: _DemandContext) -> tuple[Future, ...]:
    """G. the scenario's futures, checked (`planner.inputs.futures`); when every future
    names its own file, the top-level demand is not read (`ref.demand` empty). A future's
    own file is read as the top-level one is (`_read_demand`: units, layouts, periods)."""

    def read(path: Path, file: str) -> tuple[list[DemandRow], list[int], list[Issue]]:
        own = _Referenced(profiles=ref.profiles, demand_file=file)
        issues = IssueCollector()
        _read_demand(path, own, ctx, issues)
        return list(own.demand or []), list(own.demand_lines), issues.issues

    futures = read_futures(scenario, base, ref.demand, ref.demand_lines, ref.demand_file,
                           name, errs, read)
    check_futures(futures, scenario, ref.profiles, ref.models_dir, name, errs)
    if futures and ref.demand is None and _demand_ref(scenario) is None:
        ref.demand = []
    return futures


def _demand_ref(scenario: Scenario) -> str | None:
    """The top-level demand file to read: not with futures that all name their own (G)."""
    u = scenario.uncertainty
    if u is not None and all(f.demand is not None for f in u.scenarios):
        return None
    return scenario.demand


def load_referenced(scenario: Scenario, base: Path, scenario_file: str = "scenario.yaml") -> Inputs:
    """Load the catalogue, profiles and demand a (validated) scenario names."""
    errs = IssueCollector()
    ctx = _DemandContext.of(scenario, None)
    ref = _load_refs(scenario.catalog, scenario.models, _demand_ref(scenario), base, errs,
                     scenario_file, ctx)
    futures = _futures(scenario, base, ref, scenario_file, errs, ctx)
    errs.raise_if_any()
    assert ref.catalog is not None and ref.profiles is not None and ref.demand is not None
    inputs = Inputs(scenario, ref.catalog, ref.profiles, ref.demand, scenario_file,
                    ref.catalog_file, ref.demand_file, ref.models_dir, ref.demand_lines,
                    ref.profile_files, ref.demand_reading)
    return with_futures(inputs, futures, scenario.commit_periods) if futures else inputs
