"""``respira outcomes ...``: the outcome report, the de-identified export and the
registry's refresh from the command line."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(help="The programme's outcomes: report, export, registry.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """The programme's outcomes."""


def filter_params(pairs: list[str] | None) -> dict[str, str]:
    """``--filter key=value`` options as the cohort filter's parameters (the use case
    refuses a key that is no filter: a typo must not widen the cohort)."""
    params: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{pair!r} is not key=value", param_hint="--filter")
        params[key.strip()] = value.strip()
    return params


@app.command("export")
def export_command(
    out: Path = typer.Option(..., "--out", help="The folder to write the files to."),
    fmt: str = typer.Option("csv", "--format", help="csv or parquet (parquet needs pyarrow)."),
    filters: list[str] | None = typer.Option(
        None, "--filter", help="key=value, e.g. sex=female or treated_from=2025-01-01; repeat."
    ),
) -> None:
    """The de-identified export: outcomes and adverse events (one row per treated course
    and window), with the data dictionary, as of today; audited."""
    from respira.kit.actors import Actor
    from respira.kit.config import get_settings
    from respira.kit.db import Database
    from respira.kit.errors import InvalidInput
    from respira.outcomes import export

    if out.exists() and not out.is_dir():
        raise typer.BadParameter(f"{out} is a file, not a folder", param_hint="--out")
    params = {**filter_params(filters), "format": fmt}
    database = Database(get_settings().database_url)
    err = Console(stderr=True)
    try:
        with database.session() as read, database.session(write=True) as session:
            kind, cohort = export.parse_request(params)
            result = export.export_to_folder(
                session, Actor.system("respira outcomes export"), out, kind, cohort, read=read
            )
    except InvalidInput as exc:
        for field, message in exc.errors.items():
            err.print(message if field == "__all__" else f"{field}: {message}")
        raise typer.Exit(2) from None
    except OSError as exc:  # the folder cannot be written (nothing was audited)
        err.print(f"cannot write the export to {out}: {exc.strerror or exc}")
        raise typer.Exit(1) from None
    finally:
        database.dispose()
    err.print(
        f"{result.rows} rows ({result.courses} courses, {result.patients} patients) and "
        f"{result.adverse_events} adverse events → {out}: {', '.join(result.files)} "
        f"(export {result.export_id})"
    )


REPORT_FORMATS = ("json", "pdf", "html")


@app.command("report")
def report_command(
    filters: list[str] | None = typer.Option(
        None, "--filter", help="key=value, e.g. sex=female or course_number=1; repeat."
    ),
    fmt: str = typer.Option("json", "--format", help="json, pdf or html."),
    out: Path | None = typer.Option(
        None, "--out", help="The file to write (json and html go to stdout without it)."
    ),
    lang: str = typer.Option("en", "--lang", help="The language of a pdf or html: en, de, ru."),
) -> None:
    """The outcome report of the registry as of today: the JSON object of
    GET /api/v1/outcomes/report, or the staff report as PDF or HTML."""
    import json

    from respira.kit import i18n
    from respira.kit.config import get_settings
    from respira.kit.db import Database
    from respira.kit.errors import InvalidInput
    from respira.outcomes import report, report_pdf, report_view

    err = Console(stderr=True)
    if fmt not in REPORT_FORMATS:
        raise typer.BadParameter("choose json, pdf or html", param_hint="--format")
    if lang not in i18n.available_languages():
        choices = ", ".join(i18n.available_languages())
        raise typer.BadParameter(f"choose one of {choices}", param_hint="--lang")
    if fmt == "pdf" and out is None:
        raise typer.BadParameter("a PDF needs a file to go to", param_hint="--out")
    database = Database(get_settings().database_url)
    try:
        with database.session() as session:
            cohort = report.parse_filters(filter_params(filters))
            data = report.outcome_report(session, cohort)
    except InvalidInput as exc:
        for field, message in exc.errors.items():
            err.print(f"--filter {field}: {message}")
        raise typer.Exit(2) from None
    finally:
        database.dispose()
    if fmt == "pdf":
        assert out is not None
        out.write_bytes(report_pdf.render(data, lang))
    else:
        text = (
            json.dumps(data, ensure_ascii=False, allow_nan=False)
            if fmt == "json"
            else report_view.document_html(data, lang)
        )
        if out is None:
            typer.echo(text)
        else:
            out.write_text(text + "\n", encoding="utf-8")
    if out is not None:
        err.print(f"{data['n_treated']} treated courses → {out} ({fmt})")


@app.command("refresh")
def refresh_command() -> None:
    """Reproject every treated course of the clinic into the outcome registry (what the
    outcomes.refresh job does every five minutes); synthetic rows stay as they are."""
    from respira.kit.config import get_settings
    from respira.kit.db import Database, utcnow
    from respira.outcomes import service

    database = Database(get_settings().database_url)
    try:
        done = service.refresh(database, utcnow())
    finally:
        database.dispose()
    Console(stderr=True).print(f"{done} treated courses reprojected into the outcome registry.")
