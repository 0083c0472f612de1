"""``respira model``: run one virtual patient, simulate virtual cohorts to Parquet, and
ask which parameters drive a result (global sensitivity analysis).

Every output carries the model's label: an uncalibrated hypothesis, whose maps to
clinical units are heuristic; never a prediction for a person.

Refusals (a wrong parameter name, a negative dose, a day outside the run, an unknown
backend, an engine that is not installed) exit with status 2 and a message naming
what was wrong. The model, NumPy's engines, Numba, JAX, Ray and SALib are imported only
by the command that uses them, so ``respira`` itself starts fast.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, TextIO

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from respira.mechanism import schemas
from respira.mechanism.schemas import ModelInputError, Problem, number_text

app = typer.Typer(
    help="The mechanistic model of the allergic cascade and of how MSCs are thought to "
    "act: an uncalibrated hypothesis, never a prediction for a person.",
    no_args_is_help=True,
)
err = Console(stderr=True, soft_wrap=True, highlight=False, emoji=False)


DEFAULT_RUN_OUTPUT_DAYS = (0, 1, 7, 14, 28, 56, 91, 182, 273, 365)
DEFAULT_COHORT_OUTPUT_DAYS = (0, 30, 90, 180, 365)

# The options several commands share (Typer reads them from the annotations).
PhenotypeOpt = Annotated[schemas.Phenotype, typer.Option(help="Th2 susceptibility (spec §7).")]
ExposureOpt = Annotated[
    schemas.Exposure,
    typer.Option(help="Allergen: all year, seasonal, or none (avoided) from day 0."),
]
RouteOpt = Annotated[
    schemas.Route, typer.Option(help="How the MSC doses are given (inhaled: f_trap = 1).")
]
ComparisonOpt = Annotated[
    schemas.Comparison,
    typer.Option(help="A non-MSC comparison from day 0 (anti-IL-5-, anti-IgE-like)."),
]
DosesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--dose",
        metavar="DAY:AMOUNT",
        help="An MSC dose of AMOUNT ×10^6 cells/kg on DAY (repeat for more doses).",
    ),
]
StartOpt = Annotated[
    schemas.Start,
    typer.Option(
        help="default: the default initial state (spec §1); chronic: each patient's own "
        "chronic state after 10 years of perennial exposure (spec §7)."
    ),
]
BackendOpt = Annotated[
    schemas.Backend,
    typer.Option(help="numba (compiled, parallel CPU), jax (CPU or GPU), numpy."),
]
ProgressOpt = Annotated[
    bool | None,
    typer.Option(
        "--progress/--no-progress", help="Progress bar (default: when stderr is a terminal)."
    ),
]


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """The model's warnings (patients whose states ran away) as one plain line for the
    user, not Python's source excerpt."""
    err.print(f"warning: {message}", markup=False)


@app.callback()
def _group() -> None:
    """The mechanistic model: single runs, virtual cohorts, sensitivity analysis."""
    warnings.showwarning = _show_warning


def _refuse(problems: dict[str, Problem] | ModelInputError | str) -> NoReturn:
    if isinstance(problems, str):
        err.print(f"error: {problems}", markup=False)
    else:
        found = problems.problems if isinstance(problems, ModelInputError) else problems
        for where, problem in found.items():
            err.print(f"error: {where}: {problem.text()}", markup=False)
    raise typer.Exit(2)


def parse_doses(values: Sequence[str] | None) -> tuple[tuple[float, float], ...]:
    """``DAY:AMOUNT`` pieces → (day, amount); refuses what is not two numbers."""
    doses: list[tuple[float, float]] = []
    for text in values or ():
        day_text, sep, amount_text = text.partition(":")
        day, amount = schemas.parse_number(day_text), schemas.parse_number(amount_text)
        if not sep or day != day or amount != amount:  # NaN: not a number
            _refuse(
                {
                    f"--dose {text}": Problem(
                        "write a dose as DAY:AMOUNT, for example 0:2 (day 0, 2 ×10^6 cells/kg)"
                    )
                }
            )
        doses.append((day, amount))
    return tuple(doses)


