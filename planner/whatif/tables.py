"""What-if tables: a row per plan of a comparison, a sweep or a new-hall grid, and the
differences between two plans.

Everything here reads `JobResult`s (summaries and purchase lists), never the solver model.
Two rules hold for every figure:

- **Spend and shortfall apart.** A plan's total is what money changes hands (`spend_usd`)
  plus the unmet-demand penalty (`unmet_penalty_usd`: tokens not served at a price per
  million tokens the scenario sets, not money). The tables carry both beside the total.
- **Solver noise is no difference.** Two plans whose costs differ by no more than their
  proven MIP gaps (`planner.analysis.verdicts.same_cost`, the one rule) are the same:
  differences are written as 0 (shown as "same") and verdicts never rest on them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import pandas as pd

from planner.analysis.verdicts import cost_noise_usd, same_cost
from planner.core.summary import PlanSummary
from planner.whatif.jobs import JobResult

SAME = "same within solver gap"

HEAD_COLUMNS = ["status", "total_cost_usd", "spend_usd", "unmet_penalty_usd", "unmet_tokens",
                "demand_served_share", "cost_per_mtok_usd"]
VS_BASE_COLUMNS = ["cost_vs_base_usd", "spend_vs_base_usd", "penalty_vs_base_usd",
                   "tokens_served_vs_base", "vs_base"]
VS_PREVIOUS_COLUMNS = ["cost_vs_previous_usd", "spend_vs_previous_usd", "vs_previous"]
FIGURE_COLUMNS = [
    "capex_usd", "energy_usd", "opex_usd", "tokens_served",
    "tokens_per_s_per_mw", "capex_cash_usd", "peak_mw", "units_bought",
    "mip_gap", "cost_noise_usd", "solve_seconds",
]
COMPARE_COLUMNS = ["variant", *HEAD_COLUMNS, *VS_BASE_COLUMNS, *FIGURE_COLUMNS, "buys_vs_base"]
NEW_HALL_COLUMNS = [
    "size_mw", "open", "status", "total_cost_usd", "spend_usd", "unmet_penalty_usd",
    "unmet_tokens", "demand_served_share", "cost_per_mtok_usd", "saving_usd",
    "spend_saving_usd", "extra_tokens_served", "penalty_saving_usd", "vs_baseline",
    "vs_smaller_size", "hall_peak_mw", "peak_mw", "capex_cash_usd", "cost_noise_usd",
    "buys_vs_baseline",
]
# differences between two plans: 0 means "the same" (within solver noise) and reads so
DIFF_COLUMNS = frozenset({
    "cost_vs_base_usd", "spend_vs_base_usd", "penalty_vs_base_usd", "tokens_served_vs_base",
    "cost_vs_previous_usd", "spend_vs_previous_usd", "saving_usd", "spend_saving_usd",
    "penalty_saving_usd", "extra_tokens_served",
})

#: each column's name as a person reads it (the pages' headers; the CSV keeps the names)
COLUMN_TITLES = {
    "variant": "Variant", "status": "Status", "total_cost_usd": "Total (spend + penalty)",
    "spend_usd": "Spend", "unmet_penalty_usd": "Unmet-demand penalty",
    "unmet_tokens": "Tokens not served", "demand_served_share": "Demand served",
    "cost_per_mtok_usd": "Cost per million tokens", "cost_vs_base_usd": "Total vs base",
    "spend_vs_base_usd": "Spend vs base", "penalty_vs_base_usd": "Penalty vs base",
    "tokens_served_vs_base": "Tokens served vs base", "vs_base": "Against the base",
    "cost_vs_previous_usd": "Total vs previous point",
    "spend_vs_previous_usd": "Spend vs previous point",
    "vs_previous": "Against the previous point", "capex_usd": "Capex",
    "energy_usd": "Energy", "opex_usd": "Opex", "tokens_served": "Tokens served",
    "tokens_per_s_per_mw": "Tokens/s per MW", "capex_cash_usd": "Capex paid (cash)",
    "peak_mw": "Peak MW", "units_bought": "Units bought", "mip_gap": "MIP gap",
    "cost_noise_usd": "Solver noise", "solve_seconds": "Solve time (s)",
    "buys_vs_base": "Buys differently from the base", "size_mw": "Hall MW",
    "open": "Opens", "saving_usd": "Total saved", "spend_saving_usd": "Spend saved",
    "extra_tokens_served": "Tokens served more", "penalty_saving_usd": "Penalty avoided",
    "vs_baseline": "Against the baseline", "vs_smaller_size": "Against the next smaller size",
    "hall_peak_mw": "MW used in the hall (peak)",
    "buys_vs_baseline": "Buys differently from the baseline",
}
#: the tables a page splits a wide table into: (caption, columns), each beside the key
#: columns (variant, the varied values, size and opening)
TABLE_GROUPS = [
    ("Cost and demand served", ["status", "spend_usd", "unmet_penalty_usd",
                                "total_cost_usd", "unmet_tokens", "demand_served_share",
                                "cost_per_mtok_usd"]),
    ("Against the base", ["spend_vs_base_usd", "penalty_vs_base_usd", "cost_vs_base_usd",
                          "tokens_served_vs_base", "vs_base"]),
    ("Against the previous point", VS_PREVIOUS_COLUMNS),
    ("Against the baseline (no new hall)", ["spend_saving_usd", "penalty_saving_usd",
                                            "saving_usd", "extra_tokens_served",
                                            "vs_baseline", "vs_smaller_size"]),
    ("Spend and fleet", ["capex_usd", "energy_usd", "opex_usd", "capex_cash_usd",
                         "tokens_served", "tokens_per_s_per_mw", "hall_peak_mw", "peak_mw",
                         "units_bought"]),
    ("Solver", ["mip_gap", "cost_noise_usd", "solve_seconds"]),
    ("Purchases", ["buys_vs_base", "buys_vs_baseline"]),
]


def column_title(col: str) -> str:
    """A column's header on a page: its title, or for a varied scenario path
    (``sites.hall-b.power_mw``) the entry and the field in words (``hall-b power MW``)."""
    if col in COLUMN_TITLES or " " in col:  # a title, or already in words
        return COLUMN_TITLES.get(col, col)
    *where, field = col.split(".")
    units = {"usd": "USD", "mw": "MW", "kw": "kW", "mwh": "MWh", "mtok": "Mtok", "pue": "PUE",
             "s": "s"}
    words = " ".join(units.get(w, w) for w in field.split("_"))
    entry = [w for w in where if w not in ("sites", "options", "budget", "finance", "solver")]
    return " ".join([*entry[-1:], words]) if entry else words[:1].upper() + words[1:]


Summary = PlanSummary
#: chart lines: (name, a y value per x, None where there is no plan)
Series = list[tuple[str, list[float | None]]]

# --------------------------------------------------------------------------- differences


def _pos0(v: float) -> float:
    """`v` with -0.0 written as 0.0 (a CSV shows no "-0.0")."""
    return v if v else 0.0


def cost_change(a: Summary, b: Summary, key: str = "total_cost_usd",
                floor: float = 0.0) -> float:
    """``b[key] - a[key]``, or 0.0 when the two are the same cost: within solver noise
    (`planner.analysis.verdicts.same_cost`) or within `floor` (a user's tolerance on top)."""
    d = float(getattr(b, key)) - float(getattr(a, key))
    if abs(d) <= floor or same_cost(a, b, key):
        return 0.0
    return _pos0(d)


def tokens_change(a: Summary, b: Summary) -> float:
    """Tokens `b` serves more than `a` over the horizon (0.0 within float rounding)."""
    d = float(b.tokens_served or 0.0) - float(a.tokens_served or 0.0)
    scale = max(float(a.demand_tokens or 0.0), float(b.demand_tokens or 0.0), 1.0)
    return 0.0 if abs(d) <= 1e-9 * scale else d


def change_words(a: Summary, b: Summary, floor: float = 0.0) -> str:
    """`b` against `a` in a few words, spend and tokens served first; `SAME` when nothing
    differs beyond solver noise."""
    dspend = cost_change(a, b, "spend_usd", floor)
    dtok = tokens_change(a, b)
    dtotal = cost_change(a, b, "total_cost_usd", floor)
    if dspend == 0 and dtok == 0 and dtotal == 0:
        return SAME
    parts = ["spend " + ("same" if dspend == 0 else "lower" if dspend < 0 else "higher"),
             "serves " + ("the same" if dtok == 0 else "more" if dtok > 0 else "less")]
    if dtotal == 0:
        parts.append("total " + SAME)
    return "; ".join(parts)


def _versus(ref: JobResult | None, res: JobResult, cols: Sequence[str],
            self_word: str) -> dict[str, Any]:
    """The difference columns of `res` against `ref` (cost, spend, [penalty, tokens],
    words), None where either has no plan."""
    out: dict[str, Any] = {c: None for c in cols}
    if ref is None or ref.summary is None or res.summary is None:
        return out
    a, b = ref.summary, res.summary
    if res is ref:
        out.update({c: 0.0 for c in cols[:-1]})
        out[cols[-1]] = self_word
        return out
    values = [cost_change(a, b, "total_cost_usd"), cost_change(a, b, "spend_usd")]
    if "penalty_vs_base_usd" in cols:
        values += [cost_change(a, b, "unmet_penalty_usd"), tokens_change(a, b)]
    out.update(dict(zip(cols[:-1], values, strict=True)))
    out[cols[-1]] = change_words(a, b)
    return out


# --------------------------------------------------------------------------- rows


def figures(res: JobResult) -> dict[str, Any]:
    """The figures of one result (None where it has no plan)."""
    out: dict[str, Any] = {"status": res.status}
    s = res.summary
    if s is None:
        out.update({c: None for c in HEAD_COLUMNS[1:] + FIGURE_COLUMNS})
        return out
    b = s.cost_breakdown_usd
    out.update({
        "total_cost_usd": float(s.total_cost_usd),
        "spend_usd": float(s.spend_usd),
        "unmet_penalty_usd": float(s.unmet_penalty_usd),
        "unmet_tokens": s.unmet_tokens,
        "demand_served_share": s.demand_served_share,
        "cost_per_mtok_usd": s.cost_per_mtok_usd,
        "capex_usd": b.capex,
        "energy_usd": b.energy,
        "opex_usd": b.opex,
        "tokens_served": s.tokens_served,
        "tokens_per_s_per_mw": s.tokens_per_s_per_mw,
        "capex_cash_usd": s.capex_cash_usd,
        "peak_mw": res.peak_mw,
        "units_bought": s.units_bought,
        "mip_gap": s.mip_gap,
        "cost_noise_usd": cost_noise_usd(s),
        "solve_seconds": None,  # filled by the caller only when asked (not deterministic)
    })
    return out


def _units_by(purchases: Sequence[tuple[str, str, str, int, float]]
              ) -> dict[tuple[str, str], tuple[int, float]]:
    acc: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0])
    for _, site, system, units, capex in purchases:
        acc[(site, system)][0] += units
        acc[(site, system)][1] += capex
    return {k: (int(v[0]), float(v[1])) for k, v in acc.items()}


