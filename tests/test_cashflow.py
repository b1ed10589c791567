"""Contract v2, section F: cashflow.csv by calendar year, its reconciliation with the
objective, summary.json's npv_usd, and plan.xlsx (sheets, formats, the same bytes for
the same plan, text escaped as in the CSVs).

Test catalogue (tests/conftest.py): `new` = 15 kW, $300k, 8000 tokens/s per unit at an
SLO of 10 tokens/s per user.
"""

from __future__ import annotations

import copy
import re
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from planner.api import PlanResult, solve_data
from planner.cli import app
from planner.core.cashflow import CASHFLOW_COLUMNS
from planner.core.highs import HighsSettings
from planner.core.prepare import prepare
from planner.inputs.loader import load_inputs
from planner.io.output import plan_files
from tests.conftest import BASE_CATALOG, make_scenario

EXACT = HighsSettings(time_limit_s=30, mip_rel_gap=1e-9, random_seed=0)
ENERGY_Q = 15 / 1000 * 2190 * 100  # one `new` for a quarter at $100/MWh: $3,285


def one_new(tmp: Path, *, rate: float = 0.0, accounting: str = "upfront",
            start: str = "2027Q3", periods: int = 6, **extra: Any) -> PlanResult:
    """One `new` (opex $4k a year) serves 8000 tokens/s from the horizon start."""
    cat = copy.deepcopy(BASE_CATALOG)
    cat["systems"][1]["opex_usd_per_year"] = 4000.0
    gran = "month" if "-" in start else "quarter"
    path = make_scenario(
        tmp, catalog=cat,
        scenario={"horizon": {"start": start, "periods": periods, "granularity": gran},
                  "sites": [{"name": "hall-a", "power_mw": 1.0,
                             "electricity_usd_per_mwh": 100}],
                  "finance": {"capex_accounting": accounting, "discount_rate": rate},
                  **extra},
        demand=[(start, "m1", 8000.0, 10.0)])
    return solve_data(prepare(load_inputs(path)), EXACT)


def test_cashflow_by_calendar_year_by_hand(tmp_path: Path) -> None:
    """6 quarters from 2027Q3: 2027 holds Q3-Q4 (capex $300k, energy 2 x $3,285, opex
    2 x $1k), 2028 four quarters (energy $13,140, opex $4k). Undiscounted nets:
    -$308,570 and -$17,140; at 10% a year, d_t = 1.1^(-t/4), so 2027 discounts to
    -(304,285 + 4,285 d_1)."""
    r = one_new(tmp_path, rate=0.1)
    cf = r.tables.cashflow
    assert cf is not None
    assert list(cf.columns) == CASHFLOW_COLUMNS
    assert cf["year"].tolist() == [2027, 2028]
    assert cf["capex_usd"].tolist() == [300_000, 0]
    assert cf["energy_usd"].tolist() == pytest.approx([2 * ENERGY_Q, 4 * ENERGY_Q])
    assert cf["opex_usd"].tolist() == pytest.approx([2000, 4000])
    assert cf[["rent_usd", "resale_usd", "revenue_usd"]].to_numpy().tolist() == [[0, 0, 0]] * 2
    assert cf["net_usd"].tolist() == pytest.approx([-308_570, -17_140])
    d = [1.1 ** (-t / 4) for t in range(6)]
    disc_2027 = -(304_285 + 4_285 * d[1])
    disc_2028 = -4_285 * sum(d[2:])
    assert cf["net_discounted_usd"].tolist() == pytest.approx([disc_2027, disc_2028])
    assert cf["discount_factor"].tolist() == pytest.approx(
        [disc_2027 / -308_570, disc_2028 / -17_140])
    assert "npv_usd" not in r.summary.to_json_dict()  # no token prices


def test_discounted_net_reconciles_with_the_objective(tmp_path: Path) -> None:
    """Upfront: -(sum of net_discounted_usd) = spend (capex + energy + opex [+ resale]),
    the objective without the unmet penalty. Amortized: the objective charges capex_usd x
    a x d_t and the cash flow capex_usd x d_t: the difference is the capex after the
    horizon."""
    up = one_new(tmp_path / "up", rate=0.08)
    assert up.tables.cashflow is not None
    assert -up.tables.cashflow["net_discounted_usd"].sum() == pytest.approx(
        up.summary.spend_usd, rel=1e-12)
    am = one_new(tmp_path / "am", rate=0.08, accounting="amortized")
    cf, pp = am.tables.cashflow, am.tables.purchase_plan
    assert cf is not None
    assert cf["capex_usd"].sum() == pytest.approx(am.summary.capex_cash_usd)
    after = float(pp["capex_usd"].sum() - pp["capex_charged_usd"].sum())  # d_0 = 1
    assert -cf["net_discounted_usd"].sum() == pytest.approx(am.summary.spend_usd + after)


def test_resale_is_earned_in_the_cash_flow(tmp_path: Path) -> None:
    """3 installed `old` sold in Q2 for $150k (tests/test_refresh.py): resale_usd 150k,
    net = resale - capex = -$450k; upfront and undiscounted, the net is the objective."""
    from tests.test_refresh import full_hall

    r = solve_data(prepare(load_inputs(make_scenario(tmp_path, **full_hall(True)))), EXACT)
    cf = r.tables.cashflow
    assert cf is not None
    assert cf[["year", "capex_usd", "resale_usd", "net_usd"]].values.tolist() == [
        [2027, 600_000, 150_000, -450_000]]
    money = r.tables.money
    assert money is not None and list(money.columns) == ["period", "kind", "usd"]
    assert money[money["kind"] == "resale"].values.tolist() == [["2027Q2", "resale", -150_000]]


