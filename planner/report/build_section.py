"""The report's section on building power (contract v2, A): what is built where and when,
its MW and cost, and each hall's power used against what stands.

Only a plan of a scenario with `build:` has it (build_plan.csv in the folder); a v1
report is unchanged.
"""

from __future__ import annotations

from planner.fmt import fixed, sig, usd
from planner.report.document import Section, Table
from planner.report.folder import PlanFolder


def build_sections(pf: PlanFolder) -> list[Section]:
    """"Power to build", or nothing when the scenario builds no power."""
    bp = pf.build_plan
    if bp is None or "built_mw" not in pf.sites:
        return []
    sec = Section("Power to build", "build")
    st = pf.sites
    halls = [h for h in dict.fromkeys(st["site"].tolist())
             if (st.loc[st["site"] == h, "built_mw"] > 0).any() or (bp["site"] == h).any()]
    cb = pf.summary.cost_breakdown_usd
    if not len(bp):
        sec.blocks.append("**Build nothing**: no block of power pays for itself in this plan; "
                          "the halls' power as it stands serves the plan at least cost.")
        return [sec]
    total_mw = float(bp["mw"].sum())
    first = bp.iloc[0]
    sec.blocks.append(
        f"**Build {sig(total_mw, 4)} MW** in all, the first block at {first['site']} in "
        f"{first['period']}; build capex {usd(float(bp['capex_usd'].sum()))} (cash), "
        f"{usd(float(cb.build_capex or 0.0))} charged in the plan's cost and "
        f"{usd(float(cb.build_opex or 0.0))} fixed opex on the MW built.")
    sec.blocks.append(Table(
        ["period", "hall", "blocks", "MW", "capex (cash)"],
        [[str(r.period), str(r.site), fixed(int(r.blocks)), sig(float(r.mw), 4),
          usd(float(r.capex_usd))] for r in bp.itertuples()], "llrrr",
        "Blocks energised, by period"))
    rows = []
    for h in halls:
        s = st[st["site"] == h]
        built = float(s["built_mw"].max())
        cap = float(s["power_cap_kw"].max()) / 1000.0
        used = float(s["power_kw"].max()) / 1000.0
        rows.append([h, sig(cap - built, 4), sig(built, 4), sig(cap, 4), sig(used, 4),
                     f"{100.0 * used / cap:.0f}%" if cap > 0 else "-"])
    sec.blocks.append(Table(
        ["hall", "MW before", "MW built", "MW at the end", "peak MW used", "used of it"],
        rows, "lrrrrr", "Each hall's power: what stood, what the plan builds, and the "
        "most its fleet draws"))
    return [sec]
