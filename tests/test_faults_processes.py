"""Faults while plans run in worker processes or on Dask: signals to the caller, a killed
caller, a cluster that loses its workers. Each is produced for real, in a subprocess, and
what is checked is what a user would see: no process left behind, the exit, the output.

A "held" job keeps its worker busy until the test has acted (it records its pid and
sleeps), so no outcome depends on timing; the waits are bounds for a hung run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from planner.whatif.cluster import run_dask
from planner.whatif.jobs import Job

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")

BOUND_S = 120  # a bound for a hung run, not a timing
ROOT = Path(__file__).resolve().parent.parent

_HELD = """\
import multiprocessing, os, sys, time
from pathlib import Path
from planner.whatif.jobs import Job
from planner.whatif.runner import run_jobs

def hold(path):
    import planner.core.highs  # the solver stack, as a worker that plans has it
    Path(path).write_text(str(os.getpid()))  # this worker has its job
    time.sleep(600)

class Hold(str):  # unpickled in a worker: announces itself, then keeps the worker busy
    def __reduce__(self):
        return hold, (str(self),)

if __name__ == "__main__":
    folder = Path(sys.argv[1])
    jobs = [Job(f"j{k}", None, "held", extra_files={"m": Hold(folder / f"held{k}")})
            for k in range(3)]
    try:
        run_jobs(jobs, workers=2)
    except KeyboardInterrupt:
        left = multiprocessing.active_children()
        print("interrupted; worker processes left:", len(left),
              [(p.name, p.pid, p.exitcode) for p in left])
        sys.exit(130)
    print("finished")
"""


def _group_alive(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, from /proc."""
    alive = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(d.name))
    return alive


def _start_held(tmp_path: Path) -> subprocess.Popen[str]:
    script = tmp_path / "held.py"
    script.write_text(_HELD)
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + BOUND_S
    while not ((tmp_path / "held0").exists() and (tmp_path / "held1").exists()):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the workers never took their jobs"
        time.sleep(0.1)
    time.sleep(0.2)  # the pid is written; let the files be complete
    return proc


