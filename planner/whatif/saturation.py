"""The new-hall verdicts: per opening period, what the hall changes at the smallest size
that does as well as any, and the size past which more MW saves nothing beyond solver
noise (`saturation`); then the best size and opening overall.

Savings are differences of two plans' totals; two plans whose costs are within their
proven MIP gaps (`planner.analysis.verdicts.same_cost`) save the same, and a size never
counts as enough while a plan at a larger size uses more of the hall than that size.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from planner.analysis.verdicts import same_cost
from planner.core.summary import PlanSummary
from planner.whatif.jobs import JobResult
from planner.whatif.tables import Summary, cost_change, hall_used_mw
from planner.whatif.words import change_headline, value_text

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
    lines = []
    best: tuple[JobResult, float, Any] | None = None
    for o, pts in by_open.items():
        have = [(float(s), r) for s, r in pts if r.summary is not None]
        if not have:
            lines.append(f"opening {value_text(o)}: no plan at any size")
            continue
        line, gain = _opening_verdict(site, o, have, b, floor, price)
        lines.append(line)
        if gain is not None and (best is None or _beats_plan(_planned(gain[0]),
                                                             _planned(best[0]), floor)):
            best = (gain[0], gain[1], o)
    if not any(r.summary is not None for pts in by_open.values() for _, r in pts):
        return lines
    if best is None:
        lines.append(f"{site} saves nothing beyond solver noise at any size and opening "
                     "tried")
    else:
        lines.append(f"best: {value_text(best[1])} MW opening {value_text(best[2])}: "
                     + change_headline(b, _planned(best[0]), price, floor))
    return lines


def _planned(r: JobResult) -> PlanSummary:
    """The summary of a result known to have a plan."""
    assert r.summary is not None
    return r.summary


def _opening_verdict(site: str, o: Any, have: Sequence[tuple[float, JobResult]],
                     b: Summary, floor: float, price: float | None
                     ) -> tuple[str, tuple[JobResult, float] | None]:
    """One opening's line, and its plan and size at the smallest size that saves as much
    as any (None when the hall saves nothing beyond noise at this opening). `have`: the
    (size, result) pairs that have a plan, smallest size first."""
    base_total = float(b.total_cost_usd)
    sizes = [s for s, _ in have]
    summ = [_planned(r) for _, r in have]
    savs: list[float | None] = [base_total - float(x.total_cost_usd) for x in summ]
    used = [hall_used_mw(r, site) for _, r in have]

    def same(i: int, j: int) -> bool:
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
    return msg, ((have[at][1], sizes[at]) if gains else None)


def _saves_nothing(base: Summary, s: Summary, floor: float) -> bool:
    """Whether plan `s` costs the baseline's total or more, within noise."""
    return cost_change(base, s, "total_cost_usd", floor) >= 0


def _beats_plan(a: Summary, b: Summary, floor: float) -> bool:
    """Whether plan `a` costs less than plan `b` beyond noise."""
    return cost_change(b, a, "total_cost_usd", floor) < 0
