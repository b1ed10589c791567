"""`planner models list|show|validate|import-inferencex|import-csv`: served-model profiles."""
# ruff: noqa: B008  (typer declares options as argument defaults)

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from planner.cli._common import console, get_catalog, get_profiles, models_path
from planner.cli.base import app as root
from planner.cli.base import fail
from planner.errors import InputError, Issue
from planner.inputs.datasets import ModelProfile
from planner.inputs.importers.inferencex import import_inferencex, parse_map
from planner.inputs.importers.plain_csv import import_csv
from planner.inputs.importers.profile import ImportResult, write_profile
from planner.inputs.loader import load_profile, load_profiles

app = typer.Typer(help="Inspect, validate and import served-model profiles.", no_args_is_help=True)

ModelsOpt = typer.Option("builtin", "--models", "-m", help="Profiles folder, or 'builtin'.")
CatalogOpt = typer.Option("builtin", "--catalog", "-c", help="Catalogue YAML path, or 'builtin'.")


def _workload(p: ModelProfile) -> str:
    return f"{p.workload.input_tokens}/{p.workload.output_tokens}" if p.workload else "-"


@app.command("list")
def list_(models: str = ModelsOpt) -> None:
    """One line per profile: precision, token basis, workload, systems that can serve it."""
    try:
        profs = get_profiles(models)
    except InputError as exc:
        fail(exc)
    t = Table(title=f"Served-model profiles ({len(profs)})")
    t.add_column("id", no_wrap=True, min_width=max([len(k) for k in profs] + [2]))
    for c in ("precision", "basis", "in/out", "systems", "interactivity range"):
        t.add_column(c)
    for pid in sorted(profs):
        p = profs[pid]
        xs = [pt[0] for pts in p.throughput.values() for pt in pts]
        t.add_row(
            pid,
            p.precision or "-",
            p.token_basis,
            _workload(p),
            ", ".join(sorted(p.throughput)),
            f"{min(xs):g}-{max(xs):g} tok/s/user",
        )
    console.print(t)


@app.command("show")
def show(model_id: str = typer.Argument(..., metavar="ID"), models: str = ModelsOpt) -> None:
    """Every curve of one profile: points and where they come from."""
    try:
        profs = get_profiles(models)
    except InputError as exc:
        fail(exc)
    if model_id not in profs:
        fail(InputError([Issue(models, "", f"no profile {model_id!r}; ids: "
                               f"{', '.join(sorted(profs))}")]))
    p = profs[model_id]
    console.print(
        f"[bold]{p.id}[/bold] {p.name or ''}\nprecision: {p.precision or '-'}   "
        f"token basis: {p.token_basis}   workload (in/out): {_workload(p)}   "
        f"interpolation: {p.interpolation}\n"
        f"source: {p.source or '-'}",
        highlight=False,
    )
    t = Table()
    t.add_column("system", no_wrap=True)
    t.add_column("tok/s/user", justify="right")
    t.add_column("tok/s/GPU", justify="right")
    t.add_column("tag")
    t.add_column("source / method", overflow="fold")
    for sys_id, pts in p.throughput.items():
        prov = p.provenance.get(sys_id)
        for i, (x, y) in enumerate(sorted(pts)):
            t.add_row(
                sys_id if i == 0 else "",
                f"{x:g}",
                f"{y:,.1f}",
                (prov.tag if prov else "") if i == 0 else "",
                (prov.source + (f" - {prov.note}" if prov.note else "")) if prov and i == 0 else "",
            )
    console.print(t)
    if p.notes:
        console.print(f"notes: {p.notes}", highlight=False)


def check_profiles(
    profs: dict[str, ModelProfile], where: dict[str, str], catalog_ids: set[str]
) -> tuple[list[Issue], list[str]]:
    """Cross-checks: curve systems exist in the catalogue; curves that rise, and curves
    of a single point, are flagged (warnings, not errors)."""
    issues: list[Issue] = []
    warns: list[str] = []
    for pid, p in profs.items():
        f = where.get(pid, pid)
        for sys_id, pts in p.throughput.items():
            if sys_id not in catalog_ids:
                issues.append(Issue(f, f"throughput.{sys_id}", "system is not in the catalogue"))
            srt = sorted(pts)
            if len(srt) == 1:
                x, y = srt[0]
                warns.append(
                    f"{f}: throughput.{sys_id}: a single point ({y:g} tokens/s per GPU at "
                    f"{x:g} tokens/s per user): the planner assumes this throughput at every "
                    "lower interactivity and none above it"
                )
            if any(b[1] > a[1] for a, b in zip(srt, srt[1:], strict=False)):
                warns.append(
                    f"{f}: throughput.{sys_id}: throughput rises with interactivity "
                    "(not a Pareto frontier)"
                )
            if sys_id not in p.provenance:
                warns.append(f"{f}: provenance.{sys_id}: no provenance entry for this curve")
        for key in p.provenance:
            if key not in p.throughput:
                warns.append(f"{f}: provenance.{key}: no curve with this system id")
    return issues, warns


