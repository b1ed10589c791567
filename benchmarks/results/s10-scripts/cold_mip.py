"""One-off (session 10, finding 23): the planner's program handed to HiGHS cold (no start
plan), its log written to a file, extra HiGHS options as KEY=VALUE.

    python cold_mip.py <scenario.yaml> <time limit s> <log file> [KEY=VALUE ...]
"""
import sys, time
from pathlib import Path
from planner.core.build import build_model
from planner.core.compile import compile_model
from planner.core.prepare import prepare
from planner.inputs.loader import load_inputs
from planner.core.highs import highs_instance, HighsSettings, run_highs
comp = compile_model(build_model(prepare(load_inputs(Path(sys.argv[1])))))
h = highs_instance(comp.program, HighsSettings(time_limit_s=float(sys.argv[2]), mip_rel_gap=1e-3))
h.setOptionValue("log_file", sys.argv[3]); h.setOptionValue("output_flag", True); h.setOptionValue("log_to_console", False)
for kv in sys.argv[4:]:
    k, v = kv.split("=")
    try: v = int(v)
    except ValueError:
        try: v = float(v)
        except ValueError: v = {"true": True, "false": False}.get(v, v)
    h.setOptionValue(k, v)
t = time.perf_counter()
out = run_highs(h, True, program=comp.program)
print(f"{out.status} obj {out.objective} bound {out.best_bound} in {time.perf_counter()-t:.1f} s ({out.highs_status})")
