"""Child processes that die with their parent (the what-if workers, HiGHS's own process).

This module imports nothing of the planner (a base module, docs/architecture.md).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator

#: how often a child checks that its parent is alive where the kernel cannot tell it
PARENT_CHECK_S = 1.0


def ignore_ctrl_c() -> None:
    """In a child started in `signals_blocked`: ignore SIGINT from now on and unblock it,
    so a Ctrl-C sent to the whole process group (as a terminal sends it) is discarded
    here and the parent stops its children."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def die_with_parent(parent_pid: int) -> None:
    """End this process when `parent_pid` ends.

    On Linux the kernel sends SIGKILL the moment the parent dies
    (`prctl(PR_SET_PDEATHSIG)`). Everywhere, a daemon thread also checks every
    `PARENT_CHECK_S` whether the process has been re-parented, and exits if so (this
    also covers a parent that died before the `prctl`)."""
    if sys.platform.startswith("linux"):
        import ctypes  # only for prctl, only on Linux

        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
    if os.getppid() != parent_pid:
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_S)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="planner-parent-watch", daemon=True).start()


@contextlib.contextmanager
def signals_blocked() -> Iterator[None]:
    """Child processes started in here start with SIGINT blocked (a child inherits the
    signal mask), so a Ctrl-C while one is still importing prints no traceback there;
    the child then ignores and unblocks it (`ignore_ctrl_c`). In this process a Ctrl-C
    that arrives meanwhile stays pending and is handled when the block ends: none is
    lost."""
    if not hasattr(signal, "pthread_sigmask"):  # not POSIX: ignore it meanwhile instead
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, old if old is not None else signal.default_int_handler)
        return
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
