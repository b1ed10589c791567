"""Load stage: read scenario YAML, catalogue YAML, model profiles and demand CSV.

Every reader turns malformed files into `InputError` issues that name the file and the
field, and gathers as many problems as it can before raising. YAML is read with the safe
loader (tags that would build Python objects are refused), duplicate keys and alias bombs
are refused, and files too large to be an input are refused before they are parsed.
Paths in a scenario resolve against the scenario file's own folder; ``builtin`` resolves
to the catalogue and profiles shipped with the package.
"""

from __future__ import annotations

import csv
import datetime as _dt
import difflib
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from planner.errors import InputError, Issue, IssueCollector
from planner.gcpause import paused_gc
from planner.inputs.schemas import (
    MAX_CURVE_VALUE,
    MAX_TOKENS_PER_S,
    Catalog,
    DemandRow,
    ModelProfile,
    Scenario,
)
from planner.inputs.validate import partial_issues

MAX_INPUT_BYTES = 20 * 1024 * 1024  # demand CSVs; no input file is this large
MAX_YAML_BYTES = 4 * 1024 * 1024  # no scenario, catalogue or profile is this large
MAX_YAML_NODES = 200_000  # guards alias ("billion laughs") expansion
MAX_YAML_DEPTH = 60  # no input nests deeper than a handful of levels

_PKG = Path(__file__).resolve().parent.parent  # the planner package


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


