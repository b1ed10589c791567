"""`planner sensitivity`: which estimates matter, and what being wrong about them costs.

For each estimated figure that can touch the plan (the capex, unit power, opex and life
of the systems the base plan buys or nearly buys, and their throughput curves), it finds

- **the change at which the purchase decision flips**, in each direction: the decision is
  the set of systems carrying at least 5% of the new GPUs
  (`planner.analysis.sensitivity.decision`). Each direction is searched up to
  ``--range`` percent: re-solves at 20% and at the range, then, where the decision has
  changed, at the two points the LP relaxation places around its own flip in that
  interval, then bisection, until the last unchanged and the first changed point are at
  most `RESOLUTION_PCT` apart. The smallest change found and what the plan buys there
  are reported, or "no flip within the range".
- **the cost of being wrong by 20%**: the re-optimised plan at -20% and +20% (spend and
  penalty apart), and the regret: the base plan's purchases held fixed (their operation
  re-optimised) with the true figure at +-20%, minus the re-optimised plan's cost.

Re-solves run on the what-if runner (`planner.whatif.runner`: local workers or Dask),
each started from the base plan's columns when they are feasible (`planner.core.warm`),
in rounds: every search asks for its next points, the round solves them all in parallel
(local workers are kept from round to round, `planner.whatif.pool.KeptPool`). The points
depend on the results only, never on the number of workers.

Two shortcuts are exact, so they are taken without a solve:

- a figure the base plan does not use (of a system with no units in it, none bought and
  none installed; or a curve of a model its units of that system do not serve) made
  worse (dearer, hungrier, shorter-lived, slower): every other plan costs at least what
  it did and the base plan's cost does not change, so the base plan stays optimal;
- the base plan's purchases held with a figure of a system they do not contain cost what
  the base plan costs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from planner.analysis.sensitivity import (
    CURVE_FIELD,
    SYSTEM_FIELDS,
    UNTAGGED,
    Decision,
    classes_of,
    decision,
    gpus_by_system,
    nearly_bought,
    relaxed_gpus,
    shares_text,
    vary,
)
from planner.analysis.verdicts import plan_standing
from planner.errors import InputError, Issue
from planner.inputs.bundle import Inputs
from planner.inputs.datasets import System
from planner.whatif.jobs import Job, JobResult, default_workers, plan_job
from planner.whatif.overlays import merge_scenario, read_base, read_overlay
from planner.whatif.runner import KeptPool, run_jobs
from planner.whatif.tables import SAME, change_words, cost_change, tokens_change
from planner.whatif.variants import RunProgress, RunSettings

#: how wrong a figure is taken to be for "the cost of being wrong", percent
WRONG_PCT = 20.0
#: the bisection stops when the last unchanged and the first changed point are this close
RESOLUTION_PCT = 1.0
#: search points lie on this grid (percent), so they read well and never depend on floats
GRID_PCT = 0.25
#: the most a figure is lowered, percent (every varied figure must stay positive)
MAX_DOWN_PCT = 95.0
#: the largest --range
MAX_RANGE_PCT = 500.0
#: the most nearly bought systems (--candidates)
MAX_CANDIDATES = 20
#: the LP relaxation's flip is bracketed by MILP re-solves this far on each side
LP_MARGIN_PCT = 0.5
#: tags analysed by default: estimates, and figures derived from other figures (a midpoint
#: of a published range, a ratio), which carry their inputs' uncertainty
DEFAULT_TAGS = ("estimate", "derived")
TAGS = ("published", "derived", "estimate")
#: rounds of re-solves at most (a bisection from 500% needs 10)
MAX_ROUNDS = 40


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class Param:
    """One figure a sensitivity run varies: `field` of `system` (a catalogue field, or
    the throughput curve of `model` on it), its provenance `tag`, why it is in the run
    (`role`), its value in the base, and `skip`: why it is not searched (empty: it is)."""

    name: str
    system: str
    field: str
    model: str | None
    tag: str
    role: str
    base_value: float | None
    ratio: float | None = None
    skip: str = ""
    #: the system has no units in the base plan (none bought, none installed): the base
    #: plan's purchases cost the same whatever the figure
    unused: bool = False
    #: the base plan does not use the figure (its system has no units, or, for a curve,
    #: serves nothing of its model): made worse, it leaves the base plan optimal
    idle: bool = False

    def at(self, inputs: Inputs, pct: float) -> Inputs:
        """The inputs with this figure changed by `pct` percent."""
        return vary(inputs, self.system, self.field, 1.0 + pct / 100.0, self.model)

    def worse_sign(self) -> int:
        """The direction that makes the system worse: +1 (dearer, hungrier) or -1 (a
        shorter life, a slower curve)."""
        return -1 if self.field in ("lifetime_years", CURVE_FIELD) else 1


def parse_param(spec: str, inputs: Inputs) -> list[tuple[str, str, str | None]]:
    """``SYSTEM``, ``SYSTEM.FIELD`` or ``SYSTEM.throughput.MODEL`` -> (system, field,
    model) triples; InputError naming --param and what is wrong."""
    text = spec.strip()
    ids = [s.id for s in inputs.catalog.systems]
    system = next((g for g in sorted(ids, key=len, reverse=True)
                   if text == g or text.startswith(g + ".")), None)
    if system is None:
        raise InputError([Issue("--param", spec, f"no system {text.split('.')[0]!r} in the "
                                f"catalogue {inputs.catalog_file}; systems: "
                                + ", ".join(ids))])
    rest = text[len(system) + 1:] if len(text) > len(system) else ""
    fields = [*SYSTEM_FIELDS, f"{CURVE_FIELD}.MODEL"]
    if not rest:
        out: list[tuple[str, str, str | None]] = [(system, f, None) for f in SYSTEM_FIELDS]
        out += [(system, CURVE_FIELD, m) for m, p in inputs.profiles.items()
                if system in p.throughput]
        return out
    if rest in SYSTEM_FIELDS:
        return [(system, rest, None)]
    if rest.startswith(CURVE_FIELD + "."):
        model = rest[len(CURVE_FIELD) + 1:]
        prof = inputs.profiles.get(model)
        if prof is None:
            raise InputError([Issue("--param", spec, f"no served-model profile {model!r}; "
                                    "profiles: " + ", ".join(sorted(inputs.profiles)))])
        if system not in prof.throughput:
            raise InputError([Issue("--param", spec, f"the profile {model!r} has no curve "
                                    f"for {system!r}; it has: "
                                    + ", ".join(sorted(prof.throughput)))])
        return [(system, CURVE_FIELD, model)]
    raise InputError([Issue("--param", spec, f"unknown field {rest!r}; a parameter is "
                            f"SYSTEM, or SYSTEM.FIELD with FIELD one of: "
                            + ", ".join(fields))])


def _tag(inputs: Inputs, sysd: System, field_: str, model: str | None) -> str:
    if field_ == CURVE_FIELD and model is not None:
        prov = inputs.profiles[model].provenance.get(sysd.id)
    else:
        prov = sysd.provenance.get(field_)
    return prov.tag if prov is not None else UNTAGGED


def _wanted(tag: str, tags: Sequence[str]) -> bool:
    return tag in tags or (tag == UNTAGGED and "estimate" in tags)


@dataclass(frozen=True)
class BasePlan:
    """What the parameters are chosen from: the base plan's purchases and the prepared
    problem."""

    inputs: Inputs
    data: Any  # planner.core.problem.PlanData
    result: JobResult
    gpus: dict[str, float]
    decision: Decision
    #: (system, model) pairs the base plan serves with some units
    served: frozenset[tuple[str, str]] = frozenset()


def _param(base: BasePlan, system: str, field_: str, model: str | None, role: str,
           ratio: float | None, tags: Sequence[str] | None) -> Param:
    """One parameter, with the reason it is skipped if it is (`tags` None: asked for by
    name, so searched whatever its tag)."""
    inputs, data = base.inputs, base.data
    sysd = next(s for s in inputs.catalog.systems if s.id == system)
    tag = _tag(inputs, sysd, field_, model)
    name = f"{system}.{field_}" + (f".{model}" if model else "")
    bought = {g for (_p, _s, g, u, _c) in base.result.purchases if u > 0}
    used = bought | {g for (_s, g, _t) in data.existing}
    value: float | None
    skip = ""
    if field_ == CURVE_FIELD:
        assert model is not None
        reps = [k for (m, _slo), k in classes_of(data).items() if m == model]
        served = [k for k in reps if (system, k) in data.tput]
        best = max(served, key=lambda k: data.classes[k].tokens_per_s, default=None)
        value = None if best is None else float(data.tput[(system, best)])
        if not reps:
            skip = f"cannot touch the plan: no demand for {model}"
        elif best is None:
            skip = f"cannot touch the plan: {system} cannot serve {model} at its SLO"
    else:
        value = float(getattr(sysd, field_))
        if field_ == "lifetime_years" and data.capex_accounting == "upfront":
            skip = "no effect: capex is charged upfront (finance.capex_accounting), the life " \
                   "is not used"
        elif value == 0:
            skip = "no effect: the figure is 0, and a percentage of 0 is 0"
    buyable = any(g == system for (_s, g, _t) in data.buy_index)
    if not skip and system not in used and not buyable:
        skip = (f"cannot touch the plan: {system} cannot be bought in any hall of the "
                "scenario (cooling, availability, lead time, systems:) and has no "
                "installed units")
    # a curve is searched whatever its tag: even a published benchmark measures someone
    # else's deployment, at one software version, not the throughput this fleet will get
    if not skip and tags is not None and field_ != CURVE_FIELD and not _wanted(tag, tags):
        skip = f"tagged {tag}, so not varied (name it with --param, or add --tags {tag})"
    idle = system not in used or (field_ == CURVE_FIELD and (system, model) not in base.served)
    return Param(name, system, field_, model, tag, role, value, ratio, skip,
                 unused=system not in used, idle=idle)


def parameters(base: BasePlan, tags: Sequence[str], candidates: int,
               asked: Sequence[tuple[str, str, str | None]] = ()) -> list[Param]:
    """The parameters of a run: every figure of the systems the base plan buys and of
    the `candidates` nearly bought ones (`nearly_bought`), their catalogue fields and
    their throughput curves of the models in demand, each skipped with its reason when it
    cannot touch the plan or its tag is not in `tags`; or, when `asked` is given, exactly
    those figures, whatever their tags."""
    data = base.data
    bought = [g for g in data.systems if base.gpus.get(g, 0) > 0]
    ranked = nearly_bought(data, bought, len(data.systems))
    ratio = dict(ranked)
    shown_near = ranked[:candidates]

    def role_of(g: str) -> str:
        if g in bought:
            return "bought"
        if g in dict(shown_near):
            return "nearly bought"
        return "asked"

    models = list(dict.fromkeys(c.model for c in data.classes))
    if asked:
        triples = list(dict.fromkeys(asked))
        return [_param(base, g, f, m, role_of(g), ratio.get(g), None) for g, f, m in triples]
    out: list[Param] = []
    for g in [*bought, *(g for g, _r in shown_near)]:
        for f in SYSTEM_FIELDS:
            out.append(_param(base, g, f, None, role_of(g), ratio.get(g), tags))
        for m in models:
            if g in base.inputs.profiles[m].throughput:
                out.append(_param(base, g, CURVE_FIELD, m, role_of(g), ratio.get(g), tags))
    return out


# --------------------------------------------------------------------------- the search


def snap(pct: float) -> float:
    """`pct` on the search grid (`GRID_PCT`)."""
    return round(pct / GRID_PCT) * GRID_PCT


@dataclass
class Point:
    """One re-solve of a search: the plan at a change, its GPUs per system and decision
    (None: no plan, or one stopped by the time limit too far from its bound to say)."""

    result: JobResult
    gpus: dict[str, float] | None
    decision: Decision | None


@dataclass
class Direction:
    """The search of one parameter in one direction (`sign` -1: down, +1: up), up to
    `limit` percent. `stays`: why the base plan provably stays optimal that way (no
    re-solve)."""

    sign: int
    limit: float
    stays: str = ""
    tried: dict[float, Point] = field(default_factory=dict)

    def bracket(self, base: Decision) -> tuple[float, float] | None:
        """(last unchanged magnitude, first changed one) while they are more than
        `RESOLUTION_PCT` apart; None when the search is done (no flip, a point without a
        verdict, or the flip found closely enough)."""
        if self.stays or self.limit not in self.tried:
            return None
        last_same = 0.0
        for m in sorted(x for x in self.tried if x <= self.limit):
            d = self.tried[m].decision
            if d is None:
                return None
            if d != base:
                return (last_same, m) if m - last_same > RESOLUTION_PCT else None
            last_same = m
        return None

    def next_points(self, base: Decision, placed: Sequence[float] = ()) -> list[float]:
        """The next changes to re-solve (magnitudes, percent): the `placed` ones that lie
        inside the bracket (`bracket`) and are not tried yet, else its midpoint on the
        grid; none when the search is done."""
        b = self.bracket(base)
        if b is None:
            return []
        lo, hi = b
        inside = sorted({m for m in placed if lo < m < hi and m not in self.tried})
        if inside:
            return inside
        mid = snap((lo + hi) / 2)
        return [mid if lo < mid < hi else (lo + hi) / 2]

    def outcome(self, base: Decision) -> tuple[float | None, float | None, Point | None, str]:
        """(first changed magnitude, last unchanged one, the plan there, a note): the
        flip, or None and why there is none."""
        if self.stays:
            return None, None, None, self.stays
        last_same = 0.0
        for m in sorted(x for x in self.tried if x <= self.limit):
            p = self.tried[m]
            if p.decision is None:
                return None, last_same, p, (f"no verdict at {self.sign * m:+g}%: "
                                            f"{p.result.status}")
            if p.decision != base:
                return m, last_same, p, ""
            last_same = m
        return None, last_same, None, f"no flip within {self.sign * self.limit:+g}%"


@dataclass
class Search:
    """Everything re-solved for one parameter: its two directions and, at -20% and +20%,
    the base plan's purchases held fixed (`held`; absent when they provably cost what the
    base plan costs)."""

    param: Param
    down: Direction
    up: Direction
    held: dict[int, JobResult] = field(default_factory=dict)
    #: the directions whose bracket the LP relaxation has screened
    screened: set[int] = field(default_factory=set)

    def direction(self, sign: int) -> Direction:
        return self.up if sign > 0 else self.down


def _point(res: JobResult, gpus_per_unit: dict[str, int]) -> Point:
    if res.summary is None or plan_standing(res.summary) == "weak":
        return Point(res, None, None)
    g = gpus_by_system(res.purchases, gpus_per_unit)
    return Point(res, g, decision(g))


# --------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class Sensitivity:
    """A sensitivity run: the base plan, a search per parameter, the table (a row per
    parameter, ranked by impact), and what it took (re-solves, rounds)."""

    base_file: Path
    base: JobResult
    base_gpus: dict[str, float]
    base_decision: Decision
    range_pct: float
    tags: tuple[str, ...]
    candidates: int
    searches: list[Search]
    table: pd.DataFrame
    milp_solves: int
    lp_solves: int
    rounds: int
    penalty_usd_per_mtok: float | None
    #: the figures were named by --param (the tags did not choose them)
    asked: bool = False

    @property
    def base_buys(self) -> str:
        return shares_text(self.base_gpus)


class _Rounds:
    """Runs the re-solves of a run in rounds on the what-if runner, counting them; local
    workers are kept from one round to the next (`KeptPool`)."""

    def __init__(self, settings: RunSettings, progress: RunProgress | None,
                 kept: KeptPool | None) -> None:
        self.settings = settings
        self.progress = progress
        self.kept = kept
        self.solves = 0
        self.rounds = 0

    def run(self, jobs: list[Job]) -> list[JobResult]:
        if not jobs:
            return []
        self.rounds += 1
        self.solves += len(jobs)
        if self.progress is not None:
            self.progress.start(len(jobs))

        def done(_i: int, res: JobResult) -> None:
            if self.progress is not None:
                self.progress.done(res)

        return run_jobs(jobs, workers=self.settings.workers,
                        scheduler=self.settings.scheduler, on_done=done, kept=self.kept)


def _held_inputs(inputs: Inputs) -> Inputs:
    """The scenario the held purchases are priced in: no budget caps (the purchases are
    decided; what they cost is what is measured) and demand that may go unserved (at the
    scenario's price), so a fleet that falls short says by how much."""
    sc = inputs.scenario
    opts = sc.options.model_copy(update={"strict_demand": False})
    budget = sc.budget.model_copy(update={"capex_usd_per_period": None,
                                          "total_capex_usd": None})
    return replace(inputs, scenario=sc.model_copy(update={"options": opts,
                                                          "budget": budget}))


def _label(param: Param, pct: float) -> str:
    return f"{param.name} {pct:+g}%"


class _Screen:
    """The LP relaxation's decision at a change of one parameter (`relaxed_gpus`),
    counting the LPs solved; its decision in the base is computed once."""

    def __init__(self, base: BasePlan, settings: Any) -> None:
        self.base = base
        self.settings = settings
        self.solves = 0
        self.base_decision: Decision | None = None

    def decision_at(self, param: Param | None, pct: float) -> Decision | None:
        from planner.core.prepare import prepare  # the solver stack: not for `planner --help`

        self.solves += 1
        inputs = self.base.inputs if param is None else param.at(self.base.inputs, pct)
        try:
            gpus = relaxed_gpus(prepare(inputs), self.settings)
        except Exception:  # noqa: BLE001 - screening only places re-solves; they decide
            return None
        return None if gpus is None else decision(gpus)

    def flip(self, param: Param, sign: int, lo: float, hi: float) -> float | None:
        """Where the LP relaxation's decision changes between the magnitudes `lo` (where
        it matches the LP's decision in the base) and `hi` (where it does not), to within
        `GRID_PCT`; None when the LP does not change there that way (or an LP fails)."""
        if self.base_decision is None:
            self.base_decision = self.decision_at(None, 0.0)
        lp0 = self.base_decision
        if lp0 is None:
            return None
        at_lo = lp0 if lo == 0 else self.decision_at(param, sign * lo)
        at_hi = self.decision_at(param, sign * hi)
        if at_lo != lp0 or at_hi is None or at_hi == lp0:
            return None
        while hi - lo > GRID_PCT:
            mid = (lo + hi) / 2
            d = self.decision_at(param, sign * mid)
            if d is None:
                return None
            if d != lp0:
                hi = mid
            else:
                lo = mid
        return hi


def _load(base: Path, what_ifs: Sequence[Path], sets: Sequence[str]) -> Inputs:
    base_data = read_base(base)
    overlays = [read_overlay(f) for f in what_ifs]
    return merge_scenario(base, overlays, list(sets), base_data=base_data).inputs()


def check_options(range_pct: float, candidates: int, tags: Sequence[str]) -> None:
    """InputError naming the option when --range, --candidates or --tags is out of
    bounds."""
    issues = []
    if not (math.isfinite(range_pct) and 0 < range_pct <= MAX_RANGE_PCT):
        issues.append(Issue("sensitivity", "--range", f"must be a percentage above 0 and at "
                            f"most {MAX_RANGE_PCT:g}, got {range_pct:g}"))
    if not 0 <= candidates <= MAX_CANDIDATES:
        issues.append(Issue("sensitivity", "--candidates", f"must be 0 to {MAX_CANDIDATES}, "
                            f"got {candidates}"))
    bad = [t for t in tags if t not in TAGS]
    if bad or not tags:
        issues.append(Issue("sensitivity", "--tags", f"a comma-separated list of "
                            f"{', '.join(TAGS)}; got {', '.join(tags) or 'nothing'}"))
    if issues:
        raise InputError(issues)


def run_sensitivity(base: Path, settings: RunSettings, *, params: Sequence[str] = (),
                    range_pct: float = 50.0, candidates: int = 2,
                    tags: Sequence[str] = DEFAULT_TAGS, what_ifs: Sequence[Path] = (),
                    sets: Sequence[str] = (), progress: RunProgress | None = None,
                    screen: bool = True) -> Sensitivity:
    """Plan the base (with `what_ifs` and `sets`), choose the parameters (`params`:
    ``SYSTEM``, ``SYSTEM.FIELD`` or ``SYSTEM.throughput.MODEL``; default: `parameters`),
    and search each: where its purchase decision flips within `range_pct`, and the cost
    of it being 20% wrong. `screen`: place the re-solves with the LP relaxation first
    (False: coarse points and bisection only; the same answers, more re-solves).
    Raises InputError (invalid scenario or option, unknown parameter) before any solve;
    a base that cannot be planned gives a result with no searches."""
    check_options(range_pct, candidates, tags)
    inputs = _load(base, what_ifs, sets)
    asked: list[tuple[str, str, str | None]] = []
    for spec in params:
        asked += parse_param(spec, inputs)
    from planner.core.prepare import prepare  # the solver stack: not for `planner --help`

    job = Job("base", inputs, None, settings.threads, settings.time_limit_s,
              settings.mip_rel_gap, keep_files=False)
    if progress is not None:
        progress.start(1)
    base_res, base_plan = plan_job(job)
    if progress is not None:
        progress.done(base_res)
    price = float(inputs.scenario.options.unmet_penalty_usd_per_mtok)
    gpu_unit = {s.id: s.gpus_per_unit for s in inputs.catalog.systems}
    if base_plan is None:
        return Sensitivity(base, base_res, {}, frozenset(), range_pct, tuple(tags),
                           candidates, [], sensitivity_frame([], base_res, frozenset()),
                           1, 0, 0, price, bool(asked))
    data = prepare(inputs)
    gpus = gpus_by_system(base_res.purchases, gpu_unit)
    alloc = base_plan.tables.allocation
    served = frozenset((str(r.system), str(r.model)) for r in alloc.itertuples()
                       if float(r.units) > 0)
    bp = BasePlan(inputs, data, base_res, gpus, decision(gpus), served)
    plist = parameters(bp, tags, candidates, asked)
    searches = []
    for p in plist:
        dirs = []
        for sign in (-1, 1):
            limit = min(range_pct, MAX_DOWN_PCT) if sign < 0 else range_pct
            stays = ""
            if p.idle and sign == p.worse_sign():
                stays = "no flip: the base plan does not use it, and it only gets worse"
            dirs.append(Direction(sign, limit, stays))
        searches.append(Search(p, dirs[0], dirs[1]))
    n_workers = default_workers() if settings.workers is None else settings.workers
    with KeptPool(n_workers) as kept:
        rounds = _Rounds(settings, progress, None if settings.scheduler else kept)
        lp = _search(searches, bp, base_plan.values, rounds, settings, screen)
    table = sensitivity_frame(searches, base_res, bp.decision)
    return Sensitivity(base, base_res, gpus, bp.decision, range_pct, tuple(tags), candidates,
                       searches, table, 1 + rounds.solves, lp.solves, rounds.rounds, price,
                       bool(asked))


def _search(searches: list[Search], bp: BasePlan, start: Any, rounds: _Rounds,
            settings: RunSettings, screen: bool) -> _Screen:
    """Search every parameter not skipped: a first round (each direction at 20% and at
    the end of its range, and the held purchases at +-20%), then rounds that narrow each
    interval holding a flip: first at the two points the LP relaxation places around its
    own flip in that interval (`screen`), then by bisection, until every interval is at
    most `RESOLUTION_PCT` wide. Every re-solve starts from the base plan's columns
    `start` where they are feasible."""
    from planner.core.solve import solver_settings  # the solver stack: not for --help

    inputs = bp.inputs
    active = [s for s in searches if not s.param.skip]
    gpu_unit = {s.id: s.gpus_per_unit for s in inputs.catalog.systems}
    threads = settings.threads if settings.threads is not None else 1
    lp = _Screen(bp, solver_settings(inputs, settings.time_limit_s, settings.mip_rel_gap,
                                     threads))
    held_buys: dict[tuple[str, ...], float] = {}
    for per, site, g, units, _c in bp.result.purchases:
        key = (site, g, per)
        held_buys[key] = held_buys.get(key, 0.0) + float(units)

    def job_at(s: Search, pct: float, held: bool = False) -> Job:
        inp = s.param.at(inputs, pct)
        return Job(_label(s.param, pct) + (" held" if held else ""),
                   _held_inputs(inp) if held else inp, None, settings.threads,
                   settings.time_limit_s, settings.mip_rel_gap, keep_files=False,
                   start_values=start, held_buys=held_buys if held else None)

    wanted: list[tuple[Search, int, float | None]] = []  # (search, sign, magnitude|None=held)
    for s in active:
        for d in (s.down, s.up):
            if d.stays:
                continue
            wanted += [(s, d.sign, m) for m in sorted({WRONG_PCT, d.limit})]
        if not s.param.unused:  # held purchases without the system cost the base's
            wanted += [(s, sign, None) for sign in (-1, 1) if not s.direction(sign).stays]
    _solve(wanted, job_at, rounds, gpu_unit)
    for _ in range(MAX_ROUNDS):
        nxt: list[tuple[Search, int, float | None]] = []
        for s in active:
            for d in (s.down, s.up):
                b = d.bracket(bp.decision)
                if b is None:
                    continue
                placed: list[float] = []
                if screen and d.sign not in s.screened:
                    s.screened.add(d.sign)
                    f = lp.flip(s.param, d.sign, *b)
                    if f is not None:
                        placed = [snap(f - LP_MARGIN_PCT), snap(f + LP_MARGIN_PCT)]
                nxt += [(s, d.sign, m) for m in d.next_points(bp.decision, placed)]
        if not nxt:
            break
        _solve(nxt, job_at, rounds, gpu_unit)
    return lp


def _solve(wanted: list[tuple[Search, int, float | None]],
           job_at: Callable[..., Job], rounds: _Rounds, gpu_unit: dict[str, int]) -> None:
    """Re-solve the points `wanted` in one round and file each result with its search."""
    jobs = [job_at(s, sign * (WRONG_PCT if m is None else m), m is None)
            for s, sign, m in wanted]
    for (s, sign, m), res in zip(wanted, rounds.run(jobs), strict=True):
        if m is None:
            s.held[sign] = res
        else:
            s.direction(sign).tried[m] = _point(res, gpu_unit)


# --------------------------------------------------------------------------- the table


def _side_name(sign: int) -> str:
    return f"{'minus' if sign < 0 else 'plus'}{WRONG_PCT:g}"


SENSITIVITY_COLUMNS = [
    "parameter", "system", "model", "field", "tag", "role", "cost_per_token_ratio",
    "base_value", "status",
    "flip_down_pct", "flip_down_last_same_pct", "flip_down_buys",
    "flip_up_pct", "flip_up_last_same_pct", "flip_up_buys",
    *[f"{k}_at_{_side_name(s)}{u}" for s in (-1, 1) for k, u in (
        ("total", "_usd"), ("spend", "_usd"), ("penalty", "_usd"), ("unmet_tokens", ""),
        ("cost_change", "_usd"), ("spend_change", "_usd"))],
    *[f"{k}_at_{_side_name(s)}{u}" for s in (-1, 1) for k, u in (
        ("regret", "_usd"), ("regret_spend", "_usd"), ("regret_penalty", "_usd"),
        ("regret_unmet_tokens", ""), ("regret", ""))],
    "impact_usd", "solves",
]


def _reopt(s: Search, sign: int, base: JobResult) -> JobResult | None:
    d = s.direction(sign)
    if d.stays:
        return base
    p = d.tried.get(WRONG_PCT)
    return None if p is None else p.result


def _held(s: Search, sign: int, base: JobResult) -> JobResult | None:
    if s.param.unused or s.direction(sign).stays:
        return base  # the base plan does not use the figure: it costs what it cost
    return s.held.get(sign)


def _row(s: Search, base: JobResult, base_decision: Decision) -> dict[str, Any]:
    p = s.param
    row: dict[str, Any] = {
        "parameter": p.name, "system": p.system, "model": p.model, "field": p.field,
        "tag": p.tag, "role": p.role,
        "cost_per_token_ratio": None if p.ratio is None else round(p.ratio, 6),
        "base_value": p.base_value,
        "status": f"skipped: {p.skip}" if p.skip else "searched",
    }
    if p.skip:
        return row
    for d, key in ((s.down, "down"), (s.up, "up")):
        first, last_same, point, note = d.outcome(base_decision)
        if first is not None and point is not None and point.gpus is not None:
            row[f"flip_{key}_pct"] = d.sign * first
            row[f"flip_{key}_last_same_pct"] = d.sign * (last_same or 0.0)
            row[f"flip_{key}_buys"] = shares_text(point.gpus)
        else:
            row[f"flip_{key}_buys"] = note
    impact = 0.0
    b = base.summary
    for sign in (-1, 1):
        side = _side_name(sign)
        r = _reopt(s, sign, base)
        if r is not None and r.summary is not None and b is not None:
            rs = r.summary
            row.update({
                f"total_at_{side}_usd": float(rs.total_cost_usd),
                f"spend_at_{side}_usd": float(rs.spend_usd),
                f"penalty_at_{side}_usd": float(rs.unmet_penalty_usd),
                f"unmet_tokens_at_{side}": float(rs.unmet_tokens or 0.0),
                f"cost_change_at_{side}_usd": cost_change(b, rs, "total_cost_usd"),
                f"spend_change_at_{side}_usd": cost_change(b, rs, "spend_usd"),
            })
            impact = max(impact, abs(row[f"cost_change_at_{side}_usd"]))
        h = _held(s, sign, base)
        words = f"regret_at_{side}"
        if r is None or r.summary is None:
            row[words] = "no re-optimised plan" + (f" ({r.status})" if r else "")
        elif h is None or h.summary is None:
            why = "" if h is None else (h.message or h.status).splitlines()[0]
            row[words] = f"the base purchases have no plan here: {why}".rstrip(": ")
        else:
            rs, hs = r.summary, h.summary
            row.update({
                f"regret_at_{side}_usd": cost_change(rs, hs, "total_cost_usd"),
                f"regret_spend_at_{side}_usd": cost_change(rs, hs, "spend_usd"),
                f"regret_penalty_at_{side}_usd": cost_change(rs, hs, "unmet_penalty_usd"),
                f"regret_unmet_tokens_at_{side}": tokens_change(hs, rs),
            })
            row[words] = change_words(rs, hs) if h is not r else SAME
            if s.direction(sign).stays:
                row[words] = f"{SAME} (the base plan stays optimal)"
    row["impact_usd"] = impact
    row["solves"] = (len(s.down.tried) + len(s.up.tried)
                     + len([1 for r in s.held.values() if r is not None]))
    return row


def sensitivity_frame(searches: Sequence[Search], base: JobResult,
                      base_decision: Decision) -> pd.DataFrame:
    """A row per parameter: searched ones ranked by impact (the larger change of the
    re-optimised plan's total at -20% or +20%; 0 within solver noise), then name; the
    skipped ones after them with their reason."""
    rows = [_row(s, base, base_decision) for s in searches]
    rows.sort(key=lambda r: (r["status"] != "searched", -(r.get("impact_usd") or 0.0),
                             r["parameter"]))
    df = pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)
    return df.astype(object).where(df.notna(), None)
