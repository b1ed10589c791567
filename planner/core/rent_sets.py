"""B. Renting: the offers of a scenario's `rent:` list and the sparse sets of the rent
variables (`PlanData.rent_offers`, `rent_index`, `rserve_index`, `rent_tput`), derived by
`planner.core.prepare.prepare`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from planner.inputs.bundle import Inputs
from planner.inputs.datasets import System

if TYPE_CHECKING:
    from planner.core.problem import DemandClass


@dataclass(frozen=True)
class RentData:
    """B. renting: one offer of the scenario's `rent:` list, its price resolved."""

    index: int  # its position in `rent:`, the `offer` column of rent_plan.csv
    system: str
    usd_per_gpu_hour: float
    max_gpus: float | None
    first_t: int
    last_t: int



def rent_sets(inputs: Inputs, classes: Sequence[DemandClass], catalog: dict[str, System],
              T: int, t_of: Callable[..., int],
              tput_at: Callable[[str, str, float], float]) -> dict[str, Any]:
    """B. renting: the offers (prices resolved), where `rent[r,t]` exists (inside the
    window, unless max_gpus is 0), and where `rserve[r,k]` exists (the offer stands in
    t_k and its system meets the SLO of k). The `systems:` list restricts purchases
    only: an offer names its system. `tput_at(model, system, slo)`: tokens/s per GPU
    (0 without a curve), the one rule `prepare` reads every curve with."""
    offers: list[RentData] = []
    rent_tput: dict[tuple[str, int], float] = {}
    rent_index: list[tuple[int, int]] = []
    rserve_index: list[tuple[int, int]] = []
    for i, o in enumerate(inputs.scenario.rent):
        price = o.usd_per_gpu_hour
        if price is None:
            price = catalog[o.system].rental_usd_per_gpu_hour
        assert price is not None  # validate() requires one of the two
        lo = 0 if o.from_ is None else max(0, t_of(o.from_))
        hi = T - 1 if o.until is None else min(T - 1, t_of(o.until, "end"))
        offers.append(RentData(i, o.system, float(price), o.max_gpus, lo, hi))
        if o.max_gpus == 0:
            continue
        for c in classes:
            if lo <= c.t <= hi:
                v = tput_at(c.model, o.system, c.slo)
                if v > 0:
                    rent_tput[(o.system, c.index)] = v
                    rserve_index.append((i, c.index))
        used = {classes[k].t for r, k in rserve_index if r == i}
        rent_index.extend((i, t) for t in range(lo, hi + 1) if t in used)
    rent_index.sort(key=lambda x: (x[1], x[0]))
    return {"rent_offers": offers, "rent_index": rent_index, "rserve_index": rserve_index,
            "rent_tput": rent_tput}
