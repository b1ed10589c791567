"""docs/seed.md: the seed article's comparison from the shipped data, as the page says.

Each figure the page quotes is recomputed here by the documented command, so the page
cannot drift from the data: when a curve or a price changes, this test names the row.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from typer.testing import CliRunner

from planner.cli import app

runner = CliRunner()

SEED = ["cost", "--model", "deepseek-r1-fp8", "--model", "deepseek-r1-fp4",
        "--usd-per-mwh", "80", "--system", "hgx-h200", "--system", "gb300-nvl72"]


def _table(*extra: str) -> pd.DataFrame:
    r = runner.invoke(app, [*SEED, *extra, "--format", "csv"])
    assert r.exit_code == 0, r.output
    return pd.read_csv(io.StringIO(r.output)).set_index("system")


def test_gb300_row_at_the_seeds_operating_point() -> None:
    t = _table("--slo", "118", "--pue", "1.36", "--pue-liquid", "1.12")
    gb = t.loc["gb300-nvl72"]
    assert gb["profile"] == "deepseek-r1-fp4"
    assert gb["tokens_per_s_per_gpu"] == pytest.approx(6000, rel=0.01)     # article: 6,000
    assert gb["kw_per_gpu_all_in"] == pytest.approx(2.10, abs=0.005)       # article: 2.1
    assert gb["usd_per_gpu_hour"] == pytest.approx(2.62, abs=0.005)
    assert round(gb["cost_per_mtok_usd"], 2) == 0.12                       # article: $0.12
    assert gb["tokens_per_s_per_mw_all_in"] == pytest.approx(2.88e6, rel=0.01)  # 2.8M
    # the H200 has no published point at this interactivity: it cannot serve
    h = t.loc["hgx-h200"]
    assert h["tokens_per_s_per_gpu"] == 0
    assert h["kw_per_gpu_all_in"] == pytest.approx(1.73, abs=0.005)        # article: 1.73


def test_cost_per_gpu_hour_reproduced_at_the_catalogues_reference_conditions() -> None:
    t = _table("--slo", "118", "--pue", "1.3")
    assert t.loc["hgx-h200", "usd_per_gpu_hour"] == pytest.approx(1.41, abs=0.005)
    assert t.loc["gb300-nvl72", "usd_per_gpu_hour"] == pytest.approx(2.65, abs=0.005)


def test_where_both_have_data_the_gap_is_the_one_the_page_quotes() -> None:
    t = _table("--slo", "31.3", "--pue", "1.36", "--pue-liquid", "1.12")
    h, gb = t.loc["hgx-h200"], t.loc["gb300-nvl72"]
    assert h["tokens_per_s_per_gpu"] == pytest.approx(2315.7)
    assert gb["tokens_per_s_per_gpu"] / h["tokens_per_s_per_gpu"] == pytest.approx(5.2, abs=0.05)
    assert (gb["tokens_per_s_per_mw_all_in"] / h["tokens_per_s_per_mw_all_in"]
            == pytest.approx(4.3, abs=0.05))
    assert h["cost_per_mtok_usd"] / gb["cost_per_mtok_usd"] == pytest.approx(2.8, abs=0.05)


def test_the_documented_command_prints_the_comparison() -> None:
    r = runner.invoke(app, [*SEED, "--slo", "118", "--pue", "1.36", "--pue-liquid", "1.12",
                            "--versus", "hgx-h200"])
    assert r.exit_code == 0, r.output
    assert "Relative to hgx-h200" in r.output
    assert "cannot meet SLO" in r.output
