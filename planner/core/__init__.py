"""Core stage: from a prepared problem to a checked plan.

problem.py prepares the index sets and coefficients (no Pyomo); build.py builds the
Pyomo model from variables.py, constraints.py and objective.py (scaling.py, terms.py);
compile.py turns it into arrays; start.py computes a starting plan; highs.py and
session.py solve on HiGHS; results.py extracts and checks the plan; solve.py runs the
stages; warm.py carries a plan between neighbouring scenarios; mathdoc.py writes
docs/math.md. Depends on `planner.inputs` and `planner.io`, never on the analyses
(`planner.core.solve.Diagnosis` is how they are handed in).
"""
