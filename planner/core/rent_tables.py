"""B. Renting: the plan's rented GPUs as tidy tables (rent_plan.csv, rent_allocation.csv)
and the money they cost per period (`money_rent`, for the cash flow).

Only a scenario with `rent:` has these tables; `planner.core.extract.extract` calls
`rent_serving` and `rent_frames` and leaves them out otherwise.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

from planner.core.cashflow import MONEY_COLUMNS
from planner.core.problem import PlanData

RENT_PLAN_COLUMNS = ["period", "offer", "system", "gpus", "tokens_per_s", "usd",
                     "charged_usd"]
RENT_ALLOCATION_COLUMNS = ["period", "offer", "system", "model", "min_tokens_per_s_per_user",
                           "gpus", "tokens_per_s"]
#: rented GPUs below this share of a class's demand (in tokens/s) are solver noise
NOISE_SHARE = 1e-12


def rent_serving(data: PlanData, values: dict[str, dict[tuple[Any, ...], float]],
                 owned: dict[int, float]) -> dict[tuple[int, int], float]:
    """Rented GPUs serving each class, (offer, class) -> GPUs, clipped so that owned and
    rented tokens together never exceed the class's demand (owned units serve first).
    Clipping changes no cost: an offer is paid for the GPUs held (`rent`), not used."""
    out: dict[tuple[int, int], float] = {}
    for (r, lab, key), v in values.get("rserve", {}).items():
        k = data.class_of_key[(str(lab), str(key))]
        c = data.classes[k]
        if v > 0 and v * data.rent_tokens_per_gpu(int(r), k) > NOISE_SHARE * c.tokens_per_s:
            out[(int(r), k)] = float(v)
    tokens: dict[int, float] = defaultdict(float)
    for (r, k), v in out.items():
        tokens[k] += v * data.rent_tokens_per_gpu(r, k)
    for (r, k), v in list(out.items()):
        room = max(0.0, data.classes[k].tokens_per_s - owned.get(k, 0.0))
        if tokens[k] > room:
            out[(r, k)] = v * room / tokens[k]
    return out


def rented_tokens(data: PlanData, serving: dict[tuple[int, int], float]) -> dict[int, float]:
    """Tokens/s rented GPUs serve per class."""
    out: dict[int, float] = defaultdict(float)
    for (r, k), v in serving.items():
        out[k] += v * data.rent_tokens_per_gpu(r, k)
    return out


def rent_frames(data: PlanData, values: dict[str, dict[tuple[Any, ...], float]],
                serving: dict[tuple[int, int], float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rent_plan, rent_allocation): GPUs held per offer and period with the tokens/s they
    serve and what they cost (`usd` undiscounted, `charged_usd` as the objective charges
    it), and the rented GPUs per model. Rows with GPUs held > 0."""
    pos = {lab: t for t, lab in enumerate(data.labels)}
    held: dict[tuple[int, int], float] = {}
    for (r, lab), v in values.get("rent", {}).items():
        if v > 0:
            held[(int(r), pos[str(lab)])] = float(v)
    tps: dict[tuple[int, int], float] = defaultdict(float)
    al_rows = []
    for (r, k), v in sorted(serving.items(), key=lambda x: (data.classes[x[0][1]].t, x[0][0],
                                                            data.classes[x[0][1]].model,
                                                            data.classes[x[0][1]].slo,
                                                            x[0][1])):
        c = data.classes[k]
        tok = v * data.rent_tokens_per_gpu(r, k)
        tps[(r, c.t)] += tok
        al_rows.append((c.period, r, data.rent_offers[r].system, c.model, c.slo, v, tok))
    plan_rows = []
    for (r, t), v in sorted(held.items(), key=lambda x: (x[0][1], x[0][0])):
        usd = v * data.rent_cash_usd_per_gpu(r)
        plan_rows.append((data.labels[t], r, data.rent_offers[r].system, v, tps[(r, t)], usd,
                          usd * data.discount(t)))
    return (pd.DataFrame(plan_rows, columns=RENT_PLAN_COLUMNS),
            pd.DataFrame(al_rows, columns=RENT_ALLOCATION_COLUMNS))


def money_rent(rent_plan: pd.DataFrame | None) -> pd.DataFrame:
    """Money paid for rented GPUs per period: columns period, kind (`rent`), usd
    (undiscounted, positive = paid); no rows without renting."""
    if rent_plan is None or rent_plan.empty:
        return pd.DataFrame(columns=MONEY_COLUMNS)
    by = rent_plan.groupby("period", sort=False)["usd"].sum()
    return pd.DataFrame([(str(p), "rent", float(v)) for p, v in by.items()],
                        columns=MONEY_COLUMNS)
