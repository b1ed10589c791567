"""The building blocks of the input schemas: the strict base model and the field types.

`Strict` refuses unknown keys, NaN and infinities, booleans where a number belongs and
numbers written as numbers above `MAX_NUMBER`, and reads an empty value as the field's
default. `Name`, `FreeText` and `PeriodLabel` are the kinds of text with rules of their
own.

A field's bounds are pydantic constraints on the field itself (`Field(ge=..., le=...)`).
An upper bound that only catches typing mistakes (a terawatt hall, a trillion-dollar
server) is marked `PLAUSIBLE`; `plausibility_limit` reads it back, so the messages can
say "a plausibility limit" without a table of field names.
"""

from __future__ import annotations

import datetime as _dt
import types
import typing
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

# No quantity in a scenario, catalogue or profile is larger than this; larger numbers are
# typing mistakes, and they would wreck the numerics of the solver.
MAX_NUMBER = 1e15
MAX_NAME_LENGTH = 200

# `json_schema_extra` of a field whose `le` bound is a plausibility limit: orders of
# magnitude above any real value, there because a larger number is a typing mistake that
# would make the optimisation model numerically unsolvable.
PLAUSIBLE: dict[str, Any] = {"plausibility_limit": True}


def bound(field: FieldInfo, kind: Literal["ge", "gt", "le", "lt"]) -> float | None:
    """The field's `ge`, `gt`, `le` or `lt` bound (whichever `kind` names), or None."""
    for meta in field.metadata:
        value = getattr(meta, kind, None)  # pydantic keeps Field(le=...) as annotated_types.Le
        if value is not None:
            return float(value)
    return None


def plausibility_limit(field: FieldInfo) -> float | None:
    """The field's `le` bound if it is marked `PLAUSIBLE`, else None."""
    extra = field.json_schema_extra
    if not isinstance(extra, dict) or not extra.get("plausibility_limit"):
        return None
    return bound(field, "le")


