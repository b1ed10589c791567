"""G. uncertain demand: the tables and summary of a plan for several futures.

`purchase_plan.csv` (the committed rows first, marked, then each future's later
purchases), `futures.csv` (each future's probability and cost), `regret.csv` (each
candidate plan's commitment evaluated in every future) and summary.json's figures
(`futures_summary`). Plain pandas, no solver.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from planner.core.futures import FuturesResult, own_row
from planner.core.results import PURCHASE_COLUMNS

#: purchase_plan.csv of a plan for several futures: the usual columns, whether the row
#: is decided now, and the future it belongs to ("all" for a committed row)
FUTURE_PURCHASE_COLUMNS = [*PURCHASE_COLUMNS, "committed", "future"]
FUTURES_COLUMNS = ["future", "probability", "total_cost_usd", "spend_usd", "unmet_penalty_usd",
                   "unmet_tokens", "wait_and_see_usd", "regret_usd", "margin_usd"]
#: the `future` of a committed row
ALL_FUTURES = "all"


def committed_purchases(r: FuturesResult) -> pd.DataFrame:
    """The decision to take now (rows of the committed periods, the same in every
    future), then each future's later purchases."""
    labels = set(r.data.labels[:r.commit_periods])
    first = r.plans[0].tables.purchase_plan
    rows = [first[first["period"].isin(labels)].assign(committed=True, future=ALL_FUTURES)]
    for name, plan in zip(r.names, r.plans, strict=True):
        pp = plan.tables.purchase_plan
        rows.append(pp[~pp["period"].isin(labels)].assign(committed=False, future=name))
    out = pd.concat(rows, ignore_index=True)
    return out[FUTURE_PURCHASE_COLUMNS]


def futures_table(r: FuturesResult) -> pd.DataFrame:
    """futures.csv: per future, its probability, this plan's cost there (spend and unmet
    penalty), unmet tokens, the cost of the plan made knowing it, the regret (the
    difference) and the margin where prices are given (empty otherwise)."""
    rows = []
    for name, p, plan, ws in zip(r.names, r.probabilities, r.plans, r.wait_and_see,
                                 strict=True):
        s = plan.tables.summary
        rows.append((name, p, s.total_cost_usd, s.spend_usd, s.unmet_penalty_usd,
                     s.unmet_tokens, ws, s.total_cost_usd - ws, s.margin_usd))
    return pd.DataFrame(rows, columns=FUTURES_COLUMNS)


def regret_table(r: FuturesResult) -> pd.DataFrame:
    """regret.csv: one row per plan (each future's own plan, the mean-demand plan, this
    plan), its commitment held and the rest adapted in every future: the cost in each
    future, the expected cost, and the most it costs over the plan made knowing the
    future (max regret); empty cells where the commitment leaves a future no plan."""
    cols = ["plan", *(f"cost_{n}_usd" for n in r.names), "expected_cost_usd",
            "max_regret_usd"]
    rows = []
    for c in r.candidates:
        regrets = [None if x is None else x - ws
                   for x, ws in zip(c.costs, r.wait_and_see, strict=True)]
        worst = None if any(g is None for g in regrets) else max(
            float(g) for g in regrets if g is not None)
        rows.append((c.name, *c.costs, c.expected(r.probabilities), worst))
    return pd.DataFrame(rows, columns=cols)


def futures_summary(r: FuturesResult) -> dict[str, Any]:
    """summary.json of a plan for several futures: the contract's figures (G), the
    probability-weighted v1 figures, the solve, and each future's cost."""
    probs = r.probabilities
    sums = [p.tables.summary for p in r.plans]

    def expect(get: Any) -> float:
        return math.fsum(p * float(get(s)) for p, s in zip(probs, sums, strict=True))

    o = r.outcome
    return {
        "status": o.status,
        "scenario": r.data.name,
        "futures": len(r.names),
        "commit_periods": r.commit_periods,
        "committed_periods": r.data.labels[:r.commit_periods],
        "expected_cost_usd": r.expected_cost_usd,
        "evpi_usd": r.evpi_usd,
        "vss_usd": r.vss_usd,
        "wait_and_see_usd": r.wait_and_see_usd,
        "mean_plan_expected_cost_usd": r.mean_plan_cost_usd,
        "total_cost_usd": r.expected_cost_usd,
        "spend_usd": expect(lambda s: s.spend_usd),
        "unmet_penalty_usd": expect(lambda s: s.unmet_penalty_usd),
        "cost_breakdown_usd": {k: expect(lambda s, k=k: getattr(s.cost_breakdown_usd, k))
                               for k in ("capex", "energy", "opex", "unmet_penalty")},
        "tokens_served": expect(lambda s: s.tokens_served),
        "unmet_tokens": expect(lambda s: s.unmet_tokens),
        "committed_capex_usd": _committed_capex(r),
        "best_bound_usd": o.best_bound,
        "mip_gap": o.mip_gap,
        "solve_seconds": o.seconds,
        "scenarios": [{"name": n, "probability": p, "total_cost_usd": s.total_cost_usd,
                       "spend_usd": s.spend_usd, "unmet_penalty_usd": s.unmet_penalty_usd,
                       "unmet_tokens": s.unmet_tokens, "wait_and_see_usd": ws,
                       **({"margin_usd": s.margin_usd} if s.margin_usd is not None else {})}
                      for n, p, s, ws in zip(r.names, probs, sums, r.wait_and_see,
                                             strict=True)],
        "regret_rows_left_out": [own_row(n) for n in r.regret_left_out],
        "notes": list(r.notes),
        "model_size": {"columns": r.model_size.columns, "rows": r.model_size.rows,
                       "nonzeros": r.model_size.nonzeros},
        "solver": {"time_limit_s": r.settings.time_limit_s,
                   "mip_rel_gap": r.settings.mip_rel_gap, "threads": r.settings.threads,
                   "random_seed": r.settings.random_seed},
    }


def _committed_capex(r: FuturesResult) -> float:
    pp = committed_purchases(r)
    return float(pp.loc[pp["committed"], "capex_usd"].sum())
