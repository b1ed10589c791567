"""Importers: InferenceX result rows and plain CSV -> profile (files made here)."""

import json

import pytest
import yaml
from typer.testing import CliRunner

from planner.cli import app
from planner.errors import InputError
from planner.inputs.importers.inferencex import (
    DEFAULT_HW_MAP,
    import_inferencex,
    map_hardware,
    parse_map,
)
from planner.inputs.importers.plain_csv import import_csv
from planner.inputs.importers.profile import pareto_frontier
from planner.inputs.loader import load_profile

runner = CliRunner()


def row(hw, conc, intvty, tput, model="dsr1", precision="fp8", isl=1024, osl=1024, nested=False):
    metrics = {
        "median_intvty": intvty,
        "tput_per_gpu": tput,
        "output_tput_per_gpu": tput / 2,
        "median_tpot": 1 / intvty,
    }
    base = {
        "hw": hw,
        "model": model,
        "framework": "sglang",
        "precision": precision,
        "spec_decoding": "none",
        "disagg": False,
        "isl": isl,
        "osl": osl,
        "conc": conc,
        "tp": 8,
        "ep": 1,
        "dp_attention": False,
    }
    if nested:
        base["metrics"] = metrics
        base["hardware"] = base.pop("hw")
    else:
        base.update(metrics)
    return base


@pytest.fixture
def ix_file(tmp_path):
    rows = [
        row("h200", 4, 80.0, 300.0),
        row("h200", 16, 50.0, 900.0),
        row("h200", 64, 20.0, 2000.0),
        row("h200", 32, 30.0, 800.0),  # dominated by (50, 900)
        row("b200-nb", 8, 90.0, 1500.0),
        row("b200-nb", 64, 40.0, 5000.0),
        row("b200-nb", 128, 25.0, 6000.0),
        row("mystery-chip", 8, 50.0, 100.0),
        row("h200", 16, 45.0, 9999.0, precision="fp4"),
        row("h200", 16, 45.0, 9999.0, isl=8192),
        row("h200", 16, 45.0, 9999.0, model="gptoss"),
    ]
    p = tmp_path / "agg_bmk.json"
    p.write_text(json.dumps(rows))
    return p


def test_pareto_frontier():
    pts = [(10, 100), (20, 90), (15, 50), (30, 95), (30, 10), (0, 500), (40, -1)]
    assert pareto_frontier(pts) == [(10, 100), (30, 95)]
    assert pareto_frontier([]) == []


def test_default_map_and_prefixes():
    assert DEFAULT_HW_MAP["h100"] == "hgx-h100"
    assert DEFAULT_HW_MAP["gb200"] == "gb200-nvl72"
    assert DEFAULT_HW_MAP["mi355x"] == "mi355x"
    assert map_hardware("B200-NB", DEFAULT_HW_MAP) == "hgx-b200"
    assert map_hardware("h100_cw", DEFAULT_HW_MAP) == "hgx-h100"
    assert map_hardware("tpu-v6e", DEFAULT_HW_MAP) is None
    assert parse_map(["H100=my-h100"]) == {"h100": "my-h100"}
    with pytest.raises(InputError):
        parse_map(["nonsense"])


def test_import_inferencex_filters_groups_and_frontier(ix_file):
    res = import_inferencex(ix_file, model="dsr1", precision="fp8", isl=1024, osl=1024)
    p = res.profile
    assert p.id == "dsr1-fp8"
    assert p.token_basis == "total"
    assert p.workload is not None and p.workload.input_tokens == 1024
    assert set(p.throughput) == {"hgx-h200", "hgx-b200"}
    assert [tuple(x) for x in p.throughput["hgx-h200"]] == [(20, 2000), (50, 900), (80, 300)]
    assert len(p.throughput["hgx-b200"]) == 3
    assert p.provenance["hgx-h200"].tag == "published"
    assert any("mystery-chip" in w for w in res.warnings)


