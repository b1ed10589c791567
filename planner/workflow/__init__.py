"""The commands as library functions: each runs one whole job and writes its files.

`plan.plan_to_folder` (``planner plan``), `whatif.compare`, `whatif.sweep` and
`whatif.new_hall` (``planner compare|sweep|new-hall``). Each returns a typed result
(`PlanResult`, `Comparison`, `Sweep`, `NewHall`) that the command line prints; the
command line only parses options, calls one of these and prints what it returns.
"""