def buys_differently(base: JobResult | None, res: JobResult, limit: int = 4) -> str:
    """What a variant buys differently from the base, in words (units per hall and system).

    ``hall-b gb300-nvl72 +12 (40 vs 28); hall-a hgx-h200 -96 (0 vs 96)``, largest capex
    change first; ``same purchases`` or ``same units, other periods`` when nothing differs.
    """
    if res is base:
        return "(base)"
    if base is None or base.summary is None:
        return "no base plan to compare with"
    if res.summary is None:
        return ""
    a, b = _units_by(base.purchases), _units_by(res.purchases)
    diffs = []
    for key in sorted(set(a) | set(b)):
        ua, ca = a.get(key, (0, 0.0))
        ub, cb = b.get(key, (0, 0.0))
        if ua != ub:
            diffs.append((abs(cb - ca), key, ub - ua, ub, ua))
    if not diffs:
        if sorted(base.purchases) == sorted(res.purchases):
            return "same purchases"
        return "same units, other periods"
    diffs.sort(key=lambda d: (-d[0], d[1]))
    parts = [f"{site} {system} {delta:+d} ({ub} vs {ua})"
             for _, (site, system), delta, ub, ua in diffs[:limit]]
    if len(diffs) > limit:
        parts.append(f"and {len(diffs) - limit} more")
    return "; ".join(parts)


