"""Tables and pages of what-if runs: comparison rows, sweep rows, inline-SVG charts.

Everything here reads `JobResult`s (summaries and purchase lists), never the solver model.
The HTML pages are self-contained (inline SVG, no scripts, no external files) and carry
no timestamps, so the same results give the same bytes.

Two rules hold for every figure printed here:

- **Spend and shortfall apart.** A plan's total is what money changes hands (`spend_usd`)
  plus the unmet-demand penalty (`unmet_penalty_usd`: tokens not served at a price per
  million tokens the scenario sets, not money). Tables carry both beside the total, and
  headlines lead with spend and tokens served; a penalty avoided is named as such, with
  its price, never as a saving of money.
- **Solver noise is no difference.** Two plans whose costs differ by no more than their
  proven MIP gaps (`planner.analysis.verdicts.same_cost`, the one rule) are the same: differences
  are written as 0 (shown as "same") and verdicts never rest on them.
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from planner.analysis.verdicts import cost_noise_usd, same_cost
from planner.core.summary import PlanSummary
from planner.fmt import num_fixed, pct_down, usd_short, usd_sig, usd_signed
from planner.whatif.runner import JobResult

SAME = "same within solver gap"
NOT_MONEY = "a price you set, not money"

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

Summary = PlanSummary

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


# --------------------------------------------------------------------------- headlines


def share_text(share: float | None) -> str:
    """``all demand`` or ``94.1% of demand`` (rounded down: 99.97% is not "100.0%")."""
    if share is None:
        return "- of demand"
    if share >= 1.0:
        return "all demand"
    return f"{pct_down(share, 1)} of demand"


def price_text(price: float | None) -> str:
    """``at $100 per Mtok (a price you set, not money)``."""
    if price is None:
        return f"at the unmet-demand price ({NOT_MONEY})"
    return f"at {usd_sig(price, 6)} per Mtok ({NOT_MONEY})"


def plan_headline(s: Summary, price: float | None = None) -> str:
    """One plan in a line: spend and tokens served first, then any shortfall and its
    penalty, e.g. ``spend $1.23M, serves 94.1% of demand; 3.10T tokens unserved, penalty
    $37.200B at $100 per Mtok (a price you set, not money)``."""
    text = (f"spend {usd_short(float(s.spend_usd))}, serves "
            f"{share_text(s.demand_served_share)}")
    unmet = float(s.unmet_tokens or 0.0)
    if unmet > 0:
        text += (f"; {num_fixed(unmet)} tokens unserved, penalty "
                 f"{usd_short(float(s.unmet_penalty_usd))} {price_text(price)}")
    return text


def change_headline(a: Summary, b: Summary, price: float | None = None,
                    floor: float = 0.0) -> str:
    """What plan `b` changes against plan `a`, tokens served and spend first, the penalty
    avoided after it as what it is, e.g. ``serves 3.10T more tokens (all demand) and
    changes spend by +$120.00M; the penalty avoided is $37.200B at $100 per Mtok (a price
    you set, not money)``. Differences within solver noise (or `floor`) read as the same."""
    dtok = tokens_change(a, b)
    dspend = cost_change(a, b, "spend_usd", floor)
    dpen = cost_change(a, b, "unmet_penalty_usd", floor)
    if dtok == 0:
        if dspend == 0:
            text = f"serves the same tokens; spend {SAME}"
        elif dspend < 0:
            text = f"saves {usd_short(-dspend)} of spend and serves the same tokens"
        else:
            text = f"spends {usd_short(dspend)} more and serves the same tokens"
    else:
        spend = f"spend {SAME}" if dspend == 0 else f"changes spend by {usd_signed(dspend)}"
        text = (f"serves {num_fixed(abs(dtok))} {'more' if dtok > 0 else 'fewer'} tokens "
                f"({share_text(b.demand_served_share)}) and "
                + ("leaves " if dspend == 0 else "") + spend)
    if dpen < 0:
        text += f"; the penalty avoided is {usd_short(-dpen)} {price_text(price)}"
    elif dpen > 0:
        text += f"; the penalty grows by {usd_short(dpen)} {price_text(price)}"
    return text


def compare_headlines(results: Sequence[JobResult],
                      prices: Mapping[str, float | None] | None = None) -> list[str]:
    """A line per plan of a comparison: the base's spend and service, then what each
    variant changes against it (spend and tokens first, the penalty as a price)."""
    prices = prices or {}
    if not results:
        return []
    base = results[0]
    if base.summary is None:
        return [f"{base.name}: no plan ({base.status}), so nothing to compare with"]
    lines = [f"{base.name}: {plan_headline(base.summary, prices.get(base.name))}"]
    for res in results[1:]:
        if res.summary is None:
            continue
        lines.append(f"{res.name}: against {base.name}, "
                     + change_headline(base.summary, res.summary, prices.get(res.name)))
    return lines


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


SameFn = Callable[[int, int], bool]


def _beats(savings: Sequence[float | None], j: int, i: int, tol: float,
           same: SameFn | None) -> bool:
    """Whether point j saves more than point i beyond noise: by more than `tol` and not
    the same cost by `same` (`planner.analysis.verdicts.same_cost` of the two plans)."""
    vi, vj = savings[i], savings[j]
    if vi is None or vj is None:
        return False
    return vj - vi > tol and not (same is not None and same(i, j))


def saturation(sizes: Sequence[float], savings: Sequence[float | None], tol: float = 0.0,
               used: Sequence[float | None] | None = None, same: SameFn | None = None
               ) -> tuple[float | None, bool]:
    """The smallest size past which more MW saves nothing, and whether more MW may still
    help at the largest size tried.

    A size qualifies when no larger size saves more beyond noise (more than `tol`, and
    not `same(i, j)`: the two plans' costs within solver noise) **and** no plan at a
    larger size uses more MW of the hall (`used`) than the size itself: a plan that
    uses 11.5 MW at 20 MW rules out "past 10 MW more MW saves nothing". The second value
    is True when only the largest size tried qualifies (it still saves more than a smaller
    one, or its plan uses more MW than any smaller size), or, with a single size, when its
    plan uses (almost) all of it: try larger sizes.
    """
    idx = [i for i, v in enumerate(savings) if v is not None]
    if not idx:
        return None, False

    def use(i: int) -> float:
        u = used[i] if used is not None else None
        return float(u) if u is not None else 0.0

    for pos, i in enumerate(idx):
        later = idx[pos + 1:]
        if all(not _beats(savings, j, i, tol, same)
               and use(j) <= float(sizes[i]) * (1 + 1e-9) + 1e-9 for j in later):
            if pos < len(idx) - 1:
                return sizes[i], False
            if len(idx) > 1:
                return sizes[i], True
            return sizes[i], use(i) >= 0.99 * float(sizes[i]) > 0
    return sizes[idx[-1]], True  # unreachable: the last point always qualifies


def new_hall_verdicts(site: str, by_open: Mapping[Any, Sequence[tuple[float, JobResult]]],
                      baseline: JobResult, floor: float = 0.0,
                      price: float | None = None) -> list[str]:
    """Per opening: what the hall changes at the smallest size that does as well as any
    (tokens served and spend first, the penalty avoided as a price), the size past which
    more MW saves nothing (beyond solver noise, and never below what larger plans use),
    and the best size and opening overall."""
    b = baseline.summary
    if b is None:
        return [f"the baseline without {site} has no plan ({baseline.status}), so savings "
                "cannot be computed"]
    base_total = float(b.total_cost_usd)
    lines = []
    best: tuple[PlanSummary, float, Any] | None = None
    for o, pts in by_open.items():
        have = [(float(s), r) for s, r in pts if r.summary is not None]
        if not have:
            lines.append(f"opening {value_text(o)}: no plan at any size")
            continue
        sizes = [s for s, _ in have]
        summ = [r.summary for _, r in have if r.summary is not None]
        savs: list[float | None] = [base_total - float(x.total_cost_usd) for x in summ]
        used = [hall_used_mw(r, site) for _, r in have]

        def same(i: int, j: int, summ: list[Any] = summ) -> bool:
            return same_cost(summ[i], summ[j])

        sat, still = saturation(sizes, savs, floor, used, same)
        top = max(range(len(have)), key=lambda k: (savs[k], -k))
        at = next(k for k in range(len(have)) if not _beats(savs, top, k, floor, same))
        gains = not _saves_nothing(b, summ[at], floor)
        msg = f"opening {value_text(o)}: "
        if gains:
            msg += (f"at {value_text(sizes[at])} MW {site} "
                    + change_headline(b, summ[at], price, floor))
        else:
            msg += f"{site} saves nothing beyond solver noise at any size tried"
        last = len(have) - 1
        if still and len(have) > 1 and _beats(savs, last, last - 1, floor, same):
            msg += (f"; more MW still saves more at the largest size tried "
                    f"({value_text(sizes[last])} MW): try larger sizes")
        elif still:
            u = used[last]
            msg += (f"; the plan at the largest size tried ({value_text(sizes[last])} MW) "
                    + (f"uses {u:,.3f} MW of it" if u is not None else "may use all of it")
                    + ": try larger sizes")
        elif not gains:
            most = max((u for u in used if u is not None), default=None)
            if most is not None:
                msg += f" (the plans use at most {most:,.3f} MW of it)"
        elif sat is not None:
            k = sizes.index(sat)
            larger = [u for u in used[k + 1:] if u is not None]
            msg += f"; past {value_text(sat)} MW more MW saves nothing beyond solver noise"
            if larger:
                msg += f" (the plans at larger sizes use at most {max(larger):,.3f} MW of it)"
            elif used[k] is not None:
                msg += f" (the plan at {value_text(sat)} MW uses {used[k]:,.3f} MW of it)"
            if gains and at < k:
                msg += f"; {value_text(sizes[at])} MW already does as well (within solver gap)"
        lines.append(msg)
        if gains and (best is None or _beats_plan(summ[at], best[0], floor)):
            best = (summ[at], sizes[at], o)
    if not any(r.summary is not None for pts in by_open.values() for _, r in pts):
        return lines
    if best is None:
        lines.append(f"{site} saves nothing beyond solver noise at any size and opening "
                     "tried")
    else:
        lines.append(f"best: {value_text(best[1])} MW opening {value_text(best[2])}: "
                     + change_headline(b, best[0], price, floor))
    return lines


def _saves_nothing(base: Summary, s: Summary, floor: float) -> bool:
    """Whether plan `s` costs the baseline's total or more, within noise."""
    return cost_change(base, s, "total_cost_usd", floor) >= 0


def _beats_plan(a: Summary, b: Summary, floor: float) -> bool:
    """Whether plan `a` costs less than plan `b` beyond noise."""
    return cost_change(b, a, "total_cost_usd", floor) < 0


# --------------------------------------------------------------------------- formatting


def diff_text(v: float | None, fmt: Callable[[float], str] | None = None) -> str:
    """A difference between two plans: ``same`` when 0 (within solver noise)."""
    if v is None:
        return "-"
    if v == 0:
        return "same"
    return (fmt or usd_signed)(v)


def value_text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# --------------------------------------------------------------------------- SVG charts

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf"]
W, H = 720, 340
ML, MR, MT, MB = 90, 170, 36, 56


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = [round(start, 12)]
    while ticks[-1] < hi - step * 1e-9 or len(ticks) < 2:
        ticks.append(round(start + step * len(ticks), 12))
    return ticks


def _svg_open(title: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
            f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="11">',
            f'<text x="{W / 2:.0f}" y="18" text-anchor="middle" font-size="14" '
            f'font-weight="bold">{html.escape(title)}</text>']


def _y_axis(out: list[str], ticks: list[float], ymap: Any, y_title: str,
            fmt: Any) -> None:
    for t in ticks:
        y = ymap(t)
        out.append(f'<line x1="{ML}" y1="{y:.1f}" x2="{W - MR}" y2="{y:.1f}" '
                   'stroke="#ddd"/>')
        out.append(f'<text x="{ML - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f'{html.escape(fmt(t))}</text>')
    out.append(f'<text x="14" y="{(MT + H - MB) / 2:.0f}" text-anchor="middle" '
               f'transform="rotate(-90 14 {(MT + H - MB) / 2:.0f})">'
               f'{html.escape(y_title)}</text>')


def _legend(out: list[str], names: Sequence[str]) -> None:
    for i, name in enumerate(names):
        y = MT + 8 + i * 16
        out.append(f'<rect x="{W - MR + 12}" y="{y - 8}" width="10" height="10" '
                   f'fill="{PALETTE[i % len(PALETTE)]}"/>')
        out.append(f'<text x="{W - MR + 28}" y="{y + 1}">{html.escape(name[:24])}</text>')


def line_chart(xs: Sequence[Any], series: Sequence[tuple[str, Sequence[float | None]]],
               title: str, x_title: str, y_title: str, fmt: Any = num_fixed) -> str:
    """Lines of y against x (numeric x to scale, otherwise evenly spaced); gaps where
    a point has no value."""
    numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in xs)
    xv = [float(x) for x in xs] if numeric else [float(i) for i in range(len(xs))]
    ys = [y for _, s in series for y in s if y is not None and math.isfinite(y)]
    out = _svg_open(title)
    if not xv or not ys:
        out.append(f'<text x="{W / 2:.0f}" y="{H / 2:.0f}" text-anchor="middle">'
                   'no plan to chart</text></svg>')
        return "\n".join(out)
    lo, hi = min(ys), max(ys)
    if lo > 0 and lo < 0.5 * hi:
        lo = 0.0
    yt = _nice_ticks(lo, hi)
    x0, x1 = min(xv), max(xv)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1

    def xmap(v: float) -> float:
        return ML + (v - x0) / (x1 - x0) * (W - ML - MR)

    def ymap(v: float) -> float:
        return H - MB - (v - yt[0]) / (yt[-1] - yt[0]) * (H - MT - MB)

    _y_axis(out, yt, ymap, y_title, fmt)
    xticks = _nice_ticks(x0, x1) if numeric else xv
    for i, t in enumerate(xticks):
        if t < x0 - 1e-9 or t > x1 + 1e-9:
            continue
        label = value_text(t) if numeric else value_text(xs[i])
        out.append(f'<text x="{xmap(t):.1f}" y="{H - MB + 16}" text-anchor="middle">'
                   f'{html.escape(label)}</text>')
    out.append(f'<text x="{(ML + W - MR) / 2:.0f}" y="{H - 12}" text-anchor="middle">'
               f'{html.escape(x_title)}</text>')
    out.append(f'<line x1="{ML}" y1="{H - MB}" x2="{W - MR}" y2="{H - MB}" stroke="#333"/>')
    for k, (_, s) in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        seg: list[str] = []
        for x, y in zip(xv, s, strict=True):
            if y is None or not math.isfinite(y):
                if len(seg) > 1:
                    out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                               f'points="{" ".join(seg)}"/>')
                seg = []
                continue
            seg.append(f"{xmap(x):.1f},{ymap(y):.1f}")
            out.append(f'<circle cx="{xmap(x):.1f}" cy="{ymap(y):.1f}" r="3" '
                       f'fill="{color}"/>')
        if len(seg) > 1:
            out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                       f'points="{" ".join(seg)}"/>')
    _legend(out, [name for name, _ in series])
    out.append("</svg>")
    return "\n".join(out)


