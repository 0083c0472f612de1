"""``respira spirometry interpret``: the batch CSV command, its exact number reader
and writer, and its handling of bad rows and bad files."""

from __future__ import annotations

import csv
import io
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from respira.batch.cli import app
from respira.batch.csv_read import _Buffer
from respira.batch.csv_write import _prepare_number, _python_row
from respira.batch.spirometry_csv import (
    OUTPUT_COLUMNS,
    format_fixed,
    interpret_csv,
    parse_decimal_fields,
)

EXAMPLES = Path(__file__).parent.parent / "science" / "data" / "gli_examples.csv"
INPUT_COLUMNS = ("id", "sex", "age", "height_cm", "ethnicity", "fev1", "fvc", "fef2575", "fef75")
runner = CliRunner()


def _examples_csv(path: Path, extra: str = "note") -> list[dict[str, str]]:
    rows = list(csv.DictReader(EXAMPLES.open(newline="")))
    with path.open("w", newline="") as f:
        f.write(",".join((*INPUT_COLUMNS, extra)) + "\n")
        for r in rows:
            f.write(",".join(r[c] for c in INPUT_COLUMNS) + f",x{r['id']}\n")
    return rows


def _read(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open(newline="")))


def _invoke(*args: str) -> Any:
    return runner.invoke(app, ["interpret", *args])