def parse_days(text: str | None, default: Sequence[float], days: float) -> tuple[float, ...]:
    """``"1,7,28"`` → (1, 7, 28); without the option, the default days inside the run
    and the run's last day."""
    if text is None:
        return tuple(sorted({*(d for d in default if d <= days), days}))
    pieces = [p.strip() for p in text.split(",") if p.strip()]
    values = [schemas.parse_number(p) for p in pieces]
    bad = [p for p, v in zip(pieces, values, strict=True) if v != v]
    if bad or not values:
        _refuse({"--output-days": Problem("give days as numbers separated by commas, e.g. 1,7,28")})
    return tuple(values)


def parse_settings(values: Sequence[str] | None) -> dict[str, float]:
    """``NAME=VALUE`` pieces → {name: value}."""
    found: dict[str, float] = {}
    for text in values or ():
        name, sep, value_text = text.partition("=")
        value = schemas.parse_number(value_text)
        if not sep or not name.strip() or value != value:
            _refuse({f"--set {text}": Problem("write a setting as NAME=VALUE, e.g. s_T=1.2")})
        found[name.strip()] = value
    return found


@contextmanager
def _progress_bar(
    label: str, show: bool | None, total: int
) -> Iterator[Callable[[int, int], None] | None]:
    if not (sys.stderr.isatty() if show is None else show):
        yield None
        return
    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )
    task = bar.add_task(label, total=total)
    with bar:
        yield lambda done, total: bar.update(task, completed=done, total=total)


@contextmanager
def _refusals() -> Iterator[None]:
    """The model's refusals as exit status 2 with the message."""
    from respira.mechanism import service

    try:
        yield
    except ModelInputError as exc:
        _refuse(exc)
    except (service.BackendUnavailable, service.ClusterUnavailable) as exc:
        _refuse(str(exc))
    except ValueError as exc:  # the model's ScenarioError, UnknownParameter, UnknownBackend
        _refuse(str(exc))
    except ArithmeticError as exc:  # a run that blew up: not a refusal of the input
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from None


# --- run ------------------------------------------------------------------------------


def _write_run(result: Any, fmt: str) -> None:
    names = [*result.states, *result.observables]
    columns = {**result.states, **result.observables}
    if fmt == "json":
        typer.echo(json.dumps(result.as_json()))
        return
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["day", *names])
        for i, day in enumerate(result.days):
            writer.writerow([number_text(day), *(repr(columns[n][i]) for n in names)])
        typer.echo(buffer.getvalue(), nl=False)
        err.print(result.label, markup=False)
        return
    table = Table(title="States and observables by day", caption=result.label)
    table.add_column("")
    for day in result.days:
        table.add_column(number_text(day), justify="right")
    for name in names:
        table.add_row(name, *(f"{v:.6g}" for v in columns[name]))
    Console(soft_wrap=False, highlight=False).print(table)


@app.command()
def run(
    settings: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="NAME=VALUE",
            help="Change one of the 76 parameters from its nominal value (repeatable).",
        ),
    ] = None,
    phenotype: PhenotypeOpt = "t2-high",
    days: Annotated[float, typer.Option(help="Length of the run in days.")] = 365.0,
    dose: DosesOpt = None,
    route: RouteOpt = "iv",
    output_days: Annotated[
        str | None,
        typer.Option(
            metavar="D1,D2,...",
            help="Days to report (default 0,1,7,14,28,56,91,182,273,365 up to --days).",
        ),
    ] = None,
    exposure: ExposureOpt = "perennial",
    comparison: ComparisonOpt = "none",
    challenge_day: Annotated[
        float | None, typer.Option(help="An allergen challenge (a bolus) on this day.")
    ] = None,
    start: StartOpt = "default",
    output_format: Annotated[
        Literal["json", "csv", "table"],
        typer.Option("--format", help="json (default), csv, or a table."),
    ] = "json",
) -> None:
    """Run one virtual patient and print its states and observables.

    From the default initial state (or --start chronic), the phenotype's nominal
    parameters changed by each --set, MSC doses in 10^6 cells/kg, SciPy's LSODA at rtol
    1e-9. JSON: {"days": [...], "states": {"A": [...], ..., "Sc": [...]}, "observables":
    {...}, "label": ...}."""
    from respira.mechanism import service

    run_days = float(days)
    with _refusals():
        result = service.run_patient(
            phenotype=phenotype,
            overrides=parse_settings(settings),
            days=run_days,
            doses=parse_doses(dose),
            route=route,
            output_days=parse_days(output_days, DEFAULT_RUN_OUTPUT_DAYS, run_days),
            exposure=exposure,
            comparison=comparison,
            challenge_day=challenge_day,
            start=start,
        )
    _write_run(result, output_format)


