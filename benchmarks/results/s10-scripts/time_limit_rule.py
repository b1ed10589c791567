"""One-off (session 10, finding 20): one PlanSession re-solving a MIP it cannot prove three
times, 2 s asked each time; prints what each took (run on the code of the commit, before
and after `planner.core.highs.set_time_limit`).

    python time_limit_rule.py <many-small-halls medium seed 1 scenario.yaml>
"""
import sys, time, highspy, numpy as np
from pathlib import Path
from planner.core.build import build_model
from planner.core.compile import compile_model
from planner.core.prepare import prepare
from planner.inputs.loader import load_inputs
from planner.core.highs import HighsSettings
from planner.core.session import PlanSession
import highspy
print(highspy.Highs().version() if hasattr(highspy.Highs(),'version') else '')
comp = compile_model(build_model(prepare(load_inputs(Path(sys.argv[1])))))
s = PlanSession(comp, HighsSettings(time_limit_s=3, mip_rel_gap=1e-6))
for i in range(3):
    t = time.perf_counter(); out = s.solve(time_limit_s=2.0)
    print(f"solve {i}: asked 2.0 s, took {time.perf_counter()-t:.2f} s, runtime {s.h.getRunTime():.2f}, {out.highs_status}")
    lo, hi = s.program.col_lo.copy(), s.program.col_hi.copy()
    s.set_all_col_bounds(lo, hi)
