"""What-if overlays: a partial scenario deep-merged onto a base, and ``--set PATH=VALUE``.

A what-if file is a scenario written partially. It is merged onto the base like this:

- mappings merge key by key (``options``, ``budget``, a site ...); a scalar or a list in
  the what-if replaces the base's value; ``null`` sets an optional field to nothing;
- ``sites`` merge by ``name``: a what-if site whose name is in the base merges onto that
  site, a new name is appended after the base's sites (a new hall);
- other lists (a site's ``existing``, ``systems``) are replaced whole;
- ``remove:`` is a list of paths dropped from the base **before** the what-if merges, so
  ``remove: [sites.hall-b]`` plus a ``sites`` entry named ``hall-b`` replaces that hall
  whole instead of merging onto it. Removing a key brings back its default.

Paths (``remove:``, ``--set``) and ``--set`` values are written as `planner.whatif.paths`
says.

Files: paths written in the base resolve against the base's folder, paths written in a
what-if file against that file's folder (the scenario contract's rule), and paths given
with ``--set`` against the base's folder. The merged scenario holds them as absolute
paths, so it can be re-planned from anywhere (``scenario.merged.yaml``).
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from planner.errors import InputError, Issue
from planner.inputs.bundle import Inputs
from planner.inputs.fields import close_name
from planner.inputs.loader import load_referenced
from planner.inputs.messages import parse_model
from planner.inputs.schemas import Scenario
from planner.inputs.yaml_safe import load_yaml
from planner.io.output import MERGED_FILE
from planner.whatif.paths import (
    SET_SOURCE,
    named_index,
    parse_path,
    parse_set,
    remove_path,
    set_path,
)

PATH_KEYS = ("catalog", "models", "demand")  # scenario fields that name files
NAMED_LISTS = ("sites",)  # lists merged by `name`

# --------------------------------------------------------------------------- overlays


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def unknown_keys(data: Any, model: type[BaseModel], prefix: str = "") -> list[tuple[str, str]]:
    """(field path, allowed keys) for every key of a partial scenario the schema lacks."""
    out: list[tuple[str, str]] = []
    if not isinstance(data, dict):
        return out
    fields = model.model_fields
    for key, value in data.items():
        here = f"{prefix}.{key}" if prefix else str(key)
        if key not in fields:
            out.append((here, ", ".join(fields)))
            continue
        sub = _model_of(fields[key].annotation)
        if sub is None:
            continue
        if isinstance(value, dict):
            out += unknown_keys(value, sub, here)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                out += unknown_keys(item, sub, f"{here}[{i}]")
    return out


@dataclass(frozen=True)
class Overlay:
    """One what-if: a partial scenario, the paths it removes, and where it came from."""

    source: str
    data: dict[str, Any] = field(default_factory=dict)
    remove: tuple[str, ...] = ()
    sets: tuple[tuple[str, Any], ...] = ()

    @property
    def stem(self) -> str:
        return Path(self.source).stem


def _absolutize(doc: dict[str, Any], folder: Path) -> None:
    for key in PATH_KEYS:
        ref = doc.get(key)
        if isinstance(ref, str) and ref != "builtin":
            p = Path(ref).expanduser()
            doc[key] = str(p if p.is_absolute() else (folder / p).resolve())


def read_overlay(path: str | Path) -> Overlay:
    """Read a what-if file; unknown keys are reported against the what-if file itself."""
    p = Path(path)
    name = str(p)
    raw = load_yaml(p, name)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError([Issue(name, "", f"a what-if is a mapping of scenario fields, got "
                                f"a {type(raw).__name__}")])
    data = copy.deepcopy(raw)
    rem = data.pop("remove", None) or []
    if isinstance(rem, str):
        rem = [rem]
    issues: list[Issue] = []
    if not isinstance(rem, list) or not all(isinstance(r, str) for r in rem):
        issues.append(Issue(name, "remove", "must be a list of paths, e.g. "
                            "[sites.hall-b, sites.hall-a.existing[0]]"))
        rem = []
    for r in rem:
        try:
            parse_path(r, name)
        except InputError as exc:
            issues += [Issue(name, f"remove: {i.field}", i.message) for i in exc.issues]
    for i, site in enumerate(data.get("sites") or []):
        if not isinstance(site, dict) or not site.get("name"):
            issues.append(Issue(name, f"sites[{i}]", "each site in a what-if needs a `name` "
                                "(sites merge by name)"))
    if "sites" in data and not isinstance(data["sites"], list):
        issues.append(Issue(name, "sites", "must be a list of sites"))
    for where, allowed in unknown_keys(data, Scenario):
        options = allowed.split(", ") + (["remove"] if "." not in where else [])
        key = re.split(r"[.\]]", where)[-1]
        close = close_name(key, options)  # never a key whose number means something else
        hint = f"did you mean {close!r}?" if close else f"allowed: {', '.join(options)}"
        issues.append(Issue(name, where, f"unknown key; {hint}"))
    if issues:
        raise InputError(issues)
    _absolutize(data, p.resolve().parent)
    return Overlay(name, data, tuple(rem))


def sets_overlay(sets: Iterable[str | tuple[str, Any]]) -> Overlay:
    """The ``--set`` options as one overlay (applied in order, after the what-if files)."""
    parsed = tuple(parse_set(s) if isinstance(s, str) else (s[0], s[1]) for s in sets)
    return Overlay(SET_SOURCE, {}, (), parsed)


def merge_into(base: dict[str, Any], over: dict[str, Any], source: str,
               where: str = "") -> None:
    """Deep-merge `over` into `base` in place (maps by key, named lists by name)."""
    for key, value in over.items():
        here = f"{where}.{key}" if where else str(key)
        cur = base.get(key)
        if key in NAMED_LISTS and not where and isinstance(value, list) and \
                isinstance(cur, list):
            for item in value:
                idx = named_index(cur, str(item.get("name")))
                if idx is None:
                    cur.append(copy.deepcopy(item))
                elif isinstance(cur[idx], dict):
                    merge_into(cur[idx], item, source, f"{here}.{item.get('name')}")
                else:
                    cur[idx] = copy.deepcopy(item)
        elif isinstance(value, dict) and isinstance(cur, dict):
            merge_into(cur, value, source, here)
        else:
            base[key] = copy.deepcopy(value)


def apply_overlay(doc: dict[str, Any], overlay: Overlay, base_dir: Path) -> None:
    """Apply one overlay to a scenario dict in place: removals, merge, then sets."""
    for r in overlay.remove:
        remove_path(doc, r, overlay.source)
    merge_into(doc, overlay.data, overlay.source)
    for path, value in overlay.sets:
        set_path(doc, path, value, overlay.source)
        head = parse_path(path, overlay.source)
        if len(head) == 1 and head[0][1] in PATH_KEYS:
            _absolutize(doc, base_dir)


# --------------------------------------------------------------------------- merged scenario


@dataclass(frozen=True)
class MergedScenario:
    """A base scenario with overlays applied: the scenario dict and where it came from."""

    data: dict[str, Any]
    base_file: str
    base_dir: Path
    sources: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The name errors about the merged scenario carry."""
        if not self.sources:
            return self.base_file
        return f"{self.base_file} with {' + '.join(self.sources)}"

    def scenario(self) -> Scenario:
        """The merged scenario, validated (InputError names the fields)."""
        result: Scenario = parse_model(self.label, self.data, Scenario)
        return result

    def inputs(self, cache: InputsCache | None = None) -> Inputs:
        """The merged scenario and every file it names, loaded (through `cache`, if
        given, so many variants naming the same files read them once)."""
        sc = self.scenario()
        if cache is None:
            return load_referenced(sc, self.base_dir, self.label)
        return cache.load(sc, self.base_dir, self.label)

    def to_yaml(self) -> str:
        """The merged scenario as YAML (absolute file paths), headed by its provenance."""
        head = [f"# merged scenario: {self.base_file}"]
        head += [f"#   + {s}" for s in self.sources]
        head.append("# file paths are absolute, so this file can be planned from anywhere:")
        head.append(f"#   planner plan {MERGED_FILE}")
        return "\n".join(head) + "\n" + yaml.safe_dump(self.data, sort_keys=False,
                                                       allow_unicode=True)


