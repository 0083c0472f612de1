"""``respira outcomes ...``: the outcome report, the de-identified export and the
registry's refresh from the command line."""

from __future__ import annotations

import typer

app = typer.Typer(help="The programme's outcomes: report, export, registry.", no_args_is_help=True)
