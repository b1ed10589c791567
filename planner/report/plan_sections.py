"""The report's sections on the plan itself: purchases, the fleet, power and demand over
time, which limits bind and when, unmet demand, and how to read the report.

Every figure is read from the plan folder: the plan tables, summary.json and limits.csv
(when a plan folder has no limits.csv, power is judged by
`planner.analysis.binding.nearly_full`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from planner.analysis.binding import nearly_full
from planner.core.summary import Shortfall
from planner.fmt import fixed, num, pct, sig, usd
from planner.report import svg
from planner.report.document import Bullets, Chart, Section, Table
from planner.report.folder import PlanFolder

LIMIT_NAMES = {"power": "power", "racks": "floor space (racks)",
               "budget_period": "capex budget per period", "budget_total": "total capex budget",
               "supply": "supply (units per period)", "slo": "interactivity SLO"}


def purchases_section(pf: PlanFolder, short: Shortfall, standing: str) -> Section:
    """Every purchase, or why the plan buys nothing."""
    sec = Section("Purchase plan", "purchases")
    pp = pf.purchase_plan
    if len(pp):
        sec.blocks.append(Table(
            ["in service", "order by", "hall", "system", "units", "GPUs", "capex (cash)"],
            [[r.period, _col(r, "order_by_period", "-"), r.site, r.system,
              fixed(int(r.units)), _gpus(r), usd(r.capex_usd)]
             for r in pp.itertuples()], "llllrrr"))
        sec.blocks.append("Order by: the period at whose start the order must be placed at "
                          "the latest, the period in service minus the system's lead time "
                          "in whole periods of this plan.")
    else:
        sec.blocks.append(
            "No purchases in the best plan found so far (not proven optimal)."
            if standing != "optimal" else
            "No purchases: the installed fleet, with the shortfall above, is the least-cost "
            "plan." if short.classes_short else
            "No purchases: the installed fleet serves all demand at least cost.")
    return sec


def _col(r: Any, name: str, missing: str) -> str:
    """A purchase row's text column; `missing` in a plan folder written before it existed."""
    v = getattr(r, name, None)
    return missing if v is None or v != v else str(v)


def _gpus(r: Any) -> str:
    v = getattr(r, "gpus", None)
    return "-" if v is None or v != v else fixed(int(v))


def charts_section(pf: PlanFolder) -> Section:
    """The fleet mix, each hall's power against its cap, each model's demand and service."""
    sec = Section("Fleet, power and demand over time", "charts")
    sec.blocks.append(fleet_chart(pf))
    sec.blocks.extend(_power_charts(pf))
    sec.blocks.extend(_demand_charts(pf))
    return sec


def fleet_chart(pf: PlanFolder) -> Chart:
    """The fleet mix over time: IT power in service by system (the report's chart, and a
    plan's in a notebook, `planner.report.notebook`)."""
    periods, fl = pf.periods, pf.fleet
    systems = list(dict.fromkeys(fl["system"].tolist()))
    mw = {(str(p), str(g)): float(v) / 1000.0
          for (p, g), v in fl.groupby(["period", "system"])["power_kw"].sum().items()}
    units = {(str(p), str(g)): float(v)
             for (p, g), v in fl.groupby(["period", "system"])["units"].sum().items()}
    series = [(g, [mw.get((p, g), 0.0) for p in periods]) for g in systems]
    return Chart(
        svg.stacked_bars("Fleet mix over time: IT power in service by system", "MW",
                         periods, series, "MW"),
        "Fleet mix: nameplate IT power of the units in service each period, stacked by "
        "system (hover a bar for its value).",
        Table(["period"] + systems,
              [[p] + [f"{fixed(int(units.get((p, g), 0)))} ({sig(mw.get((p, g), 0.0), 3)} MW)"
                      for g in systems] for p in periods],
              "l" + "r" * len(systems), "Units in service (MW) by period and system"))


def _power_charts(pf: PlanFolder) -> list[Chart]:
    """Per hall: power used against the cap, the periods where it binds (limits.csv)
    marked."""
    periods, st, lim_all = pf.periods, pf.sites, pf.limits
    binds: set[tuple[str, str]] = set()
    if lim_all is not None and len(lim_all):
        pw_rows = lim_all[(lim_all["limit"] == "power") & lim_all["binding"].map(_truthy)]
        binds = {(str(r.site), str(r.period)) for r in pw_rows.itertuples()}
    out = []
    for site in list(dict.fromkeys(st["site"].tolist())):
        rows_s = st[st["site"] == site].set_index("period")
        used = [float(rows_s.loc[p, "power_kw"]) / 1000 if p in rows_s.index else 0.0
                for p in periods]
        cap = [float(rows_s.loc[p, "power_cap_kw"]) / 1000 if p in rows_s.index else 0.0
               for p in periods]
        out.append(Chart(
            svg.bars_vs_line(f"Power used against the cap: {site}", "MW", periods,
                             [("power used", used)], [("power cap", cap)], "MW",
                             highlight=[(site, p) in binds for p in periods],
                             highlight_label="cap binds"),
            f"{site}: nameplate IT power of the fleet against the hall's power cap"
            + ("; red bars: periods where the cap binds." if any(
                (site, p) in binds for p in periods) else "."),
            Table(["period", "used MW", "cap MW", "used"],
                  [[p, sig(u, 4), sig(c, 4), pct(u / c if c else None)]
                   for p, u, c in zip(periods, used, cap, strict=True)], "lrrr",
                  f"Power at {site}")))
    return out


