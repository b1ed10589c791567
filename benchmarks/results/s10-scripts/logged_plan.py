"""One-off (session 10, finding 23): `planner plan` with every HiGHS instance logging to
highs-NNN.log.

    python logged_plan.py plan <scenario.yaml> -o OUT --no-report --time-limit 120
"""
import sys, time
import planner.core.highs as hh
T0 = time.perf_counter()
N = [0]
orig = hh.highs_instance
def logged(prog, settings):
    h = orig(prog, settings)
    N[0] += 1
    h.setOptionValue("log_file", f"highs-{N[0]:03d}.log")
    h.setOptionValue("output_flag", True)
    h.setOptionValue("log_to_console", False)
    print(f"[{time.perf_counter()-T0:.1f} s] HiGHS instance {N[0]}: {prog.shape}, limit {settings.time_limit_s:.1f}", file=sys.stderr, flush=True)
    return h
hh.highs_instance = logged
for mod in list(sys.modules.values()):
    if mod is not None and mod is not hh and getattr(mod, "highs_instance", None) is orig:
        mod.highs_instance = logged
import planner.core.session as ss, planner.core.solve as so, planner.core.start as st
for mod in (ss, so, st):
    if getattr(mod, "highs_instance", None) is orig:
        mod.highs_instance = logged
from planner.cli import main
sys.argv = ["planner", *sys.argv[1:]]
main()