def bar_chart(labels: Sequence[str], stacks: Sequence[tuple[str, Sequence[float | None]]],
              title: str, y_title: str, fmt: Any = usd_short) -> str:
    """Stacked bars, one per label (a label without values is marked "no plan")."""
    out = _svg_open(title)
    totals = []
    for i in range(len(labels)):
        vals = [s[i] for _, s in stacks]
        totals.append(None if any(v is None for v in vals)
                      else sum(max(0.0, float(v)) for v in vals if v is not None))
    have = [t for t in totals if t is not None]
    if not labels or not have:
        out.append(f'<text x="{W / 2:.0f}" y="{H / 2:.0f}" text-anchor="middle">'
                   'no plan to chart</text></svg>')
        return "\n".join(out)
    yt = _nice_ticks(0.0, max(have) or 1.0)

    def ymap(v: float) -> float:
        return H - MB - (v - yt[0]) / (yt[-1] - yt[0]) * (H - MT - MB)

    _y_axis(out, yt, ymap, y_title, fmt)
    slot = (W - ML - MR) / len(labels)
    bw = min(60.0, slot * 0.7)
    for i, label in enumerate(labels):
        cx = ML + slot * (i + 0.5)
        out.append(f'<text x="{cx:.1f}" y="{H - MB + 16}" text-anchor="middle">'
                   f'{html.escape(label[:16])}</text>')
        if totals[i] is None:
            out.append(f'<text x="{cx:.1f}" y="{H - MB - 6}" text-anchor="middle" '
                       'fill="#d62728">no plan</text>')
            continue
        acc = 0.0
        for k, (_, s) in enumerate(stacks):
            v = max(0.0, float(s[i] or 0.0))
            if v <= 0:
                continue
            y_top, y_bot = ymap(acc + v), ymap(acc)
            out.append(f'<rect x="{cx - bw / 2:.1f}" y="{y_top:.1f}" width="{bw:.1f}" '
                       f'height="{y_bot - y_top:.1f}" fill="{PALETTE[k % len(PALETTE)]}"/>')
            acc += v
    out.append(f'<line x1="{ML}" y1="{H - MB}" x2="{W - MR}" y2="{H - MB}" stroke="#333"/>')
    if len(stacks) > 1:
        _legend(out, [name for name, _ in stacks])
    out.append("</svg>")
    return "\n".join(out)