def _wait_group_gone(pgid: int) -> list[int]:
    deadline = time.monotonic() + 30
    while (left := _group_alive(pgid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_workers_die_with_their_parent(tmp_path: Path, sig: int) -> None:
    """SIGTERM or kill -9 to the caller alone (not its process group) while both workers
    are busy: no worker, resource tracker or other helper process survives it."""
    proc = _start_held(tmp_path)
    try:
        workers = [int((tmp_path / f"held{k}").read_text()) for k in (0, 1)]
        assert all(w in _group_alive(proc.pid) for w in workers)
        os.kill(proc.pid, sig)
        _, err = proc.communicate(timeout=BOUND_S)
        # SIGTERM: the workers are ended, then the caller exits 143 through a normal
        # shutdown (no traceback, no "leaked" warning); kill -9: the kernel ends them
        assert proc.returncode == (143 if sig == signal.SIGTERM else -sig), err
        if sig == signal.SIGTERM:
            assert "Traceback" not in err and "leaked" not in err, err
        left = _wait_group_gone(proc.pid)
        assert not left, f"processes left behind: {left}"
    finally:
        if _group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.parametrize("attempt", range(3))
def test_ctrl_c_stops_the_workers_without_tracebacks(tmp_path: Path, attempt: int) -> None:
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) while both
    workers are busy: the caller gets KeyboardInterrupt, nothing prints a traceback, the
    queued job never started, and no process of the run is left (read from /proc, so a
    worker still being reaped at the instant of the print does not count). Three times:
    it once hung, when the interrupt was raised inside the pool's own code."""
    proc = _start_held(tmp_path)
    try:
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=BOUND_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, (out, err)
    assert "interrupted; worker processes left:" in out
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "leaked" not in err, err  # no resource tracker warning either
    assert not (tmp_path / "held2").exists()  # the queued job was never started
    if Path("/proc/self/stat").exists():  # every worker and helper process is gone
        assert not _wait_group_gone(proc.pid)


def _bounded(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """fn(...) in a thread, failing the test (instead of hanging it) past BOUND_S."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(BOUND_S)
    assert not t.is_alive(), "the run hung"
    if "error" in box:
        raise box["error"]
    return box["value"]


def test_a_dask_cluster_without_workers_fails_the_jobs_instead_of_hanging() -> None:
    """The last worker of the cluster gone: the jobs not done fail with a message after
    `no_workers_timeout_s`; the run returns."""
    distributed = pytest.importorskip("distributed")
    jobs = [Job("a", None, "not loaded"), Job("b", None, "not loaded")]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  protocol="tcp", host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        first = _bounded(run_dask, jobs, cluster.scheduler_address)
        assert [r.status for r in first] == ["invalid: not loaded"] * 2  # workers ran them
        cluster.scale(0)
        with distributed.Client(cluster.scheduler_address) as client:
            deadline = time.monotonic() + BOUND_S
            while client.scheduler_info()["workers"] and time.monotonic() < deadline:
                time.sleep(0.1)
        res = _bounded(run_dask, jobs, cluster.scheduler_address, no_workers_timeout_s=2.0)
    assert [r.name for r in res] == ["a", "b"]
    for r in res:
        assert r.status.startswith("error: the Dask cluster at ")
        assert "had no worker for" in r.status and not r.ok


#: a Ctrl-C arrives while HiGHS is searching (its first simplex callback, else as its
#: first run returns); the scripts
#: below append what runs the solve
_SIGINT_IN_HIGHS = """\
import os, signal, sys
import highspy

# Ctrl-C as a terminal delivers it: a test run started in the background inherits SIGINT
# ignored (a non-interactive shell ignores it for its background jobs, and Python keeps
# an ignored SIGINT ignored), so the planner would rightly never see it
signal.signal(signal.SIGINT, signal.default_int_handler)
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

real_run = highspy.Highs.run

def run(self):
    sent = []
    def once(e):
        if not sent:
            sent.append(1)
            os.kill(os.getpid(), signal.SIGINT)
    self.cbSimplexInterrupt.subscribe(once)
    try:
        out = real_run(self)
    finally:
        self.cbSimplexInterrupt.unsubscribe(once)
    # a model HiGHS solves without a simplex callback (presolve alone, or a run cut
    # short): the Ctrl-C arrives as the run returns, still inside the solve stage
    once(None)
    return out

highspy.Highs.run = run
"""

_CTRL_C_IN_SOLVE = _SIGINT_IN_HIGHS + """\
from planner.api import plan

try:
    plan(sys.argv[1], threads=1)
except KeyboardInterrupt:
    print("interrupted")
    sys.exit(130)
print("finished")
"""


def test_ctrl_c_during_the_solve_is_an_interrupt_not_a_solver_failure(
        tmp_path: Path, scenario_factory: Any) -> None:
    script = tmp_path / "solve.py"
    script.write_text(_CTRL_C_IN_SOLVE)
    res = subprocess.run([sys.executable, str(script), str(scenario_factory())],
                         capture_output=True, text=True, timeout=BOUND_S)
    assert res.returncode == 130, (res.stdout, res.stderr)
    assert "interrupted" in res.stdout
    assert "Traceback" not in res.stderr, res.stderr


_CTRL_C_CLI = _SIGINT_IN_HIGHS + """\
from planner.cli import main
sys.argv = ["planner", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("existing", [False, True])
def test_ctrl_c_in_planner_plan_exits_130_and_changes_nothing(
        tmp_path: Path, scenario_factory: Any, existing: bool) -> None:
    """`planner plan` interrupted during the solve: exit 130, one line saying what was
    stopped and that nothing was written, no traceback; the output folder as it was."""
    script = tmp_path / "cli.py"
    script.write_text(_CTRL_C_CLI)
    out = tmp_path / "out"
    if existing:
        out.mkdir()
        (out / "summary.json").write_text("{}\n")
    res = subprocess.run([sys.executable, str(script), "plan", str(scenario_factory()),
                          "-o", str(out)], capture_output=True, text=True, timeout=BOUND_S)
    assert res.returncode == 130, (res.stdout, res.stderr)
    assert "interrupted: planner plan stopped by Ctrl-C; nothing was written" in res.stderr
    assert "Traceback" not in res.stderr and "Aborted" not in res.stderr
    if existing:
        assert [p.name for p in out.iterdir()] == ["summary.json"]
        assert (out / "summary.json").read_text() == "{}\n"
    else:
        assert not out.exists()
    assert not list(tmp_path.glob(".out.tmp-*"))


#: Ctrl-C one second after HiGHS's own process started (`planner.core.isolated`, here for
#: every program); the script then says how many of those processes are still running
_CTRL_C_ISOLATED = """\
import os, signal, subprocess, sys, threading

signal.signal(signal.SIGINT, signal.default_int_handler)  # as in _SIGINT_IN_HIGHS
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

import planner.core.isolated as isolated

isolated.ISOLATE_MIN_NONZEROS = 0
started = []
real_popen = subprocess.Popen

def popen(*args, **kwargs):
    child = real_popen(*args, **kwargs)
    started.append(child)
    threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()
    return child

isolated.subprocess.Popen = popen
from planner.cli import main
sys.argv = ["planner", *sys.argv[1:]]
try:
    main()
finally:
    print(f"started {len(started)} alive {sum(c.poll() is None for c in started)}")
"""


def test_ctrl_c_while_highs_runs_in_its_own_process_stops_it(tmp_path: Path) -> None:
    """`planner plan` on a plan whose MIP runs in a process of its own, Ctrl-C while it
    runs: exit 130 as in this process, nothing written, and HiGHS's process ended."""
    from tests.conftest import many_small_halls_medium  # HiGHS takes seconds on it

    script = tmp_path / "cli.py"
    script.write_text(_CTRL_C_ISOLATED)
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, str(script), "plan",
                          str(many_small_halls_medium(tmp_path)), "-o", str(out),
                          "--time-limit", "60"],
                         capture_output=True, text=True, timeout=BOUND_S, cwd=ROOT)
    assert res.returncode == 130, (res.stdout, res.stderr)
    assert "started 1 alive 0" in res.stdout
    assert "interrupted: planner plan stopped by Ctrl-C; nothing was written" in res.stderr
    assert "Traceback" not in res.stderr
    assert not out.exists()