def test_months_fall_in_their_years(tmp_path: Path) -> None:
    r = one_new(tmp_path, start="2027-11", periods=4)
    assert r.tables.cashflow is not None
    assert r.tables.cashflow["year"].tolist() == [2027, 2028]


def test_npv_only_with_token_prices(tmp_path: Path) -> None:
    """summary.json's npv_usd: the sum of the cash flow's discounted nets, only where a
    demand row has a price (D); the revenue then shows in the cash flow."""
    from planner.api import plan

    plain = plan(make_scenario(tmp_path / "a"))
    assert plain.summary.npv_usd is None
    assert "npv_usd" not in plain.summary.to_json_dict()
    priced = plan(make_scenario(tmp_path / "b", demand=(
        "period,model,tokens_per_s,min_tokens_per_s_per_user,usd_per_mtok\n"
        "2027Q2,m1,1000,10,50\n")))
    cf = priced.tables.cashflow
    assert cf is not None and priced.summary.npv_usd is not None
    assert priced.summary.npv_usd == pytest.approx(float(cf["net_discounted_usd"].sum()))
    assert float(cf["revenue_usd"].sum()) > 0


def _sheets(xlsx: bytes) -> dict[str, str]:
    """Sheet name -> its worksheet XML."""
    z = zipfile.ZipFile(BytesIO(xlsx))
    names = re.findall(r'<sheet name="([^"]+)" sheetId="(\d+)"', z.read("xl/workbook.xml").decode())
    return {n: z.read(f"xl/worksheets/sheet{i}.xml").decode() for n, i in names}


def test_workbook_is_the_same_bytes_for_the_same_plan(tmp_path: Path) -> None:
    r = one_new(tmp_path)
    a, b = plan_files(r)["plan.xlsx"], plan_files(r)["plan.xlsx"]
    assert isinstance(a, bytes) and a == b
    r.write(tmp_path / "o1")
    r.write(tmp_path / "o2")
    written = [(tmp_path / o / "plan.xlsx").read_bytes() for o in ("o1", "o2")]
    assert written[0] == written[1] == a
    core = zipfile.ZipFile(BytesIO(a)).read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core


def test_workbook_sheets_formats_and_frozen_header(tmp_path: Path) -> None:
    r = one_new(tmp_path)
    xlsx = plan_files(r)["plan.xlsx"]
    assert isinstance(xlsx, bytes)
    sheets = _sheets(xlsx)
    assert list(sheets) == ["summary", "purchase_plan", "fleet", "allocation", "service",
                            "sites", "cashflow"]
    for xml in sheets.values():
        assert 'state="frozen"' in xml and "<cols>" in xml
    styles = zipfile.ZipFile(BytesIO(xlsx)).read("xl/styles.xml").decode()
    assert "&quot;$&quot;#,##0.00" in styles and "0.00%" in styles


def test_workbook_text_is_escaped_as_in_the_csvs(tmp_path: Path) -> None:
    evil = "=cmd|' /C calc'!A0"
    path = make_scenario(tmp_path / "sc", scenario={"sites": [{"name": evil,
                                                               "power_mw": 1.0}]})
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["plan", str(path), "-o", str(out), "--no-report"])
    assert res.exit_code == 0, res.output
    z = zipfile.ZipFile(out / "plan.xlsx")
    shared = z.read("xl/sharedStrings.xml").decode()
    assert "&apos;=cmd" in shared or "'=cmd" in shared
    assert ">=cmd" not in shared
    assert not any("<f>" in z.read(n).decode() for n in z.namelist()
                   if n.startswith("xl/worksheets/"))
    assert (out / "cashflow.csv").read_text().splitlines()[0] == ",".join(CASHFLOW_COLUMNS)


def test_workbook_leaves_out_run_times(tmp_path: Path) -> None:
    """Two solves of one scenario differ only in their run times: same workbook."""
    a, b = one_new(tmp_path / "a"), one_new(tmp_path / "b")
    b.tables.summary.solve_seconds = a.summary.solve_seconds + 1.0
    assert plan_files(a)["plan.xlsx"] == plan_files(b)["plan.xlsx"]


ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("example", ["rent-the-peak", "margin", "build-or-not", "refresh"])
def test_every_sections_money_reaches_the_cash_flow(example: str) -> None:
    """The cash flow carries each v2 section's money, undiscounted: rent (B) as the rent
    plan's payments, revenue (D) as the summary's undiscounted revenue, the blocks built
    (A) in capex at full price, the resale (C) as the retirements' resale."""
    from planner.api import plan

    r = plan(ROOT / "examples" / example / "scenario.yaml", threads=1)
    cf, t, s = r.tables.cashflow, r.tables, r.summary
    assert cf is not None and list(cf.columns) == CASHFLOW_COLUMNS
    capex = float(t.purchase_plan["capex_usd"].sum())
    if t.build_plan is not None:
        capex += float(t.build_plan["capex_usd"].sum())
    assert float(cf["capex_usd"].sum()) == pytest.approx(capex, rel=1e-9, abs=1e-6)
    rent = 0.0 if t.rent_plan is None else float(t.rent_plan["usd"].sum())
    assert float(cf["rent_usd"].sum()) == pytest.approx(rent, rel=1e-9, abs=1e-6)
    assert float(cf["revenue_usd"].sum()) == pytest.approx(s.revenue_cash_usd or 0.0,
                                                           rel=1e-9, abs=1e-6)
    resale = 0.0 if t.retirements is None else float(t.retirements["resale_usd"].sum())
    assert float(cf["resale_usd"].sum()) == pytest.approx(resale, rel=1e-9, abs=1e-6)
    assert {"rent-the-peak": rent, "margin": s.revenue_cash_usd or 0.0,
            "build-or-not": capex, "refresh": resale}[example] > 0
