"""Which estimates matter: the pieces of `planner sensitivity` that read one plan.

- **The purchase decision** of a plan (`decision`): the set of systems that carry at least
  `DECISION_SHARE` (5%) of the GPUs the plan buys new. Solver noise moves a few units
  between near-equal options; a set of systems each holding a real share of the
  purchases does not move with it. A plan that buys nothing has the empty set.
- **Nearly bought systems** (`nearly_bought`): the systems the plan does not buy that
  come closest to what it does buy, by cost per token at the plan's conditions (each
  hall's PUE and electricity price, each demand class's SLO, the scenario's utilisation
  and power fraction: `planner.analysis.baselines.cost_per_mtok`, the seed's identity).
- **A figure changed by a percentage** (`vary`): a catalogue field of one system, or the
  whole throughput curve of one (system, model) pair scaled by one factor.
- **The LP relaxation's decision** (`relaxed_gpus`): GPUs bought per system by the LP
  relaxation, milliseconds per solve, used to place the MILP re-solves of a search.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from planner.inputs.bundle import Inputs

if TYPE_CHECKING:
    from planner.core.highs import HighsSettings
    from planner.core.problem import PlanData

#: a system is part of a plan's purchase decision when it carries at least this share of
#: the GPUs the plan buys new
DECISION_SHARE = 0.05
#: the catalogue fields a sensitivity run varies, in the order they are listed
SYSTEM_FIELDS = ("capex_usd", "unit_power_kw", "opex_usd_per_year", "lifetime_years")
#: the field name of a throughput curve (all its points scaled by one factor)
CURVE_FIELD = "throughput"
#: the tag a figure without provenance gets: nobody sourced it, so it counts as an estimate
UNTAGGED = "untagged"

Decision = frozenset[str]


def gpus_by_system(purchases: Iterable[tuple[str, str, str, int, float]],
                   gpus_per_unit: Mapping[str, int]) -> dict[str, float]:
    """GPUs bought per system, from purchase rows (period, site, system, units, capex)."""
    out: dict[str, float] = defaultdict(float)
    for _p, _s, g, units, _c in purchases:
        out[g] += float(units) * float(gpus_per_unit.get(g, 1))
    return dict(out)


def decision(gpus: Mapping[str, float], share: float = DECISION_SHARE) -> Decision:
    """The systems that carry at least `share` of the GPUs bought (empty: none bought)."""
    total = sum(v for v in gpus.values() if v > 0)
    if total <= 0:
        return frozenset()
    return frozenset(g for g, v in gpus.items() if v > 0 and v >= share * total * (1 - 1e-9))


def shares_text(gpus: Mapping[str, float]) -> str:
    """What a plan buys, as shares of its new GPUs: ``mi355x 62% + hgx-b200 38%``
    (largest first, shares under 1% left out), or ``nothing``."""
    total = sum(v for v in gpus.values() if v > 0)
    if total <= 0:
        return "nothing"
    parts = sorted(((v / total, g) for g, v in gpus.items() if v > 0),
                   key=lambda x: (-x[0], x[1]))
    shown = [f"{g} {s:.0%}" for s, g in parts if s >= 0.01]
    return " + ".join(shown) if shown else "nothing"


def classes_of(data: PlanData) -> dict[tuple[str, float], int]:
    """One demand class per (model, SLO): the one with the most demand (the first of
    equals), the class whose conditions stand for the pair."""
    best: dict[tuple[str, float], int] = {}
    for c in data.classes:
        key = (c.model, c.slo)
        k = best.get(key)
        if k is None or c.tokens_per_s > data.classes[k].tokens_per_s:
            best[key] = c.index
    return best


def _best_cost(data: PlanData, g: str, k: int, sites: Iterable[str]) -> float:
    # baselines imports the solver stack (HiGHS): not for `planner --help`
    from planner.analysis.baselines import cost_per_mtok

    return min((cost_per_mtok(data, s, g, k) for s in sites), default=math.inf)


def nearly_bought(data: PlanData, bought: Iterable[str], n: int) -> list[tuple[str, float]]:
    """The `n` systems the plan does not buy that come closest to what it buys, with
    their ratio: for each (model, SLO) of the demand, the system's cost per million tokens
    (at the best hall it may be bought in) over the cheapest of the bought systems' (over
    every buyable system's when none of them can serve it); the ratio is the least over
    the pairs it can serve (1.3: 30% dearer per token than the plan's choice where it comes
    closest). Systems that cannot be bought or serve nothing are not candidates. Ranked
    by ratio, then id."""
    bought_set = set(bought)
    sites_of: dict[str, set[str]] = defaultdict(set)
    for s, g, _t in data.buy_index:
        sites_of[g].add(s)
    can = {g for (g, _k) in data.tput}
    options = [g for g in data.systems if g in sites_of and g in can]
    ranked: list[tuple[str, float]] = []
    reps = classes_of(data)
    for g in options:
        if g in bought_set:
            continue
        ratio = math.inf
        for k in reps.values():
            mine = _best_cost(data, g, k, sites_of[g])
            if not math.isfinite(mine):
                continue
            ref_pool = [b for b in options if b in bought_set] or options
            ref = min(_best_cost(data, b, k, sites_of[b]) for b in ref_pool)
            if not math.isfinite(ref) or ref <= 0:
                ref = min(_best_cost(data, b, k, sites_of[b]) for b in options)
            if math.isfinite(ref) and ref > 0:
                ratio = min(ratio, mine / ref)
        if math.isfinite(ratio):
            ranked.append((g, ratio))
    ranked.sort(key=lambda x: (x[1], x[0]))
    return ranked[:max(0, n)]


def vary(inputs: Inputs, system: str, field: str, factor: float,
         model: str | None = None) -> Inputs:
    """`inputs` with one figure multiplied by `factor`: the catalogue field `field` of
    `system`, or (``field == CURVE_FIELD``) every throughput of `system`'s curve in the
    profile of `model` (the interactivity axis unchanged, so the throughput at any SLO
    scales by `factor`). Nothing else changes; the loaded inputs are not copied."""
    if field == CURVE_FIELD:
        if model is None:
            raise ValueError("a throughput curve needs its model")
        prof = inputs.profiles[model]
        curve = [(x, y * factor) for x, y in prof.throughput[system]]
        profiles = dict(inputs.profiles)
        profiles[model] = prof.model_copy(update={
            "throughput": {**prof.throughput, system: curve}})
        return dataclasses.replace(inputs, profiles=profiles)
    systems = [s.model_copy(update={field: getattr(s, field) * factor}) if s.id == system
               else s for s in inputs.catalog.systems]
    return dataclasses.replace(inputs, catalog=inputs.catalog.model_copy(
        update={"systems": systems}))


def relaxed_gpus(data: PlanData, settings: HighsSettings) -> dict[str, float] | None:
    """GPUs bought per system by the LP relaxation of `data` (purchases and fleet
    continuous), None when the LP has no optimal solution. Solved on one
    `planner.core.session.PlanSession` with integrality relaxed."""
    from planner.core.session import PlanSession  # HiGHS: not for `planner --help`

    session = PlanSession.build(data, settings)
    session.relax_integrality()
    out = session.solve()
    if out.x is None or out.status != "optimal":
        return None
    gpus: dict[str, float] = defaultdict(float)
    for (_s, g, _t), units in session.values(out).get("buy", {}).items():
        if units > 1e-9:
            gpus[str(g)] += units * data.systems[str(g)].gpus_per_unit
    return dict(gpus)
