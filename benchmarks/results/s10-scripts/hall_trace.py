"""One-off (session 10, finding 22): the start plan of one scenario, and step 6's hall MIPs
in order: per hall, what rounding moved there (sum |c_j| |x_j - x_lp_j| over its integer
columns), what its MIP saved and how long it took.

    python hall_trace.py <scenario.yaml> [limit s, default 60]
"""
import sys, time
from pathlib import Path
import numpy as np
import planner.core.start as start
from planner.core.build import build_model
from planner.core.compile import compile_model
from planner.core.prepare import prepare
from planner.inputs.loader import load_inputs

LP = []
real_lp, real_by_hall, real_cheaper = start._lp, start._by_hall, start._cheaper
def lp(*a, **k):
    out = real_lp(*a, **k)
    if not LP and out is not None:
        LP.append(out.copy())
    return out
CALL = {"i": 0, "metric": {}, "rows": []}
def by_hall(compiled, layout, x, obj, lp_bound, target_gap, left):
    halls = start._hall_columns(layout)
    c = np.abs(compiled.program.c)
    CALL["metric"] = {h: float(c[cols] @ np.abs(x[cols] - LP[0][cols])) for h, cols in halls.items()}
    CALL["order"] = sorted(halls, key=str)
    CALL["i"] = 0
    t = time.perf_counter()
    out = real_by_hall(compiled, layout, x, obj, lp_bound, target_gap, left)
    print(f"by_hall {obj:.6g} -> {out[1]:.6g} in {time.perf_counter()-t:.1f} s, {CALL['i']} halls", flush=True)
    return out
def cheaper(session, held, held_at, x, obj, limit, from_x):
    t = time.perf_counter()
    out = real_cheaper(session, held, held_at, x, obj, limit, from_x)
    if from_x and "order" in CALL and CALL["i"] < len(CALL["order"]):
        h = CALL["order"][CALL["i"]]
        CALL["rows"].append((h, CALL["metric"][h], obj - out[1], time.perf_counter() - t))
        CALL["i"] += 1
    return out
start._lp, start._by_hall, start._cheaper = lp, by_hall, cheaper
limit = float(sys.argv[2]) if len(sys.argv) > 2 else 60
comp = compile_model(build_model(prepare(load_inputs(Path(sys.argv[1])))))
t = time.perf_counter()
plan = start.start_plan(comp, time_limit_s=limit)
print(f"start plan {plan.objective:.6g} bound {plan.lp_bound:.6g} gap {(plan.objective-plan.lp_bound)/plan.objective:.4%} in {time.perf_counter()-t:.1f} s")
rows = CALL["rows"]
print("hall metric saved seconds")
for r in rows:
    print(f"{r[0]} {r[1]:.4g} {r[2]:.4g} {r[3]:.2f}")
if rows:
    import scipy.stats as st
    m = np.array([r[1] for r in rows]); s = np.array([r[2] for r in rows])
    print("spearman metric vs saved:", st.spearmanr(m, s))
    order = np.argsort(-m)
    print("savings in metric order, cumulative share after 10/20/45 halls:",
          [float(np.cumsum(s[order])[min(k, len(s))-1] / max(s.sum(), 1e-9)) for k in (10, 20, 45)],
          " in file order:", [float(np.cumsum(s)[min(k, len(s))-1] / max(s.sum(), 1e-9)) for k in (10, 20, 45)])
