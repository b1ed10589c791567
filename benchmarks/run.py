"""Benchmark runner: the planner against its peers on generated scenarios.

    python benchmarks/run.py --sizes small,medium --seeds 1,2,3,4,5 --time-limit 60 \\
        --peers plain,pulp --out benchmarks/results/medium
    python benchmarks/run.py --families floorspace,budget,slo-classes --sizes medium \\
        --seeds 1-5 --time-limit 60 --peers plain,pulp --out benchmarks/results/families

For every family, size and seed it writes a scenario (family ``generate``:
`benchmarks/generate.py`, the default; the others: `benchmarks/families.py`, ``--families``)
and runs, each in its own subprocess (so peak memory is per run): the planner as shipped
(``planner``: strengthened formulation, start heuristic, tuned options) and the peers
asked for:
``plain`` (the contract's math with no strengthening, on HiGHS with default options) and
``pulp`` (the same plain matrix through PuLP on CBC). Ablations of the planner, as
peers too: ``noheur`` (no start plan), ``fleetcont`` (fleet not declared integer),
``nobounds`` (no implied bounds on purchases), ``nohall`` (the start plan without its
hall-by-hall step), ``norins`` (without its RINS step), ``plainheur`` (plain formulation
with the start plan and tuned options). Each run records model size, the
seconds of every stage before the solver starts, the wall seconds (from the start of
loading) at which the proven gap first fell under 5%, 1% and 0.1%, the final gap and peak
memory (`ru_maxrss` of the run and its children). Times start when loading starts
(after Python imports). The gap is (incumbent - bound) /
|incumbent| for every solver, timestamped from HiGHS's MIP callbacks or CBC's log.

With ``--repeat N`` every (size, seed, peer) runs N times, the peers interleaved, and the
per-seed row is the median of each field over the repeats (`median_run`); every single run
is kept in ``runs_all.csv``. Small scenarios solve in tenths of a second, where one run's
time varies by tens of percent.

Results are printed and saved as CSV and markdown (per run and a per-family-and-size
summary with geometric means over seeds, the ratio of each peer's time to the planner's,
and on the planner's row the seeds on which it reached 1% later than plain HiGHS,
``slower_than_plain``). A run that never reached a gap counts its wall time (about the
time limit) as its time (censored: the true ratio is at least the one shown, marked
">="). Every run has one deadline from the start of loading, as `planner plan` has
(`planner.deadline`): the stages before the solver count against the time limit.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

THRESHOLDS = (0.05, 0.01, 0.001)
TH_NAMES = ("t_5pct_s", "t_1pct_s", "t_01pct_s")
FIELDS = ["family", "size", "seed", "peer", "status", "columns", "rows", "nonzeros", "integers",
          "load_s", "prepare_s", "build_s", "compile_s", "handover_s", "pre_solver_s",
          "heuristic_s", *TH_NAMES, "final_gap", "objective", "bound", "wall_s",
          "peak_mb"]


# --------------------------------------------------------------------------- one run (child)


class GapClock:
    """First wall time (seconds since `t0`) the relative gap falls under each threshold."""

    def __init__(self, t0: float) -> None:
        self.t0 = t0
        self.hit: dict[float, float] = {}
        self.best_obj = math.inf
        self.best_bound = -math.inf

    def update(self, obj: float, bound: float, at: float | None = None) -> None:
        if obj == obj and obj < self.best_obj:
            self.best_obj = obj
        if bound == bound and bound > self.best_bound:
            self.best_bound = bound
        gap = self.gap()
        now = (time.perf_counter() if at is None else at) - self.t0
        for th in THRESHOLDS:
            if gap <= th and th not in self.hit:
                self.hit[th] = now

    def gap(self) -> float:
        if not math.isfinite(self.best_obj) or not math.isfinite(self.best_bound):
            return math.inf
        return max(0.0, self.best_obj - self.best_bound) / max(abs(self.best_obj), 1e-9)


def _child(peer: str, scenario: str, time_limit: float, seed: int,
           options: dict[str, Any] | None = None) -> dict[str, Any]:
    # imports (Pyomo's and SciPy's take the longest) are the same for every
    # peer and not part of planning: the clock starts when loading starts. Every module a
    # run uses is imported here: a module first imported after the clock started (SciPy
    # by planner.core.compile) counted its import as pre-solver time
    import planner.core.build  # noqa: F401
    import planner.core.compile  # noqa: F401
    import planner.core.highs  # noqa: F401
    import planner.core.solve  # noqa: F401
    import planner.core.start  # noqa: F401
    import planner.deadline  # noqa: F401
    from planner.core.prepare import prepare
    from planner.inputs.loader import load_inputs

    if peer == "pulp":
        import pulp  # noqa: F401
    t0 = time.perf_counter()

    rec: dict[str, Any] = {"peer": peer}
    inputs = load_inputs(scenario)
    t1 = time.perf_counter()
    data = prepare(inputs)  # validates, then derives the index sets
    t2 = time.perf_counter()
    rec["load_s"], rec["prepare_s"] = t1 - t0, t2 - t1
    if inputs.futures:  # G. --futures N: the planner's plan for several futures
        rec.update(_child_futures(inputs, peer, time_limit, seed, t0))
    elif peer == "pulp":
        rec.update(_child_pulp(data, time_limit, t0))
    else:
        rec.update(_child_highs(data, peer, time_limit, seed, t0, options or {}))
    rec["wall_s"] = time.perf_counter() - t0
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    rec["peak_mb"] = max(own, kids) / 1024.0
    return rec


def _size(prog: Any) -> dict[str, Any]:
    rows, cols = prog.shape
    return {"columns": cols, "rows": rows, "nonzeros": int(prog.A.nnz),
            "integers": int(prog.integer.sum())}


def _child_highs(data: Any, peer: str, time_limit: float, seed: int, t0: float,
                 options: dict[str, Any]) -> dict[str, Any]:
    from planner.core.build import build_model
    from planner.core.compile import compile_model
    from planner.core.highs import HighsSettings, highs_instance, run_highs
    from planner.core.isolated import run_isolated, worth_isolating
    from planner.deadline import Deadline

    formulation = "plain" if peer in ("plain", "plainheur") else "strong"
    tb = time.perf_counter()
    m = build_model(data, formulation=formulation)
    tc = time.perf_counter()
    compiled = compile_model(m)
    prog = compiled.program
    if peer == "fleetcont":  # ablation: fleet continuous (as in the plain formulation)
        prog.integer = prog.integer.copy()
        _keys, pos = compiled.columns["fleet"]
        prog.integer[pos[pos >= 0]] = False
    if peer == "nobounds":  # ablation: no bounds on purchases
        prog.col_hi = prog.col_hi.copy()
        _keys, pos = compiled.columns["buy"]
        prog.col_hi[pos[pos >= 0]] = math.inf
    th = time.perf_counter()
    settings = HighsSettings(time_limit_s=time_limit, mip_rel_gap=1e-3, threads=0,
                             random_seed=seed)
    # the plain peer is the contract's math as written: without the program's options
    handed = compiled.program if peer != "plain" else dataclasses.replace(compiled.program,
                                                                          options={})
    # a large program is solved in a process of its own, as `planner plan` solves it
    # (planner.core.isolated): no HiGHS instance here
    isolate = peer != "plain" and worth_isolating(handed)
    h = None if isolate else highs_instance(handed, settings)
    if peer != "plain" and h is not None:
        for key, value in options.items():  # --highs-option, for tuning runs
            h.setOptionValue(key, value)
    ts = time.perf_counter()
    rec: dict[str, Any] = {**_size(compiled.program), "build_s": tc - tb,
                           "compile_s": th - tc, "handover_s": ts - th,
                           "pre_solver_s": ts - t0}
    clock = GapClock(t0)
    start = None
    # one deadline from the start of loading, as `planner plan` has (planner.deadline):
    # the heuristic takes its share of what is left, HiGHS the rest, and HiGHS is
    # interrupted if it runs past the deadline (a child once ran far past its limit)
    deadline = Deadline(t0, time_limit)
    if peer not in ("plain", "noheur"):
        import planner.core.start
        from planner.core.solve import HEURISTIC_SHARE
        from planner.core.start import start_plan

        if peer == "nohall":  # ablation: the start plan without step 6 (hall by hall)
            planner.core.start.REOPT_FROM_GAP = math.inf
        if peer == "norins":  # ablation: the start plan without step 7 (RINS)
            planner.core.start.RINS_FROM_GAP = math.inf

        start = start_plan(compiled, time_limit_s=HEURISTIC_SHARE * deadline.remaining())
        rec["heuristic_s"] = start.seconds
        # the LP relaxation's optimum is a proven lower bound, the start plan an incumbent
        clock.update(start.objective if start.objective is not None else math.inf,
                     start.lp_bound if start.lp_bound is not None else -math.inf)
    left = max(1e-3, deadline.remaining())
    if h is not None:
        h.setOptionValue("time_limit", left)
    t_run = time.perf_counter()

    def on_progress(p: dict[str, float]) -> None:
        clock.update(p["objective"], p["bound"], t_run + p["running_time"])

    # HiGHS holds the costs scaled (`MatrixProgram.objective_scale`): read back in USD,
    # the unit of the start plan's objective and LP bound above (without `program`, the
    # incumbents HiGHS reported were 10x or more below the USD bound, so every gap
    # threshold counted as reached at HiGHS's first report)
    if h is None:  # its progress is timed here, as it arrives
        out = run_isolated(dataclasses.replace(handed, options={**handed.options, **options}),
                           dataclasses.replace(settings, time_limit_s=left),
                           None if start is None else start.x,
                           lambda p: clock.update(p["objective"], p["bound"]),
                           deadline.stop_at(left))
    else:
        out = run_highs(h, True, start=None if start is None else start.x,
                        progress=on_progress, stop_at=deadline.stop_at(left), program=handed)
    end = time.perf_counter()
    if out.objective is not None and out.best_bound is not None:
        clock.update(out.objective, out.best_bound, end)
    rec.update(_clock_fields(clock))
    rec["status"] = out.status
    if out.objective is not None and clock.best_obj < out.objective - 1e-7 * abs(out.objective):
        # an incumbent reported during the run was better than the final plan: HiGHS
        # misvalued a start (planner.core.highs.run_highs re-solved cold); do not trust times
        rec["status"] = out.status + "+misreported_start"
    return rec


def _child_futures(inputs: Any, peer: str, time_limit: float, seed: int, t0: float
                   ) -> dict[str, Any]:
    """G. a scenario with futures, planned as `planner plan` plans it (wait-and-see,
    mean-demand and regret solves, then the extensive form from the best candidate): the
    gap times are the extensive form's, counted from the start of loading."""
    from planner.analysis.solve import DIAGNOSIS
    from planner.core.futures import solve_futures
    from planner.core.highs import HighsSettings

    if peer != "planner":
        return {"status": "error: only the planner plans futures"}
    clock = GapClock(t0)
    settings = HighsSettings(time_limit_s=time_limit, mip_rel_gap=1e-4, random_seed=seed)
    r = solve_futures(inputs, settings, diagnosis=DIAGNOSIS, started_at=t0,
                      progress=lambda p: clock.update(p["objective"], p["bound"]))
    o = r.outcome
    if o.objective is not None and o.best_bound is not None:
        clock.update(o.objective, o.best_bound)
    rec: dict[str, Any] = {"status": o.status, "columns": r.model_size.columns,
                           "rows": r.model_size.rows, "nonzeros": r.model_size.nonzeros,
                           "futures": len(r.names), "expected_cost_usd": r.expected_cost_usd,
                           "evpi_usd": r.evpi_usd, "vss_usd": r.vss_usd,
                           "extensive_s": o.seconds}
    rec.update(_clock_fields(clock))
    return rec


