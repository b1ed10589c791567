"""`planner new-hall` as one optimisation: the hall is a build decision (contract v2, A).

Test catalogue (tests/conftest.py): `new` = 15 kW, $300k, 8000 tokens/s per unit. The
base: hall-a of 15 kW (one `new`), 16000 tokens/s in 2027Q1 of 4 quarters, unmet demand
at $100/Mtok: 8000 tokens/s unmet for the quarter cost 8000 x 788.4 = $6,307,200. The new
hall hall-b builds blocks of 0.015 MW (one `new` each), at most 0.03 MW. One block and
one unit pay while 0.015 c + $300k < $6,307,200, that is below the break-even
c* = $6,007,200 / 0.015 = $400,480,000 per MW.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from planner.cli import app
from planner.whatif.hallbuild import decision_lines, run_hall_decision
from planner.whatif.variants import RunSettings

runner = CliRunner()
BREAK_EVEN = 6_007_200 / 0.015  # $400,480,000 per MW
SERIAL = RunSettings(workers=1)


def base(factory: Any, demand: float = 16000.0) -> Path:
    return factory(scenario={"sites": [{"name": "hall-a", "power_mw": 0.015}]},
                   demand=[("2027Q1", "m1", demand, 10.0)])


def build(capex: float) -> dict[str, Any]:
    return {"block_mw": 0.015, "max_mw": 0.03, "capex_usd_per_mw": capex}


def test_builds_one_block_and_says_when_it_would_stop(scenario_factory: Any) -> None:
    """At $1e7 per MW one block ($150k) and one `new` beat 8000 tokens/s unmet: build
    0.015 MW from 2027Q1; the price above which nothing is built brackets c*."""
    d = run_hall_decision(base(scenario_factory), "hall-b", build(1e7), SERIAL)
    assert d.answer == "build 0.015 MW at hall-b from 2027Q1"
    assert d.result.summary is not None
    assert abs(d.result.summary.total_cost_usd - 750_000) < 1e-3  # 300k + 150k + 300k
    assert d.breakeven is not None
    lo, hi = d.breakeven
    assert lo <= BREAK_EVEN <= hi and hi - lo < 0.02 * BREAK_EVEN
    assert "would stop paying" in decision_lines(d)[1]


def test_builds_nothing_and_says_when_it_would_start(scenario_factory: Any) -> None:
    """At $1e9 per MW a block costs $15M: build nothing (cost $300k + $6,307,200); below
    about c* building would start to pay."""
    d = run_hall_decision(base(scenario_factory), "hall-b", build(1e9), SERIAL)
    assert d.answer == "build nothing at hall-b"
    assert d.result.summary is not None
    assert abs(d.result.summary.total_cost_usd - 6_607_200) < 1e-3
    assert d.breakeven is not None
    lo, hi = d.breakeven
    assert lo <= BREAK_EVEN <= hi
    assert "would start to pay" in decision_lines(d)[1]


def test_nothing_to_gain_says_so(scenario_factory: Any) -> None:
    """8000 tokens/s: hall-a serves it all; even free MW buy nothing."""
    d = run_hall_decision(base(scenario_factory, 8000.0), "hall-b", build(1e7), SERIAL)
    assert d.answer == "build nothing at hall-b"
    assert d.breakeven is None and "does not pay even at $0 per MW" in d.breakeven_note


def test_command_prints_the_answer_and_writes_the_plan(scenario_factory: Any,
                                                       tmp_path: Path) -> None:
    out = tmp_path / "nh"
    res = runner.invoke(app, ["new-hall", str(base(scenario_factory)), "--site", "hall-b",
                              "--max-mw", "0.03", "--block-mw", "0.015", "--capex-per-mw",
                              "1e7", "--workers", "1", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "build 0.015 MW at hall-b from 2027Q1" in res.output
    assert re.search(r"above about \$[0-9,]+ per MW", res.output)
    assert (out / "plan" / "build_plan.csv").exists()
    assert (out / "new_hall.txt").read_text().startswith("build 0.015 MW at hall-b")
    assert "decision" in (out / "new_hall_probes.csv").read_text()


def test_command_needs_the_build_fields(scenario_factory: Any) -> None:
    res = runner.invoke(app, ["new-hall", str(base(scenario_factory)), "--site", "hall-b",
                              "--max-mw", "0.03"])
    assert res.exit_code == 2
    assert "--block-mw" in res.output and "--capex-per-mw" in res.output
    assert "--max-mw" not in res.output.split("needs")[-1]


def test_sensitivity_needs_sizes_and_open(scenario_factory: Any) -> None:
    res = runner.invoke(app, ["new-hall", str(base(scenario_factory)), "--site", "hall-b",
                              "--sensitivity"])
    assert res.exit_code == 2 and "--sizes and --open" in res.output


def test_sizes_and_open_still_give_the_table(scenario_factory: Any, tmp_path: Path) -> None:
    """The command's old form (--sizes, --open) runs the sensitivity table."""
    out = tmp_path / "nh"
    res = runner.invoke(app, ["new-hall", str(base(scenario_factory)), "--site", "hall-b",
                              "--sizes", "0.015", "--open", "2027Q1", "--workers", "1",
                              "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "new_hall.csv").exists() and not (out / "new_hall.txt").exists()
