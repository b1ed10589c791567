"""`planner.plan` as a notebook uses it: a short repr, the HTML view, DataFrames,
`result.report(DIR)` (the CLI's files), and a scenario given as a dict or a Scenario."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from conftest import GROWING, TIGHT, make_scenario
from typer.testing import CliRunner

import planner
import planner.report.notebook as notebook
from planner.cli import app
from planner.errors import InputError
from planner.fmt import num, usd, usd_small

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart" / "scenario.yaml"


@pytest.fixture(scope="module")
def quick() -> planner.Plan:
    return planner.plan(QUICKSTART)


@pytest.fixture
def short_plan(tmp_path: Path) -> planner.Plan:
    """A small plan a power cap leaves short: spend and penalty both above zero."""
    return planner.plan(make_scenario(tmp_path, scenario=TIGHT, demand=GROWING))


def test_repr_is_one_short_line(quick: planner.Plan) -> None:
    """The quick start's plan printed as text: 48,049 characters before (every table and
    the model data); now one line with the headline figures."""
    text = repr(quick)
    s = quick.summary
    assert len(text) < 400 and "\n" not in text, len(text)
    for figure in (usd(s.spend_usd), usd_small(s.cost_per_mtok_usd), s.status):
        assert figure in text
    assert len(repr(quick.tables)) < 200
    assert f"purchase_plan {len(quick.purchases)}" in repr(quick.tables)


def test_plan_is_a_plan_result_with_dataframes(quick: planner.Plan) -> None:
    assert isinstance(quick, planner.PlanResult)
    assert isinstance(quick.purchases, pd.DataFrame)
    assert quick.purchases is quick.tables.purchase_plan
    assert all(isinstance(df, pd.DataFrame) for df in quick.tables.frames().values())


def test_html_view_headline_purchases_one_chart(quick: planner.Plan) -> None:
    html = quick._repr_html_()
    s = quick.summary
    assert len(html) < 30_000, len(html)
    assert html.count("<svg") == 1 and "Fleet mix" in html
    for figure in (usd(s.spend_usd), usd_small(s.cost_per_mtok_usd), "All demand is served"):
        assert figure in html
    purchases = html.split("<h4>Purchase plan</h4>")[1].split("</table>")[0]
    assert purchases.count("<tr>") == len(quick.purchases) + 1  # the header row
    # the report's style applies inside the output only, never to the notebook around it
    css = html.split("<style>")[1].split("</style>")[0]
    rules = [r.strip() for r in re.findall(r"([^{}]+)\{", css)]
    assert rules and all(sel.strip().startswith(".planner-plan")
                         for r in rules for sel in r.split(","))


def test_html_view_spend_and_penalty_apart(short_plan: planner.Plan) -> None:
    s = short_plan.summary
    assert s.unmet_penalty_usd > 0 and s.spend_usd > 0 and s.unmet_tokens > 0
    html = short_plan._repr_html_()
    assert "Shortfall" in html.split("<div class=\"tiles\">")[0]  # said before the tiles
    tile = dict(re.findall(r'<div class="k">([^<]*)</div><div class="v">([^<]*)</div>',
                           html))
    assert tile["Spend"] == usd(s.spend_usd) != usd(s.total_cost_usd)
    assert tile["Unmet penalty (not spend)"] == usd(s.unmet_penalty_usd)
    assert tile["Unmet tokens"] == num(s.unmet_tokens)
    text = repr(short_plan)
    assert f"spend {usd(s.spend_usd)}, unmet penalty {usd(s.unmet_penalty_usd)}" in text


def test_html_view_cuts_long_purchase_tables(quick: planner.Plan,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notebook, "PURCHASE_ROWS", 3)
    purchases = quick._repr_html_().split("<h4>Purchase plan</h4>")[1].split("</table>")[0]
    assert purchases.count("<tr>") == 3 + 1
    assert f"{len(quick.purchases) - 3} more in .purchases" in purchases


def test_report_writes_what_the_cli_writes(tmp_path: Path) -> None:
    scenario = make_scenario(tmp_path / "in", scenario=TIGHT, demand=GROWING)
    res = CliRunner().invoke(app, ["plan", str(scenario), "-o", str(tmp_path / "cli")])
    assert res.exit_code == 0, res.output
    written = planner.plan(scenario).report(tmp_path / "lib")
    names = sorted(p.name for p in (tmp_path / "cli").iterdir())
    assert sorted(p.name for p in written) == names
    assert {"report.html", "limits.csv", "marginal_values.csv", "baselines.csv"} <= set(names)
    for name in names:
        a, b = (tmp_path / "cli" / name).read_bytes(), (tmp_path / "lib" / name).read_bytes()
        if name == "summary.json":  # the solve time differs from one run to the next
            ja, jb = json.loads(a), json.loads(b)
            assert ja.pop("solve_seconds") >= 0 and jb.pop("solve_seconds") >= 0
            assert ja == jb
        else:
            assert a == b, name


def test_report_says_only_what_its_own_analyses_skipped(short_plan: planner.Plan,
                                                         tmp_path: Path) -> None:
    short_plan.summary.analyses_skipped = {"baselines": "cut short by an earlier report"}
    short_plan.report(tmp_path / "out")
    assert "analyses_skipped" not in json.loads((tmp_path / "out" / "summary.json").read_text())


def test_report_refuses_an_unusable_folder(short_plan: planner.Plan, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError):
        short_plan.report(tmp_path / "file")


# ---------------------------------------------------------------- the scenario as data


def _as_dict(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def test_dict_and_scenario_object_plan_as_the_file(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_scenario(tmp_path, scenario=TIGHT, demand=GROWING)
    by_file = planner.plan(path)
    by_dict = planner.plan(_as_dict(path), base_dir=tmp_path)
    monkeypatch.chdir(tmp_path)  # relative paths: the working directory by default
    by_cwd = planner.plan(_as_dict(path))
    by_object = planner.plan(planner.load_inputs(path).scenario)
    for other in (by_dict, by_cwd, by_object):
        pd.testing.assert_frame_equal(other.purchases, by_file.purchases)
        assert other.summary.total_cost_usd == by_file.summary.total_cost_usd


def test_dict_errors_name_dict_and_field(tmp_path: Path) -> None:
    data = _as_dict(make_scenario(tmp_path))
    data["sites"][0]["power_mw"] = -1
    data["horizon"]["colour"] = "blue"
    with pytest.raises(InputError) as exc:
        planner.plan(data, base_dir=tmp_path)
    where = {(i.file, i.field) for i in exc.value.issues}
    assert ("<dict>", "sites[0].power_mw") in where
    assert any(f == "<dict>" and "colour" in (fld + m)
               for f, fld, m in ((i.file, i.field, i.message) for i in exc.value.issues))
    assert str(exc.value).startswith("<dict>: ")


def test_dict_files_resolve_against_base_dir(tmp_path: Path) -> None:
    data = _as_dict(make_scenario(tmp_path / "a"))
    with pytest.raises(InputError) as exc:
        planner.plan(data, base_dir=tmp_path)  # demand.csv is in a/, not here
    assert any(i.file == str(tmp_path.resolve() / "demand.csv")
               and "named by `demand` in <dict>" in i.message for i in exc.value.issues)
    data["demand"] = tmp_path / "a" / "demand.csv"  # a Path, as a notebook would write it
    data["catalog"] = Path("a/catalog.yaml")
    data["models"] = "a/models"
    assert planner.plan(data, base_dir=tmp_path).summary.status == "optimal"


def test_scenario_object_changed_after_validation_is_checked_again(tmp_path: Path) -> None:
    sc = planner.load_inputs(make_scenario(tmp_path)).scenario
    bad = sc.model_copy(update={"sites": [sc.sites[0].model_copy(update={"power_mw": -2})]})
    with pytest.raises(InputError) as exc:
        planner.plan(bad, base_dir=tmp_path)
    assert ("<Scenario>", "sites[0].power_mw") in {(i.file, i.field) for i in exc.value.issues}


def test_scenario_of_another_type_or_base_dir_with_a_file(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="file path, a dict or a planner Scenario"):
        planner.plan(["not", "a", "scenario"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="base_dir"):
        planner.plan(make_scenario(tmp_path), base_dir=tmp_path)


def test_every_exported_name_resolves() -> None:
    """`planner.prepare` named a module without it (planner.core.problem) until now."""
    assert sorted(planner.__all__) == sorted(planner._WHERE)
    for name in planner.__all__:
        assert getattr(planner, name) is not None, name