def _demand_charts(pf: PlanFolder) -> list[Chart]:
    periods, sv = pf.periods, pf.service
    out = []
    for model in list(dict.fromkeys(sv["model"].tolist())):
        rows_m = sv[sv["model"] == model].groupby("period")[
            ["demand_tokens_per_s", "served_tokens_per_s", "unmet_tokens_per_s"]].sum()
        dem = [float(rows_m.loc[p, "demand_tokens_per_s"]) if p in rows_m.index else 0.0
               for p in periods]
        srv = [float(rows_m.loc[p, "served_tokens_per_s"]) if p in rows_m.index else 0.0
               for p in periods]
        out.append(Chart(
            svg.bars_vs_line(f"Demand and served tokens/s: {model}", "tokens/s", periods,
                             [("served", srv)], [("demand", dem)], "tokens/s"),
            f"{model}: tokens/s served each period against the demand forecast.",
            Table(["period", "demand tokens/s", "served tokens/s", "served"],
                  [[p, num(d), num(x), pct(x / d if d else None)]
                   for p, d, x in zip(periods, dem, srv, strict=True)], "lrrr",
                  f"Demand and service: {model}")))
    return out


def limits_section(pf: PlanFolder) -> Section:
    """The limits that bind (from limits.csv), where, in which periods and how tight;
    then those checked and never binding."""
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
    if len(bind):
        sec.blocks.append(Table(["limit", "where", "binds in", "used (tightest period)",
                                 "note"], _binding_rows(bind, pf.periods), "lllrl"))
    else:
        sec.blocks.append("No limit binds: the plan is shaped by cost alone.")
    not_binding = sorted(set(LIMIT_NAMES) & set(lim["limit"].astype(str))
                         - set(bind["limit"].astype(str) if len(bind) else []))
    if not_binding:
        sec.blocks.append("Checked and never binding: " + ", ".join(
            LIMIT_NAMES[x] for x in not_binding) + ".")
    return sec


def _binding_rows(bind: pd.DataFrame, periods: list[str]) -> list[list[str]]:
    """One row per binding limit and place: the periods it binds in, its tightest one."""
    rows = []
    keys = ["limit", "site", "system", "model"]
    for key, grp in bind.groupby(keys, sort=False):
        limit, site, system, model = (str(k) for k in key)
        where = " / ".join(x for x in (site, system, model) if x) or "all halls"
        worst = grp.iloc[grp["used"].astype(float).argmax()] if limit != "slo" else (
            grp.iloc[(grp["used"].astype(float) / grp["cap"].astype(float).where(
                grp["cap"].astype(float) > 0, 1.0)).argmin()])
        rows.append([LIMIT_NAMES.get(limit, limit), where,
                     ranges(grp["period"].astype(str).tolist(), periods + ["all"]),
                     _used_text(limit, float(worst["used"]), float(worst["cap"])),
                     str(worst.get("note", "") or "")])
    return rows


def _power_binding_fallback(pf: PlanFolder) -> pd.DataFrame:
    """limits.csv's power rows for a plan folder without it: binding when nearly full."""
    rows = []
    for r in pf.sites.itertuples():
        binding = nearly_full(float(r.power_kw), float(r.power_cap_kw))
        rows.append(("power", r.site, "", "", r.period, float(r.power_kw),
                     float(r.power_cap_kw), "kW", binding, "within 2% of the cap"))
    return pd.DataFrame(rows, columns=["limit", "site", "system", "model", "period", "used",
                                       "cap", "unit", "binding", "note"])


def _truthy(v: Any) -> bool:
    return str(v).strip().lower() in ("true", "1", "yes")


def _used_text(limit: str, used: float, cap: float) -> str:
    """How much of a limit the plan uses, in the limit's own unit."""
    if limit == "power":
        return f"{sig(used / 1000, 3)} of {sig(cap / 1000, 3)} MW"
    if limit in ("budget_period", "budget_total"):
        return f"{usd(used)} of {usd(cap)}"
    if limit == "slo":
        return (f"{num(used)} of {num(cap)} tokens/s per GPU ({used / cap:.0%} of its best)"
                if cap > 0 else "no system meets it")
    return f"{num(used)} of {num(cap)}"


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


