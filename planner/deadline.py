"""One clock for a whole run: the time limit bounds the command, not only HiGHS.

A `Deadline` starts when a command starts (a `time.perf_counter()` reading, which is
monotonic: changing the system clock does not move it) and ends `limit_s` later. Every
stage that can take long asks it what is left, so the stages share one budget instead of
each taking the limit again:

- loading, preparing, building and compiling count against it (they come first);
- the start heuristic stops when its share of what is left is spent
  (`planner.core.solve.HEURISTIC_SHARE`);
- HiGHS gets the rest as its own `time_limit`, less a reserve for extracting and writing
  the plan (`post_solve_reserve`), and is interrupted if it runs past that by more than
  `HIGHS_GRACE_S` (`planner.core.highs.run_highs`, `stop_at`); a large program's HiGHS
  runs in a process of its own, killed then whatever it is doing
  (`planner.core.isolated`);
- with analyses to follow, the plan stops at its share of the limit
  (`PLAN_SHARE_WITH_ANALYSES`) unless it is still too far from its bound for them
  (`SoftStop`), and the start heuristic's share is of the whole limit;
- the analyses after the plan (marginal values, baselines) start only while time is
  left, each solve limited to what is left; what the deadline stopped is marked
  `CUT_SHORT` in their tables and the report.

This module imports nothing of the planner (a base module, docs/architecture.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

#: how a table and the report say that the deadline stopped an analysis
CUT_SHORT = "cut short by the time limit"

#: seconds a HiGHS run may go past the time limit it was given before it is interrupted
#: (`planner.core.highs.run_interruptible`, through HiGHS's simplex, IPM and MIP
#: interrupt callbacks): a second stop behind HiGHS's own `time_limit`, which normally
#: stops it first. It cannot stop HiGHS where HiGHS reaches no interrupt callback (seen:
#: a large model's MIP root, where HiGHS's own limit stopped it on time and the first
#: MIP interrupt callback came later)
HIGHS_GRACE_S = 2.0

#: HiGHS stops this long before the deadline, for the stages after it (extracting and
#: checking the plan, the limits table, the plan files and the report): a multiple of
#: what building and compiling the model took (the stages after HiGHS walk the same
#: index sets and write several tables each), at most a share of the limit, so that a
#: short limit is not eaten by it
POST_SOLVE_FACTOR = 3.0
POST_SOLVE_MAX_SHARE = 0.1


#: the analyses after a plan (marginal values, baselines) may take as long as the plan
#: took, and at least this many seconds (`analysis_budget_s`): a plan of a second or two
#: gets its baselines and marginal values in full (the quickstart's take 1.3 s; at a
#: floor of 1 s one marginal step was cut short), at the price of analyses that take
#: longer than such a plan (1.1-1.9 times at medium size, benchmarks/README.md)
MIN_ANALYSIS_S = 3.0
#: the share of the plan's time the analyses' budget is: below 1, since the last solve
#: it starts may overrun what is left by HiGHS's reaction time, and the LP estimates
#: and the limits table are computed whatever is left (measured at 0.9: the analyses
#: took 0.90-1.12 of the plan's time at medium size, benchmarks/README.md)
ANALYSIS_SHARE = 0.75
#: the share of the time limit a plan may take when analyses follow it: the analyses
#: then have ANALYSIS_SHARE of the plan's time left even when the time limit stopped
#: the plan (at the whole limit, a time-limited plan left them nothing: 5 of 18 medium
#: runs had no analyses at --time-limit 60). `planner plan --no-report` gives the
#: plan the whole limit.
PLAN_SHARE_WITH_ANALYSES = 1.0 / (1.0 + ANALYSIS_SHARE)


@dataclass(frozen=True)
class SoftStop:
    """Stop a MIP once past `at` (a `time.perf_counter()` reading) if its gap is at most
    `gap`; below that it goes on to its own limit. `bound`: a proven lower bound found
    before the run (the start heuristic's LP optimum, USD), counted with the run's own.

    A plan followed by analyses may take `PLAN_SHARE_WITH_ANALYSES` of the limit; past
    it, a plan still weaker than the analyses accept (they are skipped on a plan stopped
    far from its bound) would leave them nothing to do with the time kept for them, so
    it goes on while its gap is above that (`planner.core.solve.solve_data`)."""

    at: float
    gap: float
    bound: float = float("-inf")

    def gap_of(self, objective: float, bound: float) -> float:
        """The relative gap of a plan costing `objective` under `bound` or `self.bound`."""
        best = max(bound, self.bound)
        return max(0.0, objective - best) / max(abs(objective), 1e-9)

    def due(self, objective: float, bound: float) -> bool:
        """Whether a run with a plan costing `objective` and a bound `bound` stops now."""
        return time.perf_counter() >= self.at and self.gap_of(objective, bound) <= self.gap


class CutShort(Exception):
    """An analysis found no time left to start: the deadline passed (`CUT_SHORT`)."""


@dataclass(frozen=True)
class Deadline:
    """`limit_s` seconds from `started` (a `time.perf_counter()` reading)."""

    started: float
    limit_s: float
    #: how a table says that this deadline stopped a step (the run's time limit, or an
    #: analysis time budget)
    why: str = CUT_SHORT

    @classmethod
    def starting_now(cls, limit_s: float, why: str = CUT_SHORT) -> Deadline:
        return cls(time.perf_counter(), float(limit_s), why)

    @property
    def at(self) -> float:
        """The `time.perf_counter()` reading at which the time is up."""
        return self.started + self.limit_s

    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self.started

    def remaining(self) -> float:
        """Seconds left, never below 0."""
        return max(0.0, self.at - time.perf_counter())

    def expired(self) -> bool:
        return time.perf_counter() >= self.at

    def cap(self, seconds: float | None) -> float:
        """`seconds` (None: no cap of its own), at most what is left."""
        left = self.remaining()
        return left if seconds is None else min(float(seconds), left)

    def stop_at(self, seconds: float, grace_s: float = HIGHS_GRACE_S) -> float:
        """The `time.perf_counter()` reading past which a solve given `seconds` from now is
        interrupted: `seconds` and `grace_s` from now, and never past the deadline plus
        `grace_s`."""
        return min(time.perf_counter() + seconds, self.at) + grace_s

    def shortened(self, reserve_s: float) -> Deadline:
        """The same start, `reserve_s` earlier (kept for the stages after)."""
        return Deadline(self.started, max(0.0, self.limit_s - reserve_s), self.why)

    def earliest(self, other: Deadline | None) -> Deadline:
        """Whichever of the two ends first (`self` when `other` is None), with its `why`."""
        if other is None or self.at <= other.at:
            return self
        return other


def post_solve_reserve(timings: dict[str, float], limit_s: float) -> float:
    """Seconds kept back from HiGHS (and from the analyses) for the stages after them:
    `POST_SOLVE_FACTOR` times the build and compile seconds in `timings` (a solve's
    ``build_s``, ``compile_s``), at most `POST_SOLVE_MAX_SHARE` of `limit_s`."""
    before = timings.get("build_s", 0.0) + timings.get("compile_s", 0.0)
    return min(POST_SOLVE_FACTOR * before, POST_SOLVE_MAX_SHARE * limit_s)


def analysis_budget_s(timings: dict[str, float], run: Deadline | None = None) -> float:
    """The analyses' default time budget: `ANALYSIS_SHARE` of the plan's time, at least
    `MIN_ANALYSIS_S`. The plan's time is the run's elapsed time when the run's deadline
    is given (the command's start to now: loading and imports count), else the seconds
    in a solve's `timings` ending in ``_s`` (loading to extracting)."""
    took = run.elapsed() if run is not None else sum(
        v for k, v in timings.items() if k.endswith("_s"))
    return max(MIN_ANALYSIS_S, ANALYSIS_SHARE * took)


def share_for_plan(analyses: bool) -> float:
    """The share of the time limit the plan may take: `PLAN_SHARE_WITH_ANALYSES` when
    analyses follow it, else all of it."""
    return PLAN_SHARE_WITH_ANALYSES if analyses else 1.0
