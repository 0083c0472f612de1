"""``respira fhir``: the bulk export of every patient's record as FHIR R4 NDJSON.

Mounted by ``respira.app.cli`` as ``respira fhir``. The database is the one the
``RESPIRA_DATABASE_URL`` setting names, as for every ``respira`` command.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

app = typer.Typer(
    help="FHIR R4: the bulk export for registries and research partners.", no_args_is_help=True
)
console = Console(stderr=True)
DEFAULT_WORKERS = min(os.cpu_count() or 1, 8)


@app.callback()
def _group() -> None:
    """FHIR R4 tools."""


def parse_since(text: str | None) -> dt.datetime | None:
    """A date (the start of that day, UTC) or an ISO 8601 time (UTC when no offset)."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.UTC)
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date (YYYY-MM-DD) or an ISO 8601 time", param_hint="--since"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


@app.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", help="The folder to write the files to.")],
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Only resources changed at or after this date (YYYY-MM-DD, from 00:00 "
            "UTC) or time (ISO 8601).",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Worker processes (default: the machine's processors, at most 8).",
        ),
    ] = DEFAULT_WORKERS,
) -> None:
    """Write every patient's record as FHIR R4: one NDJSON file per resource type
    (Patient.ndjson, Observation.ndjson, ...) and manifest.json (the Bulk Data layout),
    streaming patient by patient."""
    from respira.fhir import service
    from respira.kit.config import get_settings
    from respira.kit.db import Database

    after = parse_since(since)
    if out.exists() and not out.is_dir():
        raise typer.BadParameter(f"{out} is a file, not a folder", param_hint="--out")
    database = Database(get_settings().database_url)
    request = "respira fhir export" + (f" --since {since}" if since else "")
    columns = (
        TextColumn("patients"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns, console=console, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("export", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = service.export(
                database, out, since=after, request=request, progress=advance, workers=workers
            )
    finally:
        database.dispose()
    console.print(
        f"{result.patients} patients: "
        + ", ".join(f"{n} {kind}" for kind, n in sorted(result.counts.items()))
        + f" → {out}"
    )
