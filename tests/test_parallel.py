"""Many plans at once: local worker processes and a Dask cluster give the serial results."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import GROWING, TIGHT
from typer.testing import CliRunner

from planner.cli import app
from planner.whatif.cluster import ClusterError, run_dask
from planner.whatif.jobs import Job, JobResult
from planner.whatif.overlays import merge_scenario
from planner.whatif.runner import run_jobs

runner = CliRunner()



def _jobs(base: Path, powers: list[float]) -> list[Job]:
    jobs = []
    for p in powers:
        m = merge_scenario(base, [], [f"sites.hall-a.power_mw={p}"])
        jobs.append(Job(f"p{p}", m.inputs()))
    return jobs


def _stable(res: JobResult) -> tuple[Any, ...]:
    """Everything a result says except wall times."""
    summary = {k: v for k, v in (res.summary.to_json_dict() if res.summary else {}).items()
               if "seconds" not in k}
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
    costs = [r.summary.total_cost_usd for r in serial if r.summary]
    assert len(set(costs)) > 1  # the variants really differ
    # one HiGHS thread per plan unless asked
    assert all(r.summary and r.summary.solver_settings["threads"] == 1 for r in serial)


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
        assert res[1].summary and res[1].summary.solver_settings["threads"] == 0
        assert "strict_demand cannot be met" in res[2].message


class _KillsWorker(str):
    """A file text that, unpickled in a worker process, ends that process at once: a job
    carrying it always kills the worker that takes it (planned in this process, as with
    `workers=1`, it is inert text)."""

    def __reduce__(self) -> tuple[Any, ...]:

        return os._exit, (1,)


def test_a_dead_worker_fails_only_its_jobs(scenario_factory: Any) -> None:
    """Whichever worker takes which job, and whatever else is in flight when a worker
    dies, exactly the jobs that kill their worker fail; every other job gets its plan."""
    base = scenario_factory(scenario=TIGHT, demand=GROWING)
    good = _jobs(base, [0.1])[0]
    bomb = {"x.txt": _KillsWorker("x")}
    jobs = [Job("ok0", good.inputs), Job("bomb1", good.inputs, extra_files=bomb),
            Job("bomb2", good.inputs, extra_files=bomb), Job("ok3", good.inputs),
            # a warm-started chain goes to one worker as a whole: it fails as a whole
            Job("bomb4", good.inputs, extra_files=bomb),
            Job("chained5", good.inputs, warm_from_previous=True),
            Job("ok6", good.inputs)]
    done: list[int] = []
    res = run_jobs(jobs, workers=2, on_done=lambda i, r: done.append(i))
    assert sorted(done) == list(range(len(jobs)))  # every job reported once
    assert [r.name for r in res] == [j.name for j in jobs]
    failed = {"bomb1", "bomb2", "bomb4", "chained5"}
    for r in res:
        if r.name in failed:
            assert r.status.startswith("error: worker failed: "), (r.name, r.status)
            assert "ended abruptly" in r.status
            assert not r.ok
        else:
            assert r.status == "optimal", (r.name, r.status)
    costs = {r.summary.total_cost_usd for r in res if r.summary}
    assert len(costs) == 1  # the same inputs: the same plan, wherever it ran


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