def read_text(path: Path, label: str | None = None, max_bytes: int = MAX_INPUT_BYTES) -> str:
    """Text of an input file, or an InputError (one line) that says why it cannot be read."""
    name = label or str(path)
    try:
        if not path.exists():
            raise InputError([Issue(name, "", "file not found")])
        if path.is_dir():
            raise InputError([Issue(name, "", "is a folder, expected a file")])
        if not path.is_file():
            raise InputError([Issue(name, "", "is not a regular file")])
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(
                [Issue(name, "", f"file is {size} bytes, too large to be an input "
                       f"(limit {max_bytes} bytes)")]
            )
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError([Issue(name, "", f"cannot read file: {exc.strerror or exc}")]) from None
    except ValueError as exc:  # e.g. a NUL byte in the path
        raise InputError([Issue(name, "", f"not a usable path: {exc}")]) from None
    if len(data) > max_bytes:
        raise InputError([Issue(name, "", f"file is too large to be an input "
                                f"(limit {max_bytes} bytes)")])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError([Issue(name, "", "is UTF-16 text; save it as UTF-8 (CSV UTF-8 in "
                                "a spreadsheet) and try again")])
    for magic, what in _BINARY_KINDS:
        if data.startswith(magic):
            raise InputError([Issue(name, "", f"not a text file: {what}")])
    if b"\x00" in data:
        raise InputError([Issue(name, "", "not a text file (contains NUL bytes); expected "
                                "UTF-8 text")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError([Issue(name, "", f"not a UTF-8 text file (invalid byte at offset "
                                f"{exc.start}); save it as UTF-8")]) from None


_BINARY_KINDS = (
    (b"PK\x03\x04", "a zip archive or an Excel workbook (.xlsx); export the sheet as "
                    "CSV UTF-8, or save YAML as plain text"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.xls/.doc); export it as CSV UTF-8"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "a gzip-compressed file; decompress it first"),
)


_SafeBase: Any = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader


class _SafeLoader(_SafeBase):  # type: ignore[misc,valid-type]
    """PyYAML's safe loader: plain data only (no tags that build objects).

    libyaml's C parser when PyYAML has it (`yaml.CSafeLoader`: the same safe constructor
    and resolver, the parsing in C), else the pure-Python one. The checks below (node
    budget, depth, recursive aliases, duplicate keys) run on the parsed node tree either
    way. Measured (benchmarks/README.md): loading a small benchmark scenario took 18-20 ms
    with the Python parser and about 5 ms with libyaml's; a large one 0.23 s and 0.04 s.
    """


def _scalar_key(node: Any) -> str | None:
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    return None


def _walk(node: Any, path: str, budget: list[int], stack: set[int], depth: int,
          dups: list[tuple[str, int]]) -> None:
    """Count the nodes a document expands to (aliases included); find duplicate keys."""
    budget[0] -= 1
    if budget[0] < 0:
        raise yaml.YAMLError(f"document expands to more than {MAX_YAML_NODES} values: "
                             "too large to be an input (an alias bomb?)")
    if depth > MAX_YAML_DEPTH:
        raise yaml.YAMLError(f"document nests deeper than {MAX_YAML_DEPTH} levels")
    if isinstance(node, yaml.ScalarNode):
        return
    if id(node) in stack:
        raise yaml.YAMLError("an alias refers to a node that contains it (recursive alias)")
    stack.add(id(node))
    try:
        if isinstance(node, yaml.SequenceNode):
            for i, child in enumerate(node.value):
                _walk(child, f"{path}[{i}]", budget, stack, depth + 1, dups)
        elif isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for k, v in node.value:
                key = _scalar_key(k)
                if key is not None and key != "<<":
                    if key in seen:
                        dups.append((f"{path}.{key}" if path else key, k.start_mark.line + 1))
                    seen.add(key)
                _walk(k, path, budget, stack, depth + 1, dups)
                _walk(v, f"{path}.{key}" if path else str(key), budget, stack, depth + 1, dups)
    finally:
        stack.discard(id(node))


def _tag_name(problem: str) -> str:
    if "'" in problem:
        return problem.split("'")[1].replace("tag:yaml.org,2002:", "!!")
    return problem


def load_yaml_issues(path: Path, label: str | None = None) -> tuple[Any, list[Issue]]:
    """Parse a YAML file safely: (data, non-fatal issues such as duplicate keys).

    Raises InputError when the file cannot be read or parsed at all.
    """
    name = label or str(path)
    text = read_text(path, name, MAX_YAML_BYTES)
    dups: list[tuple[str, int]] = []
    try:
        loader = _SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None, []
            _walk(node, "", [MAX_YAML_NODES], set(), 0, dups)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}" if mark else ""
        problem = str(exc.problem or "")
        if "constructor for the tag" in problem:
            msg = (f"YAML tag {_tag_name(problem)} is not allowed (tags that build objects "
                   "are refused; write plain values)")
        elif "unhashable" in problem:
            msg = "a mapping key must be a plain value, not a list or mapping"
        else:
            msg = f"unsupported YAML construct: {problem}"
        raise InputError([Issue(name, where, msg)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError([Issue(name, where, f"invalid YAML: {problem}")]) from None
    except RecursionError:
        raise InputError([Issue(name, "", "YAML nests too deeply")]) from None
    issues = [Issue(name, f"{p} (line {line})", "duplicate key; each key may appear once")
              for p, line in dups]
    return data, issues


def load_yaml(path: Path, label: str | None = None) -> Any:
    """Parse a YAML file safely; syntax errors and duplicate keys raise InputError."""
    data, issues = load_yaml_issues(path, label)
    if issues:
        raise InputError(issues)
    return data


# --------------------------------------------------------------------------- pydantic errors


def loc_to_field(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the sub-model at `loc` (for "did you mean")."""
    current: Any = model
    free_key = False  # the next part is a key of a mapping (a free name), not a field
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if free_key:
            free_key = False
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None or part not in fields:
            return []
        ann = fields[part].annotation
        free_key = _is_mapping(ann)
        current = _unwrap_model(ann)
        if current is None:
            return []
    fields = getattr(current, "model_fields", None)
    return list(fields) if fields else []


def _is_mapping(ann: Any) -> bool:
    if getattr(ann, "__origin__", None) is dict:
        return True
    return any(_is_mapping(a) for a in getattr(ann, "__args__", ()) or ())


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


def _kind(value: Any) -> str:
    """How a YAML value reads to a user: 'a list', 'a mapping', 'the text "x"'."""
    if value is None:
        return "nothing (empty)"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (a boolean)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, (_dt.date, _dt.datetime)):
        return f"a date ({value.isoformat()})"
    if isinstance(value, str):
        return f"the text {_short(value)}"
    return _short(value)


def _short(value: Any) -> str:
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _got(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _short(value)
    return _kind(value)


def _bound(ctx: dict[str, Any], key: str) -> str:
    v = ctx.get(key)
    return _short(v) if isinstance(v, (int, float)) else str(v)


def _message(err: Any, model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """A pydantic error in the planner's words: 'must be > 0, got -3'."""
    etype = err.get("type", "")
    inp = err.get("input")
    ctx = err.get("ctx") or {}
    if etype == "extra_forbidden":
        key = str(loc[-1]) if loc else ""
        allowed = _allowed_keys(model, loc)
        folded = [a for a in allowed if a.casefold() == key.casefold().strip()]
        close = folded or difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else (
            f"; allowed keys: {', '.join(allowed)}" if allowed else "")
        return f"unknown key {key!r}{hint}"
    if etype == "missing":
        return "required field is missing"
    if etype == "finite_number" or (isinstance(inp, float) and not math.isfinite(inp)):
        return f"must be a finite number, got {_short(inp)}"
    if etype == "greater_than":
        return f"must be > {_bound(ctx, 'gt')}, got {_got(inp)}"
    if etype == "greater_than_equal":
        return f"must be >= {_bound(ctx, 'ge')}, got {_got(inp)}"
    if etype == "less_than":
        return f"must be < {_bound(ctx, 'lt')}, got {_got(inp)}"
    if etype == "less_than_equal":
        return f"must be <= {_bound(ctx, 'le')}, got {_got(inp)}"
    if etype in ("float_parsing", "float_type"):
        return f"must be a number, got {_got(inp)}"
    if etype in ("int_parsing", "int_type", "int_from_float"):
        return f"must be a whole number, got {_got(inp)}"
    if etype in ("bool_parsing", "bool_type"):
        return f"must be true or false, got {_got(inp)}"
    if etype in ("string_type", "str_type"):
        if isinstance(inp, (int, float)) and not isinstance(inp, bool):
            return f"must be text, got the number {_short(inp)} (put it in quotes)"
        if isinstance(inp, (_dt.date, _dt.datetime)):
            return f"must be text, got {_kind(inp)} (put it in quotes)"
        return f"must be text, got {_kind(inp)}"
    if etype == "invalid_key":
        if inp is None or isinstance(inp, bool):
            key = "null" if inp is None else str(inp).lower()
        else:
            key = _short(inp)
        return f"key {key} is not text; write it in quotes"
    if etype == "literal_error":
        return f"must be one of {ctx.get('expected', '?')}, got {_got(inp)}"
    if etype in ("list_type", "tuple_type", "set_type"):
        return f"must be a list, got {_kind(inp)}"
    if etype in ("dict_type", "model_type", "model_attributes_type", "dataclass_type"):
        return f"must be a mapping of fields, got {_kind(inp)}"
    if etype == "string_too_short":
        return "must not be empty"
    if etype == "too_short":
        n = ctx.get("min_length", 1)
        return "must not be empty" if n == 1 else f"must have at least {n} items"
    if etype == "too_long":
        if ctx.get("field_type") == "Tuple":
            return (f"a point must be two numbers (tokens/s per user, tokens/s per GPU), "
                    f"got {ctx.get('actual_length', '?')}")
        return f"must have at most {ctx.get('max_length', '?')} items"
    if etype in ("value_error", "assertion_error"):
        msg = str(err.get("msg", "invalid"))
        for prefix in ("Value error, ", "Assertion failed, "):
            if msg.startswith(prefix):
                msg = msg[len(prefix):]
        return msg
    msg = str(err.get("msg", "invalid"))
    if not msg.startswith("Input should be "):
        return msg  # the planner's own validators already speak the planner's words
    msg = "must be " + msg[len("Input should be "):]
    if "input" in err and not isinstance(inp, (dict, list)):
        msg += f", got {_got(inp)}"
    return msg


def pydantic_issues(file: str, exc: ValidationError, model: type[BaseModel],
                    prefix: str = "") -> list[Issue]:
    issues = []
    seen: set[tuple[str, str]] = set()
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        field = loc_to_field(loc)
        if err.get("type") == "invalid_key" and loc:
            field = loc_to_field(loc[:-1])
        elif loc and loc[-1] == "[key]":  # a mapping key of the wrong type
            field = loc_to_field(loc[:-2])
            issues_key = f"key {_short(loc[-2])}"
            field = f"{field}.{issues_key}" if field else issues_key
        if prefix:
            field = f"{prefix}.{field}" if field and not field.startswith("[") else prefix + field
        msg = _message(err, model, loc)
        if (field, msg) in seen:
            continue
        seen.add((field, msg))
        issues.append(Issue(file, field, msg))
    return issues


def parse_model(file: str, data: Any, model: type[BaseModel], prefix: str = "") -> Any:
    """Validate `data` against a pydantic model; raise InputError with every issue."""
    if not isinstance(data, dict):
        what = "an empty file" if data is None else _kind(data)
        raise InputError([Issue(file, prefix, f"expected a mapping of fields, got {what}")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(pydantic_issues(file, exc, model, prefix)) from None
    except RecursionError:
        raise InputError([Issue(file, prefix, "nests too deeply")]) from None


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


# --------------------------------------------------------------------------- typed loaders


def load_scenario_file(path: Path) -> Scenario:
    result: Scenario = _parse_file(path, str(path), Scenario)
    return result


def load_catalog(path: Path, label: str | None = None) -> Catalog:
    result: Catalog = _parse_file(path, label or str(path), Catalog)
    return result


def load_profile(path: Path, label: str | None = None) -> ModelProfile:
    result: ModelProfile = _parse_file(path, label or str(path), ModelProfile)
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


DEMAND_COLUMNS = ("period", "model", "tokens_per_s", "min_tokens_per_s_per_user")
REQUIRED_DEMAND_COLUMNS = ("period", "model", "tokens_per_s")


def parse_demand_rows(text: str, name: str) -> tuple[list[DemandRow], list[int]]:
    """Demand rows and the line each starts on; every bad cell is reported at once."""
    rows, lines, issues = _parse_demand(text, name)
    if issues:
        raise InputError(issues)
    return rows, lines


def _parse_demand(text: str, name: str) -> tuple[list[DemandRow], list[int], list[Issue]]:
    """(good rows, their lines, issues). Raises InputError only if no row can be read."""
    errs = IssueCollector()
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    try:
        line = 1
        for raw in reader:
            if any(c.strip() for c in raw):
                rows.append((line, raw))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InputError([Issue(name, f"line {reader.line_num}",
                                f"not a valid CSV: {exc}")]) from None
    if rows and rows[0][1] and rows[0][1][0].strip().lower().startswith("sep="):
        rows = rows[1:]  # a spreadsheet's "sep=," hint line
    if not rows:
        raise InputError([Issue(name, "", "empty demand file (expected a header row: "
                                f"{','.join(DEMAND_COLUMNS)})")])
    header_line = rows[0][0]
    header = [h.strip() for h in rows[0][1]]
    while header and header[-1] == "":
        header.pop()  # trailing empty columns, as spreadsheets export them
    if not any(c in header for c in REQUIRED_DEMAND_COLUMNS):
        hint = ""
        if len(header) == 1 and any(sep in header[0] for sep in (";", "\t", "|")):
            hint = "; it looks separated by something other than commas: use commas"
        raise InputError([Issue(name, f"line {header_line}", "the first line must be the "
                                f"header {','.join(DEMAND_COLUMNS)}, got "
                                f"{','.join(header)!r}" + hint)])
    for i, col in enumerate(header):
        if col == "":
            errs.add(name, f"line {header_line}", f"column {i + 1} of the header has no name")
        elif col not in DEMAND_COLUMNS:
            close = difflib.get_close_matches(col, DEMAND_COLUMNS, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else (
                f"; allowed: {', '.join(DEMAND_COLUMNS)}")
            errs.add(name, f"column {col!r}", f"unknown column{hint}")
    for col in sorted(set(header)):
        if header.count(col) > 1:
            errs.add(name, f"column {col!r}", "appears twice in the header")
    for col in REQUIRED_DEMAND_COLUMNS:
        if col not in header:
            errs.add(name, f"column {col!r}", "required column is missing")
    if any(c not in header for c in REQUIRED_DEMAND_COLUMNS):
        errs.raise_if_any()
    out: list[DemandRow] = []
    lines: list[int] = []
    for lineno, raw in rows[1:]:
        if len(raw) > len(header) and not any(c.strip() for c in raw[len(header):]):
            raw = raw[:len(header)]  # empty trailing cells
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
            cell = rec[col]
            if cell == "":
                errs.add(name, f"line {lineno}: {col}", "is empty; write 0 for no demand")
                bad = True
                continue
            try:
                val = float(cell)
            except ValueError:
                hint = (" (write numbers without thousands separators, with a decimal point)"
                        if any(ch in cell for ch in ", '") and any(ch.isdigit() for ch in cell)
                        else "")
                errs.add(name, f"line {lineno}: {col}",
                         f"must be a number, got {cell!r}{hint}")
                bad = True
                continue
            if math.isnan(val) or math.isinf(val):
                errs.add(name, f"line {lineno}: {col}",
                         f"must be a finite number, got {cell!r}")
                bad = True
            elif val < 0:
                errs.add(name, f"line {lineno}: {col}", f"must be >= 0, got {cell}")
                bad = True
            elif val > (MAX_TOKENS_PER_S if col == "tokens_per_s" else MAX_CURVE_VALUE):
                lim = MAX_TOKENS_PER_S if col == "tokens_per_s" else MAX_CURVE_VALUE
                errs.add(name, f"line {lineno}: {col}",
                         f"must be <= {lim:g} (a plausibility limit), got {cell}")
                bad = True
            row[col] = val
        for col in ("period", "model"):
            if not row[col]:
                errs.add(name, f"line {lineno}: {col}", "is empty")
                bad = True
            elif any(ord(ch) < 32 or ord(ch) == 127 for ch in row[col]):
                errs.add(name, f"line {lineno}: {col}",
                         f"contains a control character: {row[col]!r}")
                bad = True
        if not bad:
            out.append(DemandRow(**row))
            lines.append(lineno)
    return out, lines, errs.issues


def parse_demand_csv(text: str, name: str) -> list[DemandRow]:
    """Demand rows from CSV text; every bad cell is reported with its line and column."""
    return parse_demand_rows(text, name)[0]


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
    demand_lines: tuple[int, ...] = ()  # line of each demand row in its file (for messages)
    profile_files: dict[str, str] = field(default_factory=dict)  # model id -> its file


def resolve(base: Path, ref: str) -> Path:
    try:
        p = Path(ref).expanduser()
    except RuntimeError:  # "~user" of an unknown user: keep the path as written
        p = Path(ref)
    return p if p.is_absolute() else (base / p)


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


def _named_by(exc: InputError, target: str, key: str, scenario_file: str) -> list[Issue]:
    """Whole-file issues of a referenced file also say which scenario field names it."""
    return [Issue(i.file, i.field, f"{i.message} (named by `{key}` in {scenario_file})")
            if i.file == target and not i.field else i for i in exc.issues]


def _load_refs(catalog_ref: Any, models_ref: Any, demand_ref: Any, base: Path,
               errs: IssueCollector, scenario_file: str = "the scenario") -> _Referenced:
    """Load whichever referenced files are named by a usable (text) reference."""
    ref = _Referenced()
    if isinstance(catalog_ref, str) and catalog_ref.strip():
        if catalog_ref == "builtin":
            cpath, ref.catalog_file = builtin_catalog_path(), "builtin catalogue"
        else:
            cpath = resolve(base, catalog_ref)
            ref.catalog_file = str(cpath)
        try:
            ref.catalog = load_catalog(cpath, ref.catalog_file)
        except InputError as exc:
            errs.extend(_named_by(exc, ref.catalog_file, "catalog", scenario_file))
    if isinstance(models_ref, str) and models_ref.strip():
        if models_ref == "builtin":
            mdir, ref.models_dir = builtin_models_dir(), "builtin models"
        else:
            mdir = resolve(base, models_ref)
            ref.models_dir = str(mdir)
        try:
            ref.profiles, ref.profile_files = _load_profiles(mdir, ref.models_dir)
        except InputError as exc:
            errs.extend(_named_by(exc, ref.models_dir, "models", scenario_file))
    if isinstance(demand_ref, str) and demand_ref.strip():
        dpath = resolve(base, demand_ref)
        ref.demand_file = str(dpath)
        try:
            rows, lines, issues = _parse_demand(read_text(dpath, ref.demand_file),
                                                ref.demand_file)
            # rows that did parse are still checked against the horizon and the models
            ref.demand, ref.demand_lines = rows, tuple(lines)
            errs.extend(issues)
        except InputError as exc:
            errs.extend(_named_by(exc, ref.demand_file, "demand", scenario_file))
    return ref


def load_inputs(scenario_path: str | Path) -> Inputs:
    """Load a scenario and every file it names; report the issues of all of them at once.

    A scenario whose YAML parses but has invalid fields still has its catalogue, profiles
    and demand read and checked, so one run lists every problem that can be found.
    """
    with paused_gc():  # many small objects, none freed: planner.gcpause
        return _load_inputs(Path(scenario_path))


def _load_inputs(spath: Path) -> Inputs:
    name = str(spath)
    raw, dup_issues = load_yaml_issues(spath, name)  # unreadable / not YAML: raise now
    errs = IssueCollector()
    errs.extend(dup_issues)
    scenario: Scenario | None = None
    try:
        scenario = parse_model(name, raw, Scenario)
    except InputError as exc:
        errs.extend(exc.issues)
    base = spath.resolve().parent
    refs: tuple[Any, Any, Any]
    if scenario is not None:
        refs = (scenario.catalog, scenario.models, scenario.demand)
    elif isinstance(raw, dict):
        refs = (raw.get("catalog", "builtin"), raw.get("models", "builtin"), raw.get("demand"))
    else:
        errs.raise_if_any()
        refs = (None, None, None)
    ref = _load_refs(refs[0], refs[1], refs[2], base, errs, name)
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
    return Inputs(scenario, ref.catalog, ref.profiles, ref.demand, name, ref.catalog_file,
                  ref.demand_file, ref.models_dir, ref.demand_lines, ref.profile_files)


def load_referenced(scenario: Scenario, base: Path, scenario_file: str = "scenario.yaml") -> Inputs:
    """Load the catalogue, profiles and demand a (validated) scenario names."""
    errs = IssueCollector()
    ref = _load_refs(scenario.catalog, scenario.models, scenario.demand, base, errs,
                     scenario_file)
    errs.raise_if_any()
    assert ref.catalog is not None and ref.profiles is not None and ref.demand is not None
    return Inputs(scenario, ref.catalog, ref.profiles, ref.demand, scenario_file,
                  ref.catalog_file, ref.demand_file, ref.models_dir, ref.demand_lines,
                  ref.profile_files)
