"""The bounds of the input schemas live on the fields, and every field says what it is.

- Every field of every schema has a description.
- Every numeric field has a lower bound, and an upper bound or a stated reason for none.
- A bound marked as a plausibility limit is refused in the planner's words, with the limit
  read from the field (so renaming a field cannot drop its limit).
- The demand CSV's limits are those of `DemandRow`.
"""

from __future__ import annotations

import typing
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from planner.errors import InputError
from planner.inputs import datasets, schemas
from planner.inputs.demand_csv import parse_demand
from planner.inputs.fields import Strict, bound, is_number_type, plausibility_limit
from planner.inputs.messages import parse_model

NO_UPPER_BOUND = "No upper bound of its own"

MODELS = [m for mod in (schemas, datasets) for m in vars(mod).values()
          if isinstance(m, type) and issubclass(m, Strict) and m.__module__ == mod.__name__]
FIELDS = [(m, name, f) for m in MODELS for name, f in m.model_fields.items()]
NUMERIC = [(m, name, f) for m, name, f in FIELDS if is_number_type(f.annotation)]
PLAUSIBLE = [(m, name, f) for m, name, f in FIELDS if plausibility_limit(f) is not None]

# The smallest valid instance of each model that has a plausibility limit.
MINIMAL: dict[type[BaseModel], dict[str, Any]] = {
    schemas.Existing: {"system": "x", "units": 1},
    schemas.Site: {"name": "a", "power_mw": 1},
    schemas.Build: {"block_mw": 1, "max_mw": 1e6, "capex_usd_per_mw": 1},  # A. building power
    schemas.Options: {},
    datasets.System: {"id": "x", "gpus_per_unit": 1, "unit_power_kw": 1, "capex_usd": 1},
    datasets.DemandRow: {"period": "2027Q1", "model": "m", "tokens_per_s": 1},
    schemas.RentOffer: {"system": "x"},  # B. renting
    schemas.DemandFormat: {},  # forecasts as they come
    datasets.ForecastColumns: {"requests_per_s": 1, "tokens_per_day": 1,
                               "tokens_per_month": 1, "tokens_per_request": 1},
}


def _id(case: tuple[type[BaseModel], str, FieldInfo]) -> str:
    return f"{case[0].__name__}.{case[1]}"


def test_the_schemas_are_found() -> None:
    names = {m.__name__ for m in MODELS}
    assert {"Scenario", "Site", "System", "ModelProfile", "DemandRow"} <= names
    assert len(NUMERIC) > 20 and len(PLAUSIBLE) > 10


@pytest.mark.parametrize("case", FIELDS, ids=_id)
def test_every_field_is_described(case: tuple[type[BaseModel], str, FieldInfo]) -> None:
    assert case[2].description, f"{_id(case)} has no description"


@pytest.mark.parametrize("case", NUMERIC, ids=_id)
def test_every_number_is_bounded_or_says_why_not(
        case: tuple[type[BaseModel], str, FieldInfo]) -> None:
    field = case[2]
    assert bound(field, "ge") is not None or bound(field, "gt") is not None, (
        f"{_id(case)} has no lower bound (ge or gt)")
    if bound(field, "le") is None and bound(field, "lt") is None:
        assert NO_UPPER_BOUND in (field.description or ""), (
            f"{_id(case)} has no upper bound (le or lt) and its description does not say why "
            f"(write {NO_UPPER_BOUND!r} and the reason)")


def test_curve_points_are_bounded() -> None:
    value = typing.get_args(datasets.Point)[0]
    bounds = [m for m in typing.get_args(value)[1:] if isinstance(m, FieldInfo)]
    assert bounds and bound(bounds[0], "ge") == 0
    assert bound(bounds[0], "le") == schemas.MAX_CURVE_VALUE


@pytest.mark.parametrize("case", PLAUSIBLE, ids=_id)
def test_a_plausibility_limit_is_refused_in_the_planners_words(
        case: tuple[type[BaseModel], str, FieldInfo]) -> None:
    model, name, field = case
    limit = plausibility_limit(field)
    assert limit is not None
    ok = parse_model("f.yaml", {**MINIMAL[model], name: limit}, model)
    assert getattr(ok, name) == limit
    for over in (limit * 10, str(int(limit * 10))):  # a number, or text read as one
        with pytest.raises(InputError) as exc:
            parse_model("f.yaml", {**MINIMAL[model], name: over}, model)
        [issue] = exc.value.issues
        assert issue.field == name
        assert issue.message == (f"must be <= {limit:g} (a plausibility limit), "
                                 f"got {limit * 10:g}")


def test_a_plain_upper_bound_is_not_called_a_plausibility_limit() -> None:
    with pytest.raises(InputError) as exc:
        parse_model("f.yaml", {"start": "2027Q1", "periods": 601}, schemas.Horizon)
    assert [i.message for i in exc.value.issues] == ["must be <= 600, got 601"]


@pytest.mark.parametrize("column", ["tokens_per_s", "min_tokens_per_s_per_user"])
def test_the_demand_csv_reads_its_limits_from_the_schema(column: str) -> None:
    field = datasets.DemandRow.model_fields[column]
    limit = plausibility_limit(field)
    assert limit is not None
    cells = {"tokens_per_s": "1", "min_tokens_per_s_per_user": "1", column: f"{limit * 2:g}"}
    text = ("period,model,tokens_per_s,min_tokens_per_s_per_user\n"
            f"2027Q1,m,{cells['tokens_per_s']},{cells['min_tokens_per_s_per_user']}\n")
    rows, _lines, issues = parse_demand(text, "d.csv")
    assert rows == []
    assert [(i.field, i.message) for i in issues] == [
        (f"line 2: {column}",
         f"must be <= {limit:g} (a plausibility limit), got {limit * 2:g}")]
    cells[column] = f"{limit:g}"
    text = ("period,model,tokens_per_s,min_tokens_per_s_per_user\n"
            f"2027Q1,m,{cells['tokens_per_s']},{cells['min_tokens_per_s_per_user']}\n")
    rows, _lines, issues = parse_demand(text, "d.csv")
    row = rows[0]  # the rate as written (`value`), the SLO by its name
    assert issues == [] and (row.value if column == "tokens_per_s" else getattr(row, column)
                             ) == limit
