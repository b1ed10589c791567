"""One-off (session 10, finding 21): non-zeros, build time, the LP relaxation's optimum
and its time (the start plan's first step) for one scenario.

    python lp_bound.py <scenario.yaml>
"""
import sys, time
from pathlib import Path
from planner.core.build import build_model
from planner.core.compile import compile_model
from planner.core.prepare import prepare
from planner.inputs.loader import load_inputs
from planner.core.start import _relaxation, _lp
t = time.perf_counter()
comp = compile_model(build_model(prepare(load_inputs(Path(sys.argv[1])))))
tb = time.perf_counter() - t
prog = comp.program
t = time.perf_counter()
r = _relaxation(comp, 300)
x = _lp(r, 300)
print(f"{sys.argv[1]}: nnz {prog.A.nnz} build {tb:.1f} s LP {float(prog.c @ x + prog.offset)!r} in {time.perf_counter()-t:.1f} s")
