"""The report's first screen: the headline tiles and subtitle, and the headline section.

Demand served (and any shortfall, with why) comes before any cost; then spend and its
terms, cost per million tokens per served model, each hall's tokens/s per MW, and capex
by period. Every figure is read from the plan folder.
"""

from __future__ import annotations

import math
from collections import defaultdict

import pandas as pd

from planner.core.summary import PlanSummary, Shortfall, usd_per_mtok
from planner.fmt import fixed, is_number, num, pct, sig, usd, usd_small
from planner.report.document import Block, Bullets, Section, Table
from planner.report.econ import econ_tiles, margin_blocks
from planner.report.folder import PlanFolder


def tiles(s: PlanSummary) -> list[tuple[str, str]]:
    """The headline tiles (label, value): spend and tokens served first."""
    served_share = s.demand_served_share
    out = [("Spend", usd(s.spend_usd)),
           ("Tokens served", num(s.tokens_served)
            + (f" ({pct(served_share)} of demand)" if is_number(served_share) else "")),
           ("Cost per million tokens", usd_small(s.cost_per_mtok_usd)),
           ("Tokens/s per MW", num(s.tokens_per_s_per_mw)),
           ("Capex commissioned (cash)", usd(s.capex_cash_usd)),
           ("Unmet tokens", num(s.unmet_tokens))]
    penalty = float(s.cost_breakdown_usd.unmet_penalty or 0.0)
    if penalty:
        out.append(("Unmet penalty (not spend)", usd(penalty)))
    return out + econ_tiles(s)  # B. renting, D. prices


def subtitle(s: PlanSummary) -> str:
    """The horizon and how the solve ended: status, gap, best bound. No solve time: the
    report is the same bytes for the same plan (docs/reliability.md); summary.json has
    the timings."""
    hz = s.horizon
    return (f"{hz.periods} {hz.granularity}s from {hz.start}; status {s.status}, MIP gap "
            f"{pct(s.mip_gap)}, best bound {usd(s.best_bound_usd)}")


def headline_section(pf: PlanFolder, short: Shortfall, standing: str) -> Section:
    """Headline numbers: the plan's standing and any failed analysis, the shortfall, then
    spend, cost per model, the halls and capex by period."""
    s = pf.summary
    head = Section("Headline numbers", "headline")
    if standing == "weak":
        head.blocks.append(
            f"**Not an answer yet.** The time limit stopped HiGHS with a gap of "
            f"{pct(s.mip_gap)}: this is only the best plan found so far, and it may "
            "cost much more than the optimum. No conclusion (what to buy, what binds, what "
            "a baseline saves) should rest on it. Plan again with a longer time limit "
            "(--time-limit, solver.time_limit_s).")
    elif standing == "time_limit":
        head.blocks.append("The time limit stopped HiGHS: this plan is the best found, not "
                           "proven optimal (see the gap).")
    for err in s.analysis_errors or []:
        head.blocks.append(f"**Analysis failed:** {err}")
    head.blocks.append(shortfall_block(short, s))
    head.blocks.append(_spend_table(s))
    head.blocks.extend(margin_blocks(s))  # D. prices
    cpm = cost_per_model(pf)
    if cpm:
        head.blocks.append(Table(
            ["served model", "tokens served", "cost attributed", "USD per Mtok"],
            [[m, num(v["tokens"]), usd(v["cost_usd"]), usd_small(v["cost_per_mtok_usd"])]
             for m, v in cpm.items()],
            "lrrr", "Cost per million tokens per served model (each hall-system's cost shared "
                    "by the unit-periods it serves each model; idle units shared by tokens; "
                    "unmet penalties excluded)"))
    site_rows = []
    for name, v in s.sites.items():
        site_rows.append([name, sig(float(v.power_cap_mw or 0), 4),
                          sig(float(v.peak_power_mw or 0), 4), num(v.tokens_per_s_per_mw)])
    if site_rows:
        site_rows.append(["all halls", "", "", num(s.tokens_per_s_per_mw)])
        head.blocks.append(Table(["hall", "power cap MW", "peak power MW", "tokens/s per MW"],
                                 site_rows, "lrrr",
                                 "Tokens/s per MW: tokens/s served per MW of IT power in "
                                 "service, over all periods"))
    if len(pf.purchase_plan):
        head.blocks.append(_capex_table(pf))
    return head


def _spend_table(s: PlanSummary) -> Table:
    """Spend by term and its share; the penalty and the objective apart from it."""
    b = s.cost_breakdown_usd
    spend = s.spend_usd
    penalty = float(b.unmet_penalty or 0.0)
    rows = [[k, usd(v), pct(float(v or 0) / spend if spend else None)]
            for k, v in (("capex", b.capex), ("energy", b.energy), ("opex", b.opex),
                         *((("rent", b.rent),) if b.rent is not None else ()))]
    rows.append(["spend", usd(spend), pct(1.0 if spend else None)])
    if penalty:
        rows.append(["unmet-demand penalty (a price the scenario sets, not money)",
                     usd(penalty), "-"])
        rows.append(["objective (spend + penalty)", usd(float(s.total_cost_usd or 0.0)), "-"])
    return Table(["cost item", "USD", "share of spend"], rows,
                 "lrr", "Spend over the horizon (the objective's terms: discounted, capex as "
                        "the scenario accounts it)")