def add_futures(scenario: Path, n: int) -> Path:
    """G. `scenario` with `n` futures: its demand scaled by factors evenly from 0.6 to
    1.4 (1.0 for one future), equal probabilities, the first half of the horizon
    committed."""
    import yaml

    sc = yaml.safe_load(scenario.read_text())
    demand = (scenario.parent / sc["demand"]).read_text().splitlines()
    head, rows = demand[0], demand[1:]
    col = head.split(",").index("tokens_per_s")
    specs = []
    for i in range(n):
        factor = 1.0 if n == 1 else 0.6 + 0.8 * i / (n - 1)
        lines = [head]
        for row in rows:
            cells = row.split(",")
            cells[col] = repr(float(cells[col]) * factor)
            lines.append(",".join(cells))
        name = f"f{i + 1:02d}"
        (scenario.parent / f"demand_{name}.csv").write_text("\n".join(lines) + "\n")
        specs.append({"name": name, "probability": 1.0 / n, "demand": f"demand_{name}.csv"})
    specs[-1]["probability"] = 1.0 - sum(s["probability"] for s in specs[:-1])
    sc["uncertainty"] = {"scenarios": specs,
                         "commit_periods": max(1, int(sc["horizon"]["periods"]) // 2)}
    scenario.write_text(yaml.safe_dump(sc, sort_keys=False))
    return scenario


def _clock_fields(clock: GapClock) -> dict[str, Any]:
    out: dict[str, Any] = {n: clock.hit.get(th) for n, th in zip(TH_NAMES, THRESHOLDS,
                                                                  strict=True)}
    out["final_gap"] = clock.gap() if math.isfinite(clock.gap()) else None
    out["objective"] = clock.best_obj if math.isfinite(clock.best_obj) else None
    out["bound"] = clock.best_bound if math.isfinite(clock.best_bound) else None
    return out


_CBC_TIME = re.compile(r"\(([\d.]+) seconds\)")
_NUM = r"(-?[\d.]+(?:e[+-]?\d+)?)"


def parse_cbc_log(text: str, offset: float, clock: GapClock, t_start: float) -> None:
    """Feed CBC's log (incumbents, bounds, with its own seconds) into a gap clock."""
    for line in text.splitlines():
        tm = _CBC_TIME.search(line)
        at = t_start + float(tm.group(1)) if tm else None
        if "Cbc0010I" in line or "Cbc0004I" in line or "Cbc0012I" in line:
            mo = re.search(_NUM + r" best solution, best possible " + _NUM, line)
            if mo:
                clock.update(float(mo.group(1)) + offset, float(mo.group(2)) + offset, at)
                continue
            mi = re.search(r"Integer solution of " + _NUM, line)
            if mi:
                clock.update(float(mi.group(1)) + offset, -math.inf, at)
        elif "Cbc0013I" in line or "Cbc0014I" in line:
            mb = re.search(r"changed objective from " + _NUM + " to " + _NUM, line)
            if mb:
                clock.update(math.inf, float(mb.group(2)) + offset, at)
        elif line.startswith("Continuous objective value is"):
            mc = re.search(r"is " + _NUM, line)
            if mc:
                clock.update(math.inf, float(mc.group(1)) + offset, at)
        elif "Cbc0001I Search completed" in line or "Cbc0011I Exiting as integer gap" in line:
            mf = re.search(r"best objective " + _NUM, line)
            if mf:
                clock.update(float(mf.group(1)) + offset, -math.inf, at)


def _child_pulp(data: Any, time_limit: float, t0: float) -> dict[str, Any]:
    import numpy as np
    import pulp

    from planner.core.build import build_model
    from planner.core.compile import compile_model

    tb = time.perf_counter()
    compiled = compile_model(build_model(data, formulation="plain"))
    prog = compiled.program
    tc = time.perf_counter()
    A = prog.A.tocsr()
    n = prog.shape[1]
    prob = pulp.LpProblem("plan", pulp.LpMinimize)
    xs = [pulp.LpVariable(f"x{j}", lowBound=None if not np.isfinite(prog.col_lo[j])
                          else float(prog.col_lo[j]),
                          upBound=None if not np.isfinite(prog.col_hi[j])
                          else float(prog.col_hi[j]),
                          cat="Integer" if prog.integer[j] else "Continuous")
          for j in range(n)]
    prob += pulp.LpAffineExpression(
        [(xs[j], float(prog.c[j])) for j in np.flatnonzero(prog.c)])
    for i in range(prog.shape[0]):
        lo, hi = float(prog.row_lo[i]), float(prog.row_hi[i])
        sl = slice(A.indptr[i], A.indptr[i + 1])
        expr = pulp.LpAffineExpression(
            [(xs[j], float(v)) for j, v in zip(A.indices[sl], A.data[sl], strict=True)])
        if lo == hi:
            prob += pulp.LpConstraint(expr, pulp.LpConstraintEQ, f"r{i}", lo)
        else:
            if np.isfinite(lo):
                prob += pulp.LpConstraint(expr, pulp.LpConstraintGE, f"r{i}l", lo)
            if np.isfinite(hi):
                prob += pulp.LpConstraint(expr, pulp.LpConstraintLE, f"r{i}u", hi)
    ts = time.perf_counter()
    rec: dict[str, Any] = {**_size(prog), "build_s": tc - tb, "compile_s": 0.0,
                           "handover_s": ts - tc, "pre_solver_s": ts - t0}
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "cbc.log"
        # the same deadline as the HiGHS peers: from the start of loading
        left = max(1.0, time_limit - (time.perf_counter() - t0))
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=left, gapRel=1e-3,
                                   logPath=str(log), keepFiles=False)
        t_cbc = time.perf_counter()
        status = prob.solve(solver)
        clock = GapClock(t0)
        text = log.read_text(errors="replace") if log.exists() else ""
        # CBC's seconds count from its own start, after PuLP wrote the MPS file
        parse_cbc_log(text, float(prog.offset), clock, t_cbc)
    obj = pulp.value(prob.objective)
    if obj is not None and status == pulp.LpStatusOptimal:
        clock.update(float(obj) + float(prog.offset), -math.inf, time.perf_counter())
    rec.update(_clock_fields(clock))
    rec["status"] = {1: "optimal", 0: "time_limit", -1: "infeasible"}.get(status, str(status))
    if prob.sol_status == pulp.LpSolutionIntegerFeasible:
        rec["status"] = "time_limit"
    return rec


# --------------------------------------------------------------------------- driver


def write_scenario(family: str, size: str, seed: int, out: Path, v2: dict[str, bool]
                   ) -> Path:
    """One scenario of a family: ``generate`` is `benchmarks/generate.py` (with the
    contract v2 features of `v2` drawn by it), every other family `benchmarks/families.py`
    with the features laid over it (`benchmarks/v2overlay.py`)."""
    if family == "generate":
        from generate import write  # benchmarks/ is on sys.path when run as a script

        return write(size, seed, out, **v2)
    from families import write as write_family
    from v2overlay import apply

    return apply(write_family(family, size, seed, out), seed, **v2)


def run_one(peer: str, scenario: Path, time_limit: float, seed: int,
            hard_timeout: float, options: dict[str, Any] | None = None) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", peer,
           "--scenario", str(scenario), "--time-limit", str(time_limit),
           "--solver-seed", str(seed), "--options-json", json.dumps(options or {})]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=hard_timeout,
                              cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"peer": peer, "status": "killed"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"peer": peer, "status": "error: " + " | ".join(tail)}
    rec: dict[str, Any] = json.loads(lines[-1])
    return rec


