"""Economics v2 in the report and the terminal: owned vs rented capacity (B) and revenue
and margin at the scenario's token prices (D).

Every figure comes from the plan folder (summary.json, service.csv, rent_plan.csv); a plan
without `rent:` or prices gets none of these lines, tiles or sections.
"""

from __future__ import annotations

from planner.core.summary import PlanSummary
from planner.fmt import num, pct, usd
from planner.report import svg
from planner.report.document import Block, Chart, Section, Table
from planner.report.folder import PlanFolder


def econ_lines(s: PlanSummary) -> list[str]:
    """Terminal lines after the spend: rented tokens (B), revenue and margin (D)."""
    out = []
    if s.rented_tokens is not None:
        out.append(f"rented GPUs serve {num(s.rented_tokens)} tokens "
                   f"({pct(s.rented_share)} of tokens served) for "
                   f"{usd(s.cost_breakdown_usd.rent)} of rent")
    if s.revenue_usd is not None:
        out.append(f"revenue {usd(s.revenue_usd)}, margin {usd(s.margin_usd)} "
                   f"(revenue - spend), margin per MW {usd(s.margin_per_mw_usd)} "
                   "(per MW of peak IT power in service)")
    return out


def econ_tiles(s: PlanSummary) -> list[tuple[str, str]]:
    """Headline tiles: rented share (B); revenue, margin and margin per MW (D)."""
    out = []
    if s.rented_tokens is not None:
        out.append(("Rented share of tokens", pct(s.rented_share)))
    if s.revenue_usd is not None:
        out += [("Revenue", usd(s.revenue_usd)), ("Margin", usd(s.margin_usd)),
                ("Margin per MW", usd(s.margin_per_mw_usd))]
    return out


def margin_blocks(s: PlanSummary) -> list[Block]:
    """The headline's revenue and margin table (D), where the demand carries prices."""
    if s.revenue_usd is None:
        return []
    return [Table(["figure", "USD"],
                  [["revenue (price x tokens served, priced classes)", usd(s.revenue_usd)],
                   ["spend (capex, energy, opex" + (", rent" if s.rented_tokens is not None
                                                   else "") + ")", usd(s.spend_usd)],
                   ["margin (revenue - spend)", usd(s.margin_usd)],
                   ["margin per MW of peak IT power in service", usd(s.margin_per_mw_usd)],
                   ["revenue, undiscounted", usd(s.revenue_cash_usd)]],
                  "lr", "Revenue and margin at the demand's token prices (discounted like "
                        "the costs; unserved priced demand is revenue lost)")]


def rent_section(pf: PlanFolder) -> Section | None:
    """Owned vs rented tokens/s and the rent paid per period (B), with a chart."""
    rp = pf.rent_plan
    if rp is None or "rented_tokens_per_s" not in pf.service:
        return None
    periods, sv = pf.periods, pf.service
    rented = sv.groupby("period")["rented_tokens_per_s"].sum()
    served = sv.groupby("period")["served_tokens_per_s"].sum()
    spend = rp.groupby("period")["usd"].sum() if len(rp) else None
    gpus = rp.groupby("period")["gpus"].sum() if len(rp) else None
    rows, owned_s, rented_s = [], [], []
    for p in periods:
        rt = float(rented.get(p, 0.0))
        ow = max(0.0, float(served.get(p, 0.0)) - rt)
        owned_s.append(ow)
        rented_s.append(rt)
        rows.append([p, num(ow), num(rt), pct(rt / (ow + rt) if ow + rt > 0 else None),
                     num(float(gpus.get(p, 0.0)) if gpus is not None else 0.0),
                     usd(float(spend.get(p, 0.0)) if spend is not None else 0.0)])
    sec = Section("Owned and rented capacity", "renting")
    sec.blocks.append(
        "Rented GPUs serve demand outside the halls: they take no hall power, space, energy "
        "or capex budget, and cost their price per GPU-hour for every hour held "
        "(rent_plan.csv; what they serve per model: rent_allocation.csv).")
    sec.blocks.append(Chart(
        svg.stacked_bars("Owned and rented tokens/s served", "tokens/s", periods,
                         [("owned", owned_s), ("rented", rented_s)], "tokens/s"),
        "Tokens/s served each period by the halls' fleet and by rented GPUs.",
        Table(["period", "owned tokens/s", "rented tokens/s", "rented share", "GPUs rented",
               "rent (cash)"], rows, "lrrrrr",
              "Owned vs rented tokens/s and rent paid per period")))
    return sec
