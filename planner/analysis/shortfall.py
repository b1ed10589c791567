"""Analysis: how much demand a plan leaves unserved, where, and why.

Every plan with a shortfall says so before any cost figure (the terminal summary,
summary.json's ``shortfall`` and the report's first screen). For each short demand
class the reason is one of

- the systems that meet its SLO cannot be in service in its period (no system reaches
  the SLO, lead time, no hall available yet, cooling): `binding.unservable_reason`;
- a cap is full in its period: power, floor space, a budget, supply
  (`binding.binding_caps`), or a hall or system not yet available;
- no cap is full: serving the rest costs more than the unmet penalty the scenario sets
  (whole units are lumpy, and a unit bought for a sliver of demand may not pay).

A class is short when service.csv shows unmet tokens for it (shortfalls below 1e-7 of a
class's demand are the solver's tolerance and written as zero there).
"""

from __future__ import annotations

from planner.analysis.binding import binding_caps, unservable_reason
from planner.core.problem import PlanData
from planner.core.results import PlanTables
from planner.core.summary import ShortClass, Shortfall
from planner.fmt import usd_sig

#: classes explained one by one in summary.json (largest shortfalls first)
TOP_CLASSES = 5


def why_short(data: PlanData, tables: PlanTables, k: int) -> str:
    """Why demand class k is not fully served by the plan in `tables`."""
    if not any(kk == k for (_, _, kk) in data.serve_index) \
            and not any(kk == k for _r, kk in data.rserve_index):  # B. renting serves too
        return unservable_reason(data, k)
    caps = binding_caps(data, tables, k) + _rent_caps(data, tables, k)
    if caps:
        return "binding: " + "; ".join(caps)
    if data.strict_demand:
        return "no single cap is full: the caps of other periods or models sharing the fleet"
    price = data.classes[k].usd_per_mtok
    if price is not None:  # D. prices: demand not served is revenue lost
        return (f"no cap is full: serving it costs more than it earns at its price of "
                f"{usd_sig(price, 4)} per million tokens (usd_per_mtok in the demand file)")
    return (f"no cap is full: serving it costs more than the unmet penalty of "
            f"{usd_sig(data.unmet_penalty_usd_per_mtok, 4)} per million tokens "
            "(options.unmet_penalty_usd_per_mtok; set options.strict_demand: true to "
            "require it served)")


def _rent_caps(data: PlanData, tables: PlanTables, k: int) -> list[str]:
    """B. renting: the offers that could serve class k and hold their max_gpus in its
    period."""
    rp = tables.rent_plan
    if rp is None:
        return []
    c = data.classes[k]
    out = []
    for r, kk in data.rserve_index:
        cap = data.rent_offers[r].max_gpus
        if kk != k or cap is None:
            continue
        held = float(rp.loc[(rp["period"] == c.period) & (rp["offer"] == r), "gpus"].sum())
        if held >= cap * (1 - 1e-9) - 1e-9:
            out.append(f"rent[{r}].max_gpus ({cap:g} GPUs of {data.rent_offers[r].system} "
                       "held)")
    return out


def diagnose(data: PlanData, tables: PlanTables, top: int = TOP_CLASSES) -> Shortfall:
    """summary.json's ``shortfall``: tokens unserved, their share and penalty, and the
    `top` largest short classes with the reason for each."""
    sv = tables.service
    H = data.hours
    key = {(c.period, c.model, c.slo): c.index for c in data.classes}
    short = [row for row in sv.itertuples() if float(row.unmet_tokens_per_s) > 0]
    short.sort(key=lambda r: (-float(r.unmet_tokens_per_s), str(r.period), str(r.model)))
    demand = float((sv["demand_tokens_per_s"] * H * 3600).sum())
    unmet = float((sv["unmet_tokens_per_s"] * H * 3600).sum())
    largest: list[ShortClass] = []
    for row in short[:top]:
        k = key.get((row.period, row.model, row.min_tokens_per_s_per_user))
        largest.append(ShortClass(
            period=row.period, model=row.model,
            min_tokens_per_s_per_user=float(row.min_tokens_per_s_per_user),
            demand_tokens_per_s=float(row.demand_tokens_per_s),
            unmet_tokens_per_s=float(row.unmet_tokens_per_s),
            unmet_share=float(row.unmet_tokens_per_s) / float(row.demand_tokens_per_s),
            why="" if k is None else why_short(data, tables, k),
        ))
    return Shortfall(
        classes_short=len(short),
        unmet_tokens=unmet if short else 0.0,
        unmet_share=(unmet / demand if demand > 0 else 0.0) if short else 0.0,
        penalty_usd=float(sv["unmet_penalty_usd"].sum()) if short else 0.0,
        largest=largest,
    )
