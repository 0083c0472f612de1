"""Reading and writing the CSV files of ``respira spirometry interpret``.

The science (``respira.science.spirometry``) does no I/O; this module turns a CSV of
spirometry records into arrays, calls :func:`interpret_arrays` on blocks of rows, and
writes the input columns unchanged followed by the results. The file format is in
``csv_format``, the reading in ``csv_read``, the writing in ``csv_write``; this module
runs the command over them, a block of rows at a time.

Speed without giving up exactness (a million rows in a few seconds):

* **Reading.** A file without quote characters is split with NumPy on the raw bytes
  (newlines, then commas). Numbers of the form ``[+-]digits[.digits]`` with at most
  17 significant digits and a value below 2^53 in the mantissa are converted as
  ``mantissa / 10^decimals`` — one correctly rounded division of two exactly
  representable doubles, which gives the same double as Python's ``float()``
  (Clinger's fast path). Anything else (exponents, spaces, long mantissas) goes
  through ``float()`` after a strict syntax check; ``nan``/``inf`` and text are
  errors. Files with quotes are read with the :mod:`csv` module instead.
* **Writing.** Every number is written in fixed-point notation with 10 decimal places,
  correctly rounded from the float64 result — the same text as Python's
  ``format(x, ".10f")`` (round-half-even on the exact binary value). 10 decimals keep
  the 1e-9 agreement with the GLI worked examples through a CSV round trip. The
  digits are made with integer arithmetic on ``rint(x·10^10)``; the only inexact
  step, the product x·10^10, is off by at most half an ulp, so the few values whose
  fraction lies within one ulp of a rounding tie (and values of 10^5 or more) are
  formatted by Python instead. Rows are laid out in a byte canvas whose slot widths
  are fitted to each block's data, and the NUL padding is squeezed out at the end.
  Rows with an error message, or whose numbers needed Python, are written by a plain
  Python formatter and spliced in; both writers give identical text.
* Output goes to a temporary file beside the target, renamed into place at the end:
  an interrupted run leaves no half-written output.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from respira.batch.csv_format import (
    CHUNK_ROWS,
    NUMERIC_COLUMNS,
    OPTIONAL_COLUMNS,
    OUTPUT_COLUMNS,
    REQUIRED_COLUMNS,
    CsvInputError,
    CsvSummary,
)
from respira.batch.csv_read import _Chunk, _open_source, _text_fields, parse_decimal_fields
from respira.batch.csv_write import _BOOL_LABELS, _Canvas, _render, format_fixed
from respira.science.spirometry import PARAMETERS, equations_version, requires_ethnicity
from respira.science.spirometry.interpretation import (
    BDR_RULES,
    PATTERNS,
    SEVERITIES,
    BatchInterpretation,
    interpret_arrays,
)

__all__ = [
    "CHUNK_ROWS",
    "OUTPUT_COLUMNS",
    "REQUIRED_COLUMNS",
    "CsvInputError",
    "CsvSummary",
    "format_fixed",
    "interpret_csv",
    "parse_decimal_fields",
]


# --------------------------------------------------------------------------- the command


def _columns_of(result: BatchInterpretation, n: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    nan = np.full(n, np.nan)
    for p in PARAMETERS:
        r = result.results.get(p)
        for f in ("pred", "lln", "uln", "z", "pctpred"):
            out[f"{p}_{f}"] = nan if r is None else getattr(r, f)
    out["pattern"] = (result.pattern_code, PATTERNS)
    out["severity"] = (result.severity_code, SEVERITIES)
    out["bdr"] = (result.bdr_code, _BOOL_LABELS)
    out["bdr_fev1_pct_pred_change"] = result.bdr_fev1_pct_pred_change
    out["bdr_fvc_pct_pred_change"] = result.bdr_fvc_pct_pred_change
    out["bdr_2005"] = (result.bdr_2005_code, _BOOL_LABELS)
    return out


def _blank(out: dict[str, Any], rows: NDArray[np.bool_]) -> None:
    """Clear every computed field of ``rows`` (records that could not be read)."""
    for name, column in out.items():
        if isinstance(column, tuple):
            codes = column[0].copy()
            codes[rows] = -1
            out[name] = (codes, column[1])
        else:
            column = column.copy()
            column[rows] = np.nan
            out[name] = column


def _interpret_chunk(
    chunk: _Chunk, equations: str, rule: str, canvas: _Canvas
) -> tuple[list[Any], NDArray[Any]]:
    n = chunk.rows
    problems: dict[int, list[str]] = {}
    for i, message in chunk.shape_error.items():
        problems.setdefault(i, []).append(message)
    numeric: dict[str, NDArray[np.float64] | None] = {}
    for column, argument in NUMERIC_COLUMNS.items():
        if column not in chunk.fields:
            numeric[argument] = None
            continue
        spans = chunk.fields[column]
        values, bad = parse_decimal_fields(spans.buf, spans.start, spans.end)
        for i in np.flatnonzero(bad).tolist():
            problems.setdefault(i, []).append(f"{column} {spans.text(i)!r} is not a number")
        numeric[argument] = values
    sex = _text_fields(chunk.fields["sex"])
    ethnicity = _text_fields(chunk.fields["ethnicity"]) if "ethnicity" in chunk.fields else None
    unreadable = np.zeros(n, dtype=np.bool_)
    unreadable[list(problems)] = True
    if problems:
        # Unreadable records are computed as empty and reported by what broke them.
        for column_values in numeric.values():
            if column_values is not None:
                column_values[unreadable] = np.nan
    # Every numeric column under the name of its argument (None: not in the file).
    result = interpret_arrays(
        equations,
        sex=sex,
        ethnicity=ethnicity,
        bdr_rule=rule,
        field_names={argument: column for column, argument in NUMERIC_COLUMNS.items()},
        **numeric,  # type: ignore[arg-type]
    )
    out = _columns_of(result, n)
    errors = result.error
    if problems:
        _blank(out, unreadable)
        for i, messages in problems.items():
            errors[i] = "; ".join(messages)
    return _render(chunk, out, errors, canvas), errors


def interpret_csv(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    equations: str = "gli-global",
    rule: str = "2022",
    progress: Callable[[int, int], None] | None = None,
) -> CsvSummary:
    """Interpret every record of ``input_path`` and write ``output_path``.

    Raises :class:`CsvInputError` for a file that cannot be processed at all; bad
    records are written with their reason in the ``error`` column. ``progress`` is
    called with (rows done, rows in all) after each block.
    """
    if rule not in BDR_RULES:
        raise CsvInputError(f"--rule must be one of {', '.join(BDR_RULES)}, not {rule!r}")
    version = equations_version(equations)
    try:
        data = Path(input_path).read_bytes()
    except OSError as exc:
        raise CsvInputError(f"cannot read {input_path}: {exc.strerror or exc}") from None
    source = _open_source(data)
    header = source.header
    required = list(REQUIRED_COLUMNS) + (["ethnicity"] if requires_ethnicity(equations) else [])
    missing = [name for name in required if name not in header]
    if missing:
        raise CsvInputError(
            f"missing required column(s): {', '.join(missing)} "
            f"(the header has: {', '.join(header)})"
        )
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise CsvInputError(f"duplicated column(s) in the header: {', '.join(duplicated)}")
    clashing = [name for name in OUTPUT_COLUMNS if name in header]
    if clashing:
        raise CsvInputError(
            f"the input already has output column(s) {', '.join(clashing)}; rename them"
        )
    wanted: list[str] = [
        name for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if name in header and name != "id"
    ]
    summary = CsvSummary(equations_version=version)
    target = Path(output_path)
    handle, temp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or Path(".")
    )
    try:
        with os.fdopen(handle, "wb") as sink:
            sink.write(source.header_raw + b"," + ",".join(OUTPUT_COLUMNS).encode() + b"\n")
            done = 0
            canvas = _Canvas()
            for chunk in source.chunks(CHUNK_ROWS, wanted):
                pieces, errors = _interpret_chunk(chunk, equations, rule, canvas)
                for piece in pieces:
                    sink.write(piece)
                for i in np.flatnonzero(errors != "").tolist():
                    summary.rows_with_errors += 1
                    if len(summary.first_errors) < 5:
                        line = int(chunk.line_numbers[i])
                        summary.first_errors.append((line, str(errors[i])))
                done += chunk.rows
                if progress is not None:
                    progress(done, source.rows)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp_name, 0o666 & ~umask)  # mkstemp makes 0600; give the usual mode
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    summary.rows = source.rows
    return summary