def comparison_frame(results: Sequence[JobResult], timings: bool = False) -> pd.DataFrame:
    """A row per variant, the base (first result) first."""
    base = results[0] if results else None
    rows = []
    for res in results:
        row: dict[str, Any] = {"variant": res.name}
        row.update(figures(res))
        row.update(_versus(base, res, VS_BASE_COLUMNS, "(base)"))
        if timings:
            row["solve_seconds"] = round(res.seconds, 3)
        row["buys_vs_base"] = buys_differently(base, res)
        rows.append(row)
    df = pd.DataFrame(rows, columns=COMPARE_COLUMNS)
    if not timings:
        df = df.drop(columns=["solve_seconds"])
    return df.astype(object).where(df.notna(), None)


def previous_points(points: Sequence[Sequence[Any]]) -> list[int | None]:
    """For each point of a sweep, the row of the point before it along the last varied
    path (the other paths at the same values), or None (the first of its line)."""
    out: list[int | None] = []
    for i, pt in enumerate(points):
        ok = i > 0 and tuple(points[i - 1][:-1]) == tuple(pt[:-1])
        out.append(i - 1 if ok else None)
    return out


def sweep_frame(paths: Sequence[str], points: Sequence[Sequence[Any]],
                results: Sequence[JobResult], base: JobResult | None,
                timings: bool = False) -> pd.DataFrame:
    """A row per point: a column per varied path, then status and the figures, the
    differences against the base and against the previous point (0 within solver noise;
    `vs_previous` says "same within solver gap")."""
    rows = []
    prev = previous_points(points)
    for i, (values, res) in enumerate(zip(points, results, strict=True)):
        row: dict[str, Any] = dict(zip(paths, values, strict=True))
        row.update(figures(res))
        row.update(_versus(base, res, VS_BASE_COLUMNS, "(base)"))
        p = prev[i]
        row.update(_versus(None if p is None else results[p], res, VS_PREVIOUS_COLUMNS, ""))
        if timings:
            row["solve_seconds"] = round(res.seconds, 3)
        row["buys_vs_base"] = buys_differently(base, res) if base else ""
        rows.append(row)
    cols = [*paths, *HEAD_COLUMNS, *VS_BASE_COLUMNS, *VS_PREVIOUS_COLUMNS, *FIGURE_COLUMNS,
            "buys_vs_base"]
    if not timings:
        cols.remove("solve_seconds")
    df = pd.DataFrame(rows, columns=cols)
    return df.astype(object).where(df.notna(), None)


