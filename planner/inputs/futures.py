"""G. uncertain demand: the futures of a scenario, read and checked (contract v2, G).

A future's demand is its own CSV (`uncertainty.scenarios[].demand`), or the rows of the
top-level demand CSV whose `scenario` column names it (rows with that column empty
belong to every future). A demand CSV with a `scenario` column and no `uncertainty`
section makes each name a future, with equal probabilities. `planner plan --futures`
builds futures from one forecast by scaling it (`scaled_futures`).

Every future must name the same models at the same SLOs (a class may be 0 in one
future, but then it is written), so that the futures plan the same purchases.
`mean_demand` is the probability-weighted mean of the futures' classes: the demand of
the mean-demand plan (VSS) and the `demand` of the `Inputs` the loader returns.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from planner.errors import InputError, Issue, IssueCollector
from planner.inputs.bundle import Future, Inputs
from planner.inputs.datasets import DemandRow, ModelProfile
from planner.inputs.demand_csv import SCENARIO_COLUMN
from planner.inputs.fields import plausibility_limit
from planner.inputs.schemas import PROBABILITY_SUM_TOL, Scenario
from planner.inputs.validate import demand_issues

#: how `Inputs.demand_file` names the mean of the futures' demand
MEAN_DEMAND_FILE = "the futures' mean demand"
#: where the command line's futures are named in messages
FUTURES_OPTION = "--futures"


#: reads a future's own demand file: (path, its name) -> (rows, their lines, issues);
#: the loader's reading, with the scenario's units, layouts and periods
DemandReader = Callable[[Path, str], tuple[list[DemandRow], list[int], list[Issue]]]


def read_futures(sc: Scenario, base: Path, top: Sequence[DemandRow] | None,
                 top_lines: Sequence[int], top_file: str, scenario_file: str,
                 errs: IssueCollector, read: DemandReader) -> tuple[Future, ...]:
    """The scenario's futures (empty without `uncertainty` and without a `scenario`
    column); every problem is added to `errs`. `read` reads a future's own file."""
    top_rows = list(top or [])
    if sc.uncertainty is None:
        names = list(dict.fromkeys(r.scenario for r in top_rows if r.scenario is not None))
        if not names:
            return ()
        p = 1.0 / len(names)
        return tuple(_from_column(n, p, top_rows, top_lines, top_file, errs) for n in names)
    out = []
    for i, spec in enumerate(sc.uncertainty.scenarios):
        if spec.demand is None:
            out.append(_from_column(spec.name, spec.probability, top_rows, top_lines,
                                    top_file, errs))
            continue
        path = base / Path(spec.demand).expanduser()
        out.append(_from_file(spec.name, spec.probability, path, errs,
                              f"uncertainty.scenarios[{i}].demand", scenario_file, read))
    if any(s.demand is None for s in sc.uncertainty.scenarios):
        _unknown_names(top_rows, top_lines, top_file, {f.name for f in out}, errs)
    return tuple(out)


def _from_column(name: str, p: float, rows: Sequence[DemandRow], lines: Sequence[int],
                 file: str, errs: IssueCollector) -> Future:
    """A future from the rows of a file whose `scenario` is `name` or empty."""
    mine = [(r, ln) for r, ln in zip(rows, _lines(rows, lines), strict=True)
            if r.scenario in (None, name)]
    if not any(r.scenario == name for r, _ in mine):
        errs.add(file, f"column {SCENARIO_COLUMN!r}",
                 f"no row names future {name!r} (each future of uncertainty.scenarios "
                 "without a demand file of its own takes the rows naming it)")
    return Future(name, p, tuple(r for r, _ in mine), file, tuple(ln for _, ln in mine))