def median_run(reps: list[dict[str, Any]]) -> dict[str, Any]:
    """One row for repeated runs of a (size, seed, peer): each numeric field's median over
    the repeats; a gap threshold reached in fewer than half of them counts as missed."""
    import statistics

    out = dict(reps[0])
    statuses = [str(r.get("status")) for r in reps]
    out["status"] = max(dict.fromkeys(statuses), key=statuses.count)
    for f in FIELDS:
        if f in ("family", "size", "seed", "peer", "status", "columns", "rows", "nonzeros",
                 "integers"):
            continue  # the same in every repeat
        vals = [r.get(f) for r in reps]
        nums = [float(v) for v in vals if isinstance(v, int | float) and not isinstance(v, bool)]
        if f in TH_NAMES and len(nums) * 2 < len(reps):
            out[f] = None
        elif nums:
            out[f] = statistics.median(nums)
    out["repeats"] = len(reps)
    return out


def _fmt(v: Any) -> str:
    if v is None or v == "":
        return "-"
    if isinstance(v, float):
        if v != v:
            return "-"
        return f"{v:.3g}" if abs(v) < 1e5 else f"{v:.6g}"
    return str(v)


def markdown(rows: list[dict[str, Any]], cols: list[str]) -> str:
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        out.append("| " + " | ".join(_fmt(r.get(c)) for c in cols) + " |")
    return "\n".join(out)