def _stamp(path: Path) -> tuple[Any, ...]:
    """What identifies a file's (or a folder's files') content for the cache."""
    try:
        if path.is_dir():
            return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                         for p in sorted(path.iterdir()))
        st = path.stat()
        return (st.st_mtime_ns, st.st_size)
    except OSError:
        return ("missing",)


class InputsCache:
    """Loads the catalogue, profiles and demand of many scenarios, each set of files once.

    Variants of one base usually name the same files; `planner.inputs.loader.load_referenced`
    reads and validates them for the first variant, later ones reuse the loaded objects
    (keyed by the resolved paths and the files' modification times and sizes). Errors are
    not cached. Use one cache per command run.
    """

    def __init__(self) -> None:
        self._loaded: dict[tuple[Any, ...], Inputs] = {}

    def _key(self, sc: Scenario, base_dir: Path) -> tuple[Any, ...]:
        key: list[Any] = []
        for ref in (sc.catalog, sc.models, sc.demand):
            if ref is None or ref == "builtin":  # G. futures name their own demand
                key.append(ref)
                continue
            p = Path(ref).expanduser()
            p = p if p.is_absolute() else base_dir / p
            key.append((str(p.resolve()), _stamp(p)))
        return tuple(key)

    def load(self, sc: Scenario, base_dir: Path, label: str) -> Inputs:
        key = self._key(sc, base_dir)
        hit = self._loaded.get(key)
        if hit is None:
            hit = load_referenced(sc, base_dir, label)
            self._loaded[key] = hit
            return hit
        return dataclasses.replace(hit, scenario=sc, scenario_file=label)