def _from_file(name: str, p: float, path: Path, errs: IssueCollector, field: str,
               scenario_file: str, read: DemandReader) -> Future:
    """A future from its own demand CSV (a `scenario` column there is refused)."""
    file = str(path)
    try:
        rows, lines, issues = read(path, file)
    except InputError as exc:
        errs.extend([Issue(i.file, i.field, f"{i.message} (future {name!r}, named by `{field}` "
                           f"in {scenario_file})") if i.file == file and not i.field else i
                     for i in exc.issues])
        return Future(name, p, (), file)
    errs.extend(issues)
    if any(r.scenario is not None for r in rows):
        errs.add(file, f"column {SCENARIO_COLUMN!r}",
                 f"the demand file of future {name!r} is that future's alone: leave out the "
                 "scenario column")
    return Future(name, p, tuple(rows), file, tuple(lines))


def _unknown_names(rows: Sequence[DemandRow], lines: Sequence[int], file: str,
                   names: set[str], errs: IssueCollector) -> None:
    for r, ln in zip(rows, _lines(rows, lines), strict=True):
        if r.scenario is not None and r.scenario not in names:
            errs.add(file, f"line {ln}: {SCENARIO_COLUMN}",
                     f"future {r.scenario!r} is not in uncertainty.scenarios "
                     f"({', '.join(sorted(names))})")
            return


def _lines(rows: Sequence[DemandRow], lines: Sequence[int]) -> list[int]:
    return [lines[i] if i < len(lines) else i + 2 for i in range(len(rows))]


def check_futures(futures: Sequence[Future], sc: Scenario,
                  profiles: dict[str, ModelProfile] | None, models_dir: str,
                  scenario_file: str, errs: IssueCollector) -> None:
    """Each future's rows against the horizon and the models, and every future naming the
    same models at the same SLOs as the first."""
    seen_files: set[str] = set()
    for f in futures:
        if f.demand_file not in seen_files:  # a shared file is checked once
            seen_files.add(f.demand_file)
            errs.extend(demand_issues(sc.horizon, f.demand, f.demand_lines, profiles,
                                      f.demand_file, models_dir, scenario_file))
    if len(futures) < 2:
        return
    first = futures[0]
    ref = _classes(first)
    for f in futures[1:]:
        mine = _classes(f)
        for extra, owner, other in ((mine - ref, f, first), (ref - mine, first, f)):
            if extra:
                names = ", ".join(f"{m} at {slo:g} tokens/s per user" for m, slo in
                                  sorted(extra))
                errs.add(owner.demand_file, "model",
                         f"future {owner.name!r} names {names}, which future {other.name!r} "
                         "does not: every future must name the same models at the same SLOs "
                         "(write a row with tokens_per_s 0 where a future has none)")
                break


def _classes(f: Future) -> set[tuple[str, float]]:
    return {(r.model, r.min_tokens_per_s_per_user) for r in f.demand}


def mean_demand(futures: Sequence[Future]) -> list[DemandRow]:
    """The probability-weighted mean of each class (period, model, SLO, price) over the
    futures, in the order the classes first appear."""
    total: dict[tuple[str, str, float, float | None], float] = {}
    for f in futures:
        for r in f.demand:
            key = (r.period, r.model, r.min_tokens_per_s_per_user, r.usd_per_mtok)
            total[key] = total.get(key, 0.0) + f.probability * r.tokens_per_s
    return [DemandRow(period=p, model=m, tokens_per_s=v, min_tokens_per_s_per_user=slo,
                      usd_per_mtok=price)
            for (p, m, slo, price), v in total.items()]


def with_futures(inputs: Inputs, futures: Sequence[Future], commit_periods: int) -> Inputs:
    """`inputs` planning `futures`: its demand their mean (`mean_demand`)."""
    return replace(inputs, demand=mean_demand(futures), demand_file=MEAN_DEMAND_FILE,
                   demand_lines=(), futures=tuple(futures), commit_periods=commit_periods)


# ---------------------------------------------------------------- --futures low=0.7,...


