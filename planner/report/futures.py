"""G. uncertain demand: the report of a plan for several futures.

The committed decision first (what to buy now), then a fan of the futures (demand and
the fleet each future gets), each future's cost, and the regret table. Rendered with
`planner.report.render` as the plan report is.
"""

from __future__ import annotations

from planner.core.futures import FuturesResult
from planner.core.futures_tables import committed_purchases, futures_table, regret_table
from planner.fmt import num, pct, usd
from planner.report.document import Block, Bullets, Chart, Report, Section, Table
from planner.report.render import to_html, to_markdown
from planner.report.svg import fan_chart


def futures_report(r: FuturesResult) -> Report:
    """The report's document (`futures_report_files` renders it)."""
    labels = r.data.labels
    now = labels[:r.commit_periods]
    head = [("expected cost", usd(r.expected_cost_usd)), ("EVPI", usd(r.evpi_usd)),
            ("VSS", "n/a" if r.vss_usd is None else usd(r.vss_usd)),
            ("futures", str(len(r.names)))]
    sub = (f"{len(r.names)} futures; decided now: {now[0]}..{now[-1]} "
           f"({r.commit_periods} of {len(labels)} periods); status {r.outcome.status}"
           + ("" if r.outcome.mip_gap is None else f", gap {pct(r.outcome.mip_gap)}"))
    return Report(f"Plan for several futures: {r.data.name or 'plan'}", sub, head,
                  [_decision(r), _fan(r), _costs(r), _regret(r), _notes(r)])


def _decision(r: FuturesResult) -> Section:
    pp = committed_purchases(r)
    now = pp[pp["committed"]]
    rows = [[str(x.period), str(x.site), str(x.system), num(x.units), usd(x.capex_usd)]
            for x in now.itertuples()]
    blocks: list[Block] = [
        f"Purchases of the first {r.commit_periods} period(s), the same in every future: "
        f"**{usd(float(now['capex_usd'].sum()))}** at purchase price. Later purchases "
        "adapt to the future that arrives (purchase_plan.csv, futures/<name>/)."]
    blocks.append(Table(["period", "site", "system", "units", "capex"], rows, "lllrr",
                        "the decision to take now") if rows else
                  "Buy nothing in these periods: waiting costs less in expectation.")
    bp = r.plans[0].tables.build_plan
    if bp is not None and len(bp):
        built = bp[bp["period"].isin(r.data.labels[:r.commit_periods])]
        if len(built):
            blocks.append(Table(["period", "site", "blocks", "MW"],
                                [[str(x.period), str(x.site), num(x.blocks), f"{x.mw:g}"]
                                 for x in built.itertuples()], "llrr", "power built now"))
    return Section("The decision to take now", "decision", blocks)


def _fan(r: FuturesResult) -> Section:
    labels = r.data.labels
    demand, fleet = [], []
    for name, plan in zip(r.names, r.plans, strict=True):
        sv = plan.tables.service.groupby("period")["demand_tokens_per_s"].sum()
        st = plan.tables.sites.groupby("period")["power_kw"].sum() / 1000.0
        demand.append((name, [float(sv.get(p, 0.0)) for p in labels]))
        fleet.append((name, [float(st.get(p, 0.0)) for p in labels]))
    return Section("The futures", "futures", [
        _chart("Demand by future", "tokens/s", labels, demand,
               "demand (tokens/s, all models) in each future; the band spans the futures"),
        _chart("Fleet by future", "MW", labels, fleet,
               "nameplate MW in service in each future's plan: the same up to the "
               "committed periods, then adapted")])


def _chart(title: str, unit: str, labels: list[str], series: list[tuple[str, list[float]]],
           caption: str) -> Chart:
    data = Table(["period", *(n for n, _ in series)],
                 [[p, *(num(v[i]) for _, v in series)] for i, p in enumerate(labels)],
                 "l" + "r" * len(series), title)
    return Chart(fan_chart(title, unit, labels, series, unit), caption, data)


def _costs(r: FuturesResult) -> Section:
    ft = futures_table(r)
    rows = [[str(x.future), pct(x.probability), usd(x.total_cost_usd), usd(x.spend_usd),
             usd(x.unmet_penalty_usd), num(x.unmet_tokens), usd(x.wait_and_see_usd),
             usd(x.regret_usd)] for x in ft.itertuples()]
    return Section("Each future", "costs", [
        f"Expected cost **{usd(r.expected_cost_usd)}**. Knowing the future in advance "
        f"would save **{usd(r.evpi_usd)}** in expectation (EVPI); planning for the mean "
        "forecast instead would cost "
        + ("an undefined amount more (its commitment fails in some future)"
           if r.vss_usd is None else f"**{usd(r.vss_usd)}** more (VSS)") + ".",
        Table(["future", "probability", "cost", "spend", "unmet penalty", "unmet tokens",
               "knowing it", "regret"], rows, "lrrrrrrr", "futures.csv")])


def _regret(r: FuturesResult) -> Section:
    rt = regret_table(r)
    head = ["plan", *r.names, "expected", "max regret"]
    rows = [[str(v) if i == 0 else ("no plan" if v is None or v != v else usd(float(v)))
             for i, v in enumerate(row)] for row in rt.itertuples(index=False)]
    blocks: list[Block] = [
        "Each plan's first-period decisions held, the rest adapted to each future: its "
        "cost there, its expected cost, and the most it costs over the plan made knowing "
        "the future (regret.csv).",
        Table(head, rows, "l" + "r" * (len(head) - 1), "regret.csv")]
    if r.regret_left_out:
        blocks.append("Left out (not evaluated in every future, see the notes): the plan "
                      "made knowing "
                      + ", ".join(r.regret_left_out) + ".")
    return Section("Regret", "regret", blocks)


def _notes(r: FuturesResult) -> Section:
    items = [f"EVPI = expected cost - sum of p x (cost of the plan made knowing each future) "
             f"= {usd(r.expected_cost_usd)} - {usd(r.wait_and_see_usd)}.",
             "VSS = expected cost of the mean-demand plan's commitment, adapted per future "
             + ("(none: it fails in some future)" if r.mean_plan_cost_usd is None else
                f"({usd(r.mean_plan_cost_usd)})") + " - expected cost of this plan.",
             *r.notes]
    return Section("Notes", "notes", [Bullets(items)])


def futures_report_files(r: FuturesResult) -> dict[str, str]:
    """report.md and report.html of a plan for several futures."""
    rep = futures_report(r)
    return {"report.md": to_markdown(rep), "report.html": to_html(rep)}
