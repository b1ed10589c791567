"""The report's sections on the analyses: marginal values (marginal_values.csv) and the
plan against simpler ones (baselines.csv).

Both tables are written beside the plan by `planner plan` (`planner.report.plan_set`); a
plan folder without them says so.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from planner.fmt import is_number, num, pct, usd, usd_small
from planner.report.document import Section, Table
from planner.report.folder import PlanFolder


def marginal_section(pf: PlanFolder) -> Section:
    """Marginal values: each step re-solved and its LP-dual estimate, what each is made
    of, and the most valuable MW."""
    sec = Section("Marginal values: what one more MW, budget or demand is worth", "marginal")
    mv = pf.marginal
    why = _skipped(pf, "marginal_values")
    if mv is None:
        sec.blocks.append(f"Not computed for this plan: {why}." if why else
                          "Not computed for this plan (marginal_values.csv is absent; "
                          "`planner plan` writes it unless --no-marginals is given).")
        return sec
    if why:  # cut short by the time limit: some steps keep their LP estimate only
        sec.blocks.append(f"**Incomplete:** {why}.")
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
    budget = budget_sentence(pf)
    if budget:
        sec.blocks.append(budget)
    rows = [_marginal_row(r) for r in mv.itertuples()]
    head = ["step", "re-solved value", "spend change", "penalty change",
            "extra tokens served", "LP-dual estimate", "per unit", "method"]
    if "margin_change_usd" in mv.columns:  # D. prices: values are margin
        sec.blocks.append(
            "The demand carries token prices (usd_per_mtok): unserved priced demand is "
            "revenue lost, so these values are margin, not penalty avoided. **Margin "
            "change** is the revenue the step gains less the spend it adds (money).")
        head.append("margin change")
        rows = [[*row, usd(r.margin_change_usd)]
                for row, r in zip(rows, mv.itertuples(), strict=True)]
    sec.blocks.append(Table(head, rows, "lrrrrrrl" + "r" * (len(head) - 8),
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


def budget_sentence(pf: PlanFolder) -> str | None:
    """The analyses' time budget (summary.json's ``analysis_budget``) and how many steps
    were re-solved; None when not recorded."""
    b = pf.summary.analysis_budget
    if not b:
        return None
    text = f"**Time budget of the analyses:** {num(b.get('budget_s'))} s ({b.get('rule')})."
    mv = pf.marginal
    if mv is not None and len(mv):
        solved = int(pd.to_numeric(mv["value_usd"], errors="coerce").notna().sum())
        text += (f" {solved} of {len(mv)} steps re-solved; the others keep their LP "
                 "estimate, and `method` says why (below the solver's noise, or the "
                 "budget spent).")
    return text


def _skipped(pf: PlanFolder, name: str) -> str | None:
    """Why an analysis was not computed, or not in full (summary.json's
    ``analyses_skipped``: a weak time-limited plan, or the run's time limit), without its
    leading "not computed: " (the report's sentence says it)."""
    why = (pf.summary.analyses_skipped or {}).get(name)
    return None if why is None else why.removeprefix("not computed: ")


def _marginal_row(r: Any) -> list[str]:
    """One row of marginal_values.csv as the report shows it."""
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
    return [what, usd(r.value_usd), usd(getattr(r, "spend_change_usd", math.nan)),
            usd(getattr(r, "penalty_change_usd", math.nan)),
            num(getattr(r, "extra_tokens_served", math.nan)),
            usd(r.lp_dual_estimate), per, str(r.method)]


def _split_text(r: Any) -> str:
    """What a marginal value is made of, for a row that carries the split: more spend,
    penalty avoided, tokens served in addition."""
    sp, pe, tk = (r.get("spend_change_usd"), r.get("penalty_change_usd"),
                  r.get("extra_tokens_served"))
    if not (is_number(sp) and is_number(pe)) or not float(pe):
        return ""
    return (f": the unmet penalty changes by {usd(pe)} (a price the scenario sets), spend "
            f"by {usd(sp)}, and {num(tk)} more tokens are served")


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


def baseline_section(pf: PlanFolder) -> Section:
    """The optimised plan against single-system and greedy plans: the table, then what
    the optimised plan buys and saves, in words."""
    sec = Section("Against simpler plans", "baselines")
    bl = pf.baselines
    why = _skipped(pf, "baselines")
    if bl is None or not len(bl):
        sec.blocks.append(f"Not computed for this plan: {why}." if why else
                          "Not computed for this plan (baselines.csv is absent).")
        return sec
    if why:  # cut short by the time limit: some baseline plans were not solved
        sec.blocks.append(f"**Incomplete:** {why}.")
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
    sec.blocks.append(_baseline_verdict(pf, bl))
    return sec


def _baseline_verdict(pf: PlanFolder, bl: pd.DataFrame) -> str:
    """What the optimised plan buys, and what it saves against the best single-system
    plan (of another system, when it buys one only) and the greedy plan."""
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
    return " ".join(texts)

