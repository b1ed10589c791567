"""`planner sensitivity` in words: the headlines, and the table with human column names
that the page and the terminal show (`sensitivity.csv` keeps the tidy columns).

Spend and the unmet penalty stay apart: a change of spend is money; demand the base
plan's purchases leave unserved is told in tokens, with its penalty named as a price the
scenario sets. Differences within the plans' solver gap read "same".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from planner.fmt import num_fixed, sig_plain, usd_short
from planner.whatif.sensitivity import WRONG_PCT, Sensitivity
from planner.whatif.tables import SAME
from planner.whatif.words import diff_text, plan_headline, price_text

#: the human table's columns (page and terminal), in order
DISPLAY_COLUMNS = ["figure", "tag", "why in the run", "base value", "flips down at",
                   "flips up at", f"spend at -{WRONG_PCT:g}%", f"spend at +{WRONG_PCT:g}%",
                   f"regret at -{WRONG_PCT:g}%", f"regret at +{WRONG_PCT:g}%"]
#: the units of each catalogue field, for the base value
UNITS = {"capex_usd": "USD", "unit_power_kw": "kW", "opex_usd_per_year": "USD/year",
         "lifetime_years": "years", "throughput": "tokens/s per GPU"}


def side(sign: int) -> str:
    """The column suffix of one side: ``minus20`` or ``plus20``."""
    return f"{'minus' if sign < 0 else 'plus'}{WRONG_PCT:g}"


def pct_text(v: float) -> str:
    return f"{v:+g}%"


def base_value_text(r: Mapping[str, Any]) -> str:
    v = r.get("base_value")
    if v is None:
        return "-"
    unit = UNITS.get(str(r.get("field")), "")
    if r.get("field") == "capex_usd" or r.get("field") == "opex_usd_per_year":
        return usd_short(float(v)) + (" a year" if r.get("field") == "opex_usd_per_year"
                                      else "")
    return f"{sig_plain(float(v))} {unit}".strip()


def flip_text(r: Mapping[str, Any], key: str) -> str:
    """``-48.5% (same at -47.5%): mi355x 74% + hgx-b200 26%``, or why there is no flip."""
    pct = r.get(f"flip_{key}_pct")
    buys = str(r.get(f"flip_{key}_buys") or "")
    if pct is None:
        return buys or "-"
    same = r.get(f"flip_{key}_last_same_pct")
    held = f" (same at {pct_text(float(same))})" if same else ""
    return f"{pct_text(float(pct))}{held}: buys {buys}"


def cost_text(r: Mapping[str, Any], sign: int) -> str:
    """The re-optimised plan at one side: ``spend +$12.65M`` and, when its penalty moves,
    ``; penalty +$1.20M``."""
    s = side(sign)
    spend = r.get(f"spend_change_at_{s}_usd")
    if spend is None:
        return "-"
    text = f"spend {diff_text(spend)}"
    total, spend_v = r.get(f"cost_change_at_{s}_usd"), float(spend)
    if total is not None and float(total) != 0 and float(total) != spend_v:
        text += f"; total {diff_text(float(total))}"
    return text


def regret_text(r: Mapping[str, Any], sign: int, price: float | None = None) -> str:
    """What holding the base plan's purchases costs against re-optimising, at one side:
    ``same within solver gap``, ``spend +$18.6K``, ``spend -$0.30M; 12.00T tokens
    unserved, penalty +$1.50M at $20 per Mtok (...)``, or why there is none."""
    s = side(sign)
    total = r.get(f"regret_at_{s}_usd")
    words = str(r.get(f"regret_at_{s}") or "")
    if total is None:
        return words or "-"
    if float(total) == 0:
        return SAME
    parts = [f"spend {diff_text(r.get(f'regret_spend_at_{s}_usd'))}"]
    tok = r.get(f"regret_unmet_tokens_at_{s}")
    pen = r.get(f"regret_penalty_at_{s}_usd")
    if tok:
        parts.append(f"{num_fixed(abs(float(tok)))} tokens "
                     + ("more unserved" if float(tok) > 0 else "fewer unserved"))
    if pen:
        parts.append(f"penalty {diff_text(float(pen))} {price_text(price)}")
    return "; ".join(parts)


def display_frame(sens: Sensitivity) -> pd.DataFrame:
    """The table as a person reads it: a row per searched figure (ranked, as in the CSV),
    then the skipped ones with their reason."""
    rows = []
    for r in sens.table.to_dict(orient="records"):
        why = str(r["role"])
        if r.get("cost_per_token_ratio") is not None and r["role"] != "bought":
            why += f" ({float(r['cost_per_token_ratio']):.2f}x per token)"
        row = {"figure": r["parameter"], "tag": r["tag"], "why in the run": why,
               "base value": base_value_text(r)}
        if r["status"] != "searched":
            row.update({c: "" for c in DISPLAY_COLUMNS[4:]})
            row["flips down at"] = str(r["status"])
        else:
            row.update({
                "flips down at": flip_text(r, "down"), "flips up at": flip_text(r, "up"),
                f"spend at -{WRONG_PCT:g}%": cost_text(r, -1),
                f"spend at +{WRONG_PCT:g}%": cost_text(r, 1),
                f"regret at -{WRONG_PCT:g}%": regret_text(r, -1, sens.penalty_usd_per_mtok),
                f"regret at +{WRONG_PCT:g}%": regret_text(r, 1, sens.penalty_usd_per_mtok),
            })
        rows.append(row)
    return pd.DataFrame(rows, columns=DISPLAY_COLUMNS)


#: the terminal's table (`terminal_frame`): both sides of each question in one column
TERMINAL_COLUMNS = ["figure", "tag", "base value", "flips (down | up)",
                    f"spend at -{WRONG_PCT:g}% | +{WRONG_PCT:g}%",
                    f"regret at -{WRONG_PCT:g}% | +{WRONG_PCT:g}%"]


def terminal_frame(sens: Sensitivity) -> pd.DataFrame:
    """The searched figures, ranked, each question's two sides in one cell (the skipped
    ones are told by `skipped_lines`)."""
    rows = []
    price = sens.penalty_usd_per_mtok
    for r in sens.table.to_dict(orient="records"):
        if r["status"] != "searched":
            continue
        rows.append(dict(zip(TERMINAL_COLUMNS, [
            r["parameter"], r["tag"], base_value_text(r),
            f"{flip_text(r, 'down')} | {flip_text(r, 'up')}",
            f"{cost_text(r, -1)} | {cost_text(r, 1)}",
            f"{regret_text(r, -1, price)} | {regret_text(r, 1, price)}"], strict=True)))
    return pd.DataFrame(rows, columns=TERMINAL_COLUMNS)


def skipped_lines(sens: Sensitivity) -> list[str]:
    """The figures left out, grouped by reason: ``left out: a, b (tagged published, so
    not varied ...)``."""
    by: dict[str, list[str]] = {}
    for r in sens.table.to_dict(orient="records"):
        if r["status"] != "searched":
            by.setdefault(str(r["status"]).removeprefix("skipped: "), []).append(
                str(r["parameter"]))
    return [f"left out: {', '.join(names)} ({why})" for why, names in by.items()]


def headlines(sens: Sensitivity) -> list[str]:
    """The base plan and its decision, what was searched, the flips found, the figure
    that moves cost most and the largest regret."""
    b = sens.base
    if b.summary is None:
        return [f"base: no plan ({b.status}), so nothing to search: {b.message}".strip()]
    lines = [f"base: {b.status}, {plan_headline(b.summary, sens.penalty_usd_per_mtok)}; "
             f"buys {sens.base_buys} of its new GPUs, so its decision is "
             + ("to buy nothing" if not sens.base_decision
                else "{" + ", ".join(sorted(sens.base_decision)) + "}")]
    rows = sens.table.to_dict(orient="records")
    searched = [r for r in rows if r["status"] == "searched"]
    skipped = len(rows) - len(searched)
    near = sorted({(float(r["cost_per_token_ratio"]), str(r["system"])) for r in rows
                   if r["role"] == "nearly bought" and r["cost_per_token_ratio"] is not None})
    near_text = ", ".join(f"{g} {ratio:.2f}x" for ratio, g in near)
    chosen = "named by --param" if sens.asked else f"tags {', '.join(sens.tags)}"
    lines.append(f"searched {len(searched)} figures ({chosen}) within "
                 f"-{min(sens.range_pct, 95):g}%..+{sens.range_pct:g}%"
                 + (f"; nearly bought: {near_text} the plan's cost per token" if near_text
                    else "")
                 + (f"; {skipped} left out, each with its reason" if skipped else ""))
    flips = []
    for r in searched:
        for key in ("down", "up"):
            if r.get(f"flip_{key}_pct") is not None:
                flips.append(f"{r['parameter']} at {pct_text(float(r[f'flip_{key}_pct']))} "
                             f"(buys {r[f'flip_{key}_buys']})")
    if searched:
        lines.append("the decision flips for " + "; ".join(flips) if flips else
                     "the decision holds for every figure searched, within the range")
        top = searched[0]
        if (top.get("impact_usd") or 0) > 0:
            lines.append(f"the figure that moves the plan's cost most: {top['parameter']}: "
                         f"at -{WRONG_PCT:g}% {cost_text(top, -1)}, at +{WRONG_PCT:g}% "
                         f"{cost_text(top, 1)}")
        worst = max(((float(r.get(f"regret_at_{side(sg)}_usd") or 0.0), r, sg)
                     for r in searched for sg in (-1, 1)), key=lambda x: x[0])
        if worst[0] > 0:
            r, sg = worst[1], worst[2]
            # spend and unserved tokens apart: the total mixes money with a penalty price
            lines.append(f"the costliest to get wrong: {r['parameter']}: if it is "
                         f"{pct_text(sg * WRONG_PCT)} off, holding the base plan's "
                         "purchases instead of re-planning: "
                         f"{regret_text(r, sg, sens.penalty_usd_per_mtok)}")
        else:
            lines.append(f"being {WRONG_PCT:g}% wrong about any figure searched costs the "
                         "base plan's purchases nothing beyond solver noise")
    lines.append(f"re-solves: {sens.milp_solves - 1} MILP plans after the base plan, in "
                 f"{sens.rounds} round{'s' if sens.rounds != 1 else ''}; "
                 f"{sens.lp_solves} LP relaxations placed them")
    return lines
