"""What-if results in words: one plan's headline, what one plan changes against another,
and the numbers in them (money, token counts, shares).

Spend and tokens served lead; the unmet-demand penalty follows, named as a price the
scenario sets, never as money saved; differences within solver noise read as the same
(`planner.whatif.tables`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from planner.fmt import num_fixed, pct_down, usd_short, usd_sig, usd_signed
from planner.whatif.jobs import JobResult
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


def equal_savings_text(tolerance_usd: float) -> str:
    """The rule by which two savings count as equal: solver noise, and any tolerance."""
    return ("savings within solver noise (the two plans' proven MIP gaps)"
            + (f" or within {usd_short(tolerance_usd)} (--tolerance-usd)" if tolerance_usd > 0
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
