"""What-if results in words: one plan's headline, what one plan changes against another,
and the numbers in them (money, token counts, shares).

Spend and tokens served lead; the unmet-demand penalty follows, named as a price the
scenario sets, never as money saved; differences within solver noise read as the same
(`planner.whatif.tables`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from planner.whatif.runner import JobResult
from planner.whatif.tables import SAME, Summary, cost_change, tokens_change

NOT_MONEY = "a price you set, not money"
#: the two rules of every what-if table, said once on each page and after each table
NOISE_NOTE = ("spend: what money changes hands; penalty: demand not served, at the "
              "price the scenario sets per million tokens (not money); total = spend + "
              "penalty. Differences within the plans' solver gap read as \"same\".")


def share_text(share: float | None) -> str:
    """``all demand`` or ``94.1% of demand`` (rounded down: 99.97% is not "100.0%")."""
    if share is None:
        return "- of demand"
    if share >= 1.0:
        return "all demand"
    return f"{pct_down(share, 1)} of demand"


def pct_down(share: float, digits: int = 2) -> str:
    """A share as a percentage rounded down, so only all of it reads 100%."""
    k = 10 ** (digits + 2)
    return f"{math.floor(share * k) / 10 ** digits:.{digits}f}%"


def price_text(price: float | None) -> str:
    """``at $100 per Mtok (a price you set, not money)``."""
    if price is None:
        return f"at the unmet-demand price ({NOT_MONEY})"
    return f"at ${price:,.6g} per Mtok ({NOT_MONEY})"


def plan_headline(s: Summary, price: float | None = None) -> str:
    """One plan in a line: spend and tokens served first, then any shortfall and its
    penalty, e.g. ``spend $1.23M, serves 94.1% of demand; 3.10T tokens unserved, penalty
    $37.200B at $100 per Mtok (a price you set, not money)``."""
    text = (f"spend {usd(float(s['spend_usd']))}, serves "
            f"{share_text(s.get('demand_served_share'))}")
    unmet = float(s.get("unmet_tokens") or 0.0)
    if unmet > 0:
        text += (f"; {num(unmet)} tokens unserved, penalty "
                 f"{usd(float(s['unmet_penalty_usd']))} {price_text(price)}")
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
            text = f"saves {usd(-dspend)} of spend and serves the same tokens"
        else:
            text = f"spends {usd(dspend)} more and serves the same tokens"
    else:
        spend = f"spend {SAME}" if dspend == 0 else f"changes spend by {signed_usd(dspend)}"
        text = (f"serves {num(abs(dtok))} {'more' if dtok > 0 else 'fewer'} tokens "
                f"({share_text(b.get('demand_served_share'))}) and "
                + ("leaves " if dspend == 0 else "") + spend)
    if dpen < 0:
        text += f"; the penalty avoided is {usd(-dpen)} {price_text(price)}"
    elif dpen > 0:
        text += f"; the penalty grows by {usd(dpen)} {price_text(price)}"
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


def equal_savings_text(tolerance_usd: float) -> str:
    """The rule by which two savings count as equal: solver noise, and any tolerance."""
    return ("savings within solver noise (the two plans' proven MIP gaps)"
            + (f" or within {usd(tolerance_usd)} (--tolerance-usd)" if tolerance_usd > 0
               else "")
            + " count as equal")


def short_status(status: str) -> str:
    """A result's status without its detail: ``invalid``, ``error``, ``optimal``, ..."""
    return status.split(":")[0]


def base_line(base: JobResult, price: float | None) -> str:
    """``base: optimal, spend $1.23M, serves all demand`` (or ``base: <status>``)."""
    if base.summary is None:
        return f"base: {base.status}"
    return f"base: {base.status}, {plan_headline(base.summary, price)}"


# --------------------------------------------------------------------------- formatting


def usd(v: float | None) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    a = abs(v)
    sign = "-" if v < 0 and a >= 0.005 else ""
    if a >= 1e9:
        return f"{sign}${a / 1e9:,.3f}B"
    if a >= 1e6:
        return f"{sign}${a / 1e6:,.2f}M"
    if a >= 1e3:
        return f"{sign}${a / 1e3:,.1f}K"
    return f"{sign}${a:,.2f}"


def signed_usd(v: float | None) -> str:
    """``+$120.00M``, ``-$1.20M``; ``$0.00`` for no change."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    text = usd(v)
    return "+" + text if v > 0 and text != "$0.00" else text


def diff_text(v: float | None, fmt: Callable[[float], str] | None = None) -> str:
    """A difference between two plans: ``same`` when 0 (within solver noise)."""
    if v is None:
        return "-"
    if v == 0:
        return "same"
    return (fmt or signed_usd)(v)


def num(v: float | None, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    a = abs(v)
    for div, suf in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if a >= div:
            return f"{v / div:,.{digits}f}{suf}"
    return f"{v:,.{digits}f}"


def value_text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