# --------------------------------------------------------------------------- HTML page

_CSS = """body{font-family:sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;font-size:12px;margin-top:12px}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}
th{background:#f3f3f3}td.t{text-align:left}.bad{color:#b00}
.charts svg{margin:8px 16px 8px 0;border:1px solid #eee}"""


def _cell_html(col: str, v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, (int, float)) and not isinstance(v, bool) and col in DIFF_COLUMNS:
        if col.endswith("_usd"):
            return diff_text(float(v))
        return diff_text(float(v), lambda x: f"{x:+,.4g}" if abs(x) < 1e3 else
                         ("+" if x > 0 else "") + num_fixed(x))
    if isinstance(v, float):
        if col.endswith("_usd"):
            return usd_short(v)
        if col in ("mip_gap",):
            return f"{v:.4%}"
        if col == "demand_served_share":
            return pct_down(v)
        return num_fixed(v)
    return str(v)


def html_page(title: str, lines: Sequence[str], charts: Sequence[str],
              frame: pd.DataFrame) -> str:
    """A self-contained page: a title, a few lines of text, the charts and the table."""
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{html.escape(title)}</title>", f"<style>{_CSS}</style></head><body>",
           f"<h1>{html.escape(title)}</h1>"]
    out += [f"<p>{html.escape(line)}</p>" for line in lines]
    out.append('<div class="charts">')
    out += charts
    out.append("</div>")
    out.append("<table><thead><tr>")
    out += [f"<th>{html.escape(str(c))}</th>" for c in frame.columns]
    out.append("</tr></thead><tbody>")
    for row in frame.itertuples(index=False, name=None):
        out.append("<tr>")
        for col, v in zip(frame.columns, row, strict=True):
            text = html.escape(_cell_html(str(col), v))
            cls = "t"
            if col == "status" and isinstance(v, str) and v not in ("optimal", "time_limit"):
                cls = "t bad"
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                cls = ""
            out.append(f'<td class="{cls}">{text}</td>' if cls else f"<td>{text}</td>")
        out.append("</tr>")
    out.append("</tbody></table></body></html>")
    return "\n".join(out) + "\n"