def geomean(xs: list[float]) -> float:
    return math.exp(sum(math.log(max(x, 1e-3)) for x in xs) / len(xs)) if xs else math.nan


def _time_to(r: dict[str, Any], name: str, time_limit: float) -> tuple[float, bool]:
    """A run's seconds to a gap threshold, and whether it is censored (never reached:
    its wall time, or the time limit, stands in)."""
    v = r.get(name)
    if v is not None:
        return float(v), False
    return float(r.get("wall_s") or time_limit), True


def slower_than_plain(rows: list[dict[str, Any]], family: str, size: str,
                      time_limit: float, name: str = "t_1pct_s") -> list[int] | None:
    """The seeds on which the planner reached `name` later than the plain peer in the
    same run (or missed it where plain reached it); None without plain runs. Seeds where
    both missed it are not counted either way."""
    def of(peer: str) -> dict[Any, dict[str, Any]]:
        return {r["seed"]: r for r in rows if r.get("family", "generate") == family
                and r["size"] == size and r["peer"] == peer}

    mine, plain = of("planner"), of("plain")
    if not mine or not plain:
        return None
    slower = []
    for seed in sorted(set(mine) & set(plain), key=str):
        t_me, cens_me = _time_to(mine[seed], name, time_limit)
        t_pl, cens_pl = _time_to(plain[seed], name, time_limit)
        if cens_me and cens_pl:
            continue
        if (cens_me and not cens_pl) or (not cens_pl and t_me > t_pl):
            slower.append(seed)
    return slower


