"""``respira spirometry``: batch interpretation of spirometry records from a CSV file.

Mounted by ``respira.app.cli`` as ``respira spirometry``; also runs on its own as
``python -m respira.batch.cli interpret INPUT.csv -o OUTPUT.csv``.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from respira.batch.spirometry_csv import (
    CHUNK_ROWS,
    OUTPUT_COLUMNS,
    REQUIRED_COLUMNS,
    CsvInputError,
    interpret_csv,
)

app = typer.Typer(
    help="Spirometry: GLI reference values and ATS/ERS 2022 interpretation of CSV files.",
    no_args_is_help=True,
)

#: A progress bar is shown from this many rows on (when stderr is a terminal).
PROGRESS_MIN_ROWS = 2 * CHUNK_ROWS


class Equations(StrEnum):
    gli_global = "gli-global"
    gli_2012 = "gli-2012"


class Rule(StrEnum):
    r2022 = "2022"
    r2005 = "2005"


@app.callback()
def _group() -> None:
    """Spirometry tools."""


_INTERPRET_HELP = f"""Interpret every record of INPUT_CSV and write OUTPUT.

Input: a header row, columns in any order: {", ".join(REQUIRED_COLUMNS)} (sex M/F,
age in decimal years, height in cm, fev1 and fvc pre-bronchodilator in litres),
ethnicity (caucasian, african_american, ne_asian, se_asian, other; needed for
gli-2012 only), optional fev1_post, fvc_post (litres) and fef2575, fef75 (L/s).
Other columns are passed through.

Output: the input columns unchanged, then {", ".join(OUTPUT_COLUMNS)}. Numbers have
10 decimals, correctly rounded; empty means not available (gli-global has no FEF
equations, so its fef columns stay empty). A record with bad input keeps its row, with
the reason in "error".

--equations: gli-global (default; race-neutral, Bowerman 2023, as the ATS recommends)
or gli-2012 (Quanjer 2012). --rule: the rule of the "bdr" column, 2022 (change > 10 %
of predicted, ATS/ERS 2022) or 2005 (≥ 12 % and ≥ 200 mL, Pellegrino 2005);
"bdr_2005" always gives the 2005 rule.

Exit status 2 when the file cannot be processed (unreadable, a missing column).
"""


@app.command(help=_INTERPRET_HELP)
def interpret(
    input_csv: Annotated[Path, typer.Argument(help="CSV file of spirometry records.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the result.")],
    equations: Annotated[
        Equations, typer.Option("--equations", help="Reference equations.")
    ] = Equations.gli_global,
    rule: Annotated[Rule, typer.Option("--rule", help="BDR rule of the bdr column.")] = Rule.r2022,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="Progress bar (default: on for large files when stderr is a terminal).",
        ),
    ] = None,
) -> None:
    console = Console(stderr=True, soft_wrap=True)
    show = sys.stderr.isatty() if progress is None else progress
    bar: Progress | None = None
    task = None

    def report(done: int, total: int) -> None:
        nonlocal bar, task
        if not show or (progress is None and total < PROGRESS_MIN_ROWS):
            return
        if bar is None:
            bar = Progress(
                TextColumn("interpreting"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            bar.start()
            task = bar.add_task("rows", total=total)
        assert task is not None
        bar.update(task, completed=done)

    try:
        summary = interpret_csv(
            input_csv, output, equations=equations.value, rule=rule.value, progress=report
        )
    except CsvInputError as exc:
        console.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None
    finally:
        if bar is not None:
            bar.stop()
    console.print(
        f"wrote {summary.rows} rows to {output} ({summary.rows_with_errors} with errors)",
        highlight=False,
        markup=False,
    )
    console.print(f"equations: {summary.equations_version}", highlight=False, markup=False)
    for line, message in summary.first_errors:
        console.print(f"  line {line}: {message}", highlight=False, markup=False)


if __name__ == "__main__":
    app()
