"""Imported only by the worker processes' fork server (`planner.whatif.runner.PRELOAD`).

Ctrl-C: the fork server and its workers end at once, without a traceback each (see
`_interrupted`).

When the planner's process ends, its fork server ends too; a normal interpreter exit
would first tear down the solver stack it imported (a third of a second), and whoever
waits on the command's output (a script, a pipe) would wait for that as well. The fork
server holds no state to save, so it leaves at once. Its worker processes never run
exit handlers (they end with `os._exit` after their jobs), so this affects the fork
server alone.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys


def _leave_now() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def in_fork_server() -> bool:
    """True while multiprocessing's fork server is importing its preload modules."""
    frame = sys._getframe()
    while frame is not None:
        code = frame.f_code
        if code.co_name == "main" and code.co_filename.replace("\\", "/").endswith(
                "multiprocessing/forkserver.py"):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _interrupted(signum: int, frame: object) -> None:
    """Ctrl-C reaches the whole process group: the fork server (still importing) and its
    workers (whose handlers it passes on) stop at once, quietly; the planner's own process
    reports the interruption."""
    os._exit(128 + signum)


if in_fork_server():  # anywhere else (a test, a tool importing every module): nothing
    signal.signal(signal.SIGINT, _interrupted)
    atexit.register(_leave_now)