def unmet_section(pf: PlanFolder) -> Section:
    """Every demand class with unmet tokens, and its penalty."""
    sec = Section("Unmet demand", "unmet")
    sv = pf.service
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
            "llrrrrr", f"{num(pf.summary.unmet_tokens)} tokens over the horizon go unserved"))
    else:
        sec.blocks.append("All demand is served in every period.")
    return sec


def notes_section(pf: PlanFolder) -> Section:
    """How the figures are defined, and where they come from."""
    s = pf.summary
    sec = Section("How to read this report", "notes")
    items = [
        "Costs are the objective's: each period discounted at the scenario's rate, capex "
        "charged upfront or as the depreciation inside the horizon (amortized), energy at "
        "each hall's PUE and price, fixed opex, and the unmet-demand penalty.",
        "Cost per million tokens = (total cost without the unmet penalty) / tokens served "
        "x 1,000,000.",
        "Tokens/s per MW = tokens/s served / MW of IT power in service, summed over periods.",
        "Power is nameplate IT power of the units in service, against each hall's power_mw.",
        "Every figure is read from the plan folder (CSV tables and summary.json); "
        "`planner report DIR` rebuilds this report from them.",
    ]
    ms = s.model_size
    if ms is not None:
        items.append(f"Model size: {ms.columns} columns, {ms.rows} rows, "
                     f"{ms.nonzeros} nonzeros; solver {s.solver_status}.")
    sec.blocks.append(Bullets(items + input_notes(s)))
    sec.blocks.extend(thin_curve_blocks(pf.thin_curves, pf.periods))
    return sec


def input_notes(s: Any) -> list[str]:
    """How the inputs were read where the plan changed their form: lead times in whole
    periods, and the demand file's units, layout and periods (summary.json's
    `lead_times` and `demand_input`)."""
    out: list[str] = []
    gran = s.horizon.granularity
    leads = s.lead_times or {}
    if leads:
        words = [f"{g} {_lead_text(e, gran)}" for g, e in leads.items()]
        out.append("Lead times, in whole periods of this plan (months rounded up): "
                   + "; ".join(words) + ".")
    if s.demand_input:
        out.append("Demand as read: " + str(s.demand_input.get("statement", "")))
    return out


def _lead_text(e: dict[str, Any], gran: str) -> str:
    n = int(e.get("periods", 0))
    periods = f"{n} {gran}{'' if n == 1 else 's'}"
    if e.get("basis") == "months":
        return f"{float(e.get('months', 0)):g} months = {periods}"
    if e.get("basis") == "scenario":
        return f"{periods} (the scenario's lead_time_periods)"
    return periods


def thin_curve_why(reason: str, points: int, x: float, y: float) -> str:
    """Why a throughput is thin, in words: the point used and what is assumed."""
    point = f"{num(y)} tokens/s per GPU at {x:g} tokens/s per user"
    if reason == "single_point":
        return f"the curve has one point ({point})"
    return f"below the lowest of the curve's {points} points ({point}), read flat"


def thin_curve_blocks(tc: pd.DataFrame | None, periods: list[str]) -> list[Table | str]:
    """The data caveat of thin_curves.csv: demand served from a one-point curve or below
    a curve's lowest point, one row per model, SLO, system and capacity with the periods
    (nothing when the plan has no such demand)."""
    if tc is None or not len(tc):
        return []
    rows = []
    keys = ["model", "min_tokens_per_s_per_user", "system", "capacity"]
    for key, grp in tc.groupby(keys, sort=False):
        model, slo, system, capacity = key
        r = grp.iloc[0]
        rows.append([str(model), f"{float(slo):g}", str(system), str(capacity),
                     ranges(grp["period"].astype(str).tolist(), periods),
                     num(float(grp["tokens_per_s"].astype(float).max())),
                     thin_curve_why(str(r["reason"]), int(r["curve_points"]),
                                    float(r["point_tokens_per_s_per_user"]),
                                    float(r["point_tokens_per_s_per_gpu"]))])
    return [
        "**Throughput from thin curves.** Part of the demand is served by systems whose "
        "tokens/s per GPU at the demand's SLO rests on thin data (thin_curves.csv): a curve "
        "with one point, or an SLO below the curve's lowest point, where the planner "
        "assumes that point's throughput at every lower interactivity. On a Pareto "
        "frontier the real throughput below a point is at least as high, so these systems "
        "may be worth more than the plan credits them with, and a one-point curve says "
        "nothing of the throughput at other SLOs. Check the curves (planner models show "
        "MODEL) before relying on these purchases.",
        Table(["model", "SLO tokens/s/user", "system", "capacity", "periods",
               "tokens/s served (largest period)", "throughput used"],
              rows, "lrlllrl", "Demand served from thin curves"),
    ]
