"""One-off (session 10, finding 23): benchmarks/run.py's planner child on one scenario
(run from the repository root), every HiGHS instance logging to child-NNN.log, the
cold retry announced.

    python benchmarks/results/s10-scripts/logged_child.py <scenario.yaml> <limit s> <seed>
"""
import sys, time, json
sys.path.insert(0, "benchmarks")
import planner.core.highs as hh
T0 = time.perf_counter()
N = [0]
orig = hh.highs_instance
def logged(prog, settings):
    h = orig(prog, settings)
    N[0] += 1
    h.setOptionValue("log_file", f"child-{N[0]:03d}.log")
    h.setOptionValue("output_flag", True)
    h.setOptionValue("log_to_console", False)
    print(f"[{time.perf_counter()-T0:.1f} s] HiGHS instance {N[0]}: {prog.shape}, limit {settings.time_limit_s:.1f}", flush=True)
    return h
hh.highs_instance = logged
import planner.core.session as ss
ss.highs_instance = logged
orig_retry = hh._cold_retry
def retry(*a, **k):
    print(f"[{time.perf_counter()-T0:.1f} s] cold retry", flush=True)
    out = orig_retry(*a, **k)
    print(f"[{time.perf_counter()-T0:.1f} s] cold retry done: {out.status}", flush=True)
    return out
hh._cold_retry = retry
import run
rec = run._child("planner", sys.argv[1], float(sys.argv[2]), int(sys.argv[3]))
print(f"[{time.perf_counter()-T0:.1f} s] done", json.dumps({k: rec.get(k) for k in ("status", "heuristic_s", "t_1pct_s", "final_gap", "wall_s")}))
