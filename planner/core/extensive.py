"""G. uncertain demand: the extensive form, one program for every future.

Each future's model is the deterministic one (`planner.core.build.build_model` of the
future's `PlanData`, every future with the same decision columns,
`planner.core.prepare.widen`), compiled to arrays; `extensive_form` stacks them into one
program whose committed decisions are shared columns. No Pyomo here: the rows of every
future are those the constraint families wrote, so the math of one future is the whole
of docs/math.md and this module adds only the coupling (`extensive_form`'s docstring).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from planner.core.highs import MatrixProgram
from planner.core.scaling import merge_options
from planner.core.warm import FIRST_STAGE

if TYPE_CHECKING:
    from planner.core.compile import CompiledModel


@dataclass
class ExtensiveForm:
    """The program of every future, and where each future's columns are in it.

    `col_of[w][j]`: the column of the extensive form that column j of future w's own
    program is; `row_of[w]`: the first row of future w's rows (its rows are contiguous).
    """

    program: MatrixProgram
    col_of: list[np.ndarray]
    row_of: list[int]
    probabilities: list[float]
    #: number of shared (committed) columns
    shared: int

    def split(self, x: np.ndarray) -> list[np.ndarray]:
        """A solution of the extensive form as each future's own column vector."""
        return [x[cols] for cols in self.col_of]

    def join(self, xs: list[np.ndarray]) -> np.ndarray:
        """Each future's column vector as one of the extensive form (shared columns from
        the last future that has them: callers pass plans that agree on them)."""
        x = np.zeros(self.program.shape[1])
        for cols, xw in zip(self.col_of, xs, strict=True):
            x[cols] = xw
        return x


def committed_columns(compiled: CompiledModel, labels: frozenset[str]
                      ) -> dict[tuple[str, tuple[str, ...]], int]:
    """{(variable, key): column} of the decisions a commitment shares: the
    `FIRST_STAGE` columns whose period label (a key's last part) is in `labels`."""
    out: dict[tuple[str, tuple[str, ...]], int] = {}
    for name in FIRST_STAGE:
        keys, pos = compiled.columns.get(name, ([], np.zeros(0, dtype=int)))
        for k, p in zip(keys, pos, strict=True):
            key = tuple(str(v) for v in k)
            if p >= 0 and key[-1] in labels:
                out[(name, key)] = int(p)
    return out


def extensive_form(models: list[CompiledModel], probabilities: list[float],
                   labels: frozenset[str]) -> ExtensiveForm:
    """The extensive form of futures w with probabilities p_w, committing the periods
    `labels` (the first `commit_periods`).

    Every variable of the deterministic model gets a future index w; the rows of every
    constraint family hold in every future, with that future's demand D_k,w (budgets
    included: they hold in every future)::

        buy[s,g,t,w], fleet[s,g,t,w], pool[g,k,w], unmet[k,w], rent[r,t,w],
        rserve[r,k,w], build[s,t,w], retire[s,g,t,w], xretire[s,e,t,w]

    Non-anticipativity: the purchases, builds and retirements of the first C =
    `commit_periods` periods are decided now, the same in every future. They are one
    column each, shared by every future's rows (not copies tied by equality rows)::

        buy[s,g,t,w] = buy[s,g,t]        for t < C, every w     (likewise build,
                                                                 retire, xretire)

    Objective: the expected cost, each future's objective (as in the deterministic
    model) weighted by its probability::

        minimise  sum_w p_w * cost_w

    With one future (p = 1) the program is the deterministic one, column for column.
    Every future's model has the same decision columns (`widen` in
    `planner.core.prepare`: those of every future's demand at once); a shared column's
    bounds are the tightest of the futures'.
    """
    shared_key: dict[tuple[str, tuple[str, ...]], int] = {}
    col_of: list[np.ndarray] = []
    n = 0
    for cm in models:
        committed = committed_columns(cm, labels)
        if col_of and set(committed) != set(shared_key):
            raise ValueError("the futures' models commit different columns")
        cols = np.full(cm.program.shape[1], -1, dtype=np.int64)
        for key, j in committed.items():
            if key not in shared_key:
                shared_key[key] = n
                n += 1
            cols[j] = shared_key[key]
        free = cols < 0
        cols[free] = np.arange(n, n + int(free.sum()))
        n += int(free.sum())
        col_of.append(cols)
    return ExtensiveForm(_stack(models, probabilities, col_of, n), col_of,
                         list(np.cumsum([0] + [m.program.shape[0] for m in models])[:-1]),
                         list(probabilities), len(shared_key))


def _stack(models: list[CompiledModel], probabilities: list[float], col_of: list[np.ndarray],
           n: int) -> MatrixProgram:
    """The stacked arrays: rows one future after another, costs weighted."""
    c = np.zeros(n)
    lo, hi = np.full(n, -np.inf), np.full(n, np.inf)
    integer = np.zeros(n, dtype=bool)
    blocks: list[sp.coo_array] = []
    options: dict[str, float] = {}
    for cm, p, cols in zip(models, probabilities, col_of, strict=True):
        prog = cm.program
        np.add.at(c, cols, p * prog.c)
        lo[cols] = np.maximum(lo[cols], prog.col_lo)
        hi[cols] = np.minimum(hi[cols], prog.col_hi)
        integer[cols] |= prog.integer
        a = sp.coo_array(prog.A)
        blocks.append(sp.coo_array((a.data, (a.row, cols[a.col])), shape=(a.shape[0], n)))
        merge_options(options, prog.options)
    A = sp.vstack(blocks, format="csc") if blocks else sp.csc_array((0, n))
    return MatrixProgram(
        c=c, offset=float(sum(p * m.program.offset for m, p in
                              zip(models, probabilities, strict=True))),
        A=sp.csc_array(A),
        row_lo=np.concatenate([m.program.row_lo for m in models]),
        row_hi=np.concatenate([m.program.row_hi for m in models]),
        col_lo=lo, col_hi=hi, integer=integer, options=options)
