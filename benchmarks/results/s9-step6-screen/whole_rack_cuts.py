"""One-off (session 9, finding 18): the LP bound with Chvatal-Gomory whole-unit cuts on
every power row whose columns are all integer fleet,

    sum_g floor(p_g / p_min) fleet_g <= floor(P / p_min),

and, with a second argument, HiGHS's root bound (one node) with and without them.

    python whole_rack_cuts.py <scenario.yaml> [root]
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from planner.core.build import build_model
from planner.core.compile import compile_model
from planner.core.highs import HighsSettings, MatrixProgram, highs_instance, run_highs
from planner.core.prepare import prepare
from planner.core.session import _relaxed
from planner.inputs.loader import load_inputs


def lp_bound(prog: MatrixProgram) -> float | None:
    relaxed = _relaxed(prog)
    h = highs_instance(relaxed, HighsSettings(time_limit_s=300))
    return run_highs(h, False, program=relaxed).objective


def root_bound(prog: MatrixProgram) -> tuple[float | None, float | None]:
    h = highs_instance(prog, HighsSettings(time_limit_s=60, mip_rel_gap=1e-4))
    h.setOptionValue("mip_max_nodes", 1)
    out = run_highs(h, True, program=prog)
    return out.best_bound, out.objective


def with_cuts(comp: object) -> tuple[MatrixProgram, int]:
    prog = comp.program  # type: ignore[attr-defined]
    A = prog.A.tocsr()
    rows, rhs = [], []
    for i in range(prog.shape[0]):
        if not comp.row_name(i).startswith("power["):  # type: ignore[attr-defined]
            continue
        cols, vals = A.indices[A.indptr[i]:A.indptr[i + 1]], A.data[A.indptr[i]:A.indptr[i + 1]]
        if not prog.integer[cols].all() or (vals <= 0).any():
            continue
        p_min = vals.min()
        rows.append(sp.csr_array((np.floor(vals / p_min + 1e-9),
                                  (np.zeros(len(cols), dtype=int), cols)),
                                 shape=(1, prog.shape[1])))
        rhs.append(math.floor(prog.row_hi[i] / p_min + 1e-9))
    cut = MatrixProgram(prog.c, prog.offset, sp.csc_array(sp.vstack([A, *rows])),
                        np.concatenate([prog.row_lo, np.full(len(rows), -np.inf)]),
                        np.concatenate([prog.row_hi, rhs]), prog.col_lo, prog.col_hi,
                        prog.integer, prog.options)
    return cut, len(rows)


def main() -> None:
    comp = compile_model(build_model(prepare(load_inputs(Path(sys.argv[1])))))
    cut, n = with_cuts(comp)
    b0, b1 = lp_bound(comp.program), lp_bound(cut)
    print(f"{n} cut rows; LP {b0:.6g}, LP with cuts {b1:.6g}")
    if len(sys.argv) > 2:
        for prog, label in ((comp.program, "root"), (cut, "root with cuts")):
            t = time.perf_counter()
            bound, incumbent = root_bound(prog)
            print(f"{label}: bound {bound:.6g}, incumbent {incumbent}, "
                  f"{time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
