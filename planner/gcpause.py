"""Pause Python's cyclic garbage collector while a stage builds many small objects.

Building the Pyomo model creates hundreds of thousands of objects and frees almost none,
so the collector's passes find nothing to free and cost time in proportion to everything built
so far. Measured on the large benchmark scenario, seed 4, a fresh process each time:
building the model took 1.04-1.14 s with the collector on, 0.53-0.63 s with it paused in
`build_model`, 0.47-0.50 s with it off for the whole process (benchmarks/README.md,
finding 8). Reference counting still frees what goes out of use; the
collector is switched back on afterwards (if it was on), so cycles left behind are
collected as usual later.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Switch the cyclic collector off for the block (nested use is fine)."""
    was_on = gc.isenabled()
    if was_on:
        gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
