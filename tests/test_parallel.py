"""Many plans at once: local worker processes and a Dask cluster give the serial results."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import GROWING, TIGHT
from typer.testing import CliRunner

from planner.cli import app
from planner.whatif.overlays import merge_scenario
from planner.whatif.runner import ClusterError, Job, JobResult, run_dask, run_jobs

runner = CliRunner()



def _jobs(base: Path, powers: list[float]) -> list[Job]:
    jobs = []
    for p in powers:
        m = merge_scenario(base, [], [f"sites.hall-a.power_mw={p}"])
        jobs.append(Job(f"p{p}", m.inputs()))
    return jobs


def _stable(res: JobResult) -> tuple[Any, ...]:
    """Everything a result says except wall times."""
    summary = {k: v for k, v in (res.summary or {}).items() if "seconds" not in k}
    files = {k: v for k, v in res.files.items() if k != "summary.json"}
    return res.name, res.status, summary, res.purchases, res.peak_mw, files


def test_local_workers_give_the_serial_results_in_order(scenario_factory: Any) -> None:
    base = scenario_factory(scenario=TIGHT, demand=GROWING)
    jobs = _jobs(base, [0.05, 0.1, 0.15, 0.2])
    done: list[int] = []
    serial = run_jobs(jobs, workers=1)
    parallel = run_jobs(jobs, workers=2, on_done=lambda i, r: done.append(i))
    assert sorted(done) == [0, 1, 2, 3]
    assert [r.name for r in parallel] == ["p0.05", "p0.1", "p0.15", "p0.2"]
    assert [_stable(r) for r in parallel] == [_stable(r) for r in serial]
    costs = [r.summary["total_cost_usd"] for r in serial if r.summary]
    assert len(set(costs)) > 1  # the variants really differ
    # one HiGHS thread per plan unless asked
    assert all(r.summary and r.summary["solver_settings"]["threads"] == 1 for r in serial)


def test_failures_stay_in_their_row(scenario_factory: Any) -> None:
    base = scenario_factory(scenario=TIGHT, demand=GROWING)
    strict = merge_scenario(base, [], ["options.strict_demand=true"]).inputs()
    jobs = [Job("invalid", None, "w.yaml: sites[0].power_mw: must be > 0"),
            Job("ok", _jobs(base, [0.1])[0].inputs, threads=0),
            Job("strict", strict)]
    for workers in (1, 2):
        res = run_jobs(jobs, workers=workers)
        assert [r.status for r in res] == [
            "invalid: w.yaml: sites[0].power_mw: must be > 0", "optimal", "infeasible"]
        assert res[1].summary and res[1].summary["solver_settings"]["threads"] == 0
        assert "strict_demand cannot be met" in res[2].message


class _KillsWorker(str):
    """A file text that, unpickled in a worker process, ends that process at once."""

    def __reduce__(self) -> tuple[Any, ...]:
        import os

        return os._exit, (1,)


def test_a_dead_worker_fails_only_its_job(scenario_factory: Any) -> None:
    base = scenario_factory(scenario=TIGHT, demand=GROWING)
    good = _jobs(base, [0.1])[0]
    # Planned in this process, the marker is inert text; sent to a worker, it kills it.
    bombs = [Job(f"bomb{k}", good.inputs, extra_files={"x.txt": _KillsWorker("x")})
             for k in range(3)]
    res = run_jobs([*bombs, Job("ok", good.inputs)], workers=2)
    assert [r.name for r in res] == ["bomb0", "bomb1", "bomb2", "ok"]
    failed = [r for r in res if not r.ok]
    # the worker took one of the first jobs and died with it; this process planned the rest
    assert len(failed) == 1 and failed[0].name.startswith("bomb")
    assert failed[0].status.startswith("error: worker failed")
    assert all(r.status == "optimal" for r in res if r.ok)


def test_scheduler_without_dask_says_how_to_install(scenario_factory: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    base = scenario_factory()
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if absent
    res = runner.invoke(app, ["compare", str(base), "--scheduler", "tcp://127.0.0.1:8786"])
    assert res.exit_code == 1
    assert "pip install 'planner[cluster]'" in res.output
    assert "Traceback" not in res.output


def test_unreachable_scheduler_is_a_clean_error(scenario_factory: Any) -> None:
    pytest.importorskip("distributed")
    jobs = _jobs(scenario_factory(), [1.0])
    with pytest.raises(ClusterError, match="cannot reach the Dask scheduler"):
        run_dask(jobs, "tcp://127.0.0.1:9", timeout_s=1.0)


def test_dask_local_cluster_compare_equals_serial(scenario_factory: Any, tmp_path: Path
                                                  ) -> None:
    distributed = pytest.importorskip("distributed")
    base = scenario_factory(scenario=TIGHT, demand=GROWING)
    whatifs = []
    for p in (0.1, 0.2):
        f = tmp_path / f"mw{p}.yaml"
        f.write_text(yaml.safe_dump({"sites": [{"name": "hall-a", "power_mw": p}]}))
        whatifs += ["--what-if", str(f)]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"sites": [{"name": "hall-a", "power_mw": -1}]}))
    whatifs += ["--what-if", str(bad)]
    res = runner.invoke(app, ["compare", str(base), *whatifs, "-o", str(tmp_path / "serial"),
                              "--workers", "1", "-q"])
    assert res.exit_code == 0, res.output
    sweep = ["sweep", str(base), "--vary", "sites.hall-a.power_mw=0.05:0.25:0.05",
             "--chain", "2", "-q"]
    res = runner.invoke(app, [*sweep, "-o", str(tmp_path / "sweep-serial"), "--workers", "1"])
    assert res.exit_code == 0, res.output
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        res = runner.invoke(app, ["compare", str(base), *whatifs, "-o",
                                  str(tmp_path / "dask"), "--scheduler",
                                  cluster.scheduler_address, "-q"])
        assert res.exit_code == 0, res.output
        # a sweep's warm-started chains run on the cluster too, with the serial results
        res = runner.invoke(app, [*sweep, "-o", str(tmp_path / "sweep-dask"), "--scheduler",
                                  cluster.scheduler_address])
        assert res.exit_code == 0, res.output
    assert (tmp_path / "sweep-dask" / "sweep.csv").read_bytes() == \
        (tmp_path / "sweep-serial" / "sweep.csv").read_bytes()
    s, d = tmp_path / "serial", tmp_path / "dask"
    assert (d / "comparison.csv").read_bytes() == (s / "comparison.csv").read_bytes()
    assert "invalid" in (d / "comparison.csv").read_text()
    for variant in ("base", "mw0.1", "mw0.2"):
        for name in ("purchase_plan.csv", "fleet.csv", "allocation.csv", "service.csv",
                     "sites.csv"):
            assert (d / variant / name).read_bytes() == (s / variant / name).read_bytes()
        js = json.loads((s / variant / "summary.json").read_text())
        jd = json.loads((d / variant / "summary.json").read_text())
        assert js["total_cost_usd"] == jd["total_cost_usd"]


@pytest.mark.parametrize(("argv", "started"), [
    (["compare", "b.yaml", "--what-if", "a.yaml"], True),
    (["sweep", "b.yaml", "--vary", "x=1,2", "-j", "2"], True),
    (["new-hall", "b.yaml", "--workers=3"], True),
    (["compare", "b.yaml", "--workers", "1"], False),
    (["compare", "b.yaml", "-j", "1"], False),
    (["compare", "b.yaml", "--workers=1"], False),
    (["compare", "b.yaml", "--scheduler", "tcp://h:8786"], False),
    (["compare", "--help"], False),
    (["plan", "b.yaml"], False),
    ([], False),
])
def test_worker_processes_start_early_only_when_they_will_be_used(
        argv: list[str], started: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    import planner.whatif.runner as par

    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(par, "default_workers", lambda: 2)
    monkeypatch.setattr(par, "_context", lambda: calls.append(("context",)))
    monkeypatch.setattr("multiprocessing.forkserver.ensure_running",
                        lambda: calls.append(("forkserver",)))
    par.start_early(argv)
    assert bool(calls) == started


def test_fork_server_fast_exit_is_inert_elsewhere() -> None:
    """planner._forkserver makes the fork server leave without tearing down; imported
    anywhere else it must change nothing, least of all an exit code."""
    import subprocess

    code = "import planner._forkserver as f; assert not f.in_fork_server(); raise SystemExit(3)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, check=False)
    assert proc.returncode == 3, proc.stderr
