"""One-off (session 11, finding 24): the scenario fuzzer (`python -m tests.fuzz`) with every
MIP the planner solves once (a plan's final MIP, the futures' extensive form) in a process
of its own, whatever its size (`planner.core.isolated.ISOLATE_MIN_NONZEROS = 0`), so that
the child's path is checked on random scenarios of every optional field and extreme
magnitudes. Run from the repository root, one job (the setting holds in this process):

    python benchmarks/results/s11-scripts/fuzz_isolated.py --n 60 --seed-start 23000 --jobs 1
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
import planner.core.isolated as isolated  # noqa: E402

isolated.ISOLATE_MIN_NONZEROS = 0
started = [0]
real_run = isolated.run_isolated


def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
    started[0] += 1
    return real_run(*args, **kwargs)


isolated.run_isolated = counted
from tests.fuzz import main  # noqa: E402

code = main(sys.argv[1:])
print(f"solves in their own process: {started[0]}")
sys.exit(code)
