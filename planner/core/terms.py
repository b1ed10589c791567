"""Building blocks of the Pyomo model: linear expressions from coefficient lists, and
indexed rows.

Constraints are built from precomputed (coefficient, variable) lists as
`LinearExpression` objects (no `sum()` of Pyomo expressions), which Pyomo's standard-form
compiler reads fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

if TYPE_CHECKING:
    from pyomo.core.base.var import VarData

#: one term of a linear expression: (coefficient, variable)
Term = tuple[float, "VarData"]
#: one row: (lower bound or None, terms, upper bound or None)
Row = tuple[float | None, list[Term], float | None]


def lin(terms: list[Term]) -> LinearExpression:
    """A linear expression from (coefficient, variable) pairs, built without `sum()`."""
    return LinearExpression([MonomialTermExpression(ct) for ct in terms])


def add_rows(m: pyo.ConcreteModel, name: str, rows: Mapping[Any, Row]) -> None:
    """Add the indexed constraint `name` with rows (lo, terms, hi), indexed by the keys of
    `rows` in their order."""
    def rule(_m: object, *key: object) -> object:
        lo, terms, hi = rows[key if len(key) > 1 else key[0]]
        return (lo, lin(terms), hi)

    setattr(m, name, pyo.Constraint(list(rows), rule=rule))


def pooled(m: pyo.ConcreteModel) -> bool:
    """Whether the model serves demand from pools over sites (the strong formulation)."""
    return hasattr(m, "pool")