def summarize(rows: list[dict[str, Any]], time_limit: float) -> list[dict[str, Any]]:
    """One row per (family, size, peer): geometric means over seeds of the times to 5%,
    1% and 0.1% (censored runs count their wall time: marked missed), the ratio of each
    peer's geometric mean to the planner's, and on the planner's row the seeds on which
    it was slower than plain to 1% (`slower_than_plain`)."""
    out = []
    groups = list(dict.fromkeys((r.get("family", "generate"), r["size"]) for r in rows))
    peers = list(dict.fromkeys(r["peer"] for r in rows))
    for family, size in groups:
        for peer in peers:
            rs = [r for r in rows if r.get("family", "generate") == family
                  and r["size"] == size and r["peer"] == peer]
            if not rs:
                continue
            s: dict[str, Any] = {"family": family, "size": size, "peer": peer,
                                 "runs": len(rs)}
            for n in TH_NAMES:
                vals = [_time_to(r, n, time_limit)[0] for r in rs]
                censored = sum(1 for r in rs if r.get(n) is None)
                s[f"gm_{n}"] = geomean(vals)
                s[f"{n}_missed"] = censored
            gaps = [r["final_gap"] for r in rs if r.get("final_gap") is not None]
            s["worst_final_gap"] = max(gaps) if len(gaps) == len(rs) else None
            s["gm_pre_solver_s"] = geomean([r["pre_solver_s"] for r in rs
                                            if r.get("pre_solver_s") is not None])
            s["max_peak_mb"] = max((r.get("peak_mb") or 0.0) for r in rs)
            if peer == "planner":
                slow = slower_than_plain(rows, family, size, time_limit)
                s["slower_than_plain"] = "-" if slow is None else (
                    "no" if not slow else "YES, seed " + ", ".join(map(str, slow)))
            out.append(s)
    # ratios of each peer's times against the planner's, per family and size
    for s in out:
        base = next((b for b in out if b["family"] == s["family"] and b["size"] == s["size"]
                     and b["peer"] == "planner"), None)
        for n in TH_NAMES:
            if base is None or not base[f"gm_{n}"]:
                continue
            ratio = s[f"gm_{n}"] / base[f"gm_{n}"]
            mark = ">=" if s[f"{n}_missed"] and not base[f"{n}_missed"] else ""
            s[f"ratio_{n}"] = f"{mark}{ratio:.2f}"
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="planner benchmark runner")
    ap.add_argument("--families", default="generate",
                    help="scenario families, comma list: generate (benchmarks/generate.py) "
                         "and those of benchmarks/families.py (floorspace, budget, "
                         "slo-classes, few-big-halls, many-small-halls, monthly, yearly, "
                         "installed-base), or all")
    ap.add_argument("--sizes", default="small,medium")
    ap.add_argument("--seeds", default="1,2,3,4,5", help="comma list, or a range like 1-5")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds per solve")
    ap.add_argument("--peers", default="plain,pulp",
                    help="peers besides the planner: plain, pulp (comma list, or none)")
    ap.add_argument("--no-planner", action="store_true", help="run the peers only")
    ap.add_argument("--out", default="benchmarks/results/latest",
                    help="folder for runs.csv, runs.md, summary.csv, summary.md")
    ap.add_argument("--scenarios", default=None,
                    help="folder to keep generated scenarios (default: a temporary one)")
    ap.add_argument("--highs-option", action="append", default=[], metavar="KEY=VALUE",
                    help="extra HiGHS option for the planner's runs (tuning), repeatable")
    ap.add_argument("--v2", default="", metavar="FEATURES",
                    help="contract v2 features in the generated scenarios: a comma list of "
                         "build, refresh, rent, prices, capex-decline (benchmarks/generate.py; "
                         "laid over the other families by benchmarks/v2overlay.py)")
    ap.add_argument("--repeat", type=int, default=1, metavar="N",
                    help="run each (size, seed, peer) N times (peers interleaved) and "
                         "report the median of each field per seed; every run is kept in "
                         "runs_all.csv")
    ap.add_argument("--futures", type=int, default=0, metavar="N",
                    help="G. give every scenario N demand futures (its forecast scaled from "
                         "0.6 to 1.4, equal probabilities, half the horizon committed) and "
                         "plan them as `planner plan` does; 0: one forecast")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--options-json", default="{}", help=argparse.SUPPRESS)
    ap.add_argument("--scenario", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--solver-seed", type=int, default=0, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)

    if a.child:
        rec = _child(a.child, a.scenario, a.time_limit, a.solver_seed,
                     json.loads(a.options_json))
        print(json.dumps(rec), flush=True)
        return

    from families import FAMILIES, parse_seeds  # benchmarks/ is on sys.path as a script

    seeds = parse_seeds(a.seeds)
    families = (["generate", *FAMILIES] if a.families == "all"
                else [f for f in a.families.split(",") if f])
    unknown = set(families) - {"generate", *FAMILIES}
    if unknown:
        ap.error(f"--families: unknown {', '.join(sorted(unknown))}; use generate, "
                 f"{', '.join(FAMILIES)} or all")
    options: dict[str, Any] = {}
    for kv in a.highs_option:
        key, _, raw = kv.partition("=")
        val: Any = raw
        for cast in (int, float):
            try:
                val = cast(raw)
                break
            except ValueError:
                continue
        options[key] = val
    v2 = {f.replace("-", "_"): True for f in a.v2.split(",") if f}
    bad = set(v2) - {"build", "refresh", "rent", "prices", "capex_decline"}
    if bad:
        ap.error(f"--v2: unknown feature(s) {', '.join(sorted(bad))}")
    from families import Dims as FamilyDims
    from generate import Dims as GenerateDims

    for family in families:
        for size in a.sizes.split(","):
            try:
                (GenerateDims if family == "generate" else FamilyDims).parse(size)
            except ValueError as exc:
                ap.error(f"--sizes, family {family}: {exc}")
    peers = ([] if a.no_planner else ["planner"]) + [
        p for p in a.peers.split(",") if p and p != "none"]
    out_dir = Path(a.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    scen_root = Path(a.scenarios) if a.scenarios else Path(tempfile.mkdtemp(prefix="bench-"))
    rows: list[dict[str, Any]] = []
    cols = ["family", "size", "seed", "peer", "status", "columns", "rows", "nonzeros",
            "pre_solver_s", *TH_NAMES, "final_gap", "wall_s", "peak_mb"]
    print("| " + " | ".join(cols) + " |", flush=True)
    repeat = max(1, a.repeat)
    all_runs: list[dict[str, Any]] = []
    for family, size in [(f, z) for f in families for z in a.sizes.split(",")]:
        for seed in seeds:
            path = write_scenario(family, size, seed, scen_root / f"{family}-{size}-{seed}",
                                  v2)
            if a.futures > 0:
                path = add_futures(path, a.futures)
            reps: dict[str, list[dict[str, Any]]] = {p: [] for p in peers}
            for rep in range(repeat):
                for peer in peers:
                    rec = run_one(peer, path, a.time_limit, 0,
                                  hard_timeout=a.time_limit * 3 + 300, options=options)
                    rec.update({"family": family, "size": size, "seed": seed,
                                "repeat": rep + 1})
                    reps[peer].append(rec)
                    all_runs.append(rec)
                    if repeat > 1:
                        with open(out_dir / "runs_all.csv", "w", newline="") as f:
                            w = csv.DictWriter(f, fieldnames=[*FIELDS, "repeat"],
                                               extrasaction="ignore")
                            w.writeheader()
                            w.writerows(all_runs)
            for peer in peers:
                rec = reps[peer][0] if repeat == 1 else median_run(reps[peer])
                rows.append(rec)
                print("| " + " | ".join(_fmt(rec.get(c)) for c in cols) + " |", flush=True)
                with open(out_dir / "runs.csv", "w", newline="") as f:
                    w = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore")
                    w.writeheader()
                    w.writerows(rows)
    (out_dir / "runs.md").write_text(markdown(rows, FIELDS) + "\n")
    summ = summarize(rows, a.time_limit)
    scols = ["family", "size", "peer", "runs", "gm_pre_solver_s", "gm_t_5pct_s",
             "t_5pct_s_missed", "ratio_t_5pct_s", "gm_t_1pct_s", "t_1pct_s_missed",
             "ratio_t_1pct_s", "gm_t_01pct_s", "t_01pct_s_missed", "ratio_t_01pct_s",
             "slower_than_plain", "worst_final_gap", "max_peak_mb"]
    with open(out_dir / "summary.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=scols, extrasaction="ignore")
        w.writeheader()
        w.writerows(summ)
    text = markdown(summ, scols)
    (out_dir / "summary.md").write_text(
        f"command: python benchmarks/run.py {' '.join(sys.argv[1:] if argv is None else argv)}"
        f"\nmachine: {os.cpu_count()} cores, time limit {a.time_limit:g} s per solve\n\n"
        + text + "\n")
    print()
    print(text)
    print(f"\nsaved {out_dir}/runs.csv, runs.md, summary.csv, summary.md")


if __name__ == "__main__":
    main()
