"""LP bound of many-small-halls with per-hall CG (whole-unit) cuts on power rows."""
import sys, math, time
import numpy as np, scipy.sparse as sp, highspy
from pathlib import Path
from planner.core.build import build_model
from planner.core.compile import compile_model
from planner.core.prepare import prepare
from planner.inputs.loader import load_inputs
from planner.core.highs import MatrixProgram, highs_instance, HighsSettings, run_highs
from planner.core.session import _relaxed

def lp_bound(prog):
    h = highs_instance(_relaxed(prog), HighsSettings(time_limit_s=300))
    out = run_highs(h, False, scale=prog.objective_scale, col_unit=prog.col_unit)
    return out.objective, out.x

def root_bound(prog, tl=60):
    h = highs_instance(prog, HighsSettings(time_limit_s=tl, mip_rel_gap=1e-4))
    h.setOptionValue("mip_max_nodes", 1)
    out = run_highs(h, True, scale=prog.objective_scale, col_unit=prog.col_unit)
    return out.best_bound, out.objective

path = Path(sys.argv[1])
data = prepare(load_inputs(path))
comp = compile_model(build_model(data))
prog = comp.program
A = prog.A.tocsr()
names = [comp.row_name(i) for i in range(prog.shape[0])]
power = [i for i, n in enumerate(names) if n.startswith("power[")]
cuts = []
for i in power:
    row = A[[i], :]
    cols, vals = row.indices, row.data
    # only integer columns with positive coefficient (fleet); others -> skip row
    if not all(prog.integer[cols]) or (vals <= 0).any():
        continue
    pmin = vals.min()
    coef = np.floor(vals / pmin + 1e-9)
    rhs = math.floor(prog.row_hi[i] / pmin + 1e-9)
    cuts.append((cols, coef, rhs, prog.row_hi[i] / pmin))
print("power rows", len(power), "cut rows", len(cuts),
      "frac part mean", np.mean([c[3] - c[2] for c in cuts]) if cuts else None)
b0, x0 = lp_bound(prog)
rows = sp.vstack([sp.csr_array((c[1], (np.zeros(len(c[0]), int), c[0])), shape=(1, prog.shape[1])) for c in cuts]) if cuts else None
if cuts:
    prog2 = MatrixProgram(prog.c, prog.offset, sp.vstack([A, rows]).tocsc(),
                          np.concatenate([prog.row_lo, np.full(len(cuts), -np.inf)]),
                          np.concatenate([prog.row_hi, [c[2] for c in cuts]]),
                          prog.col_lo, prog.col_hi, prog.integer, prog.options)
    b1, _ = lp_bound(prog2)
else:
    prog2 = prog; b1 = b0
print(f"LP {b0:.6g}  LP+cuts {b1:.6g}  (+{(b1-b0)/b0*100:.3f}%)")
if len(sys.argv) > 2:
    for p, lab in ((prog, "root"), (prog2, "root+cuts")):
        t = time.perf_counter(); rb, inc = root_bound(p); print(lab, f"bound {rb:.6g} inc {inc} {time.perf_counter()-t:.1f}s")
