"""A plan's summary figures: cost per million tokens.

Imports nothing of the solver stack, so the report and the CLI read it at start-up.
"""

from __future__ import annotations

import math


def usd_per_mtok(usd: float, tokens: float) -> float:
    """USD per million tokens: ``usd / tokens x 1e6``; infinite when `tokens` is 0 or less.

    The one implementation of cost per token. Over one hour of a GPU it is the seed's
    identity, ``$/GPU-hour / (tokens/s per GPU x 3600) x 1e6``
    (`planner.analysis.economics.cost_per_mtok`, and per unit-hour the greedy baseline's
    ranking); over a plan's horizon, spend / tokens served x 1e6 (summary.json's
    ``cost_per_mtok_usd``, and per served model in the report).
    """
    if tokens <= 0:
        return math.inf
    return usd / tokens * 1e6
