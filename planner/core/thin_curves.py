"""Where the plan rests on thin throughput data: `thin_curves.csv`.

A system's tokens/s per GPU at a demand class's SLO is thin when its curve for the model
has a single point, or when the SLO lies below the curve's lowest point, so the planner
assumes that point's throughput at every lower interactivity (the contract's rule;
`planner.core.problem.thin_curve`). `planner.core.prepare.prepare` marks such (system,
class) pairs in `PlanData.thin_curves`; this table keeps those the plan actually serves
demand with, owned or rented. One row per period, model, SLO, system and capacity:

- `capacity`: `owned` (units in the halls) or `rented` (B. renting);
- `tokens_per_s`: what the system serves of the demand at that SLO (after utilisation);
- `reason`: `single_point` or `below_lowest_point`;
- `curve_points`, `point_tokens_per_s_per_user`, `point_tokens_per_s_per_gpu`: the
  curve's number of points and the point whose throughput is used.

The table is written only when it has rows (`planner.io.output.OPTIONAL_CSV_FILES`);
the report's notes list it (`planner.report.plan_sections.notes_section`).
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from planner.core.problem import PlanData, ThinCurve

THIN_CURVE_COLUMNS = ["period", "model", "min_tokens_per_s_per_user", "system", "capacity",
                      "tokens_per_s", "reason", "curve_points", "point_tokens_per_s_per_user",
                      "point_tokens_per_s_per_gpu"]


def thin_curve_table(data: PlanData, serve: dict[tuple[str, str, int], float],
                     rserve: dict[tuple[int, int], float]) -> pd.DataFrame | None:
    """The rows of thin_curves.csv from the plan's serving (units per (site, system,
    class); rented GPUs per (offer, class)), or None when no demand is served from a
    thin curve. Rows in class order (period, model, SLO), owned before rented, then in
    catalogue order."""
    if not data.thin_curves:
        return None
    served: dict[tuple[int, str, str], float] = defaultdict(float)  # (class, capacity, g)
    for (_s, g, k), v in serve.items():
        if v > 0 and (g, k) in data.thin_curves:
            served[(k, "owned", g)] += v * data.tokens_per_unit(g, k)
    for (r, k), v in rserve.items():
        g = data.rent_offers[r].system
        if v > 0 and (g, k) in data.thin_curves:
            served[(k, "rented", g)] += v * data.rent_tokens_per_gpu(r, k)
    # classes repeated in a period (same model and SLO) share a row
    rows: dict[tuple[str, str, float, str, str], tuple[float, ThinCurve]] = {}
    sys_pos = {g: i for i, g in enumerate(data.systems)}
    for (k, cap, g), tps in sorted(served.items(), key=lambda x: (
            data.classes[x[0][0]].t, data.classes[x[0][0]].model, data.classes[x[0][0]].slo,
            x[0][1] != "owned", sys_pos.get(x[0][2], len(sys_pos)), x[0][2])):
        c = data.classes[k]
        key = (c.period, c.model, c.slo, g, cap)
        before = rows.get(key, (0.0, data.thin_curves[(g, k)]))[0]
        rows[key] = (before + tps, data.thin_curves[(g, k)])
    if not rows:
        return None
    return pd.DataFrame([(*key, tps, note.reason, note.points, note.interactivity,
                          note.tokens_per_s_per_gpu) for key, (tps, note) in rows.items()],
                        columns=THIN_CURVE_COLUMNS)
