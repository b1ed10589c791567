"""Core stage: prepare the problem, the Pyomo model, compile, the start heuristic, HiGHS,
extract and check a plan. Depends on `planner.inputs` and `planner.io`, never on the
analyses (`planner.core.solve.Diagnosis` is how they are handed in)."""
