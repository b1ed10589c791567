"""`planner catalog ...` and `planner models list|show|validate`."""

from typer.testing import CliRunner

from planner.cli import app
from planner.inputs.loader import builtin_catalog_path

runner = CliRunner()


def test_catalog_list_and_show():
    r = runner.invoke(app, ["catalog", "list"])
    assert r.exit_code == 0, r.output
    assert "hgx-h100" in r.output
    r = runner.invoke(app, ["catalog", "show", "gb200-nvl72"])
    assert r.exit_code == 0, r.output
    assert "published" in r.output and "capex_usd" in r.output
    assert runner.invoke(app, ["catalog", "show", "nope"]).exit_code == 2


def test_catalog_validate_ok_and_errors(tmp_path):
    r = runner.invoke(app, ["catalog", "validate", str(builtin_catalog_path())])
    assert r.exit_code == 0 and "OK" in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "systems:\n"
        "  - id: a\n    gpus_per_unit: 0\n    unit_power_kw: 1\n    capex_usd: 1\n"
        "  - id: b\n    unit_power_kw: -1\n    capex_usd: 1\n    colour: red\n"
    )
    r = runner.invoke(app, ["catalog", "validate", str(bad)])
    assert r.exit_code == 2
    out = r.output
    assert "bad.yaml" in out
    assert "gpus_per_unit" in out and "unit_power_kw" in out and "colour" in out


def test_catalog_validate_missing_file(tmp_path):
    r = runner.invoke(app, ["catalog", "validate", str(tmp_path / "none.yaml")])
    assert r.exit_code == 2


def test_models_list_show_validate(tmp_path):
    r = runner.invoke(app, ["models", "list"])
    assert r.exit_code == 0 and "deepseek-r1-fp8" in r.output
    r = runner.invoke(app, ["models", "show", "gpt-oss-120b"])
    assert r.exit_code == 0 and "hgx-b200" in r.output
    r = runner.invoke(app, ["models", "validate"])
    assert r.exit_code == 0, r.output
    bad = tmp_path / "m.yaml"
    bad.write_text("id: x\nthroughput:\n  no-such-system: [[10, 100]]\n")
    r = runner.invoke(app, ["models", "validate", str(bad)])
    assert r.exit_code == 2
    assert "no-such-system" in r.output