def test_import_inferencex_requires_one_workload_and_precision(ix_file):
    with pytest.raises(InputError) as e:
        import_inferencex(ix_file, model="dsr1", precision="fp8")
    assert "isl" in str(e.value)
    with pytest.raises(InputError) as e:
        import_inferencex(ix_file, model="dsr1", isl=1024, osl=1024)
    assert "precision" in str(e.value)
    with pytest.raises(InputError) as e:
        import_inferencex(ix_file, model="nosuch")
    assert "dsr1" in str(e.value)


def test_import_inferencex_map_override_columns_and_nested_metrics(tmp_path):
    rows = [row("mi355x", c, 100.0 / c, 100.0 * c, nested=True) for c in (1, 2, 4)]
    p = tmp_path / "api.json"
    p.write_text(json.dumps({"data": rows}))
    res = import_inferencex(
        p, model="dsr1", hw_map={"mi355x": "my-mi355x"}, y_col="output_tput_per_gpu", profile_id="x"
    )
    assert set(res.profile.throughput) == {"my-mi355x"}
    assert res.profile.token_basis == "output"
    assert res.profile.throughput["my-mi355x"][0][1] == 200.0


def test_import_inferencex_json_lines_and_tpot_fallback(tmp_path):
    r1 = row("h100", 4, 50.0, 100.0)
    r2 = row("h100", 8, 25.0, 300.0)
    del r1["median_intvty"]
    p = tmp_path / "rows.jsonl"
    p.write_text(json.dumps(r1) + "\n" + json.dumps(r2) + "\n")
    res = import_inferencex(p, model="dsr1")
    assert [tuple(x) for x in res.profile.throughput["hgx-h100"]] == [(25, 300), (50, 100)]


def test_import_csv(tmp_path):
    p = tmp_path / "pts.csv"
    p.write_text(
        "system,interactivity,throughput\n"
        "hgx-h100,10,1000\nhgx-h100,30,600\nhgx-h100,20,500\nh200,10,2000\n"
    )
    res = import_csv(p, model="my-llm", hw_map=DEFAULT_HW_MAP, isl=1000, osl=200)
    prof = res.profile
    assert prof.id == "my-llm"
    assert [tuple(x) for x in prof.throughput["hgx-h100"]] == [(10, 1000), (30, 600)]
    assert "hgx-h200" in prof.throughput
    keep = import_csv(p, model="m", pareto=False).profile
    assert len(keep.throughput["hgx-h100"]) == 3


def test_import_csv_errors_name_line_and_column(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("system,interactivity,throughput\nhgx-h100,abc,10\n")
    with pytest.raises(InputError) as e:
        import_csv(p, model="m")
    assert "line 2" in str(e.value) and "interactivity" in str(e.value)
    q = tmp_path / "cols.csv"
    q.write_text("gpu,x,y\na,1,2\n")
    with pytest.raises(InputError) as e:
        import_csv(q, model="m")
    assert "missing column" in str(e.value)


def test_cli_import_inferencex_writes_loadable_profile(ix_file, tmp_path):
    out = tmp_path / "models" / "dsr1.yaml"
    r = runner.invoke(
        app,
        [
            "models",
            "import-inferencex",
            str(ix_file),
            "--model",
            "dsr1",
            "--precision",
            "fp8",
            "--isl",
            "1024",
            "--osl",
            "1024",
            "--map",
            "mystery-chip=mi300x",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    prof = load_profile(out)
    assert set(prof.throughput) == {"hgx-h200", "hgx-b200", "mi300x"}
    assert yaml.safe_load(out.read_text())["source"].startswith("InferenceX results file")
    r = runner.invoke(app, ["models", "validate", str(out)])
    assert r.exit_code == 0, r.output


def test_cli_import_csv_and_errors(tmp_path):
    p = tmp_path / "pts.csv"
    p.write_text("system,interactivity,throughput\nhgx-b200,10,1000\nhgx-b200,50,400\n")
    out = tmp_path / "p.yaml"
    r = runner.invoke(app, ["models", "import-csv", str(p), "--model", "m", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert load_profile(out).throughput["hgx-b200"][1][1] == 400
    r = runner.invoke(
        app,
        [
            "models",
            "import-inferencex",
            str(tmp_path / "none.json"),
            "--model",
            "x",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 2
