"""One-off (session 10, finding 20): HiGHS 1.16's time limit for MIP re-solves (flat 2 s
per run) and LP re-solves (run time so far + 0.05 s, then a flat 0.05 s) on one session.

    python time_limit_rule_lp.py <many-small-halls medium seed 1 scenario.yaml>
"""
import sys, time
from pathlib import Path
from planner.core.build import build_model
from planner.core.compile import compile_model
from planner.core.prepare import prepare
from planner.inputs.loader import load_inputs
from planner.core.highs import HighsSettings
from planner.core.session import PlanSession
comp = compile_model(build_model(prepare(load_inputs(Path(sys.argv[1])))))
s = PlanSession(comp, HighsSettings(time_limit_s=3, mip_rel_gap=1e-6))
for i in range(3):
    s.h.setOptionValue("time_limit", 2.0)
    t = time.perf_counter(); out = s.solve(time_limit_s=2.0 - s.h.getRunTime())  # session adds runtime: net 2.0
    print(f"MIP solve {i}: time_limit 2.0, took {time.perf_counter()-t:.2f} s, runtime {s.h.getRunTime():.2f}, {out.highs_status}, obj {out.objective}")
    s.set_all_col_bounds(s.program.col_lo.copy(), s.program.col_hi.copy())
# LP
from planner.core.start import _relaxation
import numpy as np
r = _relaxation(comp, 30)
for i in range(3):
    t = time.perf_counter(); out = r.solve(time_limit_s=0.05)
    print(f"LP solve {i}: asked 0.05 (+runtime), took {time.perf_counter()-t:.3f} s, runtime {r.h.getRunTime():.3f}, {out.highs_status}")
    lo = r.program.col_lo.copy(); r.set_all_col_bounds(lo, r.program.col_hi.copy())
for i in range(2):
    r.h.setOptionValue("time_limit", 0.05)
    t = time.perf_counter(); r.h.clearSolver(); r.h.run()
    print(f"LP absolute 0.05 run {i}: took {time.perf_counter()-t:.3f} s, runtime {r.h.getRunTime():.3f}, {r.h.modelStatusToString(r.h.getModelStatus())}")