# --------------------------------------------------------------------------- new hall


def hall_used_mw(res: JobResult, site: str) -> float | None:
    """The most power the plan draws in the hall `site` in any period, MW."""
    if res.summary is None:
        return None
    hall = res.summary.sites.get(site)
    return None if hall is None or hall.peak_power_mw is None else float(hall.peak_power_mw)


def new_hall_frame(site: str, grid: Sequence[tuple[Any, Any]], results: Sequence[JobResult],
                   baseline: JobResult, floor: float = 0.0) -> pd.DataFrame:
    """A row per (size, opening): the plan's figures and what it changes against the
    baseline, split: `saving_usd` (total, penalty included), `spend_saving_usd` (money),
    `extra_tokens_served` and `penalty_saving_usd` (the penalty avoided, a price); each
    0 within solver noise (or `floor`). `vs_smaller_size` compares the plan with the one
    at the next smaller size of the same opening ("same within solver gap")."""
    b = baseline.summary
    rows = []
    last: dict[Any, JobResult] = {}
    for (size, op), res in zip(grid, results, strict=True):
        row: dict[str, Any] = {"size_mw": size, "open": op}
        f = figures(res)
        row.update({k: f.get(k) for k in NEW_HALL_COLUMNS if k in f})
        s = res.summary
        if s is not None and b is not None:
            row.update({
                "saving_usd": _pos0(-cost_change(b, s, "total_cost_usd", floor)),
                "spend_saving_usd": _pos0(-cost_change(b, s, "spend_usd", floor)),
                "extra_tokens_served": tokens_change(b, s),
                "penalty_saving_usd": _pos0(-cost_change(b, s, "unmet_penalty_usd", floor)),
                "vs_baseline": change_words(b, s, floor),
            })
        smaller = last.get(op)
        if s is not None and smaller is not None and smaller.summary is not None:
            row["vs_smaller_size"] = change_words(smaller.summary, s, floor)
        last[op] = res
        row["hall_peak_mw"] = hall_used_mw(res, site)
        row["buys_vs_baseline"] = buys_differently(baseline, res)
        rows.append(row)
    df = pd.DataFrame(rows, columns=NEW_HALL_COLUMNS)
    return df.astype(object).where(df.notna(), None)
