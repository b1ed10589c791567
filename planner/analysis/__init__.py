"""Analyses of a plan: marginal values, baselines, economics (cost per token), which limits
bind, shortfall reasons, and the verdicts on noise and standing. Built on `planner.core`."""