# --- simulate -------------------------------------------------------------------------


@app.command()
def simulate(
    patients: Annotated[int, typer.Option(min=1, help="Number of virtual patients.")],
    seed: Annotated[int, typer.Option(min=0, help="Seed of the draws (reproducible).")],
    out: Annotated[Path, typer.Option(help="The Parquet file to write.")],
    days: Annotated[float, typer.Option(help="Length of the run in days.")] = 365.0,
    dose: DosesOpt = None,
    route: RouteOpt = "iv",
    phenotype: PhenotypeOpt = "t2-high",
    exposure: ExposureOpt = "perennial",
    comparison: ComparisonOpt = "none",
    backend: BackendOpt = "numba",
    method: Annotated[
        schemas.Method, typer.Option(help="rk4 (fixed step) or adaptive (Dormand-Prince 5(4)).")
    ] = "rk4",
    step_days: Annotated[float, typer.Option(min=1e-4, help="RK4 step in days.")] = 0.25,
    output_days: Annotated[
        str | None,
        typer.Option(
            metavar="D1,D2,...", help="Days to write (default 0,30,90,180,365 up to --days)."
        ),
    ] = None,
    trajectories: Annotated[
        bool,
        typer.Option(
            "--trajectories", help="Write every state at every output day (not observables)."
        ),
    ] = False,
    device: Annotated[Literal["cpu", "gpu"], typer.Option(help="gpu: JAX only.")] = "cpu",
    dtype: Annotated[Literal["float64", "float32"], typer.Option(help="Precision.")] = "float64",
    start: StartOpt = "default",
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="ADDRESS",
            help="Spread the blocks over an existing Ray cluster (an address, or auto).",
        ),
    ] = None,
    block_size: Annotated[
        int, typer.Option(min=1, help="Patients per block (bounds the memory).")
    ] = schemas.DEFAULT_BLOCK,
    progress: ProgressOpt = None,
) -> None:
    """Simulate a virtual cohort and stream it to a Parquet file.

    Patients are drawn as spec §7 says (every parameter × exp(0.25·z), clipped to its
    range; reproducible from --seed whatever the block size), simulated in blocks (here or
    on a Ray cluster), and written as one row per patient and output day: patient, day
    and the observables, or with --trajectories the 14 states. The file's metadata holds
    the model's label and the whole run request."""
    from respira.mechanism import service

    run_days = float(days)
    spec = service.CohortSpec(
        patients=patients,
        days=run_days,
        seed=seed,
        doses=parse_doses(dose),
        route=route,
        phenotype=phenotype,
        exposure=exposure,
        comparison=None if comparison == "none" else comparison,
        output_days=parse_days(output_days, DEFAULT_COHORT_OUTPUT_DAYS, run_days),
        backend=backend,
        method=method,
        step_days=step_days,
        device=device,
        dtype=dtype,
        start=start,
        trajectories=trajectories,
        block_size=block_size,
    )
    if out.suffix.lower() != ".parquet":
        _refuse({"--out": Problem("the file must end in .parquet, not %(name)s",
                                  {"name": out.name})})  # fmt: skip
    with _refusals(), _progress_bar("simulating", progress, patients) as report:
        summary = service.write_cohort(spec, out, progress=report, ray_address=ray)
    err.print(
        f"wrote {summary.rows} rows ({summary.patients} patients × "
        f"{len(spec.output_days)} days, {len(summary.columns) - 2} values each) to {out}",
        markup=False,
    )
    err.print(service.HEURISTIC_LABEL, markup=False)