def is_number_type(ann: Any) -> bool:
    """Whether a field annotation is (optionally) an int or a float."""
    if ann in (int, float):
        return True
    origin = typing.get_origin(ann)
    if origin is Annotated:
        return is_number_type(typing.get_args(ann)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        return len(args) == 1 and is_number_type(args[0])
    return False


def _allows_none(ann: Any) -> bool:
    if ann is None or ann is type(None):
        return True
    origin = typing.get_origin(ann)
    if origin is Annotated:
        return _allows_none(typing.get_args(ann)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_allows_none(a) for a in typing.get_args(ann))
    return False


def check_number(v: Any) -> Any:
    """Refuse booleans where a number belongs, and numbers too large to be real."""
    if isinstance(v, bool):
        raise PydanticCustomError("bool_not_number", "must be a number, got {value}",
                                  {"value": "true" if v else "false"})
    if isinstance(v, (int, float)) and abs(v) > MAX_NUMBER and abs(v) != float("inf"):
        raise PydanticCustomError("number_too_large",
                                  "must be <= {limit}, got {value} (too large to be real)",
                                  {"limit": f"{MAX_NUMBER:g}", "value": f"{v:g}"})
    return v


class Strict(BaseModel):
    """Frozen, no unknown keys, no NaN or infinities, no booleans or huge numbers as numbers.

    Each field says what it is in `Field(description=...)`, not in an attribute docstring:
    pydantic reads attribute docstrings from the source at import time (about 30 ms of
    every start-up of the command line, measured).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_are_numbers(cls, v: Any, info: ValidationInfo) -> Any:
        name = info.field_name
        if name is None:
            return v
        f = cls.model_fields[name]
        if v is None and not f.is_required() and not _allows_none(f.annotation):
            # `options:` with every line commented out means "the defaults"
            return f.get_default(call_default_factory=True)
        if is_number_type(f.annotation):
            return check_number(v)
        return v


def _safe_name(v: Any) -> Any:
    """Names (site names, system and model ids) are one line of visible text."""
    if isinstance(v, str):
        if not v.strip():
            raise PydanticCustomError("name_blank", "must not be empty or blank")
        if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in v):
            raise PydanticCustomError(
                "name_control", "must not contain control or invisible characters (tab, "
                "newline, zero-width, direction marks), got {value}", {"value": ascii(v)})
        if v != v.strip():
            raise PydanticCustomError(
                "name_spaces", "must not start or end with spaces, got {value}",
                {"value": repr(v)})
        if len(v) > MAX_NAME_LENGTH:
            raise PydanticCustomError("name_long", "is longer than {n} characters",
                                      {"n": MAX_NAME_LENGTH})
    return v


def _as_text(v: Any) -> Any:
    """YAML reads `name: 2027` as a number and `2027-01-01` as a date; here both are text."""
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return str(v)
    return v


def _period_str(v: Any) -> Any:
    """YAML reads `2027` as an int and `2027-01` as a string; periods are labels."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (_dt.date, _dt.datetime)):
        raise PydanticCustomError(
            "period_date", "{value} is a date; periods are quarters 2027Q1, months 2027-01 "
            "or years 2027", {"value": v.isoformat()})
    return v


# A site name, a system or model id: one line of visible text, at most 200 characters.
Name = Annotated[str, BeforeValidator(_safe_name)]
# Descriptive text: what YAML reads as a number or a date becomes text (`name: 2027`).
FreeText = Annotated[str, BeforeValidator(_as_text)]
# A period label (2027Q1, 2027-01, 2027); `planner.inputs.periods` parses it.
PeriodLabel = Annotated[str, BeforeValidator(_period_str), Field(min_length=1)]


# ---- "did you mean": never a rename that changes what a number means ----

#: words that carry a number's unit or scale, each mapped to its canonical form; two names
#: are only suggested for each other when they carry the same of these (`unit_words`)
_UNIT_WORDS: dict[str, str | None] = {
    **dict.fromkeys(("tok", "toks", "token", "tokens", "tps"), "token"),
    **dict.fromkeys(("req", "reqs", "request", "requests", "query", "queries", "qps", "rps"),
                    "request"),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "second"),
    **dict.fromkeys(("ms", "millisecond", "milliseconds"), "millisecond"),
    **dict.fromkeys(("min", "minute", "minutes", "mins"), "minute"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours", "hourly"), "hour"),
    **dict.fromkeys(("d", "day", "days", "daily"), "day"),
    **dict.fromkeys(("w", "wk", "week", "weeks", "weekly"), "week"),
    **dict.fromkeys(("mo", "mon", "month", "months", "monthly"), "month"),
    **dict.fromkeys(("q", "qtr", "quarter", "quarters", "quarterly"), "quarter"),
    **dict.fromkeys(("y", "yr", "yrs", "year", "years", "yearly", "annual"), "year"),
    **dict.fromkeys(("period", "periods"), "period"),
    **dict.fromkeys(("k", "thousand", "thousands"), "thousand"),
    **dict.fromkeys(("m", "mil", "million", "millions", "mm"), "million"),
    **dict.fromkeys(("b", "bn", "billion", "billions"), "billion"),
    **dict.fromkeys(("ktok", "mtok", "btok", "gtok", "ttok"), None),  # kept as written
    **dict.fromkeys(("usd", "dollar", "dollars", "eur", "euro", "euros", "gbp", "cents"),
                    None),
    **dict.fromkeys(("w", "kw", "mw", "gw", "wh", "kwh", "mwh", "gwh"), None),
    **dict.fromkeys(("gpu", "gpus"), "gpu"),
    **dict.fromkeys(("unit", "units"), "unit"),
    **dict.fromkeys(("rack", "racks"), "rack"),
    **dict.fromkeys(("user", "users"), "user"),
    **dict.fromkeys(("pct", "percent", "percentage", "fraction", "share", "ratio"), "share"),
}


def unit_words(name: str) -> tuple[str, ...]:
    """The unit and scale words of a field or column name, canonical and sorted:
    `tokens_per_sec` and `tokens_per_s` give ("second", "token"), `tokens_per_day`
    ("day", "token"). A leading `min`/`max` is minimum/maximum (kept: it changes the
    meaning too), not minutes; `period` alone is the period column, not a unit."""
    import re  # noqa: PLC0415 - only when a name is unknown

    words = [w for w in re.split(r"[^a-z]+|(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])",
                                 name.casefold()) if w]
    found = [f"{words[0]}imum"] if words and words[0] in ("min", "max") else []
    for w in words[len(found):]:
        if w not in _UNIT_WORDS and w.endswith("s") and w[:-1] in _UNIT_WORDS:
            w = w[:-1]  # a plural: mtoks, gpus
        if w not in _UNIT_WORDS or (w.startswith("period") and len(words) == 1):
            continue
        canon = _UNIT_WORDS[w]
        found.append(canon if canon is not None else w)
    return tuple(sorted(found))


def close_name(name: str, options: list[str] | tuple[str, ...],
               cutoff: float = 0.6) -> str | None:
    """The option `name` is most likely a typo of (difflib), only when both carry the same
    unit words (`unit_words`): `tokens_per_sec` may be `tokens_per_s`, but
    `requests_per_s`, `tokens_per_hour` or `lead_time_weeks` never become a name whose
    number means something else. A name that leaves a unit out (`time_limit`) gets one
    only when every close name adds the same (`time_limit_s`; `lead_time` gets no
    suggestion). Same letters in another case always match."""
    import difflib  # noqa: PLC0415 - only when a name is unknown

    folded = [o for o in options if o.casefold() == name.casefold().strip()]
    if folded:
        return folded[0]
    mine = unit_words(name)
    same = [o for o in options if unit_words(o) == mine]
    close = difflib.get_close_matches(name, same, n=1, cutoff=cutoff)
    if close:
        return close[0]
    # a unit left out (`time_limit`, `min_tokens_per_user`) may be added, only if the
    # close names agree on it (`lead_time` could be lead_time_months or _periods: neither)
    more = [o for o in options if set(mine) <= set(unit_words(o))]
    close = difflib.get_close_matches(name, more, n=3, cutoff=cutoff)
    return close[0] if close and len({unit_words(c) for c in close}) == 1 else None
