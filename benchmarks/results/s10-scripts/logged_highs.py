"""One-off (session 10, findings 20 and 23): every HiGHS instance logging to its own file
(highs-NNN.log in the working folder), each announced with its size and time limit, and
the cold retry after a misvalued start announced; then either the whole `planner plan`
or `benchmarks/run.py`'s planner child (run from the repository root).

    python logged_highs.py plan <scenario.yaml> -o OUT --no-report --time-limit 120
    python logged_highs.py child <scenario.yaml> <limit s> <seed> ['{"HiGHS option": value}']

(the child's optional JSON: extra HiGHS options for the final MIP, as run.py's
--highs-option).
"""
import json
import sys
import time

import planner.core.highs as hh
import planner.core.session as ss

T0 = time.perf_counter()
N = [0]
orig, orig_retry = hh.highs_instance, hh._cold_retry


def say(text):
    print(f"[{time.perf_counter() - T0:.1f} s] {text}", file=sys.stderr, flush=True)


def logged(prog, settings):
    h = orig(prog, settings)
    N[0] += 1
    h.setOptionValue("log_file", f"highs-{N[0]:03d}.log")
    h.setOptionValue("output_flag", True)
    h.setOptionValue("log_to_console", False)
    say(f"HiGHS instance {N[0]}: {prog.shape}, limit {settings.time_limit_s:.1f}")
    return h


def retry(*a, **k):
    say("cold retry")
    out = orig_retry(*a, **k)
    say(f"cold retry done: {out.status}")
    return out


hh.highs_instance, ss.highs_instance, hh._cold_retry = logged, logged, retry
if sys.argv[1] == "child":
    sys.path.insert(0, "benchmarks")
    import run

    options = json.loads(sys.argv[5]) if len(sys.argv) > 5 else None
    rec = run._child("planner", sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), options)
    say("done " + json.dumps({k: rec.get(k) for k in ("status", "heuristic_s", "t_1pct_s",
                                                       "final_gap", "wall_s")}))
else:
    from planner.cli import main

    sys.argv = ["planner", *sys.argv[1:]]
    main()