def read_base(path: str | Path) -> dict[str, Any]:
    """The base scenario as a plain dict, file paths made absolute."""
    p = Path(path)
    raw = load_yaml(p, str(p))
    if not isinstance(raw, dict):
        what = "empty" if raw is None else f"a {type(raw).__name__}"
        raise InputError([Issue(str(p), "", f"expected a mapping of fields, got {what}")])
    data = copy.deepcopy(raw)
    _absolutize(data, p.resolve().parent)
    return data


def merge_scenario(base: str | Path, overlays: Sequence[Overlay | str | Path] = (),
                   sets: Iterable[str | tuple[str, Any]] = (),
                   base_data: dict[str, Any] | None = None) -> MergedScenario:
    """Apply what-if files (in order) and then ``--set`` values to a base scenario.

    `base_data` may pass the base already read (``read_base``), to read it once for many
    variants. Raises InputError naming the what-if file (or ``--set``) and the path.
    """
    bpath = Path(base)
    base_dir = bpath.resolve().parent
    doc = copy.deepcopy(base_data) if base_data is not None else read_base(bpath)
    ovs = [o if isinstance(o, Overlay) else read_overlay(o) for o in overlays]
    set_ov = sets_overlay(sets)
    if set_ov.sets:
        ovs.append(set_ov)
    for ov in ovs:
        apply_overlay(doc, ov, base_dir)
    sources = []
    for ov in ovs:
        if ov.source == SET_SOURCE:
            sources += [f"--set {p}={_show(v)}" for p, v in ov.sets]
        else:
            sources.append(ov.source)
    return MergedScenario(doc, str(bpath), base_dir, tuple(sources))


def _show(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    return text[:-4].strip() if text.endswith("\n...") or text.endswith(" ...") else text
