"""What the decision report says: sections of text, tables and charts, from a plan folder.

One structure feeds both renderers (Markdown and HTML), so the two say the same thing.
Every figure comes from the plan folder's tables and summary.json.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from planner.analysis.binding import nearly_full
from planner.analysis.verdicts import plan_standing
from planner.core.summary import PlanSummary, Shortfall, usd_per_mtok
from planner.fmt import is_number, num, pct, sig, usd, usd_small
from planner.report import svg
from planner.report.folder import PlanFolder


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    align: str = ""  # one char per column: l or r
    caption: str = ""


@dataclass
class Chart:
    svg: str
    caption: str
    data: Table  # the numbers behind the chart (Markdown shows this)


@dataclass
class Bullets:
    items: list[str]


Block = str | Table | Chart | Bullets


@dataclass
class Section:
    title: str
    anchor: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Report:
    title: str
    subtitle: str
    headline: list[tuple[str, str]]  # (label, value) tiles
    sections: list[Section]


# --------------------------------------------------------------------------- formatting





def ranges(periods: list[str], order: list[str]) -> str:
    """'2027Q1–2027Q3, 2028Q1' from a set of period labels in plan order."""
    pos = {p: i for i, p in enumerate(order)}
    idx = sorted({pos[p] for p in periods if p in pos})
    out: list[str] = []
    i = 0
    while i < len(idx):
        j = i
        while j + 1 < len(idx) and idx[j + 1] == idx[j] + 1:
            j += 1
        a, b = order[idx[i]], order[idx[j]]
        out.append(a if i == j else f"{a}–{b}")
        i = j + 1
    extra = sorted(p for p in periods if p not in pos)
    return ", ".join(out + extra)


# --------------------------------------------------------------------------- figures


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


def _power_binding_fallback(pf: PlanFolder) -> pd.DataFrame:
    st = pf.sites
    rows = []
    for r in st.itertuples():
        binding = nearly_full(float(r.power_kw), float(r.power_cap_kw))
        rows.append(("power", r.site, "", "", r.period, float(r.power_kw),
                     float(r.power_cap_kw), "kW", binding, "within 2% of the cap"))
    return pd.DataFrame(rows, columns=["limit", "site", "system", "model", "period", "used",
                                       "cap", "unit", "binding", "note"])


def _truthy(v: Any) -> bool:
    return str(v).strip().lower() in ("true", "1", "yes")


LIMIT_NAMES = {"power": "power", "racks": "floor space (racks)",
               "budget_period": "capex budget per period", "budget_total": "total capex budget",
               "supply": "supply (units per period)", "slo": "interactivity SLO"}


def _fmt_used(limit: str, used: float, cap: float) -> str:
    if limit == "power":
        return f"{used / 1000:,.3g} of {cap / 1000:,.3g} MW"
    if limit in ("budget_period", "budget_total"):
        return f"{usd(used)} of {usd(cap)}"
    if limit == "slo":
        return (f"{num(used)} of {num(cap)} tokens/s per GPU ({used / cap:.0%} of its best)"
                if cap > 0 else "no system meets it")
    return f"{num(used)} of {num(cap)}"


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


def _shortfall_block(sf: Shortfall, s: PlanSummary) -> Block:
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


def _split_text(r: Any) -> str:
    """What a marginal value is made of, for a row that carries the split: more spend,
    penalty avoided, tokens served in addition."""
    sp, pe, tk = (r.get("spend_change_usd"), r.get("penalty_change_usd"),
                  r.get("extra_tokens_served"))
    if not (is_number(sp) and is_number(pe)) or not float(pe):
        return ""
    return (f": the unmet penalty changes by {usd(pe)} (a price the scenario sets), spend "
            f"by {usd(sp)}, and {num(tk)} more tokens are served")


# --------------------------------------------------------------------------- sections


def build(pf: PlanFolder) -> Report:
    s = pf.summary
    periods = pf.periods
    b = s.cost_breakdown_usd
    sections: list[Section] = []

    # ---- headline: demand served (and any shortfall, with why) before any cost
    spend = s.spend_usd
    penalty = float(b.unmet_penalty or 0.0)
    short = shortfall_of(pf)
    standing = plan_standing(s)
    served_share = s.demand_served_share
    tiles = [("Spend", usd(spend)),
             ("Tokens served", num(s.tokens_served)
              + (f" ({pct(served_share)} of demand)" if is_number(served_share) else "")),
             ("Cost per million tokens", usd_small(s.cost_per_mtok_usd)),
             ("Tokens/s per MW", num(s.tokens_per_s_per_mw)),
             ("Capex commissioned (cash)", usd(s.capex_cash_usd)),
             ("Unmet tokens", num(s.unmet_tokens))]
    if penalty:
        tiles.append(("Unmet penalty (not spend)", usd(penalty)))
    sub = (f"status {s.status}, MIP gap {pct(s.mip_gap)}, best bound "
           f"{usd(s.best_bound_usd)}, solved in {float(s.solve_seconds or 0):.2f} s")
    hz = s.horizon
    sub = f"{hz.periods} {hz.granularity}s from {hz.start}; " + sub
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
    head.blocks.append(_shortfall_block(short, s))
    total = float(s.total_cost_usd or 0.0)
    cost_rows = [[k, usd(v), pct(float(v or 0) / spend if spend else None)]
                 for k, v in (("capex", b.capex), ("energy", b.energy), ("opex", b.opex))]
    cost_rows.append(["spend", usd(spend), pct(1.0 if spend else None)])
    if penalty:
        cost_rows.append(["unmet-demand penalty (a price the scenario sets, not money)",
                          usd(penalty), "-"])
        cost_rows.append(["objective (spend + penalty)", usd(total), "-"])
    head.blocks.append(Table(
        ["cost item", "USD", "share of spend"], cost_rows,
        "lrr", "Spend over the horizon (the objective's terms: discounted, capex as the "
               "scenario accounts it)"))
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
    pp = pf.purchase_plan
    if len(pp):
        by_p = pp.groupby("period", sort=False).agg(
            units=("units", "sum"), capex=("capex_usd", "sum"))
        charged = (pp.groupby("period", sort=False)["capex_charged_usd"].sum()
                   if "capex_charged_usd" in pp else None)
        rows = []
        for p in sorted(by_p.index, key=lambda x: periods.index(x) if x in periods else 0):
            r = by_p.loc[p]
            rows.append([p, f"{int(r['units']):,}", usd(r["capex"]),
                         usd(charged.loc[p]) if charged is not None else "-"])
        head.blocks.append(Table(["period", "units bought", "capex (cash)",
                                  "capex charged in the horizon"], rows, "lrrr",
                                 "Capex by period"))
    sections.append(head)

    # ---- purchase plan
    sec = Section("Purchase plan", "purchases")
    if len(pp):
        sec.blocks.append(Table(
            ["period", "hall", "system", "units", "capex (cash)"],
            [[r.period, r.site, r.system, f"{int(r.units):,}", usd(r.capex_usd)]
             for r in pp.itertuples()], "lllrr"))
    else:
        sec.blocks.append(
            "No purchases in the best plan found so far (not proven optimal)."
            if standing != "optimal" else
            "No purchases: the installed fleet, with the shortfall above, is the least-cost "
            "plan." if short.classes_short else
            "No purchases: the installed fleet serves all demand at least cost.")
    sections.append(sec)

    # ---- charts
    sec = Section("Fleet, power and demand over time", "charts")
    fl = pf.fleet
    systems = list(dict.fromkeys(fl["system"].tolist()))
    mw = {(str(p), str(g)): float(v) / 1000.0
          for (p, g), v in fl.groupby(["period", "system"])["power_kw"].sum().items()}
    units = {(str(p), str(g)): float(v)
             for (p, g), v in fl.groupby(["period", "system"])["units"].sum().items()}
    series = [(g, [mw.get((p, g), 0.0) for p in periods]) for g in systems]
    sec.blocks.append(Chart(
        svg.stacked_bars("Fleet mix over time: IT power in service by system", "MW",
                         periods, series, "MW"),
        "Fleet mix: nameplate IT power of the units in service each period, stacked by "
        "system (hover a bar for its value).",
        Table(["period"] + systems,
              [[p] + [f"{int(units.get((p, g), 0)):,} ({mw.get((p, g), 0.0):,.3g} MW)"
                      for g in systems] for p in periods],
              "l" + "r" * len(systems), "Units in service (MW) by period and system")))
    st = pf.sites
    lim_all = pf.limits
    binds: set[tuple[str, str]] = set()
    if lim_all is not None and len(lim_all):
        pw_rows = lim_all[(lim_all["limit"] == "power") & lim_all["binding"].map(_truthy)]
        binds = {(str(r.site), str(r.period)) for r in pw_rows.itertuples()}
    for site in list(dict.fromkeys(st["site"].tolist())):
        rows_s = st[st["site"] == site].set_index("period")
        used = [float(rows_s.loc[p, "power_kw"]) / 1000 if p in rows_s.index else 0.0
                for p in periods]
        cap = [float(rows_s.loc[p, "power_cap_kw"]) / 1000 if p in rows_s.index else 0.0
               for p in periods]
        sec.blocks.append(Chart(
            svg.bars_vs_line(f"Power used against the cap: {site}", "MW", periods,
                             [("power used", used)], [("power cap", cap)], "MW",
                             highlight=[(site, p) in binds for p in periods],
                             highlight_label="cap binds"),
            f"{site}: nameplate IT power of the fleet against the hall's power cap"
            + ("; red bars: periods where the cap binds." if any(
                (site, p) in binds for p in periods) else "."),
            Table(["period", "used MW", "cap MW", "used"],
                  [[p, f"{u:,.4g}", f"{c:,.4g}", pct(u / c if c else None)]
                   for p, u, c in zip(periods, used, cap, strict=True)], "lrrr",
                  f"Power at {site}")))
    sv = pf.service
    for model in list(dict.fromkeys(sv["model"].tolist())):
        rows_m = sv[sv["model"] == model].groupby("period")[
            ["demand_tokens_per_s", "served_tokens_per_s", "unmet_tokens_per_s"]].sum()
        dem = [float(rows_m.loc[p, "demand_tokens_per_s"]) if p in rows_m.index else 0.0
               for p in periods]
        srv = [float(rows_m.loc[p, "served_tokens_per_s"]) if p in rows_m.index else 0.0
               for p in periods]
        sec.blocks.append(Chart(
            svg.bars_vs_line(f"Demand and served tokens/s: {model}", "tokens/s", periods,
                             [("served", srv)], [("demand", dem)], "tokens/s"),
            f"{model}: tokens/s served each period against the demand forecast.",
            Table(["period", "demand tokens/s", "served tokens/s", "served"],
                  [[p, num(d), num(x), pct(x / d if d else None)]
                   for p, d, x in zip(periods, dem, srv, strict=True)], "lrrr",
                  f"Demand and service: {model}")))
    sections.append(sec)

    # ---- limits
    sec = Section("Which limits bind, and when", "limits")
    lim = pf.limits
    if lim is None:
        lim = _power_binding_fallback(pf)
        sec.blocks.append("limits.csv is not in the plan folder: only power is shown, "
                          "binding when within 2% of the cap.")
    else:
        sec.blocks.append("A power or floor-space limit binds when the headroom left is "
                          "below one unit of the largest system the hall can hold; a budget "
                          "when the money left buys no unit of the dearest system; supply "
                          "when the units bought reach the cap; an interactivity SLO when "
                          "it holds a serving system below its best throughput.")
    bind = lim[lim["binding"].map(_truthy)] if len(lim) else lim
    rows = []
    if len(bind):
        keys = ["limit", "site", "system", "model"]
        for key, grp in bind.groupby(keys, sort=False):
            limit, site, system, model = (str(k) for k in key)
            where = " / ".join(x for x in (site, system, model) if x) or "all halls"
            worst = grp.iloc[grp["used"].astype(float).argmax()] if limit != "slo" else (
                grp.iloc[(grp["used"].astype(float) / grp["cap"].astype(float).where(
                    grp["cap"].astype(float) > 0, 1.0)).argmin()])
            rows.append([LIMIT_NAMES.get(limit, limit), where,
                         ranges(grp["period"].astype(str).tolist(), periods + ["all"]),
                         _fmt_used(limit, float(worst["used"]), float(worst["cap"])),
                         str(worst.get("note", "") or "")])
        sec.blocks.append(Table(["limit", "where", "binds in", "used (tightest period)",
                                 "note"], rows, "lllrl"))
    else:
        sec.blocks.append("No limit binds: the plan is shaped by cost alone.")
    not_binding = sorted(set(LIMIT_NAMES) & set(lim["limit"].astype(str))
                         - set(bind["limit"].astype(str) if len(bind) else []))
    if not_binding:
        sec.blocks.append("Checked and never binding: " + ", ".join(
            LIMIT_NAMES[x] for x in not_binding) + ".")
    sections.append(sec)

    # ---- unmet demand
    sec = Section("Unmet demand", "unmet")
    un = sv[sv["unmet_tokens_per_s"].astype(float) > 1e-9]
    if len(un):
        pen = "unmet_penalty_usd" in un
        sec.blocks.append(Table(
            ["period", "model", "SLO tokens/s/user", "demand tokens/s", "served tokens/s",
             "unmet tokens/s", "penalty"],
            [[r.period, r.model, f"{float(r.min_tokens_per_s_per_user):g}"
              if "min_tokens_per_s_per_user" in un else "-", num(r.demand_tokens_per_s),
              num(r.served_tokens_per_s), num(r.unmet_tokens_per_s),
              usd(r.unmet_penalty_usd) if pen else "-"] for r in un.itertuples()],
            "llrrrrr", f"{num(s.unmet_tokens)} tokens over the horizon go unserved"))
    else:
        sec.blocks.append("All demand is served in every period.")
    sections.append(sec)

    sections.append(_marginal_section(pf, periods))
    sections.append(_baseline_section(pf))
    sections.append(_notes_section(pf))
    title = f"Capacity plan: {s.scenario or pf.path.name}"
    return Report(title, sub, tiles, sections)


def _marginal_section(pf: PlanFolder, periods: list[str]) -> Section:
    sec = Section("Marginal values: what one more MW, budget or demand is worth", "marginal")
    mv = pf.marginal
    if mv is None:
        sec.blocks.append("Not computed for this plan (marginal_values.csv is absent; "
                          "`planner plan` writes it unless --no-marginals is given).")
        return sec
    if not len(mv):
        sec.blocks.append("No marginal values: the plan had no solution to start from.")
        return sec
    sec.blocks.append(
        "Each value is measured by re-solving the plan's own model with one limit moved: "
        "the model is built once, kept in one HiGHS instance, each what-if changes only the "
        "bounds of the rows concerned (power rows in kW, budget rows in $M, demand rows in "
        "Mtok/s) and is warm-started from the plan (for more demand, the plan with the extra "
        "demand booked as unmet). The value is the difference of the two optimal costs: "
        "cost saved for more power or budget, cost added for more demand. Beside it, the "
        "quick estimate from the LP relaxation: integrality relaxed on the same instance, "
        "row duals times the step. The LP estimate prices an infinitesimal step of a "
        "problem with fractional units; the re-solved value is the real MILP answer, exact "
        "up to the solver's MIP gap.")
    rows = []
    for r in mv.itertuples():
        kind = str(r.kind)
        if kind == "power_mw":
            what = (f"+1 MW at {r.site} in {r.period}" if r.period != "all"
                    else f"+1 MW at {r.site} in every period")
            per = f"{usd(r.value_per_unit_usd)} per MW"
        elif kind == "budget":
            what = f"+10% budget ({str(getattr(r, 'limit', '')).replace('+', ' and ')})"
            per = f"{usd_small(r.value_per_unit_usd)} per $ of cap"
        else:
            what = f"+1% demand of {r.model} (every period)"
            per = f"{usd_small(r.value_per_unit_usd)} per Mtok"
        rows.append([what, usd(r.value_usd), usd(getattr(r, "spend_change_usd", math.nan)),
                     usd(getattr(r, "penalty_change_usd", math.nan)),
                     num(getattr(r, "extra_tokens_served", math.nan)),
                     usd(r.lp_dual_estimate), per, str(r.method)])
    sec.blocks.append(Table(["step", "re-solved value", "spend change", "penalty change",
                             "extra tokens served", "LP-dual estimate", "per unit",
                             "method"], rows, "lrrrrrrl",
                            "Value: cost saved by the step (for demand: cost added), USD "
                            "over the horizon; what it is made of: the change of spend "
                            "(money: capex, energy, opex; + is more spent), the change of "
                            "the unmet penalty (a price the scenario sets) and the tokens "
                            "served in addition"))
    pw = mv[(mv["kind"] == "power_mw") & (mv["period"] != "all")]
    pw = pw[pd.to_numeric(pw["value_usd"], errors="coerce").notna()]
    if len(pw):  # values not re-solved (time budget spent) are blank: not candidates
        best = pw.loc[pd.to_numeric(pw["value_usd"]).idxmax()]
        if float(best["value_usd"]) > 0:
            sec.blocks.append(f"The most valuable MW is at {best['site']} in {best['period']}: "
                              f"{usd(best['value_usd'])} saved"
                              + _split_text(best) + ".")
    return sec


SAME_WITHIN_TOLERANCE = "none: same within solver tolerance"


def _bought_systems(pf: PlanFolder) -> list[str]:
    """System types the optimised plan buys (from purchase_plan.csv), in plan order."""
    pp = pf.purchase_plan
    if not len(pp) or "system" not in pp or "units" not in pp:
        return []
    units = pd.to_numeric(pp["units"], errors="coerce").fillna(0.0)
    return list(dict.fromkeys(pp.loc[units > 0, "system"].astype(str)))


def _num_or_nan(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f if math.isfinite(f) else math.nan


def _saving_cell(v: Any) -> str:
    f = _num_or_nan(v)
    if math.isnan(f):
        return "-"
    return SAME_WITHIN_TOLERANCE if f == 0 else usd(f)


def _saving_text(row: Any, opt: Any, what: str, subject: str) -> str:
    """One sentence: what the optimised plan saves against a baseline row, split into
    spend and avoided unmet-demand penalty when baselines.csv carries them."""
    tot, sav = _num_or_nan(row["total_cost_usd"]), _num_or_nan(row["savings_usd"])
    if sav == 0:
        return f"{what} at {usd(tot)} costs the same as the optimised plan within solver " \
               f"tolerance."
    if sav < 0:
        return (f"{what} at {usd(tot)} costs {usd(-sav)} less than the optimised plan: the "
                f"optimised solve stopped short of its optimum (see its status and gap).")
    if opt is None:
        return (f"{what} at {usd(tot)}; {subject} saves {usd(sav)} "
                f"({pct(sav / tot if tot else None)}).")
    spend, o_spend = _num_or_nan(row.get("spend_usd")), _num_or_nan(opt.get("spend_usd"))
    d_pen = (_num_or_nan(row.get("unmet_penalty_usd"))
             - _num_or_nan(opt.get("unmet_penalty_usd")))
    d_spend = spend - o_spend
    if math.isnan(d_spend) or math.isnan(d_pen) or abs(d_pen) <= 1e-9 * max(abs(tot), 1.0):
        # no shortfall difference: the saving is money
        base = tot if math.isnan(spend) else spend
        return (f"{what} spends {usd(base)}; {subject} spends {usd(sav)} less "
                f"({pct(sav / base if base else None)}).")
    unmet, o_unmet = (_num_or_nan(row.get("unmet_tokens")),
                      _num_or_nan(opt.get("unmet_tokens")))
    more = "more" if d_spend >= 0 else "less"
    return (f"{what} spends {usd(spend)} ({usd(abs(d_spend))} {more} than {subject}) and "
            f"leaves {num(unmet)} tokens unserved against {num(o_unmet)}; priced at the "
            f"scenario's unmet penalty (a price it sets, not money) that shortfall costs "
            f"{usd(abs(d_pen))} {'more' if d_pen >= 0 else 'less'}, so its total is "
            f"{usd(tot)}, {usd(sav)} above {subject}'s.")


def _baseline_section(pf: PlanFolder) -> Section:
    sec = Section("Against simpler plans", "baselines")
    bl = pf.baselines
    if bl is None or not len(bl):
        sec.blocks.append("Not computed for this plan (baselines.csv is absent).")
        return sec
    sec.blocks.append(
        "Single-system: what if every new purchase had been one system type? The same "
        "scenario with purchases restricted to that type, planned optimally; the installed "
        "base stays and keeps serving. Greedy: period by period, serve each demand from the "
        "standing fleet (the installed base first), then buy the system with the lowest "
        "cost per token (USD per unit-hour over tokens per unit-hour) where it fits, as "
        "many units as cover the rest within power, space, supply and budget; its "
        "purchases are then costed by the planner's model. Spend: capex, energy and opex; "
        "total cost adds the unmet-demand penalty. Savings: what the optimised plan costs "
        "less than each; a difference within the solves' MIP gap is no saving (shown as "
        "the same within solver tolerance).")
    rows = []
    for r in bl.itertuples():
        rows.append([str(r.baseline), str(r.system), str(r.status), usd(r.total_cost_usd),
                     usd(getattr(r, "spend_usd", math.nan)),
                     usd(getattr(r, "unmet_penalty_usd", math.nan)),
                     usd_small(r.cost_per_mtok_usd),
                     num(getattr(r, "unmet_tokens", math.nan)),
                     _saving_cell(r.savings_usd) if r.baseline != "optimised" else "-"])
    sec.blocks.append(Table(["plan", "system", "status", "total cost", "spend",
                             "unmet penalty", "USD per Mtok", "unmet tokens",
                             "optimised plan saves"], rows, "lllrrrrrr"))
    opt_rows = bl[bl["baseline"] == "optimised"]
    opt = opt_rows.iloc[0] if len(opt_rows) else None
    solved = bl[(bl["baseline"] != "optimised")
                & pd.to_numeric(bl["savings_usd"], errors="coerce").notna()]
    singles = solved[solved["baseline"] == "single-system"]
    bought = _bought_systems(pf)
    texts: list[str] = []
    if not bought:
        texts.append("The optimised plan buys no new units: the installed fleet (or leaving "
                     "demand unmet) is cheapest, and every single-system plan could do the "
                     "same.")
    elif len(bought) == 1:
        g = bought[0]
        own = singles[singles["system"] == g]
        sav = _num_or_nan(own.iloc[0]["savings_usd"]) if len(own) else 0.0
        if not len(own):
            texts.append(f"The optimised plan buys only {g}, so it is the {g}-only plan "
                         f"too (that baseline was not solved here).")
        elif sav == 0:
            texts.append(f"The optimised plan buys only {g}; the {g}-only baseline is the "
                         f"same plan (same cost within solver tolerance), not a saving.")
        else:
            texts.append(f"The optimised plan buys only {g}; the {g}-only baseline could "
                         f"make the same plan, yet differs from it by {usd(sav)} (status "
                         f"{own.iloc[0]['status']}): one of the two solves stopped short of "
                         f"its optimum.")
        singles = singles[singles["system"] != g]
    else:
        texts.append(f"The optimised plan buys a mix: {', '.join(bought)}.")
    subject = "the optimised mix" if len(bought) > 1 else "the optimised plan"
    if len(singles):
        best = singles.loc[pd.to_numeric(singles["total_cost_usd"]).idxmin()]
        what = ("Best single-system plan" if len(bought) != 1
                else "Best single-system plan of another system")
        texts.append(_saving_text(best, opt, f"{what}: {best['system']}", subject))
    greedy = solved[solved["baseline"] == "greedy"]
    if len(greedy):
        gs = str(greedy.iloc[0]["system"])
        texts.append(_saving_text(greedy.iloc[0], opt, "Greedy (buying nothing)"
                                  if gs in ("none", "") else f"Greedy ({gs})", subject))
    sec.blocks.append(" ".join(texts))
    return sec


def _notes_section(pf: PlanFolder) -> Section:
    s = pf.summary
    sec = Section("How to read this report", "notes")
    items = [
        "Costs are the objective's: each period discounted at the scenario's rate, capex "
        "charged upfront or as the depreciation inside the horizon (amortized), energy at "
        "each hall's PUE and price, fixed opex, and the unmet-demand penalty.",
        "Cost per million tokens = (total cost without the unmet penalty) / tokens served "
        "x 1e6.",
        "Tokens/s per MW = tokens/s served / MW of IT power in service, summed over periods.",
        "Power is nameplate IT power of the units in service, against each hall's power_mw.",
        "Every figure is read from the plan folder (CSV tables and summary.json); "
        "`planner report DIR` rebuilds this report from them.",
    ]
    ms = s.model_size
    if ms is not None:
        items.append(f"Model size: {ms.columns} columns, {ms.rows} rows, "
                     f"{ms.nonzeros} nonzeros; solver {s.solver_status}.")
    sec.blocks.append(Bullets(items))
    return sec