def parse_futures_option(text: str) -> list[tuple[str, float, float | None]]:
    """`--futures` as (name, demand factor, probability or None): comma-separated
    ``name=factor`` or ``name=factor@probability``; either every future gives a
    probability (summing to 1) or none does (equal probabilities)."""
    errs = IssueCollector()
    out: list[tuple[str, float, float | None]] = []
    for part in (p.strip() for p in text.split(",")):
        name, eq, rest = part.partition("=")
        factor_s, at, prob_s = rest.partition("@")
        factor, prob = _number(factor_s), _number(prob_s) if at else None
        if not eq or not name.strip() or factor is None or factor < 0 or \
                (at and (prob is None or not 0 <= prob <= 1)):
            errs.add(FUTURES_OPTION, part or "(empty)",
                     "write name=factor or name=factor@probability, e.g. "
                     "low=0.7@0.25,base=1@0.5,high=1.5@0.25 (factor >= 0 scales the demand "
                     "forecast; probability in 0..1)")
            continue
        out.append((name.strip(), factor, prob))
    errs.raise_if_any()
    _check_option(out)
    return out


def _number(text: str) -> float | None:
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _check_option(futures: list[tuple[str, float, float | None]]) -> None:
    names = [n for n, _, _ in futures]
    given = [p for _, _, p in futures if p is not None]
    problem = None
    if len(set(names)) < len(names):
        problem = "future names must differ"
    elif given and len(given) < len(futures):
        problem = ("give a probability to every future (name=factor@probability) or to "
                   "none (equal probabilities)")
    elif given and abs(math.fsum(given) - 1.0) > PROBABILITY_SUM_TOL:
        problem = f"the probabilities must sum to 1 (within 1e-6), they sum to " \
                  f"{math.fsum(given):.9g}"
    if problem:
        raise InputError([Issue(FUTURES_OPTION, "", problem)])


def scaled_futures(inputs: Inputs, text: str, commit_periods: int | None = None) -> Inputs:
    """`inputs` with the futures `--futures` names: its demand forecast scaled by each
    factor (and `commit_periods`, default the scenario's)."""
    if inputs.futures:
        raise InputError([Issue(FUTURES_OPTION, "", "the scenario already has futures "
                                "(uncertainty, or a scenario column): leave out --futures")])
    spec = parse_futures_option(text)
    _check_scaled(inputs, spec)
    futures = [Future(name, 1.0 / len(spec) if p is None else p,
                      tuple(r.model_copy(update={"tokens_per_s": r.tokens_per_s * factor})
                            for r in inputs.demand),
                      f"{inputs.demand_file} x {factor:g}", inputs.demand_lines)
               for name, factor, p in spec]
    commit = inputs.scenario.commit_periods if commit_periods is None else commit_periods
    return with_commit(with_futures(inputs, futures, commit), commit)


def _check_scaled(inputs: Inputs, spec: list[tuple[str, float, float | None]]) -> None:
    """Each future's scaled demand within the demand's plausibility limit (a row of the
    forecast times a factor is a demand row as any other): the first row over it per
    future, named with its line, as an InputError."""
    limit = plausibility_limit(DemandRow.model_fields["tokens_per_s"])
    if limit is None:
        return
    errs = IssueCollector()
    lines = _lines(inputs.demand, inputs.demand_lines)
    for name, factor, _ in spec:
        over = next(((r, ln) for r, ln in zip(inputs.demand, lines, strict=True)
                     if r.tokens_per_s * factor > limit), None)
        if over is not None:
            r, ln = over
            errs.add(FUTURES_OPTION, name,
                     f"factor {factor:g} scales line {ln} of {inputs.demand_file} "
                     f"({r.tokens_per_s:g} tokens/s) to {r.tokens_per_s * factor:g} tokens/s, "
                     f"over the plausibility limit of a demand row ({limit:g} tokens/s)")
    errs.raise_if_any()


def with_commit(inputs: Inputs, commit_periods: int) -> Inputs:
    """`inputs` committing `commit_periods` (`--commit-periods`), checked against the
    horizon."""
    periods = inputs.scenario.horizon.periods
    if not 1 <= commit_periods <= periods:
        raise InputError([Issue("--commit-periods", "", f"{commit_periods} is outside "
                                f"1..horizon.periods ({periods})")])
    return replace(inputs, commit_periods=commit_periods)