# --- sensitivity ----------------------------------------------------------------------


def _parameter_list(text: str) -> tuple[str, ...]:
    if text.strip().lower() == "all":
        return ()
    return tuple(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))


def _write_sensitivity(result: Any, out: Path) -> None:
    if out.suffix.lower() == ".json":
        out.write_text(json.dumps(result.as_json(), indent=2) + "\n", encoding="utf-8")
        return
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["rank", "parameter", "low", "high", *result.columns])
        for rank, row in enumerate(result.rows, 1):
            values = [repr(row.indices[c]) for c in result.columns]
            writer.writerow([rank, row.parameter, repr(row.low), repr(row.high), *values])


def _print_ranking(result: Any, top: int) -> None:
    spec = result.spec
    table = Table(
        title=f"{spec.observable} on day {number_text(spec.day)}: {spec.method} "
        f"({result.runs} runs; mean {result.mean:.4g}, sd {result.sd:.4g})",
        caption=result.label,
    )
    table.add_column("rank", justify="right")
    table.add_column("parameter")
    for column in result.columns:
        table.add_column(column, justify="right")
    for rank, row in enumerate(result.rows[:top], 1):
        table.add_row(str(rank), row.parameter, *(f"{row.indices[c]:.3f}" for c in result.columns))
    Console(soft_wrap=False, highlight=False).print(table)
    if len(result.rows) > top:
        err.print(f"… {len(result.rows) - top} more parameters in the output file", markup=False)


@app.command()
def sensitivity(
    observable: Annotated[
        str, typer.Option(help="The observable, e.g. blood_eos_per_ul or fev1_pct_pred.")
    ],
    day: Annotated[float, typer.Option(help="The day of the run at which it is read.")],
    out: Annotated[Path, typer.Option(help="Where to write the ranking (.csv or .json).")],
    method: Annotated[
        Literal["sobol", "morris"],
        typer.Option(help="sobol (S1 and ST) or morris (elementary effects)."),
    ] = "sobol",
    samples: Annotated[
        int | None,
        typer.Option(
            min=2, help="Sobol base samples (default 256) or Morris trajectories (default 32)."
        ),
    ] = None,
    parameters: Annotated[
        str, typer.Option(metavar="a,b,c|all", help="The parameters to vary over their ranges.")
    ] = "all",
    dose: DosesOpt = None,
    route: RouteOpt = "iv",
    phenotype: PhenotypeOpt = "t2-high",
    exposure: ExposureOpt = "perennial",
    comparison: ComparisonOpt = "none",
    backend: BackendOpt = "numba",
    step_days: Annotated[float, typer.Option(min=1e-4, help="RK4 step in days.")] = 0.25,
    start: StartOpt = "default",
    seed: Annotated[int, typer.Option(min=0, help="Seed of the sampling.")] = 0,
    top: Annotated[int, typer.Option(min=1, help="Rows of the printed ranking.")] = 20,
    progress: ProgressOpt = None,
) -> None:
    """Rank the parameters that drive an observable on a day (global sensitivity).

    Varies the chosen parameters over their plausible ranges (spec §2), the others at
    the phenotype's nominal values, and ranks them by Sobol's total index ST (with S1 and
    95 % confidence intervals) or by Morris's μ* (with σ)."""
    from respira.mechanism import service

    if out.suffix.lower() not in (".csv", ".json"):
        _refuse({"--out": Problem("the file must end in .csv or .json, not %(name)s",
                                  {"name": out.name})})  # fmt: skip
    spec = service.SensitivitySpec(
        observable=observable,
        day=day,
        method=method,
        samples=samples,
        parameters=_parameter_list(parameters),
        doses=parse_doses(dose),
        route=route,
        phenotype=phenotype,
        exposure=exposure,
        comparison=None if comparison == "none" else comparison,
        backend=backend,
        step_days=step_days,
        start=start,
        seed=seed,
    )
    with _refusals(), _progress_bar("simulating", progress, 1) as report:
        result = service.analyse(spec, progress=report)
    _write_sensitivity(result, out)
    _print_ranking(result, top)


if __name__ == "__main__":  # pragma: no cover
    app()