@app.command("validate")
def validate(
    path: str = typer.Argument(
        "builtin", help="A profile file or a folder of profiles (default: builtin)."
    ),
    catalog: str = CatalogOpt,
) -> None:
    """Check profiles: schema, and that every curve's system is in the catalogue."""
    p = models_path(path)
    try:
        cat = get_catalog(catalog)
        if p.is_file():
            prof = load_profile(p)
            profs, where = {prof.id: prof}, {prof.id: str(p)}
        else:
            profs = load_profiles(p)
            where = {}
            for f in sorted([*p.glob("*.yaml"), *p.glob("*.yml")]):
                where.setdefault(load_profile(f).id, str(f))
    except InputError as exc:
        fail(exc)
    issues, warns = check_profiles(profs, where, {s.id for s in cat.systems})
    for w in warns:
        console.print(f"[yellow]warning[/yellow] {w}", highlight=False)
    if issues:
        fail(InputError(issues))
    bases = sorted({q.token_basis for q in profs.values()})
    console.print(f"OK: {p}: {len(profs)} profile(s), token basis: {', '.join(bases)}")


def _report(res: ImportResult, out: Path, catalog: str) -> None:
    for w in res.warnings:
        console.print(f"[yellow]warning[/yellow] {w}", highlight=False)
    try:
        ids = {s.id for s in get_catalog(catalog).systems}
    except InputError:
        ids = set()
    for sys_id in res.profile.throughput:
        if ids and sys_id not in ids:
            console.print(
                f"[yellow]warning[/yellow] {sys_id!r} is not in the catalogue "
                f"({catalog}); use --map KEY=ID",
                highlight=False,
            )
    pts = ", ".join(f"{k} ({n})" for k, n in res.points_per_system.items())
    console.print(
        f"wrote {out}: profile {res.profile.id!r}, {res.rows_kept} of {res.rows_read} rows, "
        f"basis {res.profile.token_basis}; frontier points per system: {pts}",
        highlight=False,
    )


MapOpt = typer.Option(None, "--map", help="Hardware key to catalogue id, KEY=ID (repeatable).")


@app.command("import-inferencex")
def import_inferencex_cmd(
    file: Path = typer.Argument(
        ..., help="InferenceX results (agg_bmk.json rows, JSON or JSON lines)."
    ),
    model: str = typer.Option(..., "--model", help="Model as named in the rows, e.g. dsr1."),
    out: Path = typer.Option(..., "--out", "-o", help="Profile YAML to write."),
    precision: str | None = typer.Option(None, "--precision", help="Keep rows of this precision."),
    isl: int | None = typer.Option(None, "--isl", help="Keep rows with this input length."),
    osl: int | None = typer.Option(None, "--osl", help="Keep rows with this output length."),
    map_: list[str] | None = MapOpt,
    x_col: str = typer.Option("median_intvty", "--x-col", help="Interactivity column."),
    y_col: str = typer.Option(
        "tput_per_gpu",
        "--y-col",
        help="Throughput column (output_tput_per_gpu gives an output basis).",
    ),
    where: list[str] | None = typer.Option(
        None, "--where", help="Extra filter KEY=VALUE (repeatable)."
    ),
    profile_id: str | None = typer.Option(
        None, "--id", help="Profile id (default: model-precision)."
    ),
    source: str | None = typer.Option(None, "--source", help="Source text to record."),
    catalog: str = CatalogOpt,
) -> None:
    """Build a profile from InferenceX results: Pareto frontier per hardware."""
    try:
        wh = {k: v for k, v in (parse_map(where or [])).items()}
        res = import_inferencex(
            file,
            model=model,
            precision=precision,
            isl=isl,
            osl=osl,
            hw_map=parse_map(map_ or []),
            x_col=x_col,
            y_col=y_col,
            profile_id=profile_id,
            where=wh,
            source=source,
        )
    except InputError as exc:
        fail(exc)
    write_profile(res.profile, out)
    _report(res, out, catalog)


@app.command("import-csv")
def import_csv_cmd(
    file: Path = typer.Argument(..., help="CSV with columns system, interactivity, throughput."),
    model: str = typer.Option(..., "--model", help="Model name (also the default id)."),
    out: Path = typer.Option(..., "--out", "-o", help="Profile YAML to write."),
    precision: str | None = typer.Option(None, "--precision"),
    isl: int | None = typer.Option(None, "--isl", help="Workload input tokens."),
    osl: int | None = typer.Option(None, "--osl", help="Workload output tokens."),
    token_basis: str = typer.Option("total", "--token-basis", help="total | output"),
    map_: list[str] | None = MapOpt,
    system_col: str = typer.Option("system", "--system-col"),
    x_col: str = typer.Option("interactivity", "--x-col"),
    y_col: str = typer.Option("throughput", "--y-col"),
    keep_all: bool = typer.Option(
        False, "--keep-all", help="Keep dominated points (no Pareto filter)."
    ),
    profile_id: str | None = typer.Option(None, "--id"),
    source: str | None = typer.Option(None, "--source"),
    catalog: str = CatalogOpt,
) -> None:
    """Build a profile from a plain CSV of (system, interactivity, throughput)."""
    if token_basis not in ("total", "output"):
        fail(InputError([Issue("--token-basis", "", "must be total or output")]))
    try:
        res = import_csv(
            file,
            model=model,
            precision=precision,
            isl=isl,
            osl=osl,
            hw_map=parse_map(map_ or []),
            system_col=system_col,
            x_col=x_col,
            y_col=y_col,
            token_basis=token_basis,
            profile_id=profile_id,
            pareto=not keep_all,
            source=source,
        )
    except InputError as exc:
        fail(exc)
    write_profile(res.profile, out)
    _report(res, out, catalog)


root.add_typer(app, name="models")
