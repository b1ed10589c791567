"""Pydantic validation errors in the planner's words, one `Issue` per problem.

`parse_model` validates a mapping against a schema and raises `InputError` with every
issue: the field as a path (`sites[0].power_mw`) and a message a user can act on
("must be > 0, got -3", "unknown key 'powr_mw'; did you mean 'power_mw'?"). A bound the
schema marks as a plausibility limit says so; the words come from the field's metadata.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from planner.errors import InputError, Issue
from planner.inputs.fields import close_name, plausibility_limit


def loc_to_field(loc: tuple[Any, ...]) -> str:
    """A pydantic error location as a field path: `sites[0].existing[1].units`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


# --------------------------------------------------------------------------- schema lookup


def _model_at(model: type[BaseModel], parts: tuple[Any, ...]) -> Any:
    """The sub-model a location leads to (None if it leaves the models)."""
    current: Any = model
    free_key = False  # the next part is a key of a mapping (a free name), not a field
    for part in parts:
        if isinstance(part, int):
            continue
        if free_key:
            free_key = False
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None or part not in fields:
            return None
        ann = fields[part].annotation
        free_key = _is_mapping(ann)
        current = _unwrap_model(ann)
        if current is None:
            return None
    return current


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the sub-model at `loc` (for "did you mean")."""
    fields = getattr(_model_at(model, loc[:-1]), "model_fields", None)
    return list(fields) if fields else []


def _field_at(model: type[BaseModel], loc: tuple[Any, ...]) -> FieldInfo | None:
    """The schema field an error location names, or None (a list item, a mapping key)."""
    if not loc or not isinstance(loc[-1], str):
        return None
    fields = getattr(_model_at(model, loc[:-1]), "model_fields", None)
    found = fields.get(loc[-1]) if fields else None
    return found if isinstance(found, FieldInfo) else None


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


# --------------------------------------------------------------------------- values in words


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
    """A value as a message quotes it: whole floats without `.0`, long text cut short."""
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


# --------------------------------------------------------------------------- messages


def _unknown_key(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    key = str(loc[-1]) if loc else ""
    allowed = _allowed_keys(model, loc)
    close = close_name(key, allowed)  # never a key whose number means something else
    hint = f"; did you mean {close!r}?" if close else (
        f"; allowed keys: {', '.join(allowed)}" if allowed else "")
    return f"unknown key {key!r}{hint}"


def _bound_words(etype: str, inp: Any, ctx: dict[str, Any], model: type[BaseModel],
                 loc: tuple[Any, ...]) -> str | None:
    """A number outside a field's bounds."""
    if etype == "greater_than":
        return f"must be > {_bound(ctx, 'gt')}, got {_got(inp)}"
    if etype == "greater_than_equal":
        return f"must be >= {_bound(ctx, 'ge')}, got {_got(inp)}"
    if etype == "less_than":
        return f"must be < {_bound(ctx, 'lt')}, got {_got(inp)}"
    if etype == "less_than_equal":
        field = _field_at(model, loc)
        limit = plausibility_limit(field) if field is not None else None
        if limit is not None:
            # the input as written: a number, or text pydantic read as one ("2e6")
            return f"must be <= {limit:g} (a plausibility limit), got {float(inp):g}"
        return f"must be <= {_bound(ctx, 'le')}, got {_got(inp)}"
    return None


def _type_words(etype: str, inp: Any, ctx: dict[str, Any]) -> str | None:
    """A value of the wrong type (or a key that is not text)."""
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
    return None


def _length_words(etype: str, ctx: dict[str, Any]) -> str | None:
    """Empty text, too few or too many items."""
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
    return None


def _other_words(err: Any, etype: str, inp: Any) -> str:
    """The planner's own validators' words, or pydantic's rephrased."""
    msg = str(err.get("msg", "invalid"))
    if etype in ("value_error", "assertion_error"):
        for prefix in ("Value error, ", "Assertion failed, "):
            if msg.startswith(prefix):
                msg = msg[len(prefix):]
        return msg
    if not msg.startswith("Input should be "):
        return msg  # the planner's own validators already speak the planner's words
    msg = "must be " + msg[len("Input should be "):]
    if "input" in err and not isinstance(inp, (dict, list)):
        msg += f", got {_got(inp)}"
    return msg


def _message(err: Any, model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """A pydantic error in the planner's words: 'must be > 0, got -3'."""
    etype = err.get("type", "")
    inp = err.get("input")
    ctx = err.get("ctx") or {}
    if etype == "extra_forbidden":
        return _unknown_key(model, loc)
    if etype == "missing":
        return "required field is missing"
    if etype == "finite_number" or (isinstance(inp, float) and not math.isfinite(inp)):
        return f"must be a finite number, got {_short(inp)}"
    return (_bound_words(etype, inp, ctx, model, loc) or _type_words(etype, inp, ctx)
            or _length_words(etype, ctx) or _other_words(err, etype, inp))


def pydantic_issues(file: str, exc: ValidationError, model: type[BaseModel],
                    prefix: str = "") -> list[Issue]:
    """The issues of a validation error, each once, fields prefixed with `prefix`."""
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