def _capex_table(pf: PlanFolder) -> Table:
    """Units bought and capex by period: in cash, and as charged inside the horizon."""
    pp, periods = pf.purchase_plan, pf.periods
    by_p = pp.groupby("period", sort=False).agg(
        units=("units", "sum"), capex=("capex_usd", "sum"))
    charged = (pp.groupby("period", sort=False)["capex_charged_usd"].sum()
               if "capex_charged_usd" in pp else None)
    rows = []
    for p in sorted(by_p.index, key=lambda x: periods.index(x) if x in periods else 0):
        r = by_p.loc[p]
        rows.append([p, fixed(int(r["units"])), usd(r["capex"]),
                     usd(charged.loc[p]) if charged is not None else "-"])
    return Table(["period", "units bought", "capex (cash)", "capex charged in the horizon"],
                 rows, "lrrr", "Capex by period")


def cost_per_model(pf: PlanFolder) -> dict[str, dict[str, float]]:
    """Full cost attributed to each served model, and its cost per million tokens.

    Each hall-system pair's whole cost over the horizon (capex charged for its purchases,
    energy and fixed opex of its fleet) is shared among models by the unit-periods the
    allocation gives each; the cost of pairs that serve nothing (idle installed units) is
    shared by tokens served. Unmet-demand penalties are not part of it.
    """
    pp, fl, al, sv = pf.purchase_plan, pf.fleet, pf.allocation, pf.service
    pair_cost: dict[tuple[str, str], float] = defaultdict(float)
    cap_col = "capex_charged_usd" if "capex_charged_usd" in pp else "capex_usd"
    for r in pp.itertuples():
        pair_cost[(r.site, r.system)] += float(getattr(r, cap_col))
    for col in ("energy_usd", "opex_usd"):
        if col in fl:
            for (s, g), v in fl.groupby(["site", "system"])[col].sum().items():
                pair_cost[(str(s), str(g))] += float(v)
    use: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in al.itertuples():
        use[(r.site, r.system)][r.model] += float(r.units)
    H = pf.hours
    tokens = {str(m): float(v) * H * 3600.0
              for m, v in sv.groupby("model")["served_tokens_per_s"].sum().items()}
    cost: dict[str, float] = defaultdict(float)
    idle = 0.0
    for pair, c in pair_cost.items():
        u = use.get(pair)
        tot = sum(u.values()) if u else 0.0
        if not u or tot <= 0:
            idle += c
            continue
        for m, x in u.items():
            cost[m] += c * x / tot
    all_tokens = sum(tokens.values())
    if idle and all_tokens > 0:
        for m, tk in tokens.items():
            cost[m] += idle * tk / all_tokens
    out = {}
    for m in sorted(tokens):
        tk = tokens[m]
        out[m] = {"cost_usd": cost.get(m, 0.0), "tokens": tk,
                  "cost_per_mtok_usd": usd_per_mtok(cost.get(m, 0.0), tk) if tk > 0
                  else math.nan}
    return out


def shortfall_of(pf: PlanFolder) -> Shortfall:
    """summary.json's ``shortfall``; for an older summary, the same figures from
    service.csv (without the reasons)."""
    if pf.summary.shortfall is not None:
        return pf.summary.shortfall
    sv = pf.service
    un = sv[pd.to_numeric(sv["unmet_tokens_per_s"], errors="coerce").fillna(0) > 0]
    H = pf.hours
    dem = float(pd.to_numeric(sv["demand_tokens_per_s"], errors="coerce").sum()) * H * 3600
    unmet = float(pd.to_numeric(un["unmet_tokens_per_s"], errors="coerce").sum()) * H * 3600
    pen = (float(pd.to_numeric(un["unmet_penalty_usd"], errors="coerce").sum())
           if "unmet_penalty_usd" in un else 0.0)
    return Shortfall(classes_short=len(un), unmet_tokens=unmet,
                     unmet_share=unmet / dem if dem > 0 else 0.0, penalty_usd=pen, largest=[])


def shortfall_block(sf: Shortfall, s: PlanSummary) -> Block:
    """All demand served, or the shortfall first: how much, its penalty, the largest short
    classes and why."""
    if not sf.classes_short:
        return f"**All demand is served**: {num(s.tokens_served)} tokens over the horizon."
    items = [f"{c.model} in {c.period} at {float(c.min_tokens_per_s_per_user):g} "
             f"tokens/s per user: {num(c.unmet_tokens_per_s)} of "
             f"{num(c.demand_tokens_per_s)} tokens/s short "
             f"({pct(c.unmet_share)}); {c.why}" for c in sf.largest]
    rest = int(sf.classes_short) - len(sf.largest)
    if rest > 0:
        items.append(f"and {rest} more demand class(es): see Unmet demand below")
    head = (f"**Shortfall: {num(sf.unmet_tokens)} tokens of demand are not served** "
            f"({pct(sf.unmet_share)} of demand, in {sf.classes_short} demand "
            f"class(es)); the unmet-demand penalty on them is {usd(sf.penalty_usd)}, a "
            "price the scenario sets, not money spent.")
    return Bullets([head, *items]) if items else head