def test_interpret_good_file_matches_the_worked_examples_to_1e9(tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    rows = _examples_csv(src)
    result = _invoke(str(src), "-o", str(out), "--equations", "gli-2012")
    assert result.exit_code == 0, result.output
    assert "wrote 60 rows" in result.output
    written = _read(out)
    header = next(csv.reader(out.open()))
    assert header == [*INPUT_COLUMNS, "note", *OUTPUT_COLUMNS]
    assert len(written) == 60
    for got, want in zip(written, rows, strict=True):
        assert got["note"] == f"x{want['id']}" and got["age"] == want["age"]
        assert got["error"] == "" and got["pattern"]
        for p in ("fev1", "fvc", "fev1fvc", "fef2575", "fef75"):
            for field in ("pred", "lln", "uln", "pctpred"):
                expected = float(want[f"gli2012_{p}_{field}"])
                assert abs(float(got[f"{p}_{field}"]) / expected - 1) <= 1e-9
            assert abs(float(got[f"{p}_z"]) - float(want[f"gli2012_{p}_z"])) <= 1e-9


def test_default_equations_are_gli_global_with_empty_fef_columns(tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    rows = _examples_csv(src)
    assert _invoke(str(src), "-o", str(out)).exit_code == 0
    written = _read(out)
    for got, want in zip(written, rows, strict=True):
        assert abs(float(got["fev1_z"]) - float(want["gliglobal_fev1_z"])) <= 1e-9
        assert got["fef2575_pred"] == got["fef75_z"] == ""


def test_bad_rows_keep_their_row_with_the_reason_and_the_rest_are_processed(
    tmp_path: Path,
) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text(
        "id,sex,age,height_cm,fev1,fvc,site\n"
        "a,M,45,178,2.5,4.2,north\n"
        "b,X,45,178,2.5,4.2,south\n"
        "c,F,abc,165,2.5,3.0,east\n"
        "d,F,40,165,-2.5,3.0,west\n"
        "e,M,45,178,5.0,4.2,north\n"
        "f,M,45,178\n"
        "g,F,2,95,1.0,1.2,east\n"
        "h,F,50,160,2.4,3.1,west\n"
    )
    result = _invoke(str(src), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "6 with errors" in result.output and "line 3: sex must be M or F" in result.output
    written = {r["id"]: r for r in _read(out)}
    assert list(written) == list("abcdefgh")
    for good in ("a", "h"):
        assert written[good]["error"] == "" and written[good]["fev1_z"] != ""
    assert "sex must be M or F, got 'X'" in written["b"]["error"]
    assert written["c"]["error"] == "age 'abc' is not a number"
    assert "fev1 must be a positive number of L, got -2.5" in written["d"]["error"]
    assert "fev1 5 L exceeds fvc 4.2 L" in written["e"]["error"]
    assert written["f"]["error"] == "row has 4 fields, the header has 7"
    assert "age 2 years is outside the gli-global range" in written["g"]["error"]
    for bad in "bcdefg":
        assert written[bad]["fev1_pred"] == written[bad]["pattern"] == ""
    assert written["e"]["site"] == "north"


def test_missing_required_column_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,sex,age,fev1,fvc\n1,M,40,3,4\n")
    result = _invoke(str(src), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 2
    assert "missing required column(s): height_cm" in result.output
    assert not (tmp_path / "out.csv").exists()


def test_gli_2012_requires_an_ethnicity_column(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,sex,age,height_cm,fev1,fvc\n1,M,40,170,3,4\n")
    result = _invoke(str(src), "-o", str(tmp_path / "out.csv"), "--equations", "gli-2012")
    assert result.exit_code == 2 and "ethnicity" in result.output


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (None, "cannot read"),
        (b"", "empty"),
        (b"id,sex\x00,age\n", "NUL"),
        (b"id,sex,age,height_cm,fev1,fvc\n1,M,40,170,3,\xff\n", "UTF-8"),
        (b"id,sex,age,height_cm,fev1,fvc,fev1_pred\n", "already has output column"),
        (b"id,sex,sex,age,height_cm,fev1,fvc\n", "duplicated"),
    ],
)
def test_unreadable_files_exit_2(tmp_path: Path, content: bytes | None, text: str) -> None:
    src = tmp_path / "in.csv"
    if content is not None:
        src.write_bytes(content)
    result = _invoke(str(src), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 2
    assert text in result.output


def test_passthrough_columns_are_copied_byte_for_byte_quoted_or_not(tmp_path: Path) -> None:
    base = "id,sex,age,height_cm,fev1,fvc,comment\n"
    plain = tmp_path / "plain.csv"
    plain.write_text(base + "1,M,40,180,3.5,4.5,first visit\n2,F,35,160,2.8,3.3,é ü\n")
    quoted = tmp_path / "quoted.csv"
    quoted.write_text(
        base + '1,M,40,180,3.5,4.5,"first, visit"\n2,F,35,160,2.8,3.3,"said ""fine"""\n'
    )
    for src in (plain, quoted):
        out = tmp_path / f"{src.stem}.out.csv"
        assert _invoke(str(src), "-o", str(out)).exit_code == 0
        original = list(csv.reader(src.open(newline="")))
        written = list(csv.reader(out.open(newline="")))
        for before, after in zip(original, written, strict=True):
            assert after[: len(before)] == before
    # The computed columns do not depend on how the file was read.
    plain_rows = _read(tmp_path / "plain.out.csv")
    quoted_rows = _read(tmp_path / "quoted.out.csv")
    for a, b in zip(plain_rows, quoted_rows, strict=True):
        assert [a[c] for c in OUTPUT_COLUMNS] == [b[c] for c in OUTPUT_COLUMNS]


def test_rule_2005_puts_the_2005_rule_in_the_bdr_column(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(
        "id,sex,age,height_cm,fev1,fvc,fev1_post,fvc_post\n"
        "twelve_percent,M,40,175,2.5,4.0,2.8,4.0\n"
        "ten_percent_pred,M,40,175,3.5,4.5,3.9,4.5\n"
        "no_post,M,40,175,3.5,4.5,,\n"
    )
    rows = {}
    for rule in ("2022", "2005"):
        out = tmp_path / f"out{rule}.csv"
        assert _invoke(str(src), "-o", str(out), "--rule", rule).exit_code == 0
        rows[rule] = {r["id"]: r for r in _read(out)}
    assert rows["2022"]["twelve_percent"]["bdr"] == "false"
    assert rows["2005"]["twelve_percent"]["bdr"] == "true"
    assert rows["2022"]["ten_percent_pred"]["bdr"] == "true"
    assert rows["2005"]["ten_percent_pred"]["bdr"] == "false"
    for rule in ("2022", "2005"):
        assert rows[rule]["twelve_percent"]["bdr_2005"] == "true"
        assert rows[rule]["no_post"]["bdr"] == rows[rule]["no_post"]["bdr_2005"] == ""
        assert rows[rule]["no_post"]["bdr_fev1_pct_pred_change"] == ""
    assert float(rows["2005"]["ten_percent_pred"]["bdr_fev1_pct_pred_change"]) > 10


def test_crlf_bom_and_blank_lines_are_read(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_bytes(
        b"\xef\xbb\xbfid,sex,age,height_cm,fev1,fvc\r\n1,M,40,180,3.5,4.5\r\n\r\n2,F,35,160,2.8,3.3"
    )
    out = tmp_path / "out.csv"
    result = _invoke(str(src), "-o", str(out))
    assert result.exit_code == 0, result.output
    written = _read(out)
    assert [r["id"] for r in written] == ["1", "2"]
    assert all(r["error"] == "" and r["fev1_z"] for r in written)


def test_output_is_replaced_atomically_and_left_alone_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_text("previous\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,sex\n")
    assert _invoke(str(bad), "-o", str(out)).exit_code == 2
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "out.csv"]


def test_progress_bar_option_runs_and_module_runs_as_a_script(tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    _examples_csv(src)
    assert _invoke(str(src), "-o", str(out), "--progress").exit_code == 0
    done = subprocess.run(
        [sys.executable, "-m", "respira.batch.cli", "interpret", str(src), "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(_read(out)) == 60
    help_text = runner.invoke(app, ["interpret", "--help"]).output
    assert "--equations" in help_text and "--rule" in help_text


def test_a_large_file_splits_into_blocks_without_changing_results(tmp_path: Path) -> None:
    """More rows than one reading block and one writing block, with bad rows inside."""
    rng = np.random.default_rng(3)
    n = 70_000
    src = tmp_path / "in.csv"
    fvc = np.round(rng.uniform(1.5, 5.5, n), 2)
    fev1 = np.round(fvc * rng.uniform(0.5, 0.98, n), 2)
    age = np.round(rng.uniform(5, 94, n), 3)
    lines = [f"r{i},{'MF'[i % 2]},{age[i]},170,{fev1[i]},{fvc[i]}" for i in range(n)]
    lines[12345] = "r12345,M,40,170,oops,4"
    lines[66000] = "r66000,M,40,170,3,4,extra"
    src.write_text("id,sex,age,height_cm,fev1,fvc\n" + "\n".join(lines) + "\n")
    out = tmp_path / "out.csv"
    summary = interpret_csv(src, out)
    assert summary.rows == n and summary.rows_with_errors == 2
    written = _read(out)
    assert len(written) == n
    assert written[12345]["error"] == "fev1 'oops' is not a number"
    assert written[66000]["error"] == (
        "row has 7 fields, the header has 6; extra fields left out: 'extra'"
    )
    assert written[66000]["fvc"] == "4" and written[66000]["fev1_pred"] == ""
    sample = rng.choice(n, 200, replace=False)
    from respira.science.spirometry import reference_values

    for i in sample.tolist():
        if i in (12345, 66000):
            continue
        r = reference_values(
            "gli-global",
            "fev1",
            sex="MF"[i % 2],
            age=float(age[i]),
            height_cm=170.0,
            measured=float(fev1[i]),
        )
        assert written[i]["fev1_z"] == format_fixed(r.z)
        assert written[i]["id"] == f"r{i}"


# --------------------------------------------------------------------------- numbers

_DECIMAL_TEXT = st.from_regex(r"\A[+-]?(\d{1,12}(\.\d{0,10})?|\.\d{1,10})\Z")
_ANY_NUMBER_TEXT = st.one_of(
    _DECIMAL_TEXT,
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.from_regex(r"\A[+-]?\d{1,25}(\.\d{1,25})?([eE][+-]?\d{1,3})?\Z"),
)


def _parse(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    encoded = [t.encode() for t in texts]
    lengths = np.array([len(e) for e in encoded], dtype=np.int64)
    ends = np.cumsum(lengths)
    return parse_decimal_fields(_Buffer(b"".join(encoded)), ends - lengths, ends)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(_ANY_NUMBER_TEXT, min_size=1, max_size=50))
@example(texts=["0.1", "-0", "+7", "1.", ".5", "00012.500", "9007199254740993", "1e3"])
@example(texts=["123456789012345678", "0.30000000000000004", "2.2250738585072014e-308"])
def test_number_reader_gives_exactly_what_python_float_gives(texts: list[str]) -> None:
    values, bad = _parse(texts)
    for text, value, is_bad in zip(texts, values, bad, strict=True):
        expected = float(text)
        if not math.isfinite(expected):
            assert is_bad
            continue
        assert not is_bad, text
        assert value == expected and math.copysign(1, value) == math.copysign(1, expected), text


@pytest.mark.parametrize(
    "text", ["abc", "1.2.3", "--1", "1-", "nan", "inf", "1_000", "1,5", "1e", ".", "+", "0x10"]
)
def test_number_reader_rejects_text_that_is_not_a_decimal_number(text: str) -> None:
    values, bad = _parse([text, "2.5"])
    assert bad[0] and math.isnan(values[0])
    assert not bad[1] and values[1] == 2.5


def test_number_reader_treats_empty_as_missing_and_accepts_padding_spaces() -> None:
    values, bad = _parse(["", " 2.5 ", "3"])
    assert math.isnan(values[0]) and not bad.any()
    assert list(values[1:]) == [2.5, 3.0]


def _fast_text(values: np.ndarray) -> list[str]:
    """The canvas writer's text for ``values`` (one numeric column, nothing else)."""
    out: dict[str, Any] = {
        name: np.full(values.size, np.nan) for name in OUTPUT_COLUMNS if name != "error"
    }
    for name in ("pattern", "severity", "bdr", "bdr_2005"):
        out[name] = (np.full(values.size, -1, dtype=np.int8), ("x",))
    out["fev1_z"] = values
    from respira.batch.csv_read import _Chunk, _Spans
    from respira.batch.csv_write import _Canvas, _render

    prefix = _Buffer(b"p" * values.size)
    starts = np.arange(values.size, dtype=np.int64)
    chunk = _Chunk(values.size, starts, _Spans(prefix, starts, starts + 1), {}, {})
    errors = np.full(values.size, "", dtype=object)
    text = b"".join(bytes(p) for p in _render(chunk, out, errors, _Canvas())).decode()
    rows = list(csv.reader(io.StringIO(text)))
    column = 1 + OUTPUT_COLUMNS.index("fev1_z")
    return [row[column] for row in rows]


_TIES = [(k + 0.5) / 1e10 for k in (0, 1, 2, 3, 12345, 99999)] + [
    2.675,
    1.0000000000500000,
    0.00000000005,
    -0.00000000005,
    1e-11,
    -1e-11,
]


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.one_of(
            st.floats(-99999.0, 99999.0),
            st.floats(-3, 3),
            st.floats(allow_nan=True, allow_infinity=False, width=64),
            st.sampled_from(_TIES),
            st.integers(-(10**15), 10**15).map(lambda k: k / 1e10 + 5e-11),
        ),
        min_size=1,
        max_size=60,
    )
)
@example(values=_TIES)
@example(values=[-0.0, 0.0, 1e5, -1e5, 99999.99999999999, 123456789.125, float("nan")])
def test_number_writer_gives_exactly_python_format_10f(values: list[float]) -> None:
    array = np.array(values, dtype=np.float64)
    assert _fast_text(array) == [format_fixed(v) for v in values]


def test_tie_resolution_decides_exactly_where_the_product_is_rounded() -> None:
    """Values whose x·10^10 lands within an ulp of .5: Dekker's exact error decides."""
    rng = np.random.default_rng(11)
    k = rng.integers(0, 10**12, 5000)
    near = (k + 0.5) / 1e10
    near = np.concatenate([near, np.nextafter(near, 0), np.nextafter(near, 1), -near])
    number = _prepare_number(near)
    for x, whole, frac in zip(near, number.whole, number.frac, strict=True):
        text = format(abs(x), ".10f")
        assert f"{whole}.{frac:010d}" == text


def test_python_row_writer_quotes_messages_and_pads_short_rows() -> None:
    out: dict[str, Any] = {name: np.array([np.nan]) for name in OUTPUT_COLUMNS if name != "error"}
    for name in ("pattern", "severity", "bdr", "bdr_2005"):
        out[name] = (np.array([-1], dtype=np.int8), ("x",))
    line = _python_row(b"a,b", out, 0, 'bad, "quoted"')
    fields = next(csv.reader(io.StringIO(line.decode())))
    assert fields[:2] == ["a", "b"] and fields[-1] == 'bad, "quoted"'
    assert len(fields) == 2 + len(OUTPUT_COLUMNS)
